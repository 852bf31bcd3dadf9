"""Build and verify a project's exports in one go: `exports/<id>/` with a report and a model card.

    export_filter(project, ["onnx", "int8", "coreml", "web"])

1. the run's generator with its LoRA merged and the prompt baked in (`BakedFilter`) is the reference;
2. fp32 ONNX (always: the other formats start from it), compared with PyTorch on held-out photos;
3. int8 (static QDQ, calibrated on the project's photos), compared with fp32, with its speed-up;
4. Core ML (.mlpackage, fp16) when coremltools is installed; checked structurally here, run on macOS;
5. the phone web build (+ zip), which runs the verified fp32 model;
6. report.json and MODEL_CARD.md. An export only counts as done if every check passed.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from e2gan import __version__, atomic, images, pairs, sources
from e2gan.export import card, coreml, int8, parity, web
from e2gan.export.onnx_model import INPUT, BakedFilter, export_onnx, session
from e2gan.progress import ProgressFn, Tracker
from e2gan.project import Project, now_iso

FORMATS = ("onnx", "int8", "coreml", "web")


@dataclass
class ExportResult:
    folder: Path
    report: dict

    @property
    def passed(self) -> bool:
        return all(p["passed"] for p in self.report["parity"])


def export_filter(
    project: Project, formats: list[str] | tuple[str, ...] = ("onnx", "int8", "web"), run_id: str | None = None,
    progress: ProgressFn | None = None, threads: int | None = None,
) -> ExportResult:  # fmt: skip
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown export formats {sorted(unknown)}; choose from {FORMATS}")
    from e2gan.runs import get_run

    run = get_run(project, run_id, finished=True)
    settings = run.settings
    pixel_scale = settings["pixel_scale"]  # the scale it learned: exports run at it too
    steps = ["reference", "onnx"] + [f for f in ("int8", "coreml", "web") if f in formats] + ["report"]
    tracker = Tracker("Exporting", len(steps), progress)
    name = f"{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}-{run.id}"
    project.exports_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{atomic.TEMP_PREFIX}{name}-", dir=project.exports_dir))  # hidden until complete; unique
    project.set_step("export", "running", f"exporting {run.id}")
    try:
        result = _build(project, run, formats, folder, name, pixel_scale, tracker, threads)
    except BaseException as e:
        shutil.rmtree(folder, ignore_errors=True)  # a half-built export is never shown; leave no debris either
        project.set_step("export", "failed", f"export of {run.id} stopped: {str(e)[:120] or type(e).__name__}")
        raise
    tracker.advance(message="report")
    return result


def _build(project, run, formats, folder: Path, name: str, pixel_scale: int, tracker: Tracker, threads) -> ExportResult:
    """Build, verify and publish every format into `folder` (hidden until complete)."""
    settings = run.settings
    model = reference_model(project, run.id)
    batch = heldout_batch(project, pixel_scale)
    with torch.no_grad():
        reference = model(torch.from_numpy(batch)).numpy()
    tracker.advance(message="reference")

    files, checks, latency, notes = [], [], {}, []
    fp32 = export_onnx(model, folder / "model.onnx", pixel_scale)
    fp32_session = session(fp32, threads)
    fp32_out = fp32_session.run(None, {INPUT: batch})[0]
    checks.append(parity.compare("ONNX fp32", "PyTorch", fp32_out, reference, max_abs=parity.FP32_MAX_ABS))
    files.append(_file(fp32, "ONNX fp32 (opset 17, dynamic batch and size)"))
    one = batch[:1]
    latency["PyTorch"] = parity.latency_ms(lambda: _torch_run(model, one))
    latency["ONNX fp32"] = parity.latency_ms(lambda: fp32_session.run(None, {INPUT: one}))
    tracker.advance(message="onnx")

    if "int8" in formats:
        q = int8.quantize(fp32, folder / "model.int8.onnx", batch)
        q_session = session(q, threads)
        checks.append(parity.compare("ONNX int8", "ONNX fp32", q_session.run(None, {INPUT: batch})[0], fp32_out, min_psnr=parity.INT8_MIN_PSNR))
        files.append(_file(q, "ONNX int8 (static QDQ, convolutions)"))
        latency["ONNX int8"] = parity.latency_ms(lambda: q_session.run(None, {INPUT: one}))
        tracker.advance(message="int8")

    if "coreml" in formats:
        if coreml.available():
            ml = coreml.export_coreml(model, folder / "model.mlpackage", pixel_scale)
            info = coreml.describe(ml)
            files.append({"file": ml.name, "format": "Core ML mlprogram (fp16, iOS 16+)", "bytes": _size(ml)})
            if info["can_predict_here"]:
                out = np.asarray(coreml.predict(ml, one))
                checks.append(parity.compare("Core ML fp16", "PyTorch", out, reference[:1], min_psnr=35.0))
            else:
                notes.append(f"Core ML package converted and checked (inputs {info['inputs']}, outputs {info['outputs']}); "
                             "running it needs macOS, so its numbers are verified there.")
        else:
            notes.append("Core ML skipped: install the optional extra (pip install 'e2gan-studio[coreml]').")
        tracker.advance(message="coreml")

    if "web" in formats:
        site = web.build_web(fp32, folder / "web", run.name, settings["prompt"], pixel_scale)
        checks.append(parity.same_model("Web page (onnxruntime-web)", "ONNX fp32", site / "model.onnx", fp32))
        archive = web.zip_folder(site, folder / "web.zip")
        files.append({"file": "web/", "format": f"static web page, onnxruntime-web {web.ORT_WEB_VERSION}", "bytes": _size(site)})
        files.append(_file(archive, "the web page as a zip"))
        tracker.advance(message="web")

    report = _report(project, run, pixel_scale, files, checks, latency, notes)
    atomic.write_json(folder / "report.json", report)
    atomic.write_text(folder / "MODEL_CARD.md", card.model_card(report))
    folder = _publish(project, folder, project.exports_dir / name)
    result = ExportResult(folder, report)
    if result.passed:
        project.set_step("export", "done", f"{', '.join(f for f in FORMATS if f in formats)} verified ({folder.name})")
    else:
        failed = ", ".join(p["name"] for p in report["parity"] if not p["passed"])
        project.set_step("export", "failed", f"{failed} failed verification ({folder.name})")
    return result


def _publish(project: Project, folder: Path, final: Path) -> Path:
    """Rename a finished build to its visible name; two exports finishing in the same second get -2, -3..."""
    with project.lock("export-names"):  # between processes too: no two builds pick the same name
        target, n = final, 1
        while target.exists():
            n += 1
            target = final.with_name(f"{final.name}-{n}")
        os.chmod(folder, 0o755)  # mkdtemp makes 0700; an export is an ordinary folder
        folder.rename(target)
    return target


def reference_model(project: Project, run_id: str | None = None) -> BakedFilter:
    """The run's generator, LoRA merged, prompt baked in: what every export must reproduce."""
    from e2gan.filters import text_function, trained_generator
    from e2gan.runs import get_run

    run = get_run(project, run_id, finished=True)
    generator = trained_generator(run, merge=True).eval()
    return BakedFilter(generator, text_function(generator)([run.settings["prompt"]])).eval()


def heldout_batch(project: Project, pixel_scale: int, limit: int = 16) -> np.ndarray:
    """Photos the filter did not train on (all photos if every one trained), float32 (N, 3, R, R) in [0, 1]."""
    from e2gan.curate import selected_pair_ids

    trained = set(selected_pair_ids(project) or [])
    entries = sources.list_sources(project)
    held = [e for e in entries if e["id"] not in trained] or entries
    if not held:
        raise ValueError("the project has no photos to verify the export on")
    out = []
    for e in held[:limit]:
        img = images.normalise(images.load_rgb(project.sources_dir / e["file"]), pixel_scale, "center")
        out.append(np.asarray(img, np.float32).transpose(2, 0, 1) / 255.0)
    return np.ascontiguousarray(np.stack(out))


def _torch_run(model, batch):
    with torch.no_grad():
        return model(torch.from_numpy(batch))


def _file(path: Path, fmt: str) -> dict:
    return {"file": path.name, "format": fmt, "bytes": _size(path)}


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _report(project, run, pixel_scale, files, checks, latency, notes) -> dict:
    from e2gan.hardware import detect

    s = run.settings
    all_pairs = pairs.read_pairs(project)
    usable = [p for p in all_pairs.values() if p.usable]
    teacher = usable[0].teacher if usable else (project.get_setting("teacher") or {})
    return {
        "title": run.name,
        "prompt": s["prompt"],
        "run": run.id,
        "teacher": teacher,
        "data": {
            "sources": len(sources.list_sources(project)),
            "pairs": len(all_pairs),
            "rejected": sum(p.rejected for p in all_pairs.values()),
            "trained_on": run.result.get("pairs", len(usable)),
        },
        "training": {**s["train"], "mode": s["mode"], "base": s["base"], "lora": s["lora"]},
        "fit": {k: v for k, v in run.result.items() if k.startswith("fit_")},
        "quality": run.evaluation,
        "pixel_scale": pixel_scale,
        "files": files,
        "parity": [c.to_dict() for c in checks],
        "latency_ms": {k: round(v, 2) for k, v in latency.items()},
        "machine": f"{detect().name}, {platform.system()}",
        "notes": notes,
        "created": now_iso(),
        "version": __version__,
    }


def list_exports(project: Project) -> list[Path]:
    """Finished exports, newest first (unfinished ones are hidden `.tmp-` folders)."""
    return sorted(
        (p for p in project.exports_dir.iterdir() if not p.name.startswith(".") and (p / "report.json").is_file()),
        reverse=True,
    )
