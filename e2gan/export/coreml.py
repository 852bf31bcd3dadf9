"""Core ML export (.mlpackage, fp16) for iPhones and Macs, when the optional `coremltools` is installed.

Converted through `torch.export(...).run_decompositions({})` (tracing with TorchScript fails on the
attention reshapes). The input is a fixed-size float tensor (1, 3, R, R) in [0, 1]; prediction only runs
on macOS, so elsewhere the package is checked structurally (names and shapes of inputs and outputs).
"""

from __future__ import annotations

import platform
import shutil
import tempfile
from pathlib import Path

import torch
from torch import nn

from e2gan.export.onnx_model import INPUT, OUTPUT


class CoreMLUnavailable(RuntimeError):
    pass


def available() -> bool:
    try:
        import coremltools  # noqa: F401
    except ImportError:
        return False
    return True


def export_coreml(model: nn.Module, path: str | Path, resolution: int = 256) -> Path:
    if not available():
        raise CoreMLUnavailable("Core ML export needs coremltools: pip install 'e2gan-studio[coreml]'")
    import coremltools as ct

    path = Path(path)
    example = torch.rand(1, 3, resolution, resolution)
    program = torch.export.export(model.eval().cpu(), (example,)).run_decompositions({})
    mlmodel = ct.convert(
        program,
        inputs=[ct.TensorType(name=INPUT, shape=example.shape)],
        outputs=[ct.TensorType(name=OUTPUT)],
        convert_to="mlprogram",
        compute_precision=ct.precision.FLOAT16,
        minimum_deployment_target=ct.target.iOS16,
    )
    mlmodel.short_description = "E2GAN Studio filter: RGB image in [0, 1] → filtered image in [0, 1]"
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        mlmodel.save(str(staged))
        if path.exists():
            shutil.rmtree(path)
        staged.rename(path)
    return path


def describe(path: str | Path) -> dict:
    """Input/output names and shapes read back from the saved package."""
    import coremltools as ct

    spec = ct.utils.load_spec(str(path))
    shape = lambda f: list(f.type.multiArrayType.shape)  # noqa: E731
    return {
        "inputs": {f.name: shape(f) for f in spec.description.input},
        "outputs": {f.name: shape(f) for f in spec.description.output},
        "can_predict_here": platform.system() == "Darwin",
    }


def predict(path: str | Path, batch) -> "object":
    """Run the package (macOS only)."""
    import coremltools as ct

    model = ct.models.MLModel(str(path))
    return model.predict({INPUT: batch})[OUTPUT]
