"""CLI verbs for training and using a filter: train-base, finetune, runs, apply."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

from e2gan.project import ProjectStore


def register(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "train-base",
        help="train a base generator on many concepts (E2GAN step 1; resumable)",
        description="Train a text-conditioned base generator from scratch on many concepts. Re-running the "
        "same command resumes from the last checkpoint. Data-parallel: accelerate launch -m e2gan.cli train-base …",
    )
    p.add_argument("--out", type=Path, default=None, help="folder for the base model, with training/ inside it (default for --preset shipped: assets/base)")
    p.add_argument("--preset", default=None, help="a recipe from assets/presets/base.json: shipped (the studio's base) or tiny")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--concepts", default=None, help="built-in offline concepts, comma-separated, or 'all' (every one a --preset does not hold out); default: the preset's list, or all")
    src.add_argument("--from-projects", default=None, help="comma-separated projects whose pairs are the concepts")
    p.add_argument("--width", type=int, default=None, help="generator width (default: the default config's)")
    p.add_argument("--head-width", type=int, default=None, help="hidden channels of the per-pixel colour head (default: the default config's)")
    p.add_argument("--frame-coords", action="store_true", help="the colour head also sees each pixel's place in the frame (vignettes)")
    _train_args(p)
    p.set_defaults(run=cmd_train_base)

    p = verbs.add_parser(
        "finetune",
        help="train a filter for a project: base + LoRA (default), or a baseline",
        description="Fine-tune a filter on the project's curated pairs (all usable pairs if not curated).",
    )
    p.add_argument("name")
    p.add_argument(
        "--mode",
        choices=("lora", "full", "scratch", "pix2pix"),
        default="lora",
        help="lora: base + LoRA on the crucial layers (E2GAN); full: base + full fine-tuning; "
        "scratch: E2GAN from random weights; pix2pix: ResNet-9 from random weights",
    )
    p.add_argument("--base", type=Path, default=None, help="base generator folder (default: the shipped base)")
    p.add_argument("--rank", type=int, default=None, help="one LoRA rank for every layer group")
    p.add_argument("--ranks", default=None, help="per group, e.g. down=4,ds_us=8,transformer=8,up=4")
    p.add_argument("--resume", nargs="?", const="latest", default=None, metavar="RUN", help="resume a run (default: the newest)")
    p.add_argument(
        "--preset", default=None,
        help="training recipe from assets/presets/training.json: quick, standard or quality "
        "(default: the one suggested for this machine: standard on a GPU, quick on a CPU); flags below override it",
    )  # fmt: skip
    _train_args(p)
    p.set_defaults(run=cmd_finetune, continue_with='e2gan finetune "{name}" --resume')  # a new run would start at step 0

    p = verbs.add_parser(
        "rank-search",
        help="pick LoRA ranks per layer group by measured quality within a parameter budget (optional)",
        description="Greedy rank search (see e2gan/rank_search.py): a few short fine-tunes, judged on held-out "
        "pairs. The chosen ranks are saved in the project and used by later fine-tunes.",
    )
    p.add_argument("name")
    p.add_argument("--budget", type=int, default=60_000, help="maximum trainable LoRA parameters (default 60,000)")
    p.add_argument("--base", type=Path, default=None)
    p.add_argument("--preset", default=None, help="training recipe of each trial (default: the one suggested for this machine)")
    _train_args(p)
    p.set_defaults(run=cmd_rank_search)

    p = verbs.add_parser("runs", help="list a project's training runs (its filters), or rename one")
    p.add_argument("name")
    p.add_argument("--rename", nargs=2, metavar=("RUN", "NEW_NAME"), help="give run RUN's filter a new name")
    p.set_defaults(run=cmd_runs)

    p = verbs.add_parser(
        "evaluate",
        help="judge a trained filter against its teacher on pairs it did not train on (PSNR, SSIM; FID, LPIPS with weights)",
    )
    p.add_argument("name")
    p.add_argument("--run", dest="run_id", default=None, help="run id (default: the newest finished run)")
    p.add_argument("--limit", type=int, default=32, help="at most this many pairs (default 32)")
    p.add_argument("--download-weights", action="store_true", help="download Inception-v3 (FID) and AlexNet (LPIPS) weights if missing")
    p.set_defaults(run=cmd_evaluate)

    p = verbs.add_parser("apply", help="run a trained filter on image and video files")
    p.add_argument("name")
    p.add_argument("images", nargs="+", type=Path, metavar="FILE", help="images, or videos (.mp4 .mov .mkv .webm .avi: same frame rate, audio kept)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--run", dest="run_id", default=None, help="run id (default: the newest finished run)")
    p.add_argument("--smooth", type=float, default=0.0, help="videos: blend each frame with the previous output (0-0.9) against flicker")
    p.set_defaults(run=cmd_apply)


def _train_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training")
    g.add_argument("--steps", type=int, default=None, help="generator updates")
    g.add_argument("--crop", type=int, default=None, help="training crop size in px (multiple of 8)")
    g.add_argument("--batch-size", type=int, default=None)
    g.add_argument("--lr", type=float, default=None, help="generator learning rate")
    g.add_argument("--beta1", type=float, default=None, help="Adam's β1 (0.9 for regression; pix2pix's GAN: 0.5)")
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--checkpoint-every", type=int, default=None)
    g.add_argument("--sample-every", type=int, default=None)
    g.add_argument("--precision", choices=("auto", "fastest", "fp32", "bf16", "fp16"), default=None)
    g.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N")


def train_settings(args: argparse.Namespace, **defaults):
    from e2gan.train import TrainSettings

    names = {f.name for f in fields(TrainSettings)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    return TrainSettings(**{**defaults, **given})


def preset_settings(project, args: argparse.Namespace):
    """The preset's settings for this project's pair count and the chosen mode, with any flags on top."""
    from e2gan import pairs
    from e2gan.curate import selected_pair_ids
    from e2gan.hardware import detect
    from e2gan.presets import get_preset

    args.preset = args.preset or detect().recommended_preset
    ids = selected_pair_ids(project)
    n = len(ids) if ids is not None else len(pairs.usable_pairs(project))
    preset = get_preset(args.preset).train_settings(n, args.mode)
    return train_settings(args, **{f: getattr(preset, f) for f in preset.__dataclass_fields__})


def lora_settings(args: argparse.Namespace):
    from e2gan.lora import DEFAULT_RANKS, LoraSettings

    if args.ranks:
        ranks = {k.strip(): int(v) for k, v in (item.split("=") for item in args.ranks.split(","))}
        return LoraSettings(ranks={**{g: 0 for g in DEFAULT_RANKS}, **ranks})
    if args.rank is not None:
        return LoraSettings(ranks={g: args.rank for g in DEFAULT_RANKS})
    return None  # the project's searched ranks, else the defaults


def cmd_train_base(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.base_model import base_preset, concept_pairs, project_pairs, train_base
    from e2gan.filters import shipped_base
    from e2gan.models.generator import GeneratorConfig
    from e2gan.progress import tqdm_progress
    from e2gan.teachers.offline import EDITS

    preset = base_preset(args.preset) if args.preset else {}
    recipe = {k: v for k, v in preset.get("train", {}).items()}
    settings = train_settings(args, **recipe)
    pixel_scale, views = preset.get("pixel_scale", 256), preset.get("views", 1)
    out = args.out or (shipped_base() if args.preset == "shipped" else None)
    if out is None:
        raise ValueError("give --out FOLDER for the base model")
    if args.concepts is None:
        args.concepts = ",".join(preset["concepts"]) if preset else "all"
    if args.from_projects:
        data = project_pairs([store.open(n.strip()) for n in args.from_projects.split(",")])
    else:
        every = [k for k in EDITS if k not in preset.get("held_out", [])]
        concepts = every if args.concepts == "all" else [c.strip() for c in args.concepts.split(",")]
        unknown = [c for c in concepts if c not in EDITS]
        if unknown:
            raise ValueError(f"unknown concepts {unknown}; see `e2gan teachers`")
        data = concept_pairs(concepts, pixel_scale, views, progress=tqdm_progress())
    sizes = {k: v for k, v in (("width", args.width), ("head_width", args.head_width)) if v}
    config = GeneratorConfig(pixel_scale=pixel_scale, frame_coords=args.frame_coords, **sizes)
    result = train_base(data, out, settings, config, progress=tqdm_progress())
    print(f"{result.status}: {result.steps} steps in {result.wall_s:.0f} s → {out}")
    return 0


def cmd_finetune(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan import filters, finetune
    from e2gan.lora import DEFAULT_RANKS, LoraSettings, trainable_summary
    from e2gan.progress import tqdm_progress

    project = store.open(args.name)
    if args.resume:
        run = finetune.resume(project, None if args.resume == "latest" else args.resume, progress=tqdm_progress())
    else:
        lora = lora_settings(args) or LoraSettings(ranks=project.get_setting("lora_ranks") or dict(DEFAULT_RANKS))
        if args.mode == "lora":
            model = finetune.build_generator("lora", str(filters.resolve_base(args.base)), lora, 0)
            print(f"LoRA on the crucial layers {lora.ranks}: {trainable_summary(model)}")
        settings = preset_settings(project, args)
        print(f"Preset {args.preset}: {settings.steps} steps on {settings.crop} px crops, batch {settings.batch_size}")
        from e2gan.presets import get_preset

        title = get_preset(args.preset).title
        run = finetune.finetune(project, args.mode, settings, lora, args.base, progress=tqdm_progress(), preset=title)
    status = run.status
    print(f"Run {run.id} (“{run.name}”): {status['state']} at step {status['step']}. {status.get('message', '')}")
    if run.result:
        r = run.result
        print(f"  fit to the teacher: {r['fit_psnr']:.2f} dB PSNR, SSIM {r['fit_ssim']:.3f}; "
              f"{r['trainable_params']:,} trainable params, {r['stored_bytes'] / 1e3:.0f} kB stored, {r['wall_s']:.0f} s")
    if run.evaluation:
        from e2gan.evaluate import describe

        print(f"  quality: {describe(run.evaluation)}; grid: {run.root / 'eval' / 'grid.png'}")
    return 0


def cmd_evaluate(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.evaluate import describe, evaluate_run
    from e2gan.runs import get_run

    project = store.open(args.name)
    run = get_run(project, args.run_id, finished=True)
    metrics = evaluate_run(project, run, limit=args.limit, download=args.download_weights)
    print(f"Run {run.id}: {describe(metrics)}")
    for reason in metrics["missing"]:
        print(f"  not measured: {reason}")
    print(f"  photo / teacher / filter grid: {run.root / 'eval' / 'grid.png'}")
    return 0


def cmd_rank_search(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.filters import resolve_base
    from e2gan.progress import tqdm_progress
    from e2gan.rank_search import search_project

    project = store.open(args.name)
    args.mode = "lora"
    settings = preset_settings(project, args)
    settings.steps = args.steps or 100  # short trials: they rank ranks, they are not the filter
    result = search_project(project, str(resolve_base(args.base)), args.budget, settings, tqdm_progress())
    for t in result.trials:
        print(f"  {t.ranks}  {t.params:>7,} params  {t.psnr:.2f} dB")
    print(f"Chosen ranks {result.best}; saved in the project for the next fine-tune.")
    return 0


def cmd_runs(args: argparse.Namespace, store: ProjectStore) -> int:
    from e2gan.runs import list_runs, rename_run

    project = store.open(args.name)
    if args.rename:
        run = rename_run(project, *args.rename)
        print(f"Run {run.id} is now called “{run.name}”.")
        return 0
    for run in list_runs(project):
        s, st = run.settings, run.status
        psnr = run.evaluation.get("psnr")
        quality = "" if psnr is None else f"{psnr:.2f} dB"
        print(f"{run.id:28s} {s['mode']:8s} {st['state']:11s} step {st['step']:>6}  {quality:9s} {run.name}")
    return 0


def cmd_apply(args: argparse.Namespace, store: ProjectStore) -> int:
    import numpy as np
    from PIL import Image

    from e2gan import atomic, images
    from e2gan.progress import Tracker, tqdm_progress
    from e2gan.runtime import load_run_filter

    from e2gan.video import filter_video, is_video

    flt = load_run_filter(store.open(args.name), args.run_id)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in [p for p in args.images if is_video(p)]:
        target = args.out / path.name
        if target.resolve() == path.resolve():
            raise ValueError(f"--out would overwrite {path.name} with its filtered copy: choose another folder")
        report = filter_video(path, target, flt, args.smooth, tqdm_progress())
        print(f"  {path.name}: {report.summary()}")
    stills = [p for p in args.images if not is_video(p)]
    tracker = Tracker("Applying filter", len(stills), tqdm_progress())
    for path in stills:
        try:
            frame = images.to_array(images.load_rgb(path))
        except images.ImageRejected as e:
            print(f"  skipped {e}")
            tracker.advance()
            continue
        out = Image.fromarray(flt(np.ascontiguousarray(frame)))
        atomic.write_with(args.out / f"{path.stem}.png", lambda f: out.save(f, format="PNG"))
        tracker.advance(message=path.name)
    print(f"Wrote {args.out}")
    return 0
