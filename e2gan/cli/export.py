"""CLI verbs for steps 7–8: export (verified ONNX / int8 / Core ML / phone web build) and serve-phone."""

from __future__ import annotations

import argparse
import time

from e2gan.project import ProjectStore


def register(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "export",
        help="export the trained filter and verify it numerically (onnx, int8, coreml, web)",
        description="Build exports into the project's exports/<id>/ with report.json and MODEL_CARD.md. "
        "Every export is compared with PyTorch (or fp32) on photos the filter did not train on.",
    )
    p.add_argument("name")
    p.add_argument("--format", default="onnx,int8,web", help="comma-separated: onnx, int8, coreml, web (default onnx,int8,web)")
    p.add_argument("--run", dest="run_id", default=None, help="run id (default: the newest finished run)")
    p.add_argument("--threads", type=int, default=None, help="onnxruntime threads for the latency measurement")
    p.set_defaults(run=cmd_export)

    p = verbs.add_parser(
        "serve-phone",
        help="serve the newest web build on your Wi-Fi over https and show a QR code (Ctrl-C stops)",
        description="Anyone on your network can open the page while it runs. Phones ask once to trust the "
        "self-signed certificate (camera access needs https).",
    )
    p.add_argument("name")
    p.add_argument("--port", type=int, default=8443)
    p.set_defaults(run=cmd_serve_phone)


def cmd_export(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.export.build import export_filter
    from e2gan.progress import tqdm_progress

    project = store.open(args.name)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    result = export_filter(project, formats, args.run_id, tqdm_progress(), args.threads)
    for p in result.report["parity"]:
        print(f"  {'PASS' if p['passed'] else 'FAIL'}  {p['name']:13s} vs {p['reference']:9s} max abs {p['max_abs']:.2e}  PSNR {p['psnr']:.1f} dB  ({p['threshold']})")
    for name, ms in result.report["latency_ms"].items():
        print(f"  {name:11s} {ms:7.1f} ms  ({1000 / ms:.1f} fps)")
    for note in result.report["notes"]:
        print(f"  note: {note}")
    print(f"{'Verified' if result.passed else 'FAILED verification'}: {result.folder}")
    return 0 if result.passed else 1


def cmd_serve_phone(args: argparse.Namespace, store: ProjectStore) -> int:
    import qrcode

    from e2gan.export.build import list_exports
    from e2gan.export.serve import PhoneServer

    project = store.open(args.name)
    builds = [e / "web" for e in list_exports(project) if (e / "web" / "index.html").is_file()]
    if not builds:
        raise FileNotFoundError(f"{args.name} has no web build yet: e2gan export {args.name} --format web")
    server = PhoneServer(builds[0], port=args.port).start()
    print(f"Serving {builds[0]} to your network at {server.url}  (Ctrl-C stops)")
    qr = qrcode.QRCode(border=1)
    qr.add_data(server.url)
    qr.print_ascii(invert=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        server.stop()
    return 0
