"""Tab 2 "Teach": pick a teacher and its look, generate before/after pairs, reject bad ones."""

from __future__ import annotations

import threading

import gradio as gr

from e2gan import images, pairs, sources
from e2gan.distill import choose_teacher, distill, effective_prompt
from e2gan.teachers import TeacherSpec
from e2gan.teachers.diffusion import DEFAULT_MODELS, TeacherUnavailable
from e2gan.teachers.look import look_grid
from e2gan.teachers.offline import EDITS, match_prompt
from studio.context import Studio, gradio_progress, status_markdown
from e2gan.project import Busy
from studio.project_bar import ProjectBar

INTRO = """\
**Step 2 — teach.** A *teacher* edits each photo into a before/after pair; the filter learns from these.
Built-in teachers work instantly with no download. Diffusion teachers (InstructPix2Pix, Stable Diffusion img2img)
follow any prompt but need their weights (downloaded on first use) and are slow without a GPU.
**Try looks** first: pick the cell you like, then **Generate pairs**.
"""
TEACHER_CHOICES = [(f"Built-in · {e.title}", f"offline:{e.key}") for e in EDITS.values()] + [
    ("Diffusion · InstructPix2Pix", "instruct-pix2pix"),
    ("Diffusion · Stable Diffusion img2img (SDEdit)", "img2img"),
]


def build(studio: Studio, bar: ProjectBar) -> None:
    stop_event = [threading.Event()]  # the running generation's cancel flag
    gr.Markdown(INTRO)
    with gr.Row():
        teacher = gr.Dropdown(TEACHER_CHOICES, value="offline:watercolour", label="Teacher", scale=3, elem_id="teacher")
        suggest = gr.Button("Suggest from my prompt", scale=1, elem_id="suggest-teacher")
        seed = gr.Number(value=0, precision=0, label="Seed", scale=1, elem_id="teacher-seed")
    with gr.Row():
        strength = gr.Slider(0.2, 2.0, value=1.0, step=0.1, label="Strength (built-in teachers)", elem_id="strength")
        model = gr.Textbox(label="Model (hub id or local folder)", visible=False, elem_id="teacher-model")
        steps = gr.Slider(1, 100, value=20, step=1, label="Steps", visible=False)
        guidance = gr.Slider(0, 15, value=7.5, step=0.5, label="Text guidance", visible=False)
        image_guidance = gr.Slider(1.0, 3.0, value=1.5, step=0.1, label="Image guidance (InstructPix2Pix)", visible=False)
        sd_strength = gr.Slider(0.1, 1.0, value=0.6, step=0.05, label="Strength (img2img)", visible=False)
        resolution = gr.Slider(64, 1024, value=512, step=64, label="Edit resolution", visible=False)
    note = gr.Markdown("", elem_id="teach-note")
    with gr.Row():
        try_looks = gr.Button("Try looks", elem_id="try-looks")
        use_look = gr.Button("Use this look", elem_id="use-look", interactive=False)
        generate = gr.Button("Generate pairs", variant="primary", elem_id="generate-pairs")
        stop = gr.Button("Stop", variant="stop", elem_id="stop-pairs")
    looks = gr.Gallery(label="Looks: setting × seed on a few of your photos", columns=3, height=360, elem_id="looks", visible=False)
    looks_state = gr.State([])
    chosen_look = gr.State(None)
    pairs_info = gr.Markdown("", elem_id="pairs-info")
    gallery = gr.Gallery(label="Pairs (before | after)", columns=4, height=480, object_fit="contain", elem_id="pairs-gallery")  # whole pairs, not a square crop
    with gr.Row():
        selected = gr.Textbox(label="Selected pair", interactive=False, elem_id="selected-pair", scale=3)
        reject = gr.Button("Reject pair", elem_id="reject-pair", scale=1)
        restore = gr.Button("Restore pair", elem_id="restore-pair", scale=1)

    diffusion_controls = [model, steps, guidance, image_guidance, sd_strength, resolution]
    setting_inputs = [teacher, strength, model, steps, guidance, image_guidance, sd_strength, resolution]

    def spec_from(choice, strength_v, model_v, steps_v, guidance_v, image_guidance_v, sd_strength_v, resolution_v):
        if choice.startswith("offline:"):
            return TeacherSpec("offline", choice.split(":", 1)[1], {"strength": float(strength_v)})
        settings = {"steps": int(steps_v), "guidance_scale": float(guidance_v), "resolution": int(resolution_v)}
        if choice == "instruct-pix2pix":
            settings["image_guidance_scale"] = float(image_guidance_v)
        else:
            settings["strength"] = float(sd_strength_v)
        return TeacherSpec(choice, (model_v or "").strip() or DEFAULT_MODELS[choice], settings)

    def controls_for(choice):
        diffusion = not choice.startswith("offline:")
        return [gr.update(visible=not diffusion)] + [
            gr.update(visible=diffusion),
            gr.update(visible=diffusion),
            gr.update(visible=diffusion),
            gr.update(visible=choice == "instruct-pix2pix"),
            gr.update(visible=choice == "img2img"),
            gr.update(visible=diffusion),
        ]

    def controls_from_spec(spec: TeacherSpec, seed_v: int):
        s = spec.settings
        choice = f"offline:{spec.name}" if spec.kind == "offline" else spec.kind
        values = [
            gr.update(value=choice),
            gr.update(value=s.get("strength", 1.0) if spec.kind == "offline" else 1.0),
            gr.update(value=spec.name if spec.kind != "offline" else ""),
            gr.update(value=s.get("steps", 20)),
            gr.update(value=s.get("guidance_scale", 7.5)),
            gr.update(value=s.get("image_guidance_scale", 1.5)),
            gr.update(value=s.get("strength", 0.6) if spec.kind == "img2img" else 0.6),
            gr.update(value=s.get("resolution", 512)),
            gr.update(value=seed_v),
        ]
        return values

    def view(name):
        project = studio.project(name)
        if project is None:
            return [gr.update()] * 9 + [[], "Open a project first.", ""]
        spec, seed_v = choose_teacher(project, use_embeddings=False)  # keywords only: instant
        items, info = _pair_view(project)
        return controls_from_spec(spec, seed_v) + [items, info, ""]

    def on_suggest(name):
        project = studio.project(name)
        prompt = project.prompt if project else ""
        if not prompt:
            return gr.update(), "Write a prompt in the Filter tab first."
        key, score, how = match_prompt(prompt)
        return gr.update(value=f"offline:{key}"), f"Closest built-in teacher to “{prompt}”: **{EDITS[key].title}** (by {how}, score {score:.2f})."

    def on_try_looks(name, seed_v, *settings, progress=gr.Progress()):
        project = _require(studio, name)
        spec = spec_from(*settings)
        probes = [images.load_rgb(p) for p in sources.source_paths(project)[:3]]
        if not probes:
            raise gr.Error("Add source photos first (Filter tab).")
        try:
            with studio.jobs.hold("trying looks", name):  # a diffusion look grid is heavy work too
                cells = look_grid(spec, probes, effective_prompt(project, spec), progress=gradio_progress(progress))
        except (TeacherUnavailable, ValueError, Busy) as e:
            raise gr.Error(str(e)) from None
        items = [(c.image, c.label) for c in cells]
        looks_data = [{"spec": c.spec.to_dict(), "seed": c.seed, "label": c.label} for c in cells]
        return gr.update(value=items, visible=True), looks_data, None, gr.update(interactive=False)

    def on_pick_look(looks_data, evt: gr.SelectData):
        return looks_data[evt.index], gr.update(interactive=True)

    def on_use_look(name, look):
        project = _require(studio, name)
        if not look:
            raise gr.Error("Click a look in the grid first.")
        project.set_setting("teacher", {**look["spec"], "seed": look["seed"]})
        spec = TeacherSpec.from_dict(look["spec"])
        return controls_from_spec(spec, look["seed"]) + [f"Using look **{look['label']}** for all pairs."]

    def on_generate(name, seed_v, *settings, progress=gr.Progress()):
        project = _require(studio, name)
        try:
            with studio.jobs.hold("pair generation", name) as job:
                stop_event[0] = job.cancel
                report = distill(project, spec_from(*settings), seed=int(seed_v or 0), progress=gradio_progress(progress), cancel=job.cancel)
        except (TeacherUnavailable, ValueError, Busy) as e:
            raise gr.Error(str(e)) from None
        items, info = _pair_view(project)
        failed = "".join(f"\n- {n}: {r}" for n, r in report.failed)
        return items, info, f"{report.summary()}.{failed}", status_markdown(project)

    def on_select_pair(name, evt: gr.SelectData):
        project = studio.project(name)
        shown = _shown_pairs(project) if project else []
        return shown[evt.index].id if evt.index < len(shown) else ""

    def on_review(name, pair_id, rejected: bool):
        project = _require(studio, name)
        if not pair_id:
            raise gr.Error("Click a pair first.")
        pairs.set_rejected(project, [pair_id], rejected)
        items, info = _pair_view(project)
        return items, info, status_markdown(project)

    teacher.change(controls_for, [teacher], [strength] + diffusion_controls, api_name=False)
    suggest.click(on_suggest, [bar.project], [teacher, note], api_name=False)
    try_looks.click(on_try_looks, [bar.project, seed] + setting_inputs, [looks, looks_state, chosen_look, use_look], api_name=False, show_progress_on=looks)
    looks.select(on_pick_look, [looks_state], [chosen_look, use_look], api_name=False)
    use_look.click(on_use_look, [bar.project, chosen_look], setting_inputs + [seed, note], api_name=False)
    generate.click(on_generate, [bar.project, seed] + setting_inputs, [gallery, pairs_info, note, bar.status], api_name="generate_pairs", show_progress_on=gallery)
    stop.click(lambda: stop_event[0].set(), None, None, api_name=False)
    gallery.select(on_select_pair, [bar.project], [selected], api_name=False)
    reject.click(lambda n, p: on_review(n, p, True), [bar.project, selected], [gallery, pairs_info, bar.status], api_name=False)
    restore.click(lambda n, p: on_review(n, p, False), [bar.project, selected], [gallery, pairs_info, bar.status], api_name=False)
    bar.on_open(view, [bar.opened], setting_inputs + [seed, gallery, pairs_info, note])


def _require(studio: Studio, name):
    project = studio.project(name)
    if project is None:
        raise gr.Error("Create or open a project first.")
    return project


def _shown_pairs(project) -> list[pairs.Pair]:
    return [p for p in pairs.read_pairs(project).values() if p.status == "ok"]


def _pair_view(project) -> tuple[list, str]:
    shown = _shown_pairs(project)
    items = [(str(pairs.thumbnail(project, p)), f"{'✕ rejected · ' if p.rejected else ''}{p.id[:8]}") for p in shown]
    rejected = sum(p.rejected for p in shown)
    failed = sum(p.status == "failed" for p in pairs.read_pairs(project).values())
    if not shown:
        return items, "No pairs yet."
    info = f"**{len(shown) - rejected} pairs ready** ({rejected} rejected, {failed} failed). Next: **Curate** picks a small, diverse training set."
    return items, info
