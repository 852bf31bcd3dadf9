"""The pairs manifest: what the teacher made of each source, and what the curator thinks of it.

`pairs/manifest.jsonl` is an append-only log: each generated (or failed) pair appends one line after its
image is safely on disk, and each review (reject / restore) appends another. The current state of a pair
is the fold of its lines, so a process killed mid-run loses at most the pair it was working on, and a
torn last line is ignored. Regenerating a pair clears its review (it is a new image). `compact` rewrites
the log to one line per pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from e2gan import atomic
from e2gan.project import Project, now_iso

if TYPE_CHECKING:
    from e2gan.data import PairData

MANIFEST = "manifest.jsonl"


@dataclass
class Pair:
    id: str  # = the source's id
    source: str  # path relative to the project folder
    target: str = ""
    prompt: str = ""
    teacher: dict = field(default_factory=dict)  # Teacher.describe(): kind, name, settings, licence
    teacher_key: str = ""  # changes when teacher, settings, prompt or seed change
    seed: int = 0
    status: str = "ok"  # ok | failed
    error: str = ""
    rejected: bool = False  # set by the curator; rejected pairs never train
    time: str = ""
    elapsed_s: float = 0.0
    worker: int = 0  # the process that made it (data-parallel runs)

    @property
    def usable(self) -> bool:
        return self.status == "ok" and not self.rejected


def manifest_path(project: Project) -> Path:
    return project.pairs_dir / MANIFEST


def read_pairs(project: Project) -> dict[str, Pair]:
    """Current state of every pair, by id, in the order they were first made."""
    pairs: dict[str, Pair] = {}
    for row in atomic.read_lines(manifest_path(project)):
        pid = row.get("id") if isinstance(row, dict) else None  # hand-edited junk lines are skipped
        if not pid or not isinstance(pid, str):
            continue
        if "review" in row:
            if pid in pairs:
                pairs[pid].rejected = row["review"] == "rejected"
            continue
        known = {k: v for k, v in row.items() if k in Pair.__dataclass_fields__}
        pairs[pid] = Pair(**known)  # a regenerated pair replaces the old one and its review
    return pairs


def usable_pairs(project: Project) -> list[Pair]:
    """Pairs that may train: generated, not rejected, both images on disk."""
    return [
        p
        for p in read_pairs(project).values()
        if p.usable and (project.root / p.source).is_file() and (project.root / p.target).is_file()
    ]


def record(project: Project, pair: Pair) -> None:
    """Append a generated or failed pair (its image must already be written)."""
    row = {k: v for k, v in pair.__dict__.items() if k != "rejected"}
    with project.lock("pairs"):
        atomic.append_line(manifest_path(project), row)


def set_rejected(project: Project, ids: list[str], rejected: bool = True) -> int:
    """Reject (or restore) pairs; they stay in the manifest, excluded from training."""
    known = read_pairs(project)
    ids = [i for i in ids if i in known]
    with project.lock("pairs"):
        for pid in ids:
            atomic.append_line(
                manifest_path(project), {"id": pid, "review": "rejected" if rejected else "accepted", "time": now_iso()}
            )
    if ids:
        project.mark_downstream_stale("teach")
    return len(ids)


def compact(project: Project) -> None:
    """Rewrite the log as one line per pair (its review folded in)."""
    import json

    with project.lock("pairs"):
        pairs = read_pairs(project)
        lines = []
        for p in pairs.values():
            lines.append(json.dumps({k: v for k, v in p.__dict__.items() if k != "rejected"}, ensure_ascii=False))
            if p.rejected:
                lines.append(json.dumps({"id": p.id, "review": "rejected", "time": p.time}))
        atomic.write_text(manifest_path(project), "".join(line + "\n" for line in lines))


def thumbnail(project: Project, pair: Pair, size: int = 128) -> Path:
    """A before|after strip for galleries, cached beside the pairs (rebuilt when the pair changes)."""
    from PIL import Image

    path = project.pairs_dir / "thumbs" / f"{pair.id}-{pair.teacher_key}.jpg"
    if not path.is_file():
        before = Image.open(project.root / pair.source).convert("RGB")
        after = Image.open(project.root / pair.target).convert("RGB")
        h = size
        w = round(before.width * h / before.height)
        strip = Image.new("RGB", (2 * w, h))
        strip.paste(before.resize((w, h)), (0, 0))
        strip.paste(after.resize((w, h)), (w, 0))
        atomic.write_with(path, lambda f: strip.save(f, format="JPEG", quality=88))
    return path


def pair_data(project: Project, ids: list[str] | None = None) -> "PairData":
    """Load usable pairs (optionally only `ids`) for training."""
    from e2gan.data import PairData

    pairs = usable_pairs(project)
    if ids is not None:
        wanted = set(ids)
        pairs = [p for p in pairs if p.id in wanted]
    records = [(project.root / p.source, project.root / p.target, p.prompt, p.id) for p in pairs]
    return PairData.from_files(records)
