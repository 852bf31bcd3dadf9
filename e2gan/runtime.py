"""Step 8: run filters on images and video frames, live.

Every runner takes a uint8 RGB frame of any size and returns one of the same size. A filter runs at the
*pixel scale* it learned (the short side of the photos its teacher edited, recorded with the run): the
frame is resized so its short side is that scale (both sides multiples of 8), filtered, and put back onto
the full frame by `e2gan.compose` (the edit, plus the frame's fine detail where the edit keeps it), so the
cost per frame is the same whatever the camera delivers and the result is sharp at camera resolution.
Exports and the web page run at the same pixel scale (tests check it).

- `OnnxFilter`: an exported model (fp32 or int8) in onnxruntime: the fast path on a CPU.
- `FilterPack`: several LoRA filters over one base generator in memory (PyTorch; on the GPU if there is
  one). Switching filters, changing intensity or blending two filters only re-merges the adapters' weight
  deltas into the base (W = W₀ + Σᵢ sᵢ·ΔWᵢ): no reload, no re-export, ready for the next frame.
  Intensity 0 is exactly the base model; a blend also interpolates the two prompts' embeddings.

Loaded models are cached per process (`load_pack`, `load_onnx`), keyed by their files' paths and mtimes.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from e2gan.text.encoder import TextEmbedding


def work_size(size: tuple[int, int], pixel_scale: int) -> tuple[int, int]:
    """(w, h) with the short side at `pixel_scale`, both multiples of 8."""
    w, h = size
    scale = pixel_scale / min(w, h)
    return max(8, round(w * scale / 8) * 8), max(8, round(h * scale / 8) * 8)


def check_frame(frame: np.ndarray) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        shape = getattr(frame, "shape", None)
        raise ValueError(f"expected a uint8 RGB frame (H, W, 3), got {getattr(frame, 'dtype', type(frame))} {shape}")


class FrameRunner:
    """Resize to the pixel scale, run `_run` on a [0, 1] float NCHW batch, compose onto the full frame.
    `timing` holds the last frame's seconds per stage (resize, network, compose), for the live benchmark."""

    pixel_scale: int = 256

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        check_frame(frame)
        import cv2

        from e2gan.compose import compose

        t0 = time.perf_counter()
        h, w = frame.shape[:2]
        work = work_size((w, h), self.pixel_scale)
        x = frame if (w, h) == work else cv2.resize(frame, work, interpolation=cv2.INTER_AREA)
        batch = (x.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        t1 = time.perf_counter()
        out = self._run(np.ascontiguousarray(batch))[0]
        y = (np.clip(out, 0, 1).transpose(1, 2, 0) * 255.0 + 0.5).astype(np.uint8)
        t2 = time.perf_counter()
        result = y if (w, h) == work else compose(frame, x, y)
        self.timing = {"resize": t1 - t0, "network": t2 - t1, "compose": time.perf_counter() - t2}
        return result

    def _run(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class OnnxFilter(FrameRunner):
    """An exported filter (image in [0, 1] → image in [0, 1]) in onnxruntime on the CPU."""

    def __init__(self, path: str | Path, pixel_scale: int = 256, threads: int | None = None):
        from e2gan.export.onnx_model import INPUT, session

        self.path, self.pixel_scale = Path(path), pixel_scale
        self.session = session(self.path, threads)
        self.input = INPUT

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: batch})[0]


@dataclass
class _Adapter:
    deltas: dict[str, torch.Tensor]  # parameter name in the base → ΔW (already scaled by α/r)
    text: TextEmbedding  # the prompt it was trained with, (1, T, D)


class FilterPack(FrameRunner):
    """LoRA filters over one shared base; `configure` picks the filter, intensity and blend."""

    def __init__(self, base: nn.Module, text_fn, pixel_scale: int = 256, device: str = "cpu"):
        self.device = torch.device(device)
        self.generator = base.eval().to(self.device)
        self.text_fn, self.pixel_scale = text_fn, pixel_scale
        self.base_state = {k: v.detach().clone() for k, v in self.generator.state_dict().items()}
        self.adapters: dict[str, _Adapter] = {}
        self.current: tuple = ()
        self.text: TextEmbedding | None = None
        self._lock = threading.Lock()  # frames and configuration changes may come from different threads

    @property
    def names(self) -> list[str]:
        return list(self.adapters)

    def add(self, name: str, adapter_dir: str | Path, prompt: str) -> None:
        """Load an adapter once and keep only what it changes (a few hundred kB): merged weights minus the base,
        so low-rank updates, trained biases and norms all scale and blend the same way."""
        from e2gan import lora

        model = lora.merge(lora.load_adapter(_cpu_copy(self.generator, self.base_state), adapter_dir, copy_base=False))
        deltas = {}
        for key, value in model.state_dict().items():
            delta = value.to(self.device) - self.base_state[key]
            if delta.abs().max() > 0:
                deltas[key] = delta
        self.adapters[name] = _Adapter(deltas, self.text_fn([prompt]))
        self.current = ()

    def configure(self, name: str, intensity: float = 1.0, blend: str | None = None, mix: float = 0.0) -> None:
        """Use filter `name` at `intensity` (0 = the base model); optionally blend in `blend` by `mix` (0–1)."""
        if name not in self.adapters or (blend and blend not in self.adapters):
            raise KeyError(f"unknown filter {name if name not in self.adapters else blend!r}; loaded: {self.names}")
        key = (name, round(float(intensity), 4), blend, round(float(mix), 4) if blend else 0.0)
        if key == self.current:
            return
        weights = {name: float(intensity) * (1.0 - (mix if blend else 0.0))}
        if blend:
            weights[blend] = weights.get(blend, 0.0) + float(intensity) * float(mix)
        with self._lock, torch.no_grad():
            params = dict(self.generator.named_parameters()) | dict(self.generator.named_buffers())
            touched = {k for n in weights for k in self.adapters[n].deltas}
            for k in touched:
                merged = self.base_state[k].clone()
                for n, w in weights.items():
                    if k in self.adapters[n].deltas and w:
                        merged += w * self.adapters[n].deltas[k]
                params[k].copy_(merged)
            self.text = _mix_text(self.adapters[name].text, self.adapters[blend].text if blend else None, mix)
            self.current = key

    def snapshot(self) -> "FilterPack":
        """An independent pack frozen at the current filter and settings: a long job (a video) keeps them
        while the live view goes on configuring the shared, cached pack."""
        with self._lock:
            frozen = copy.copy(self)  # base state, adapters and text are read-only: shared
            frozen.generator = copy.deepcopy(self.generator)  # the merged weights of the current settings
            frozen.adapters, frozen._lock = dict(self.adapters), threading.Lock()
        return frozen

    @torch.no_grad()
    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self.text is None:
            raise RuntimeError("configure() a filter first")
        with self._lock:
            x = torch.from_numpy(batch).to(self.device) * 2.0 - 1.0
            out = self.generator(x, self.text.tokens.to(self.device), self.text.mask.to(self.device))
        return ((out.float().cpu() + 1.0) * 0.5).numpy()


def _mix_text(a: TextEmbedding, b: TextEmbedding | None, mix: float) -> TextEmbedding:
    if b is None or mix <= 0:
        return a
    return TextEmbedding((1 - mix) * a.tokens + mix * b.tokens, torch.maximum(a.mask, b.mask))


def _cpu_copy(model: nn.Module, state: dict) -> nn.Module:
    import copy

    clone = copy.deepcopy(model).cpu()
    clone.load_state_dict({k: v.cpu() for k, v in state.items()})
    return clone


# -- loading ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterRef:
    """A finished LoRA run, identified for the pack: `project/run`."""

    name: str  # unique key: "<project> · <run id>"
    base: str
    adapter: str
    prompt: str
    pixel_scale: int
    title: str = ""  # the filter's human name (a rename changes it, never the key)


def finished_filters(store) -> list[FilterRef]:
    """Every finished LoRA run in every project, newest first: the filters a pack can hold."""
    from e2gan.runs import list_runs

    from e2gan.project import ProjectError

    refs = []
    for info in store.list():
        if info.error:
            continue
        try:
            project = store.open(info.name)
        except ProjectError:
            continue  # a folder that is not an openable project never hides the others' filters
        for run in list_runs(project):
            s = run.settings
            if s.get("mode") == "lora" and run.status.get("state") == "done" and (run.output_dir / "adapter_model.safetensors").is_file():
                refs.append(FilterRef(f"{info.name} · {run.id}", s["base"], str(run.output_dir), s["prompt"], s["pixel_scale"], run.name))
    return refs


def load_pack(refs: list[FilterRef], device: str = "auto") -> FilterPack:
    """A pack of filters sharing one base (the first filter's); cached while the files are unchanged."""
    if not refs:
        raise ValueError("no finished filters yet: train one first (Train tab or `e2gan finetune`)")
    base = refs[0].base
    refs = [r for r in refs if r.base == base]
    stamp = tuple((r.name, r.adapter, _mtime(Path(r.adapter) / "adapter_model.safetensors")) for r in refs)
    return _load_pack(base, _mtime(Path(base) / "model.safetensors"), stamp, tuple(refs), _device(device))


@functools.lru_cache(maxsize=2)
def _load_pack(base: str, base_mtime: float, stamp: tuple, refs: tuple[FilterRef, ...], device: str) -> FilterPack:
    from e2gan.filters import text_function
    from e2gan.models.weights import load_generator

    generator = load_generator(base)
    pack = FilterPack(generator, text_function(generator), refs[0].pixel_scale, device)
    for ref in refs:
        pack.add(ref.name, ref.adapter, ref.prompt)
    pack.configure(refs[0].name)
    return pack


@functools.lru_cache(maxsize=4)
def load_onnx(path: str, mtime: float, pixel_scale: int = 256, threads: int | None = None) -> OnnxFilter:
    return OnnxFilter(path, pixel_scale, threads)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


def _device(device: str) -> str:
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def load_run_filter(project, run_id: str | None = None, device: str = "cpu") -> FilterPack:
    """The filter trained by one finished run (the newest by default), ready to apply."""
    from e2gan.filters import text_function
    from e2gan.models.weights import load_generator
    from e2gan.runs import get_run

    run = get_run(project, run_id, finished=True)
    s = run.settings
    if s["mode"] == "lora":
        return load_pack([FilterRef(run.id, s["base"], str(run.output_dir), s["prompt"], s["pixel_scale"])], device)
    model = load_generator(run.output_dir)  # full fine-tune or scratch: a whole model, no adapters
    pack = FilterPack(model, text_function(model), s["pixel_scale"], device)
    pack.text = pack.text_fn([s["prompt"]])
    return pack
