"""The teacher interface, the saved description of a teacher, and per-pair seeds."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from PIL import Image

KINDS = ("offline", "instruct-pix2pix", "img2img")


@dataclass
class TeacherSpec:
    """Everything needed to rebuild a teacher exactly: stored in project.json and with every pair."""

    kind: str = "offline"  # offline | instruct-pix2pix | img2img
    name: str = ""  # offline: the edit's key (e.g. "watercolour"); diffusion: hub id or local folder
    settings: dict = field(default_factory=dict)  # the teacher's own settings (guidance, steps, strength…)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown teacher kind {self.kind!r}; use one of {KINDS}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TeacherSpec":
        return cls(d.get("kind", "offline"), d.get("name", ""), dict(d.get("settings", {})))

    def key(self) -> str:
        """Changes whenever the teacher would produce different pairs."""
        import json

        return hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


class Teacher:
    """Edits images with a prompt; every image has its own seed so any pair can be regenerated alone."""

    spec: TeacherSpec
    batch_size: int = 1
    licence: str = ""

    def edit(self, images: list[Image.Image], prompt: str, seeds: list[int]) -> list[Image.Image]:
        raise NotImplementedError

    def describe(self) -> dict:
        """Stored with every pair: which teacher made it, with which settings, under which licence."""
        return {**self.spec.to_dict(), "licence": self.licence}


def pair_seed(base_seed: int, source_id: str) -> int:
    """A pair's seed: fixed by the run's seed and the source, independent of batching and sharding."""
    digest = hashlib.sha256(f"{base_seed}:{source_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def make_teacher(spec: TeacherSpec | dict, device: str = "auto") -> Teacher:
    spec = spec if isinstance(spec, TeacherSpec) else TeacherSpec.from_dict(spec)
    if spec.kind == "offline":
        from e2gan.teachers.offline import OfflineTeacher

        return OfflineTeacher(spec)
    from e2gan.teachers.diffusion import DiffusionTeacher

    return DiffusionTeacher(spec, device=device)
