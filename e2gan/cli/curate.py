"""CLI verb for step 3: curate (embed, flag, select K pairs, draw the map)."""

from __future__ import annotations

import argparse

from e2gan.project import ProjectStore


def register(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "curate",
        help="pick a small, diverse training set from the pairs and draw their map",
        description="Embed every pair (input, output, edit), flag likely failed edits, select K pairs by "
        "similarity clustering (E2GAN) or at random, and write curate/selection.json and curate/map.png.",
    )
    p.add_argument("name")
    p.add_argument("--k", type=int, default=24, help="how many pairs to train on (default 24)")
    p.add_argument("--method", choices=("cluster", "random"), default="cluster")
    p.add_argument("--embedder", default="offline", help="offline (default, no weights) or clip:MODEL/PRETRAINED")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--include", nargs="+", default=[], metavar="ID", help="always train on these pairs")
    p.add_argument("--exclude", nargs="+", default=[], metavar="ID", help="never train on these pairs")
    p.add_argument("--clear", nargs="+", default=[], metavar="ID", help="forget manual choices for these pairs")
    p.add_argument("--keep-flagged", action="store_true", help="let flagged pairs be selected too")
    p.set_defaults(run=cmd_curate)


def cmd_curate(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.curate import CurateSettings, curate, set_manual
    from e2gan.progress import tqdm_progress

    project = store.open(args.name)
    for ids, action in ((args.include, "include"), (args.exclude, "exclude"), (args.clear, "clear")):
        if ids:
            set_manual(project, ids, action)
    settings = CurateSettings(args.k, args.method, args.embedder, args.seed, not args.keep_flagged)
    result = curate(project, settings, tqdm_progress())
    for pid in result.flagged:
        print(f"  flagged {pid}: {', '.join(result.analysis[pid]['flags'])}")
    print(f"Selected {len(result.selection.ids)} of {len(result.points)} pairs ({settings.method}); "
          f"map: {project.curate_dir / 'map.png'}")
    if result.note:
        print(f"  note: {result.note}")
    return 0
