"""Tab 3 "Curate": the pairs on a map, flagged failures, and the small diverse subset that will train."""

from __future__ import annotations

import gradio as gr

from e2gan import pairs
from e2gan.curate import CurateSettings, curate, read_manual, read_selection, set_manual
from e2gan.curate.plot import figure
from e2gan.estimate import estimate
from e2gan.hardware import detect
from e2gan.presets import get_preset
from studio.context import Studio, gradio_progress, plural, status_markdown
from studio.project_bar import ProjectBar

DEFAULT_K = 24
MAX_K = 10_000  # what API clients may ask for; the page's slider runs to the project's pair count
INTRO = """\
**Step 3 — curate.** Each dot is a pair; similar photos and edits sit together and share a colour.
E2GAN trains on a small, diverse subset: one pair from each of **K** clusters (★). Red crosses are
likely failed edits (no change, destroyed content, odd ones out) and are left out unless you include them.
Click a dot to see its pair; draw a lasso or box on the map to include or exclude a region.
"""

# Bridges plotly's click and lasso events to hidden textboxes (plotly events don't reach Gradio by themselves).
MAP_EVENTS_JS = """
<script>
(() => {
  const send = (id, value) => {
    const box = document.querySelector(`#${id} textarea, #${id} input`);
    if (!box) return;
    box.value = value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const bind = () => {
    document.querySelectorAll("#curate-map .js-plotly-plot").forEach((plot) => {
      if (plot.dataset.e2ganBound === plot.data?.length + ":" + (plot.layout?.title?.text || "")) return;
      if (!plot.on) return;
      plot.dataset.e2ganBound = plot.data?.length + ":" + (plot.layout?.title?.text || "");
      plot.removeAllListeners?.("plotly_click");
      plot.removeAllListeners?.("plotly_selected");
      plot.on("plotly_click", (ev) => {
        const p = ev.points && ev.points[0];
        if (p && p.customdata) send("map-click", p.customdata + "|" + Date.now());
      });
      plot.on("plotly_selected", (ev) => {
        if (!ev || !ev.points) return;
        const ids = [...new Set(ev.points.map((p) => p.customdata).filter(Boolean))];
        send("map-selection", ids.join(","));
      });
    });
  };
  new MutationObserver(bind).observe(document.documentElement, { childList: true, subtree: true });
})();
</script>
"""


def build(studio: Studio, bar: ProjectBar, tab: gr.Tab) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        k = gr.Slider(1, MAX_K, value=DEFAULT_K, step=1, label="K: pairs to train on", scale=3, elem_id="k-slider")  # the page narrows it to the pair count
        method = gr.Radio([("Similarity clustering (E2GAN)", "cluster"), ("Random (baseline)", "random")], value="cluster", label="Selection", scale=2)
        embedder = gr.Textbox(value="offline", label="Embedder (offline, or clip:MODEL/PRETRAINED)", scale=2)
        run = gr.Button("Curate", variant="primary", scale=1, elem_id="curate-run")
    summary = gr.Markdown("", elem_id="curate-summary")
    with gr.Row():
        with gr.Column(scale=3):
            plot = gr.Plot(label="Pair map", elem_id="curate-map")
        with gr.Column(scale=2):
            picked = gr.Image(label="Pair (before | after)", interactive=False, elem_id="map-pair", height=200)
            picked_info = gr.Markdown("", elem_id="map-pair-info")
            region = gr.Markdown("Nothing selected on the map.", elem_id="map-region")
            with gr.Row():
                include = gr.Button("Include", elem_id="include-pairs")
                exclude = gr.Button("Exclude", elem_id="exclude-pairs")
                clear = gr.Button("Reset to automatic", elem_id="clear-pairs")
    gallery = gr.Gallery(label="Selected for training", columns=6, height=300, object_fit="contain", elem_id="selected-gallery")  # before | after, whole
    click_box = gr.Textbox(elem_id="map-click", elem_classes=["e2gan-hidden"], container=False)
    selection_box = gr.Textbox(elem_id="map-selection", elem_classes=["e2gan-hidden"], container=False)
    targets = gr.State([])

    outputs = [plot, summary, gallery, bar.status]

    def render(name, k_v, method_v, embedder_v, progress=gr.Progress(), save: bool = True):
        project = studio.project(name)
        if project is None:
            return None, "Open a project first.", [], status_markdown(None)
        if not pairs.usable_pairs(project):
            return None, "No pairs yet: generate them in the **Teach** tab.", [], status_markdown(project)
        progress(0, desc="Embedding pairs and drawing the map (the first map of a session compiles UMAP: ~15 s)")
        try:
            result = curate(project, CurateSettings(int(k_v), method_v, (embedder_v or "offline").strip()), gradio_progress(progress), save=save)
        except (ValueError, RuntimeError) as e:
            raise gr.Error(str(e)) from None
        n, chosen = len(result.points), len(result.selection.ids)
        fig = figure(result.points, f"{chosen} of {n} pairs selected ({method_v})")
        by_id = pairs.read_pairs(project)
        items = [(str(pairs.thumbnail(project, by_id[i])), by_id[i].id[:8]) for i in result.selection.ids]
        summary_text = _summary(result, n, chosen) if save else (
            f"A first map of {plural(n, 'pair')}; **no training set is chosen yet** (training would use all {n}). "
            f"Move **K** or press **Curate** to keep the {chosen} starred pairs.")  # fmt: skip
        return fig, summary_text, items, status_markdown(project)

    def on_click(name, value):
        project = studio.project(name)
        pid = (value or "").split("|")[0]
        by_id = pairs.read_pairs(project) if project else {}
        if pid not in by_id:
            return None, "", gr.update(), []
        pair = by_id[pid]
        manual = read_manual(project)
        state = "included by hand" if pid in manual["include"] else "excluded by hand" if pid in manual["exclude"] else "automatic"
        info = f"Pair `{pid[:8]}` · teacher {pair.teacher.get('name', '')} · {state}"
        return str(pairs.thumbnail(project, pair, 192)), info, f"1 pair selected on the map: `{pid[:8]}`", [pid]

    def on_region(value):
        ids = [i for i in (value or "").split(",") if i]
        return (f"{plural(len(ids), 'pair')} selected on the map." if ids else "Nothing selected on the map."), ids

    def manual(action: str):
        def handler(name, ids, k_v, method_v, embedder_v, progress=gr.Progress()):
            project = studio.project(name)
            if project is None or not ids:
                raise gr.Error("Click a dot or draw a lasso on the map first.")
            set_manual(project, ids, action)
            return render(name, k_v, method_v, embedder_v, progress)

        return handler

    def view(name, k_now, progress=gr.Progress()):
        """On arrival: the saved map, or a first one at the slider's K so the tab is never empty; K runs to the
        pair count. (Setting the slider here does not re-render: renders follow the user's `input` only.)"""
        project = studio.project(name)
        n = len(pairs.usable_pairs(project)) if project else 0
        if not n:
            return gr.update(), gr.update(), None, "No pairs yet: generate them in the **Teach** tab." if project else "", [], status_markdown(project)
        saved = read_selection(project)
        if saved is None:
            return (gr.update(maximum=n), gr.update(), *render(name, min(int(k_now), n), "cluster", "offline", progress, save=False))
        return (gr.update(value=min(int(saved["k"]), n), maximum=n), gr.update(value=saved["method"]),
                *render(name, saved["k"], saved["method"], saved["embedder"], progress))  # fmt: skip

    inputs = [bar.project, k, method, embedder]
    one_at_a_time = dict(concurrency_id="curate-map", concurrency_limit=1)  # in the order asked: the last K wins
    run.click(render, inputs, outputs, api_name="curate", show_progress_on=plot, **one_at_a_time)
    k.input(render, inputs, outputs, trigger_mode="always_last", show_progress="minimal", api_name=False, **one_at_a_time)
    method.input(render, inputs, outputs, trigger_mode="always_last", api_name=False, **one_at_a_time)
    click_box.change(on_click, [bar.project, click_box], [picked, picked_info, region, targets], api_name=False)
    selection_box.change(on_region, [selection_box], [region, targets], api_name=False)
    for button, action in ((include, "include"), (exclude, "exclude"), (clear, "clear")):
        button.click(manual(action), [bar.project, targets, k, method, embedder], outputs, api_name=False, **one_at_a_time)
    tab.select(view, [bar.project, k], [k, method, plot, summary, gallery, bar.status], api_name=False, **one_at_a_time)  # the map only when looked at
    bar.on_open(lambda _: (None, "Open this tab again or press **Curate** to map this project's pairs.", []), [bar.opened], [plot, summary, gallery])


def _summary(result, n: int, chosen: int) -> str:
    preset = get_preset(detect().recommended_preset)
    est = estimate(preset, chosen)
    flagged = len(result.flagged)
    return (
        f"**Selected {chosen} of {plural(n, 'pair')}** for training"
        + (f" · {flagged} flagged" if flagged else "")
        + (f" · {result.note}" if result.note else "")
        + f" · {preset.title} preset on this machine: {est.describe()}. Next: **Train**."
    )
