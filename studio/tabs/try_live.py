"""Tab 5 "Try": the filter live on the webcam (or on an uploaded photo), switchable while streaming."""

from __future__ import annotations

import gradio as gr
import numpy as np

from e2gan.live import FpsMeter, live_frame
from studio.context import Studio, gradio_progress

COMPARE_INTRO = """\
### Compare with the teacher
The filter next to its teacher on photos it did not train on, through the same path as the webcam. Drag the
line to wipe between the teacher's edit and the filter's; click a row to show that photo.
"""
INTRO = """\
**Step 5 — try it.** Start the webcam: every frame goes through the filter; switch filters, change the
intensity or blend two filters while it streams. No webcam? Upload a photo instead.
"""


def build(studio: Studio, bar, tab: gr.Tab) -> None:
    meter = FpsMeter()
    gr.Markdown(INTRO)
    with gr.Row():
        choice = gr.Dropdown(label="Filter", choices=[], scale=3, elem_id="try-filter")
        intensity = gr.Slider(0.0, 1.5, value=1.0, step=0.05, label="Intensity (0 = base model)", scale=2, elem_id="try-intensity")
        blend = gr.Dropdown(label="Blend with", choices=["none"], value="none", scale=2, elem_id="try-blend")
        mix = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="Blend amount", scale=2)
        mode = gr.Radio([("Side by side", "side"), ("Wipe", "wipe")], value="side", label="View", scale=1)
        refresh = gr.Button("↻ Filters", scale=0, min_width=80)
    with gr.Row():
        new_name = gr.Textbox(label="Rename this filter", placeholder="a name people will recognise", scale=4, elem_id="try-name")
        rename = gr.Button("Rename", scale=1, elem_id="try-rename")
    status = gr.Markdown("", elem_id="try-status")
    with gr.Row():
        camera = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Webcam", elem_id="try-camera", height=320)
        output = gr.Image(label="Before | after", streaming=True, format="jpeg", elem_id="try-output", height=320)  # WebP: 15-30x slower to encode (benchmarks.runtime)
    fps = gr.Markdown("", elem_id="try-fps")
    with gr.Row():
        upload = gr.Image(sources=["upload"], type="numpy", label="…or a photo", elem_id="try-upload", height=260)
        upload_out = gr.Image(label="Filtered photo", elem_id="try-upload-out", height=260)
    with gr.Row():
        video = gr.Video(sources=["upload"], label="…or a video", elem_id="try-video", height=260)
        video_out = gr.Video(label="Filtered video (same frame rate, audio kept)", elem_id="try-video-out", height=260)
    video_info = gr.Markdown("", elem_id="try-video-info")
    gr.Markdown(COMPARE_INTRO)
    with gr.Row():
        compare_with = gr.Dropdown(label="Side by side with another filter of this project", choices=[("none", "none")], value="none",
                                   scale=3, elem_id="compare-with")  # fmt: skip
        compare = gr.Button("Compare again", scale=1, elem_id="compare-run")
    verdict = gr.Markdown("", elem_id="compare-verdict")
    with gr.Row():
        wipe = gr.ImageSlider(label="Teacher ⟷ filter (drag the line)", type="numpy", elem_id="compare-wipe", height=420, scale=2)
        rows = gr.Gallery(label="photo | teacher | filter", columns=1, height=420, elem_id="compare-rows", scale=3)
    with gr.Accordion("The numbers", open=False):
        numbers = gr.Markdown("", elem_id="compare-numbers")
    shown = gr.State(None)  # the comparison's teacher and filter images, for the wipe

    def filters():
        from e2gan.runtime import finished_filters

        return {ref.name: ref for ref in finished_filters(studio.store)}

    def choices(name: str | None, keep: str | None = None):
        refs = filters()
        if not refs:
            return gr.update(choices=[], value=None), gr.update(choices=["none"], value="none"), "No trained filter yet: train one in the **Train** tab."
        preferred = keep if keep in refs else next((n for n in refs if name and n.startswith(f"{name} · ")), next(iter(refs)))
        labelled = [(ref.title or key, key) for key, ref in refs.items()]  # people see names; the key stays the run
        return (gr.update(choices=labelled, value=preferred), gr.update(choices=[("none", "none"), *labelled], value="none"),
                f"{len(labelled)} filters available.")  # fmt: skip

    def on_rename(name, key, text):
        from e2gan.runs import rename_run

        ref = filters().get(key)
        if ref is None:
            raise gr.Error("Pick a filter to rename first.")
        project_name, run_id = key.split(" · ", 1)
        project = studio.project(project_name)
        try:
            run = rename_run(project, run_id, text)
        except (ValueError, FileNotFoundError, AttributeError) as e:
            raise gr.Error(str(e)) from None
        choice_update, blend_update, _ = choices(name, keep=key)
        return choice_update, blend_update, f"Renamed to “{run.name}”.", ""

    def configured(name, intensity_v, blend_v, mix_v):
        """The pack holding every filter, set to `name` at this intensity and blend (None: no such filter)."""
        from e2gan.runtime import load_pack

        refs = filters()
        if not name or name not in refs:
            return None
        pack = load_pack([refs[name]] + [r for n, r in refs.items() if n != name])
        other = blend_v if blend_v not in (None, "none") and blend_v in pack.names and blend_v != name else None
        pack.configure(name, float(intensity_v), other, float(mix_v))
        return pack

    def run(frame, name, intensity_v, blend_v, mix_v):
        pack = configured(name, intensity_v, blend_v, mix_v) if frame is not None else None
        return None if pack is None else pack(np.ascontiguousarray(frame[..., :3]))

    def on_frame(frame, name, intensity_v, blend_v, mix_v, mode_v, request: gr.Request):
        pack = configured(name, intensity_v, blend_v, mix_v) if frame is not None else None
        if pack is None:
            return None, "Pick a filter to start."
        shown = live_frame(pack, frame, mode_v)  # the same per-frame code the runtime benchmark measures
        rate = meter.tick(getattr(request, "session_hash", None) or "local")
        return shown, f"**{rate:.1f} fps** · {frame.shape[1]}×{frame.shape[0]} webcam"

    def on_upload(image, name, intensity_v, blend_v, mix_v):
        if image is None:
            return None
        filtered = run(image, name, intensity_v, blend_v, mix_v)
        if filtered is None:
            raise gr.Error("No trained filter yet: train one in the Train tab.")
        return filtered

    def on_compare(key, other):
        from e2gan.compare import compare_runs

        if not key or " · " not in key:
            return "", None, [], "", None, gr.update()
        project_name, run_id = key.split(" · ", 1)
        project = studio.project(project_name)
        if project is None:
            return "", None, [], "", None, gr.update()
        siblings = [(r.title or k, k) for k, r in filters().items() if k.startswith(f"{project_name} · ") and k != key]
        other_id = other.split(" · ", 1)[1] if other and other != "none" and other.startswith(f"{project_name} · ") else None
        try:
            c = compare_runs(project, [run_id] + ([other_id] if other_id else []))
        except (FileNotFoundError, ValueError) as e:
            raise gr.Error(str(e)) from None
        names = list(c.filtered)
        lines = [f"**{n}**: {c.verdict(n)}" for n in names]
        table = ["| filter | PSNR dB ↑ | SSIM ↑ | GMSD (edges, 0 = same) ↓ |", "|---|---|---|---|"]
        table += [f"| {n} | {m['psnr']:.2f} | {m['ssim']:.3f} | {m['gmsd']:.3f} |" for n, m in c.metrics.items()]
        where = "photos it did not train on" if c.held_out else "its own training photos (every pair was trained on)"
        numbers_md = "\n".join(table) + f"\n\nAgainst the teacher on {len(c.photos)} {where}, through the same path as the webcam."
        pairs_shown = list(zip(c.teacher, c.filtered[names[0]]))  # the wipe: teacher ⟷ the chosen filter
        caption = " | ".join(["photo", "teacher", *names])
        first = pairs_shown[0] if pairs_shown else None
        return ("\n\n".join(lines), first, [(r, caption) for r in c.rows()], numbers_md, pairs_shown,
                gr.update(choices=[("none", "none"), *siblings], value=other if other_id else "none"))  # fmt: skip

    def on_pick(pairs_shown, evt: gr.SelectData):
        if not pairs_shown or evt.index is None:
            return gr.update()
        return pairs_shown[evt.index]

    compare_outputs = [verdict, wipe, rows, numbers, shown, compare_with]
    choice.change(on_compare, [choice, gr.State("none")], compare_outputs, api_name=False)
    compare.click(on_compare, [choice, compare_with], compare_outputs, api_name=False, show_progress_on=rows)
    compare_with.input(on_compare, [choice, compare_with], compare_outputs, api_name=False)
    rows.select(on_pick, [shown], [wipe], api_name=False)

    def on_video(path, key, intensity_v, blend_v, mix_v, progress=gr.Progress()):
        from pathlib import Path

        from e2gan.video import filter_video

        if not path:
            return None, ""
        refs = filters()
        if key not in refs:
            raise gr.Error("Pick a filter first (train one in the Train tab).")
        project = studio.project(key.split(" · ", 1)[0])
        out = project.exports_dir / "videos" / f"{Path(path).stem}-{key.split(' · ', 1)[1]}.mp4"
        # once, not a scan of every project per frame; a copy, as the webcam may reconfigure the shared pack meanwhile
        pack = configured(key, intensity_v, blend_v, mix_v).snapshot()
        try:
            report = filter_video(path, out, pack, progress=gradio_progress(progress))
        except ValueError as e:
            raise gr.Error(str(e)) from None
        return str(out), report.summary()

    controls = [choice, intensity, blend, mix]
    camera.stream(on_frame, [camera, *controls, mode], [output, fps], stream_every=0.1, concurrency_limit=1, api_name=False, show_progress="hidden")
    upload.change(on_upload, [upload, *controls], [upload_out], api_name="try_photo")
    video.upload(on_video, [video, *controls], [video_out, video_info], api_name=False, show_progress_on=video_out)
    refresh.click(choices, [bar.project], [choice, blend, status], api_name=False)
    rename.click(on_rename, [bar.project, choice, new_name], [choice, blend, status, new_name], api_name=False)
    bar.on_open(choices, [bar.opened], [choice, blend, status])
    bar.on_open(lambda _: (None, None, ""), [bar.opened], [upload_out, video_out, video_info])  # made by the last project's filter
    tab.select(choices, [bar.project], [choice, blend, status], api_name=False)  # filters trained since the page opened
