"""Tab 1 "Filter": the edit prompt and the source photos the teacher will edit."""

from __future__ import annotations

import time
from pathlib import Path

import gradio as gr
import numpy as np

from e2gan import sources
from e2gan.project import ProjectError
from studio.context import Studio, gradio_progress, status_markdown
from studio.project_bar import ProjectBar

INTRO = """\
**Step 1 — describe the filter and give it photos.** Write the edit as an instruction
(_"make it a watercolour painting"_, _"turn him into a zombie"_), then add photos like the ones the filter
will see: upload them, point to a folder or zip on this computer, or use the built-in sample photos.
"""
REJECTED_HEADERS = ["file", "why it was skipped"]
CAMERA_WAIT_S = 20.0  # how long Capture waits for the webcam's first frame


def build(studio: Studio, bar: ProjectBar) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        prompt = gr.Textbox(label="Edit prompt", placeholder="make it a watercolour painting", scale=4, elem_id="prompt")
        save_prompt = gr.Button("Save prompt", scale=1, elem_id="save-prompt")
    with gr.Row():
        with gr.Column(scale=1):
            uploads = gr.File(label="Upload photos", file_count="multiple", file_types=["image", ".zip"], elem_id="uploads")
            roots = ", ".join(studio.import_roots)
            path = gr.Textbox(label=f"…or a folder or .zip inside {roots}", placeholder=f"{studio.import_roots[0] if roots else ''}/portraits",
                              elem_id="source-path", visible=bool(roots))  # fmt: skip
            add_path = gr.Button("Add from folder / zip", elem_id="add-path", visible=bool(roots))
            add_samples = gr.Button("Use sample images", variant="secondary", elem_id="add-samples")
            with gr.Accordion("…or your webcam", open=False, elem_id="capture-panel"):
                camera = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Webcam", elem_id="capture-camera", height=220)
                with gr.Row():
                    shots = gr.Slider(1, 12, value=3, step=1, label="Snapshots", elem_id="capture-count")
                    capture = gr.Button("Capture (3-2-1)", elem_id="capture-start")
                countdown = gr.Markdown("", elem_id="capture-countdown")
                strip = gr.Gallery(label="Captures: click one to drop it", columns=6, height=140, elem_id="capture-strip")
                add_captures = gr.Button("Add captures to the sources", variant="primary", elem_id="capture-add")
        with gr.Column(scale=2):
            counts = gr.Markdown("", elem_id="source-counts")
            gallery = gr.Gallery(label="Source images", columns=6, height=420, elem_id="source-gallery")
            rejected = gr.Dataframe(
                headers=REJECTED_HEADERS, label="Skipped files", interactive=False, elem_id="rejected", visible=False
            )

    view_outputs = [prompt, gallery, counts]

    def view(name: str | None):
        project = studio.project(name)
        if project is None:
            return "", [], "Open or create a project to add photos."
        entries = sources.list_sources(project)
        items = [(str(project.sources_dir / e["file"]), e["name"]) for e in entries]
        return project.prompt, items, _counts_text(len(entries))

    def on_save_prompt(name: str | None, text: str):
        project = studio.project(name)
        if project is None:
            return "⚠️ Create or open a project first.", status_markdown(None)
        try:
            project.set_prompt(text)
        except ProjectError as e:
            return f"⚠️ {e}", status_markdown(project)
        return "Prompt saved.", status_markdown(project)

    def run_import(name, do_import, progress):
        project = studio.project(name)
        if project is None:
            raise gr.Error("Create or open a project first.")
        try:
            report = do_import(project, gradio_progress(progress))
        except (ValueError, FileNotFoundError) as e:
            raise gr.Error(str(e)) from None
        prompt_value, items, counts_text = view(name)
        rows = [[n, r] for n, r in report.rejected]
        message = f"{report.summary()}." + (f" {len(report.notes)} converted (see the log)." if report.notes else "")
        return (
            prompt_value,
            items,
            counts_text,
            gr.update(value=rows, visible=bool(rows)),
            message,
            status_markdown(project),
        )

    import_outputs = view_outputs + [rejected, bar.message, bar.status]

    def on_samples(name, progress=gr.Progress()):
        return run_import(name, lambda p, cb: sources.add_samples(p, progress=cb), progress)

    def on_uploads(name, files, progress=gr.Progress()):
        files = [Path(f) for f in (files or [])]
        if not files:
            return [gr.update()] * len(import_outputs)
        zips = [f for f in files if f.suffix.lower() == ".zip"]
        others = [f for f in files if f.suffix.lower() != ".zip"]

        def add(project, cb):
            report = sources.add_files(project, others, origin="upload", progress=cb) if others else None
            for z in zips:
                more = sources.add_zip(project, z, progress=cb)
                report = more if report is None else report.merge(more)
            return report

        return run_import(name, add, progress)

    def on_path(name, text, progress=gr.Progress()):
        return run_import(name, lambda p, cb: sources.add_path(p, text, studio.import_roots, progress=cb), progress)

    latest: dict[str, tuple[float, np.ndarray]] = {}  # browser session → (when, the newest webcam frame)
    captured = gr.State([])  # this session's snapshots, kept or dropped before they are added

    def on_camera(frame, request: gr.Request):
        if frame is not None:
            now = time.monotonic()
            for gone in [s for s, (t, _) in latest.items() if now - t > 600]:  # sessions that closed their camera
                latest.pop(gone, None)
            latest[_session(request)] = (now, frame)

    def fresh_frame(session: str, after: float):
        """The newest frame taken after `after`, waiting for it up to CAMERA_WAIT_S (a stopped camera would
        otherwise give the same picture again, which the import drops as a duplicate)."""
        waited = 0.0
        while waited < CAMERA_WAIT_S:
            when, frame = latest.get(session, (0.0, None))
            if frame is not None and when > after:
                return when, frame
            time.sleep(0.25)
            waited += 0.25
        raise gr.Error("The webcam sends no new pictures: press Record on it, then Capture.")

    def on_capture(count, frames, request: gr.Request):
        """A countdown, then `count` snapshots a second apart, each added to the strip as it is taken."""
        frames = list(frames or [])
        session, taken = _session(request), 0.0
        for i in range(int(count)):
            for tick in ("3…", "2…", "1…") if i == 0 else ("…",):
                yield f"**{tick}** snapshot {i + 1} of {int(count)}", gr.update(), frames
                time.sleep(1.0)
            taken, frame = fresh_frame(session, taken)
            frames.append(frame.copy())
            yield f"Snapshot {i + 1} of {int(count)} taken.", frames, frames
        yield f"{len(frames)} captures: click one to drop it, then add them to the sources.", frames, frames

    def on_drop(frames, evt: gr.SelectData):
        frames = [f for i, f in enumerate(frames or []) if i != evt.index]
        return frames, frames, f"{len(frames)} captures."

    def on_add_captures(name, frames, progress=gr.Progress()):
        if not frames:
            raise gr.Error("No captures yet: start the webcam and press Capture.")
        return (*run_import(name, lambda p, cb: sources.add_snapshots(p, frames, progress=cb), progress), [], [])

    camera.stream(on_camera, [camera], None, stream_every=0.2, concurrency_limit=1, api_name=False, show_progress="hidden")
    capture.click(on_capture, [shots, captured], [countdown, strip, captured], api_name=False)
    strip.select(on_drop, [captured], [captured, strip, countdown], api_name=False)
    add_captures.click(on_add_captures, [bar.project, captured], import_outputs + [captured, strip], api_name=False, show_progress_on=gallery)
    add_samples.click(on_samples, [bar.project], import_outputs, api_name="add_samples", show_progress_on=gallery)
    uploads.upload(on_uploads, [bar.project, uploads], import_outputs, api_name="add_uploads", show_progress_on=gallery)
    add_path.click(on_path, [bar.project, path], import_outputs, api_name="add_path", show_progress_on=gallery)
    save_prompt.click(on_save_prompt, [bar.project, prompt], [bar.message, bar.status], api_name="save_prompt")
    prompt.submit(on_save_prompt, [bar.project, prompt], [bar.message, bar.status], api_name=False)
    bar.on_open(view, [bar.opened], view_outputs)


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "local"


def _counts_text(n: int) -> str:
    if n == 0:
        return "No source images yet."
    return f"**{n} source images.** Next: the **Teach** tab turns each one into a before/after pair."

