"""CLI verbs for step 2, the teacher: teachers, look, distill, pairs."""

from __future__ import annotations

import argparse
from pathlib import Path

from e2gan.project import ProjectStore

TEACHER_HELP = (
    "auto (the project's saved look, else the built-in edit matching the prompt), a built-in edit "
    "(e.g. watercolour; see `e2gan teachers`), instruct-pix2pix or img2img"
)


def register(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("teachers", help="list the teachers: built-in offline edits and diffusion models")
    p.add_argument("--match", metavar="PROMPT", help="show which built-in edit a prompt would use")
    p.set_defaults(run=cmd_teachers)

    p = verbs.add_parser(
        "look",
        help="render a grid of the teacher's settings × seeds on a few photos; --pick saves one",
        description="Try the teacher's main setting against seeds on probe photos, then keep the look you like.",
    )
    p.add_argument("name")
    _teacher_args(p)
    p.add_argument("--probes", type=int, default=3, help="how many source photos to try (default 3)")
    p.add_argument("--out", type=Path, default=None, help="where to write the grid (default: the project's pairs/look.png)")
    p.add_argument("--pick", type=int, default=None, metavar="N", help="save cell N of the grid as the project's teacher")
    p.set_defaults(run=cmd_look)

    p = verbs.add_parser(
        "distill",
        help="let the teacher edit every source photo into a before/after pair (resumable)",
        description="Make the missing pairs. Re-running skips finished pairs; a failed photo is recorded and skipped. "
        "On several GPUs: accelerate launch -m e2gan.cli distill NAME",
    )
    p.add_argument("name")
    _teacher_args(p)
    p.add_argument("--seed", type=int, default=None, help="base seed (default: the saved look's, else 0)")
    p.add_argument("--limit", type=int, default=None, help="make at most this many pairs")
    p.set_defaults(run=cmd_distill)

    p = verbs.add_parser("pairs", help="list pairs, or reject/restore some (rejected pairs never train)")
    p.add_argument("name")
    p.add_argument("--reject", nargs="+", default=[], metavar="ID")
    p.add_argument("--restore", nargs="+", default=[], metavar="ID")
    p.set_defaults(run=cmd_pairs)


def _teacher_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--teacher", default="auto", help=TEACHER_HELP)
    p.add_argument("--model", default=None, help="diffusion teachers: hub id or local folder (default: the kind's default)")
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a teacher setting, e.g. --set guidance_scale=7.5 --set steps=20 (repeatable)",
    )


def parse_settings(items: list[str]) -> dict:
    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        for cast in (int, float):
            try:
                out[key.strip()] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[key.strip()] = value
    return out


def cmd_teachers(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.teachers.diffusion import DEFAULT_MODELS
    from e2gan.teachers.offline import EDITS, match_prompt

    if args.match:
        key, score, how = match_prompt(args.match)
        print(f"{args.match!r} → {key} ({EDITS[key].title}; matched by {how}, score {score:.2f})")
        return 0
    print("Built-in offline teachers (no weights, no GPU):")
    for edit in EDITS.values():
        print(f"  {edit.key:15s} {edit.title:16s} “{edit.prompt}”")
    print("\nDiffusion teachers (weights from the hub or a local folder; a GPU makes them fast):")
    for kind, model in DEFAULT_MODELS.items():
        print(f"  {kind:17s} default model {model}")
    return 0


def cmd_look(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan import atomic, images, sources
    from e2gan.distill import choose_teacher, effective_prompt
    from e2gan.progress import tqdm_progress
    from e2gan.teachers.look import compose, look_grid

    project = store.open(args.name)
    spec, _ = choose_teacher(project, args.teacher, args.model, parse_settings(args.settings))
    probes = [images.load_rgb(p) for p in sources.source_paths(project)[: args.probes]]
    if not probes:
        raise ValueError("the project has no source images yet")
    cells = look_grid(spec, probes, effective_prompt(project, spec), progress=tqdm_progress())
    out = args.out or project.pairs_dir / "look.png"
    sheet = compose(cells, columns=3)
    atomic.write_with(out, lambda f: sheet.save(f, format="PNG"))
    print(f"Wrote {out}")
    if args.pick is not None:
        if not 1 <= args.pick <= len(cells):
            raise ValueError(f"--pick must be between 1 and {len(cells)}")
        cell = cells[args.pick - 1]
        project.set_setting("teacher", {**cell.spec.to_dict(), "seed": cell.seed})
        print(f"Saved look {args.pick} ({cell.label}) as the project's teacher. Next: e2gan distill {args.name}")
    else:
        print("Pick one with --pick N, then run e2gan distill.")
    return 0


def cmd_distill(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.distill import choose_teacher, distill
    from e2gan.progress import tqdm_progress

    project = store.open(args.name)
    spec, seed = choose_teacher(project, args.teacher, args.model, parse_settings(args.settings))
    seed = seed if args.seed is None else args.seed
    print(f"Teacher: {spec.kind} {spec.name} {spec.settings} seed {seed}")
    report = distill(project, spec, seed=seed, limit=args.limit, progress=tqdm_progress())
    for name, reason in report.failed:
        print(f"  failed  {name}: {reason}")
    print(report.summary())
    return 0 if not report.failed or report.made else 1


def cmd_pairs(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan import pairs

    project = store.open(args.name)
    if args.reject or args.restore:
        n = pairs.set_rejected(project, args.reject, True) + pairs.set_rejected(project, args.restore, False)
        print(f"Updated {n} pairs.")
        return 0
    for p in pairs.read_pairs(project).values():
        state = "rejected" if p.rejected else p.status
        print(f"{p.id}  {state:8s} {p.teacher.get('name', '')}  {p.error}")
    return 0


