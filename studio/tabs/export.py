"""Tab 6 "Export": one click builds and verifies the exports; parity table, model card, downloads, QR code."""

from __future__ import annotations

import gradio as gr

from studio.context import Studio, gradio_progress, status_markdown

FORMATS = ("onnx", "int8", "coreml", "web")  # e2gan.export.build.FORMATS (imported lazily: it loads torch)

INTRO = """\
**Step 6 — export.** Build the filter for apps and phones. Every export is compared with PyTorch on photos
it did not train on before it counts as done: the table shows the numbers. **Try it on your phone**
serves the web build on your Wi-Fi (anyone on the network can open it while it runs) and shows a QR code.
"""
PARITY_HEADERS = ["export", "compared with", "max abs error", "PSNR dB", "check", "passed"]


def build(studio: Studio, bar) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        formats = gr.CheckboxGroup(
            list(FORMATS), value=["onnx", "int8", "web"], label="Formats (coreml needs the coreml extra)", scale=3, elem_id="export-formats"
        )
        run = gr.Button("Build & verify", variant="primary", scale=1, elem_id="export-run")
    summary = gr.Markdown("", elem_id="export-summary")
    parity_table = gr.Dataframe(headers=PARITY_HEADERS, interactive=False, label="Verification", elem_id="export-parity")
    with gr.Row():
        downloads = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="export-files", scale=2)
        with gr.Column(scale=1):
            serve = gr.Button("Try it on your phone (serve on Wi-Fi)", elem_id="serve-phone")
            stop = gr.Button("Stop serving", elem_id="stop-phone")
            qr = gr.Image(label="Scan with your phone", interactive=False, elem_id="phone-qr", height=240)
            url = gr.Markdown("", elem_id="phone-url")
    card = gr.Markdown("", elem_id="model-card")

    def show(folder):
        import json

        from e2gan.export.web import zip_folder

        report = json.loads((folder / "report.json").read_text())
        rows = [[p["name"], p["reference"], f"{p['max_abs']:.2e}", f"{p['psnr']:.1f}", p["threshold"], "✅" if p["passed"] else "❌"] for p in report["parity"]]
        files = [str(p) for p in sorted(folder.iterdir()) if p.is_file()]
        if (folder / "model.mlpackage").is_dir():
            files.append(str(zip_folder(folder / "model.mlpackage", folder / "model.mlpackage.zip")))
        passed = all(p["passed"] for p in report["parity"])
        latency = " · ".join(f"{k} {v:.0f} ms" for k, v in report["latency_ms"].items())
        text = f"{'✅ **Verified**' if passed else '❌ **Verification failed**'}: `{folder.name}` · {latency}"
        return text, rows, sorted(set(files)), (folder / "MODEL_CARD.md").read_text()

    def on_export(name, chosen, progress=gr.Progress()):
        from e2gan.export.build import export_filter

        project = studio.project(name)
        if project is None:
            raise gr.Error("Open a project first.")
        try:
            with studio.jobs.hold("export", name):
                result = export_filter(project, chosen or ["onnx"], progress=gradio_progress(progress))
        except (FileNotFoundError, ValueError, RuntimeError) as e:  # Busy is a RuntimeError
            raise gr.Error(str(e)) from None
        return (*show(result.folder), status_markdown(project))

    def view(name):
        from e2gan.export.build import list_exports

        project = studio.project(name)
        builds = list_exports(project) if project else []
        if not builds:
            return "No exports yet." if project else "", [], [], ""
        return show(builds[0])

    def on_serve(name):
        from e2gan.export.build import list_exports
        from e2gan.export.serve import PhoneServer, qr_image

        project = studio.project(name)
        builds = [b / "web" for b in list_exports(project)] if project else []
        builds = [b for b in builds if (b / "index.html").is_file()]
        if not builds:
            raise gr.Error("Build the web export first (tick 'web' and press Build & verify).")
        studio.stop_phone_server()
        server = studio.phone_server = PhoneServer(builds[0]).start()
        note = (
            f"Serving on your network at **{server.url}** — open it on your phone (same Wi-Fi) and accept the "
            "certificate warning once (the page needs https for the camera). Anyone on this network can open it "
            "until you press **Stop serving**."
        )
        return qr_image(server.url), note

    def on_stop():
        studio.stop_phone_server()
        return None, "Stopped serving."

    run.click(on_export, [bar.project, formats], [summary, parity_table, downloads, card, bar.status], api_name="export", show_progress_on=parity_table)
    serve.click(on_serve, [bar.project], [qr, url], api_name=False)
    stop.click(on_stop, None, [qr, url], api_name=False)
    bar.on_open(view, [bar.opened], [summary, parity_table, downloads, card])
