"""Step 2: data distillation: the teacher edits every source into a before/after pair.

    distill(project, TeacherSpec("instruct-pix2pix", "timbrooks/instruct-pix2pix"), seed=0)

Resumable: a pair already made by the same teacher, settings, prompt and seed is skipped, so a restarted
run continues where it stopped, with no duplicates. Each target is written atomically before its manifest
line, so there are never half-written pairs. A source that fails (corrupt file, teacher error) is recorded
with its reason and skipped. Under `accelerate launch` every process takes every N-th pending source
(the process's shard), so N GPUs share the work and no pair is made twice; the same code runs single-process.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from PIL import Image

from e2gan import atomic, images, pairs, sources
from e2gan.distributed import Distributed
from e2gan.progress import Cancelled, ProgressFn, Tracker
from e2gan.project import Project, now_iso
from e2gan.teachers.base import Teacher, TeacherSpec, make_teacher, pair_seed


@dataclass
class DistillReport:
    made: int = 0
    skipped: int = 0  # already made by the same teacher
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source name, reason)
    cancelled: bool = False

    def summary(self) -> str:
        parts = [f"{self.made} pairs made"]
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts) + (" (cancelled)" if self.cancelled else "")


def choose_teacher(
    project: Project,
    teacher: str = "auto",
    model: str | None = None,
    settings: dict | None = None,
    use_embeddings: bool = True,
) -> tuple[TeacherSpec, int]:
    """Resolve a teacher name to a spec and seed: `auto` (the project's saved look, else the offline edit
    that best matches the prompt), `offline:KEY` / `KEY`, `instruct-pix2pix` or `img2img`."""
    saved = project.get_setting("teacher") or {}
    if teacher == "auto":
        if saved:
            spec = TeacherSpec.from_dict(saved)
            spec.settings.update(settings or {})
            return spec, int(saved.get("seed", 0))
        from e2gan.teachers.offline import match_prompt, offline_spec

        key, _, _ = match_prompt(project.prompt, use_embeddings)
        return offline_spec(key), 0
    if teacher in ("instruct-pix2pix", "img2img"):
        return TeacherSpec(teacher, model or "", dict(settings or {})), int(saved.get("seed", 0))
    return TeacherSpec("offline", teacher.removeprefix("offline:"), dict(settings or {"strength": 1.0})), 0


def teacher_key(spec: TeacherSpec, prompt: str, seed: int) -> str:
    return hashlib.sha1(f"{spec.key()}|{prompt}|{seed}".encode()).hexdigest()[:12]


def effective_prompt(project: Project, spec: TeacherSpec) -> str:
    """The project's prompt; an offline teacher without one uses its own instruction."""
    prompt = project.prompt.strip()
    if prompt:
        return prompt
    if spec.kind == "offline":
        from e2gan.teachers.offline import EDITS

        return EDITS[spec.name].prompt
    raise ValueError("the project has no prompt: set one (e2gan new NAME --prompt … or the Filter tab)")


def pending(project: Project, key: str) -> tuple[list[dict], int]:
    """Sources still to distil with this teacher key, and how many are already done."""
    done = {
        p.id
        for p in pairs.read_pairs(project).values()
        if p.status == "ok" and p.teacher_key == key and (project.root / p.target).is_file()
    }
    todo = [s for s in sources.list_sources(project) if s["id"] not in done]
    return todo, len(sources.list_sources(project)) - len(todo)


def distill(
    project: Project,
    spec: TeacherSpec,
    seed: int = 0,
    teacher: Teacher | None = None,
    limit: int | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    dist: Distributed | None = None,
) -> DistillReport:
    """Make the missing pairs of `project` with the teacher `spec`; returns what happened."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1 pair, got {limit}")
    prompt = effective_prompt(project, spec)
    teacher = teacher or make_teacher(spec)  # checks the teacher's settings before anything is saved
    key = teacher_key(spec, prompt, seed)
    todo, already = pending(project, key)
    if not sources.list_sources(project):
        raise ValueError("the project has no source images: add some first (Filter tab or `e2gan sources add`)")
    dist = dist or Distributed()
    rank, world = dist.rank, dist.world
    todo = todo[rank::world][:limit]
    dist.barrier()  # every process has read the manifest before any writes to it
    report = DistillReport(skipped=already)
    if rank == 0:
        project.set_setting("teacher", {**spec.to_dict(), "seed": seed})
        project.set_step("teach", "running", f"{already} of {already + len(todo) * world} pairs")
    tracker = Tracker("Generating pairs", len(todo), progress)
    try:
        for start in range(0, len(todo), teacher.batch_size):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            batch = todo[start : start + teacher.batch_size]
            _distill_batch(project, teacher, batch, prompt, seed, key, report, rank)
            tracker.advance(len(batch), batch[-1]["name"])
    except Cancelled:
        report.cancelled = True
    dist.barrier()
    if rank == 0:
        pairs.compact(project)
        _finish(project, report)
    return report


def _distill_batch(project, teacher, batch, prompt, seed, key, report, rank) -> None:
    loaded, ok = [], []
    for entry in batch:
        try:
            loaded.append(images.load_rgb(project.sources_dir / entry["file"]))
            ok.append(entry)
        except (images.ImageRejected, OSError) as e:
            _record_failure(project, entry, prompt, teacher, key, seed, f"source unreadable: {e}", report)
    if not ok:
        return
    seeds = [pair_seed(seed, e["id"]) for e in ok]
    started = time.monotonic()
    try:
        outputs = teacher.edit(loaded, prompt, seeds)
    except Exception:
        if len(ok) == 1:
            raise
        for entry, img, s in zip(ok, loaded, seeds):  # find the one that fails, keep the rest
            _distill_one(project, teacher, entry, img, s, prompt, seed, key, report, rank)
        return
    per = (time.monotonic() - started) / len(ok)
    for entry, out, s in zip(ok, outputs, seeds):
        _save_pair(project, teacher, entry, out, s, prompt, key, per, report, rank)


def _distill_one(project, teacher, entry, img, s, prompt, seed, key, report, rank) -> None:
    started = time.monotonic()
    try:
        (out,) = teacher.edit([img], prompt, [s])
    except Exception as e:
        _record_failure(project, entry, prompt, teacher, key, seed, f"teacher failed: {type(e).__name__}: {e}", report)
        return
    _save_pair(project, teacher, entry, out, s, prompt, key, time.monotonic() - started, report, rank)


def _save_pair(project, teacher, entry, out: Image.Image, s: int, prompt, key, elapsed, report, rank) -> None:
    target = f"{project.pairs_dir.name}/{entry['id']}.png"
    atomic.write_with(project.root / target, lambda f: out.save(f, format="PNG"))
    pairs.record(
        project,
        pairs.Pair(
            id=entry["id"],
            source=f"{project.sources_dir.name}/{entry['file']}",
            target=target,
            prompt=prompt,
            teacher=teacher.describe(),
            teacher_key=key,
            seed=s,
            time=now_iso(),
            elapsed_s=round(elapsed, 3),
            worker=rank,
        ),
    )
    report.made += 1


def _record_failure(project, entry, prompt, teacher, key, seed, reason, report) -> None:
    pairs.record(
        project,
        pairs.Pair(
            id=entry["id"],
            source=f"{project.sources_dir.name}/{entry['file']}",
            prompt=prompt,
            teacher=teacher.describe(),
            teacher_key=key,
            seed=pair_seed(seed, entry["id"]),
            status="failed",
            error=reason,
            time=now_iso(),
        ),
    )
    report.failed.append((entry["name"], reason))


def _finish(project: Project, report: DistillReport) -> None:
    usable = len(pairs.usable_pairs(project))
    total = len(sources.list_sources(project))
    state = "done" if usable and not report.cancelled else ("failed" if not usable else "stale")
    project.set_step("teach", state, f"{usable} pairs of {total} sources" + (" (cancelled)" if report.cancelled else ""))
    if report.made:
        project.mark_downstream_stale("teach")
