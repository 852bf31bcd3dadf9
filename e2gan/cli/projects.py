"""CLI verbs for projects and their source images: new, list, show, rename, delete, sources."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from e2gan.project import STEPS, ProjectStore


def register(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("new", help="create a filter project", description="Create a filter project.")
    p.add_argument("name", help="project name (letters, digits, space, _ . + -)")
    p.add_argument("--prompt", default="", help='the edit, e.g. "make it a watercolour painting"')
    p.set_defaults(run=cmd_new)

    p = verbs.add_parser("list", help="list projects and the state of their steps")
    p.set_defaults(run=cmd_list)

    p = verbs.add_parser("show", help="show one project's prompt, steps and folders")
    p.add_argument("name")
    p.set_defaults(run=cmd_show)

    p = verbs.add_parser("rename", help="rename a project (its folder too)")
    p.add_argument("name")
    p.add_argument("new_name")
    p.set_defaults(run=cmd_rename)

    p = verbs.add_parser("delete", help="move a project to the trash folder (recoverable)")
    p.add_argument("name")
    p.set_defaults(run=cmd_delete)

    p = verbs.add_parser("doctor", help="check a project for damage (missing or unreadable files, broken manifests)")
    p.add_argument("name")
    p.add_argument("--fix", action="store_true", help="also remove what stopped work left behind (unlisted source images)")
    p.set_defaults(run=cmd_doctor)

    _add_sources_parser(verbs)


def _add_sources_parser(verbs: argparse._SubParsersAction) -> None:
    sources = verbs.add_parser("sources", help="add or list a project's source images")
    sub = sources.add_subparsers(dest="sources_verb", metavar="ACTION")
    sub.required = True
    p = sub.add_parser(
        "add",
        help="add images from folders, zips or files, or the built-in samples",
        description="Add images. Bad files are listed with their reason and skipped; duplicates are added once.",
    )
    p.add_argument("name", help="project name")
    p.add_argument("paths", nargs="*", type=Path, help="folders (searched recursively), .zip files or image files")
    p.add_argument("--samples", action="store_true", help="add the built-in sample photos (no download)")
    p.add_argument("--pixel-scale", type=int, default=None, help="short side in px the photos are stored, edited and filtered at (first import only; default 256)")
    p.add_argument(
        "--crop", choices=("center", "random", "none"), default=None, help="square crop policy (first import only)"
    )
    p.set_defaults(run=cmd_sources_add)
    p = sub.add_parser("list", help="list a project's source images")
    p.add_argument("name")
    p.set_defaults(run=cmd_sources_list)


# -- verbs -----------------------------------------------------------------------------------------
def cmd_new(args: argparse.Namespace, store: ProjectStore) -> int:
    project = store.create(args.name, args.prompt)
    print(f"Created {project.root}")
    print(f"Next: e2gan sources add {_quote(args.name)} PATH...   (or --samples)")
    return 0


def cmd_list(args: argparse.Namespace, store: ProjectStore) -> int:
    rows = store.list()
    if not rows:
        print(f"No projects in {store.root}. Create one: e2gan new NAME --prompt TEXT")
        return 0
    for row in rows:
        if row.error:
            print(f"{row.name:24s}  (unreadable: {row.error})")
            continue
        steps = store.open(row.name).load()["steps"]
        states = " ".join(f"{s}:{steps[s]['state']}" for s in STEPS)
        print(f"{row.name:24s}  {row.prompt[:40]!r:44s} {states}")
    return 0


def cmd_show(args: argparse.Namespace, store: ProjectStore) -> int:
    project = store.open(args.name)
    doc = project.load()
    print(f"{doc['name']}  ({project.root})")
    print(f"prompt:  {doc['prompt'] or '(none yet)'}")
    print(f"created: {doc['created']}")
    for step in STEPS:
        entry = doc["steps"][step]
        print(f"  {step:8s} {entry['state']:8s} {entry['summary']}")
    return 0


def cmd_doctor(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.doctor import check_project, leftovers, orphan_sources

    project = store.open(args.name, heal=True)
    problems = check_project(project)
    for problem in problems:
        print(f"  problem: {problem}")
    if args.fix:
        with project.lock("sources"):  # an import running meanwhile stores images before listing them
            removed = orphan_sources(project)
            for path in removed:
                path.unlink(missing_ok=True)
        if removed:
            print(f"  fixed: removed {len(removed)} unlisted source image(s)")
    for note in leftovers(project):
        print(f"  note: {note}")
    print("No problems found." if not problems else f"{len(problems)} problems found.")
    return 0 if not problems else 1


def cmd_rename(args: argparse.Namespace, store: ProjectStore) -> int:
    project = store.rename(args.name, args.new_name)
    print(f"Renamed to {project.root}")
    return 0


def cmd_delete(args: argparse.Namespace, store: ProjectStore) -> int:
    where = store.delete(args.name)
    print(f"Moved {args.name!r} to {where} (delete that folder to free the space)")
    return 0


def cmd_sources_add(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan import sources
    from e2gan.progress import tqdm_progress

    project = store.open(args.name)
    if not args.paths and not args.samples:
        print("error: give image folders, zips or files, or --samples", file=sys.stderr)
        return 2
    settings = None
    if args.pixel_scale or args.crop:
        settings = sources.SourceSettings(args.pixel_scale or sources.DEFAULT_PIXEL_SCALE, args.crop or "center")
    reports = []
    progress = tqdm_progress()
    if args.samples:
        reports.append(sources.add_samples(project, settings=settings, progress=progress))
    for path in args.paths:
        if path.is_dir():
            reports.append(sources.add_folder(project, path, settings=settings, progress=progress))
        elif path.suffix.lower() == ".zip":
            reports.append(sources.add_zip(project, path, settings=settings, progress=progress))
        else:
            reports.append(sources.add_files(project, [path], origin="file", settings=settings, progress=progress))
    return _print_reports(reports, len(sources.list_sources(project)))


def _print_reports(reports: list, total: int) -> int:
    for report in reports:
        for name, note in report.notes:
            print(f"  note      {name}: {note}")
        for name, reason in report.rejected:
            print(f"  rejected  {name}: {reason}")
        print(report.summary())
    print(f"The project now has {total} source images.")
    return 0


def cmd_sources_list(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan import sources

    for entry in sources.list_sources(store.open(args.name)):
        print(f"{entry['id']}  {entry['name']:32s} {entry['origin']}")
    return 0


def _quote(name: str) -> str:
    return f'"{name}"' if " " in name else name


