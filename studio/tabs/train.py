"""Tab 4 "Train": presets with honest estimates, the LoRA layers that will train, and a live run.

The run itself happens in the background (studio.jobs) and writes everything to its run folder; this tab
only reads that folder on a timer, so closing or reloading the page never touches the run, and a server
restart shows it as interrupted with a resume button.
"""

from __future__ import annotations

import gradio as gr

from e2gan import atomic
from studio.context import Studio, status_markdown
from e2gan.project import Busy

INTRO = """\
**Step 4 — train.** The filter starts from the shipped base generator and learns only small LoRA adapters on its
crucial layers (E2GAN), on the pairs you curated. Pick a preset — its time and memory on *this* machine are
shown before you start — then watch the loss and the samples (top: photo, middle: teacher, bottom: your
filter). Training continues if you close this page.
"""
MODES = [("Base + LoRA on crucial layers (E2GAN)", "lora"), ("Base + full fine-tuning", "full"),
         ("E2GAN from scratch", "scratch"), ("pix2pix ResNet-9 from scratch", "pix2pix")]  # fmt: skip
HISTORY_HEADERS = ["filter", "run", "mode", "state", "steps", "fit PSNR dB", "quality PSNR dB", "quality SSIM", "time", "trainable params", "stored"]


def build(studio: Studio, bar, tab: gr.Tab) -> None:
    from e2gan.hardware import detect
    from e2gan.presets import load_presets

    presets = load_presets()
    gr.Markdown(INTRO)
    hardware = gr.Markdown("", elem_id="train-hardware")
    with gr.Row():
        preset = gr.Radio(
            [(p.title, p.name) for p in presets.values()], value=detect().recommended_preset,  # GPU: standard, CPU: quick
            label="Preset", scale=2, elem_id="train-preset",
        )  # fmt: skip
        mode = gr.Dropdown(MODES, value="lora", label="Method", scale=2, elem_id="train-mode")
        base = gr.Textbox(value="", placeholder="shipped base (assets/base)", label="Base generator folder", scale=2)
    estimates = gr.Markdown("", elem_id="train-estimates")
    layers = gr.Markdown("", elem_id="train-layers")
    with gr.Row():
        start = gr.Button("Start training", variant="primary", elem_id="train-start")
        cancel = gr.Button("Cancel", variant="stop", elem_id="train-cancel")
        resume = gr.Button("Resume", elem_id="train-resume")
    progress_html = gr.HTML("", elem_id="train-progress")
    with gr.Row():
        loss_plot = gr.Plot(label="Losses", elem_id="train-loss")
        sample = gr.Image(label="Samples: photo / teacher / student", interactive=False, elem_id="train-sample", height=360)
    history = gr.Dataframe(headers=HISTORY_HEADERS, interactive=False, label="Runs of this project", elem_id="train-history")
    timer = gr.Timer(2.0)
    seen = gr.State({})

    def plan(name, preset_v, mode_v, base_v):
        """Hardware, estimates for every preset, and the LoRA layers/ranks that will train."""
        from e2gan.estimate import estimate
        from e2gan.hardware import detect

        project = studio.project(name)
        hw = detect()
        hw_text = f"**This machine:** {hw.describe()}. Suggested preset: **{presets[hw.recommended_preset].title}**."
        if project is None:
            return hw_text, "", ""
        n = _training_pairs(project)
        if not n:
            return hw_text, "No training pairs yet: generate them in **Teach** (and curate them in **Curate**).", ""
        rows = ["| preset | crops | steps | time | memory |", "|---|---|---|---|---|"]
        for p in presets.values():
            e = estimate(p, n, mode=mode_v or "lora")
            from e2gan.progress import format_duration

            rows.append(f"| {'**' + p.title + '**' if p.name == preset_v else p.title} | {p.crop} px | {e.steps} | ~{format_duration(e.seconds)} | ~{e.memory_mb:.0f} MB |")
        table = f"Training on **{n} pairs** ({mode_v}). Estimates measured on this machine:\n\n" + "\n".join(rows)
        return hw_text, table, _layers_text(project, mode_v, base_v)

    def refresh(name, seen_v):
        """Everything about the newest run, read from its folder (cheap; runs every 2 s)."""
        project = studio.project(name)
        if project is None:
            return "", gr.skip(), gr.skip(), [], status_markdown(None), seen_v
        from e2gan.runs import list_runs

        runs = list_runs(project)
        job = studio.jobs.running(name)
        if not runs:
            note = f"<p>{studio.jobs.last.error}</p>" if studio.jobs.last and studio.jobs.last.error else "<p>No run yet.</p>"
            return note, None, None, [], status_markdown(project), {}
        run = runs[0]
        status = run.status
        log = atomic.read_lines(run.log_path)
        key = (run.id, len(log), status.get("state"))
        plot = _loss_figure(log) if seen_v.get("plot") != key else gr.skip()
        from e2gan.callbacks import latest_sample

        latest = latest_sample(run.samples_dir)
        image = str(latest) if latest and seen_v.get("sample") != str(latest) else gr.skip()
        html = _progress_html(run, status, job)
        rows = [_history_row(r) for r in runs]
        return html, plot, image, rows, status_markdown(project), {"plot": key, "sample": str(latest) if latest else None}

    def on_start(name, preset_v, mode_v, base_v):
        project = _require(studio, name)
        from e2gan import filters, finetune
        from e2gan.presets import get_preset

        n = _training_pairs(project)
        if not n:
            raise gr.Error("No training pairs yet: generate them in the Teach tab first.")
        try:
            if mode_v not in finetune.MODES:
                raise ValueError(f"mode must be one of {', '.join(finetune.MODES)}, not {mode_v!r}")
            preset = get_preset(preset_v)
            settings = preset.train_settings(n, mode_v)
            settings.validate()
            base_dir = str(filters.resolve_base(base_v or None)) if mode_v in ("lora", "full") else None
            studio.jobs.start(
                "training", name,
                lambda job: finetune.finetune(project, mode_v, settings, None, base_dir, progress=job.on_progress, cancel=job.cancel,
                                              preset=preset.title),
            )  # fmt: skip
        except (Busy, FileNotFoundError, ValueError) as e:
            raise gr.Error(str(e)) from None
        return f"Started: {settings.steps} steps on {settings.crop} px crops."

    def on_resume(name):
        project = _require(studio, name)
        from e2gan import finetune
        from e2gan.runs import list_runs

        resumable = [r for r in list_runs(project) if r.status.get("state") in ("interrupted", "cancelled", "failed")]
        if not resumable:
            raise gr.Error("Nothing to resume: the newest run is finished or still running.")
        run_id = resumable[0].id
        try:
            studio.jobs.start("training", name, lambda job: finetune.resume(project, run_id, progress=job.on_progress, cancel=job.cancel))
        except Busy as e:
            raise gr.Error(str(e)) from None
        return f"Resuming run {run_id} from its last checkpoint."

    def on_cancel(name):
        job = studio.jobs.running(name)
        if job is None:
            return "Nothing is training for this project."
        job.cancel.set()
        return "Cancelling: the run saves a checkpoint and stops; **Resume** continues it."

    refresh_outputs = [progress_html, loss_plot, sample, history, bar.status, seen]
    plan_inputs = [bar.project, preset, mode, base]
    plan_outputs = [hardware, estimates, layers]
    start.click(on_start, [bar.project, preset, mode, base], [bar.message], api_name="train_start")
    resume.click(on_resume, [bar.project], [bar.message], api_name="train_resume")
    cancel.click(on_cancel, [bar.project], [bar.message], api_name="train_cancel")
    timer.tick(refresh, [bar.project, seen], refresh_outputs, show_progress="hidden", api_name=False)
    for control in (preset, mode, base):
        control.change(plan, plan_inputs, plan_outputs, show_progress="minimal", api_name=False)
    tab.select(plan, plan_inputs, plan_outputs, api_name=False)  # estimates are measured when the tab is first opened
    bar.on_open(plan, plan_inputs, plan_outputs)
    bar.on_open(lambda n: refresh(n, {}), [bar.opened], refresh_outputs)


def _require(studio: Studio, name):
    project = studio.project(name)
    if project is None:
        raise gr.Error("Create or open a project first.")
    return project


def _training_pairs(project) -> int:
    from e2gan import pairs
    from e2gan.curate import selected_pair_ids

    usable = {p.id for p in pairs.usable_pairs(project)}
    ids = selected_pair_ids(project)
    return len(usable & set(ids)) if ids is not None else len(usable)


def _layers_text(project, mode: str, base: str) -> str:
    if mode != "lora":
        return {"full": "Every weight of the base trains (baseline).", "scratch": "A new E2GAN generator trains from random weights (baseline).",
                "pix2pix": "pix2pix's ResNet-9 (11.4 M parameters) trains from random weights (the paper's baseline)."}[mode]  # fmt: skip
    from e2gan.filters import resolve_base
    from e2gan.lora import DEFAULT_RANKS, LAYER_GROUPS, LoraSettings, apply_lora, trainable_summary
    from e2gan.models.weights import load_generator

    ranks = project.get_setting("lora_ranks") or dict(DEFAULT_RANKS)
    try:
        model = apply_lora(load_generator(resolve_base(base or None)), LoraSettings(ranks=ranks), copy_base=False)
    except FileNotFoundError as e:
        return f"⚠️ {e}"
    rows = ["| layer group | layers | LoRA rank |", "|---|---|---|"]
    rows += [f"| {g} | {', '.join(f'`{n}`' for n in layers)} | {ranks.get(g, 0)} |" for g, layers in LAYER_GROUPS.items()]
    rows.append("| every bias, every norm's scale and shift | train (the colour knobs) | — |")
    rows.append("| ResBlock weights (`res_in`, `res_out`) | frozen | — |")
    return f"**LoRA on the crucial layers:** {trainable_summary(model)}.\n\n" + "\n".join(rows)


def _progress_html(run, status: dict, job) -> str:
    from e2gan.progress import format_duration

    total = run.settings["train"]["steps"]
    step = status.get("step", 0)
    if job is not None and job.progress is not None and job.progress.total:
        step = max(step, job.progress.done)
    pct = 100.0 * step / max(total, 1)
    state = status.get("state", "?")
    eta = ""
    if job is not None and job.progress is not None and job.progress.eta_s is not None and state == "running":
        eta = f" · {format_duration(job.progress.eta_s)} left"
    label = {"running": "Training", "done": "Finished", "cancelled": "Cancelled", "interrupted": "Interrupted", "failed": "Failed"}.get(state, state)
    hint = {"done": " — next: <b>Try</b> it on your webcam or <b>Export</b> it", "interrupted": " — press <b>Resume</b> to continue from the last checkpoint", "cancelled": " — press <b>Resume</b> to continue",
            "failed": f" — {status.get('message', '')}"}.get(state, "")  # fmt: skip
    colour = {"done": "#2e7d32", "failed": "#c62828", "interrupted": "#ef6c00", "cancelled": "#ef6c00"}.get(state, "#5b5bd6")
    return (
        f'<div id="train-state" data-state="{state}" data-step="{step}" data-total="{total}">'
        f"<b>{label}</b> run <code>{run.id}</code>: step {step} / {total}{eta}{hint}</div>"
        f'<div style="background:#e6e6f0;border-radius:6px;height:14px;margin-top:6px">'
        f'<div style="width:{pct:.1f}%;background:{colour};height:14px;border-radius:6px"></div></div>'
    )


def _loss_figure(log: list[dict]):
    import plotly.graph_objects as go

    fig = go.Figure()
    steps = [r["step"] for r in log]
    fig.add_trace(go.Scatter(x=steps, y=[r.get("g_l1") for r in log], mode="lines", name="L1 to teacher"))
    adversarial = any(r.get("d") for r in log)  # presets without an adversarial phase log zeros: no empty GAN axis
    for key, name in (("g_gan", "generator GAN"), ("d", "discriminator")) if adversarial else ():
        fig.add_trace(go.Scatter(x=steps, y=[r.get(key) for r in log], mode="lines", name=name, yaxis="y2"))
    fig.update_layout(
        height=360, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.15),
        yaxis=dict(title="L1"), xaxis=dict(title="step"), **({"yaxis2": dict(title="GAN", overlaying="y", side="right")} if adversarial else {}),
    )  # fmt: skip
    return fig


def _history_row(run) -> list:
    from e2gan.progress import format_duration

    s, st, r, q = run.settings, run.status, run.result, run.evaluation
    stored = f"{r['stored_bytes'] / 1e3:.0f} kB" if r.get("stored_bytes") else ""
    held = "" if q.get("held_out", True) else " (own pairs)"  # quality is on pairs left out of training when any were
    return [
        run.name, run.id, s["mode"], st.get("state"), f"{st.get('step', 0)} / {s['train']['steps']}",
        f"{r['fit_psnr']:.2f}" if "fit_psnr" in r else "",
        f"{q['psnr']:.2f}{held}" if q else "", f"{q['ssim']:.3f}" if q else "",
        format_duration(r["wall_s"]) if "wall_s" in r else "",
        f"{r['trainable_params']:,}" if "trainable_params" in r else "", stored,
    ]  # fmt: skip
