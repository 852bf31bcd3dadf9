"""The `e2gan` command: every pipeline step from a terminal, on the same project folders as the studio.

    e2gan new zombie --prompt "turn him into a zombie"
    e2gan sources add zombie ~/Pictures/portraits        # or a .zip, or --samples
    e2gan distill zombie                                 # teacher pairs
    e2gan list

Each verb lives in the module of its pipeline step and turns arguments into one library call.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from e2gan.project import ProjectError, ProjectStore, default_projects_dir

EPILOG = """\
Projects live in a folder per filter under the projects directory (default ~/e2gan-projects;
set --projects or the E2GAN_PROJECTS environment variable to use another).

The pipeline, one verb per step:
  e2gan new NAME --prompt TEXT      create a filter project
  e2gan sources add NAME PATH...    add photos (folders, zips, files) or --samples
  e2gan teachers                    list the teachers (built-in offline edits and diffusion models)
  e2gan look NAME                   try the teacher's settings on a few photos and pick a look
  e2gan distill NAME                let the teacher edit every photo into a before/after pair
  e2gan curate NAME --k 24          embed, flag and cluster the pairs; keep a small diverse subset
  e2gan finetune NAME               train the filter: the base generator + LoRA on its crucial layers
  e2gan apply NAME IMAGES --out DIR run the trained filter on photos
  e2gan export NAME                 verified ONNX, int8, Core ML and phone web exports with a model card
  e2gan serve-phone NAME            open the web build on your phone (https on your Wi-Fi, QR code)
  e2gan train-base --out DIR        train a base generator on many concepts (the studio ships one)
"""


def build_parser() -> argparse.ArgumentParser:
    from e2gan.cli import curate, export, projects, teach, train

    parser = argparse.ArgumentParser(
        prog="e2gan",
        description="E2GAN Studio: turn an image-edit prompt into a real-time filter.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--projects", type=Path, default=None, help=f"projects directory (default: {default_projects_dir()})"
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    for module in (projects, teach, curate, train, export):
        module.register(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = ProjectStore(args.projects)
    run: Callable[[argparse.Namespace, ProjectStore], int] = args.run
    try:
        return run(args, store)
    except (ProjectError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = getattr(args, "continue_with", "") or "run the same command again"
        print(f"interrupted: finished work is saved; to continue: {again.format(**vars(args))}", file=sys.stderr)
        return 130


