"""Diffusion teachers (diffusers): InstructPix2Pix, and Stable Diffusion img2img (SDEdit).

Weights load from a hub id or a local folder with `from_pretrained(..., use_safetensors=True)` (never a
pickle). On a GPU they run in fp16 with attention slicing; on a CPU in float32. Each image gets its own
`torch.Generator`, so a pair is regenerated exactly from its seed whatever batch it was made in.
Images are edited at `resolution` (short side, a multiple of 8; InstructPix2Pix was trained at 512) and
resized back to the source size.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from PIL import Image

from e2gan.teachers.base import Teacher, TeacherSpec

DEFAULT_MODELS = {"instruct-pix2pix": "timbrooks/instruct-pix2pix", "img2img": "stabilityai/sd-turbo"}
LICENCES = {
    "timbrooks/instruct-pix2pix": "InstructPix2Pix weights: CreativeML OpenRAIL-M (see the model card)",
    "stabilityai/sd-turbo": "SD-Turbo: Stability AI Non-Commercial Research Community licence (see the model card)",
}


class TeacherUnavailable(RuntimeError):
    """The teacher's model can't be loaded; the message says what to download or where to put it."""


@dataclass
class InstructPix2PixSettings:
    steps: int = 20  # denoising steps
    guidance_scale: float = 7.5  # how strongly to follow the text instruction
    image_guidance_scale: float = 1.5  # how strongly to stay close to the source photo
    resolution: int = 512  # short side the edit runs at
    batch_size: int = 4


@dataclass
class Img2ImgSettings:
    strength: float = 0.6  # how much of the photo is re-imagined (SDEdit noise level), 0–1
    steps: int = 30  # denoising steps before strength is applied
    guidance_scale: float = 7.5  # classifier-free guidance (turbo models: 0)
    negative_prompt: str = ""
    resolution: int = 512
    batch_size: int = 4


SETTINGS = {"instruct-pix2pix": InstructPix2PixSettings, "img2img": Img2ImgSettings}


def settings_for(kind: str, values: dict) -> InstructPix2PixSettings | Img2ImgSettings:
    cls = SETTINGS[kind]
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {kind} settings {sorted(unknown)}; use {sorted(known)}")
    s = cls(**values)
    if s.resolution % 8 or s.resolution < 64:
        raise ValueError("resolution must be a multiple of 8, at least 64")
    if s.steps < 1:
        raise ValueError("steps must be at least 1")
    return s


class DiffusionTeacher(Teacher):
    def __init__(self, spec: TeacherSpec, device: str = "auto"):
        import torch

        self.spec = TeacherSpec(spec.kind, spec.name or DEFAULT_MODELS[spec.kind], spec.settings)
        self.settings = settings_for(spec.kind, spec.settings)
        self.spec.settings = asdict(self.settings)
        self.batch_size = self.settings.batch_size
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        self.licence = LICENCES.get(self.spec.name, f"see the model card of {self.spec.name}")
        self.pipe = load_pipeline(self.spec.kind, self.spec.name, self.device)

    def edit(self, images: list[Image.Image], prompt: str, seeds: list[int]) -> list[Image.Image]:
        out: list[Image.Image | None] = [None] * len(images)
        by_size: dict[tuple[int, int], list[int]] = {}
        for i, img in enumerate(images):  # a diffusers batch must share one size
            by_size.setdefault(img.size, []).append(i)
        for size, idx in by_size.items():
            work = _work_size(size, self.settings.resolution)
            batch = [images[i].convert("RGB").resize(work, Image.Resampling.LANCZOS) for i in idx]
            edited = self._run(batch, prompt, [seeds[i] for i in idx])
            for i, img in zip(idx, edited):
                out[i] = img.resize(size, Image.Resampling.LANCZOS)
        return out  # type: ignore[return-value]

    def _run(self, batch: list[Image.Image], prompt: str, seeds: list[int]) -> list[Image.Image]:
        import torch

        s = self.settings
        generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
        common = dict(
            prompt=[prompt] * len(batch),
            image=batch,
            num_inference_steps=s.steps,
            guidance_scale=s.guidance_scale,
            generator=generators,
            output_type="pil",
        )
        with torch.inference_mode():
            if self.spec.kind == "instruct-pix2pix":
                result = self.pipe(**common, image_guidance_scale=s.image_guidance_scale)
            else:
                negative = [s.negative_prompt] * len(batch) if s.negative_prompt else None
                result = self.pipe(**common, strength=s.strength, negative_prompt=negative)
        return list(result.images)


def _work_size(size: tuple[int, int], resolution: int) -> tuple[int, int]:
    w, h = size
    scale = resolution / min(w, h)
    return max(8, round(w * scale / 8) * 8), max(8, round(h * scale / 8) * 8)


@functools.lru_cache(maxsize=2)
def load_pipeline(kind: str, model: str, device: str):
    """Load (once per process) a diffusers pipeline from a hub id or a local folder."""
    import torch
    from diffusers import AutoPipelineForImage2Image, StableDiffusionInstructPix2PixPipeline

    cls = StableDiffusionInstructPix2PixPipeline if kind == "instruct-pix2pix" else AutoPipelineForImage2Image
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    local = Path(model).expanduser()
    source = str(local) if local.exists() else model
    if local.exists() and not (local / "model_index.json").is_file():
        raise TeacherUnavailable(
            f"{local} is not a diffusers pipeline folder (no model_index.json). Download one with "
            f"`huggingface-cli download {DEFAULT_MODELS[kind]} --local-dir {local}`."
        )
    try:
        with warnings.catch_warnings():  # newer diffusers renamed torch_dtype; older ones only know it
            warnings.simplefilter("ignore", FutureWarning)
            pipe = cls.from_pretrained(
                source, torch_dtype=dtype, use_safetensors=True, safety_checker=None, requires_safety_checker=False
            )
    except Exception as e:
        raise TeacherUnavailable(_load_error(kind, model, e)) from e
    if kind == "instruct-pix2pix" and pipe.unet.config.in_channels != 8:
        raise TeacherUnavailable(
            f"{model} is not an InstructPix2Pix model: its UNet takes {pipe.unet.config.in_channels} input "
            "channels, InstructPix2Pix needs 8. For a Stable Diffusion checkpoint use the img2img teacher."
        )
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    if device.startswith("cuda"):
        pipe.enable_attention_slicing()
    return pipe


def _load_error(kind: str, model: str, error: Exception) -> str:
    hint = (
        f"On a machine with internet the hub id downloads on first use (InstructPix2Pix: "
        f"`{DEFAULT_MODELS['instruct-pix2pix']}`, ~2.5 GB in fp16). Offline, download it elsewhere with "
        f"`huggingface-cli download {model} --local-dir DIR`, copy DIR here and pass it as the model. "
        "Only safetensors weights are loaded."
    )
    return f"Could not load the {kind} teacher from {model!r}: {type(error).__name__}: {str(error)[:300]}. {hint}"
