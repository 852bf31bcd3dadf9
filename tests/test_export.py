"""Exports are verified before they count: fp32 parity, int8 floor, Core ML conversion, web build files;
filter packs switch, scale and blend as stated."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from e2gan.export import coreml, parity
from e2gan.export.build import export_filter, heldout_batch, reference_model
from e2gan.export.serve import PhoneServer, qr_image
from e2gan.export.web import RUNTIME_FILES
from e2gan.models.weights import load_generator
from e2gan.project import ProjectStore
from e2gan.runs import get_run
from e2gan.runtime import OnnxFilter, finished_filters, load_pack


@pytest.fixture(scope="module")
def exported(trained_project):
    return export_filter(trained_project, ["onnx", "int8", "web"])


def test_fp32_onnx_matches_pytorch(exported):
    fp32 = next(p for p in exported.report["parity"] if p["name"] == "ONNX fp32")
    assert fp32["passed"] and fp32["max_abs"] < 1e-4 and fp32["images"] >= 4


def test_int8_is_reported_and_above_the_floor(exported):
    q = next(p for p in exported.report["parity"] if p["name"] == "ONNX int8")
    assert q["reference"] == "ONNX fp32" and q["threshold"] == f"PSNR ≥ {parity.INT8_MIN_PSNR:g} dB"
    assert q["psnr"] >= parity.INT8_MIN_PSNR and q["passed"]
    assert {"PyTorch", "ONNX fp32", "ONNX int8"} <= set(exported.report["latency_ms"])


def test_report_card_and_files(exported, trained_project):
    folder = exported.folder
    assert {"model.onnx", "model.int8.onnx", "web", "web.zip", "report.json", "MODEL_CARD.md"} <= {p.name for p in folder.iterdir()}
    card = (folder / "MODEL_CARD.md").read_text()
    assert "turn it into a cartoon" in card and "licence" in card and "max abs error" in card and "ms" in card
    checks = json.loads((folder / "report.json").read_text())["parity"]
    assert all(p["passed"] for p in checks)
    assert [p["name"] for p in checks] == ["ONNX fp32", "ONNX int8", "Web page (onnxruntime-web)"]  # every export has its row
    assert trained_project.step("export").state == "done"
    web = folder / "web"
    assert all((web / f).is_file() for f in (*RUNTIME_FILES, "index.html", "app.js", "model.onnx", "config.json"))
    assert json.loads((web / "config.json").read_text())["pixel_scale"] == 64


def test_exported_model_runs_any_batch_and_size(exported):
    runner = OnnxFilter(exported.folder / "model.onnx", pixel_scale=64)
    frame = np.random.default_rng(1).integers(0, 255, (90, 120, 3), dtype=np.uint8)
    assert runner(frame).shape == (90, 120, 3)
    batch = np.random.default_rng(2).random((3, 3, 64, 96), dtype=np.float32)
    assert runner.session.run(None, {"image": batch})[0].shape == (3, 3, 64, 96)


@pytest.mark.skipif(not coreml.available(), reason="coremltools is not installed (pip install 'e2gan-studio[coreml]')")
def test_coreml_conversion(trained_project, tmp_path):
    path = coreml.export_coreml(reference_model(trained_project), tmp_path / "f.mlpackage", 64)
    info = coreml.describe(path)
    assert info["inputs"] == {"image": [1, 3, 64, 64]} and info["outputs"] == {"image_out": [1, 3, 64, 64]}


def test_pack_switches_scales_and_blends(trained_project, tmp_path):
    run = get_run(trained_project, finished=True)
    base_dir = run.settings["base"]
    refs = finished_filters(ProjectStore(trained_project.root.parent))
    assert [r.name for r in refs] == [f"toon · {run.id}"]
    pack = load_pack(refs, device="cpu")
    frame = (heldout_batch(trained_project, 64)[0].transpose(1, 2, 0) * 255).astype(np.uint8)

    # a second filter: the same adapter with its LoRA B weights doubled, under another prompt
    from safetensors.torch import load_file, save_file
    import shutil

    other = tmp_path / "other"
    shutil.copytree(run.output_dir, other)
    weights = load_file(str(other / "adapter_model.safetensors"))
    save_file({k: v * (2 if "lora_B" in k else 1) for k, v in weights.items()}, str(other / "adapter_model.safetensors"))
    pack.add("other", other, "make it night time")

    name = refs[0].name
    pack.configure(name, 1.0)
    full = pack(frame)
    assert np.abs(full.astype(int) - reference_output(trained_project, frame)).max() <= 1  # = the exported filter

    pack.configure(name, 0.0)  # intensity 0: exactly the base model with the filter's prompt
    base = load_generator(base_dir).eval()
    with torch.no_grad():
        x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255 * 2 - 1
        text = pack.adapters[name].text
        expected = ((base(x, text.tokens, text.mask)[0] + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy()
    assert np.abs(pack(frame).astype(int) - (expected * 255 + 0.5).astype(int)).max() <= 1

    pack.configure("other", 1.0)
    switched = pack(frame)
    assert np.abs(switched.astype(int) - full.astype(int)).mean() > 0.5
    pack.configure(name, 1.0, blend="other", mix=0.5)
    blended = pack(frame)
    assert not np.array_equal(blended, full) and not np.array_equal(blended, switched)
    with pytest.raises(KeyError, match="unknown filter"):
        pack.configure("nope")

    frozen = pack.snapshot()  # what a video filters with while the webcam goes on reconfiguring the pack
    pack.configure("other", 0.3)
    assert np.array_equal(frozen(frame), blended) and not np.array_equal(pack(frame), blended)


def reference_output(project, frame):
    model = reference_model(project)
    with torch.no_grad():
        y = model(torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255)[0]
    return (y.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(int)


def test_phone_server_serves_only_the_build(exported):
    import ssl
    import urllib.error
    import urllib.request

    server = PhoneServer(exported.folder / "web", host="127.0.0.1").start()
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    base = f"https://127.0.0.1:{server.port}"
    try:
        with urllib.request.urlopen(base + "/config.json", context=ctx) as r:
            assert r.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
            assert json.load(r)["prompt"] == "turn it into a cartoon"
        for probe in ("/../report.json", "/%2e%2e/report.json", "/%2e%2e/%2e%2e/%2e%2e/project.json", "/"):
            if probe == "/":
                continue
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(base + probe, context=ctx)
            assert e.value.code == 404
    finally:
        server.stop()
    assert qr_image("https://192.168.1.2:8443/").size[0] > 100


def test_unknown_format_is_refused(trained_project):
    with pytest.raises(ValueError, match="unknown export formats"):
        export_filter(trained_project, ["tflite"])
