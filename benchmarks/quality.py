"""Quality: does a filter reproduce its teacher's edit, on photos it never saw, through the path users get?

For each held-out concept (the shipped base never saw them) a filter trains on the teacher's pairs of the
sample set, exactly as a project that pressed "Use sample images" would, and is judged on the judging
photographs (`e2gan.samples.JUDGING`: 8 real photos, never trained on by anything) cut into 2 crops each.
Every filter is run through the runtime (`e2gan.runtime.FilterPack`: resize to the pixel scale, network,
compose), once at the pixel scale and once on the crop upscaled to camera size (`camera`), where the
composed full-resolution output is scaled back to compare with the teacher.

Reference rows, per concept: `nothing` (return the photo), `ceiling` (the teacher against itself with
another seed: no student can agree with the teacher better than the teacher agrees with itself), `lookup`
(`e2gan.colour_lookup`, fitted in closed form: the floor a learned filter must beat). Learned arms run
with several seeds; the spread is the standard deviation over seeds.

Metrics: PSNR and SSIM against the teacher, and GMSD (gradient magnitude similarity deviation, Xue et al.
2014; 0 = the same edges): PSNR scores a blurred stroke no worse than a harmless shift of tone, while GMSD
compares only where edges are and how strong, so blur and fringes cost. It needs no downloaded network.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.plot import line_chart
from benchmarks.report import RESULTS, machine, publish, table
from e2gan import images, samples
from e2gan.base_model import base_preset
from e2gan.callbacks import TrainCallback
from e2gan.colour_lookup import ColourLookup
from e2gan.data import PairData
from e2gan.evaluate import gmsd, psnr, ssim
from e2gan.finetune import build_generator, shipped_base, text_function
from e2gan.lora import LoraSettings, merge
from e2gan.presets import get_preset
from e2gan.runtime import FilterPack
from e2gan.teachers.base import make_teacher, pair_seed
from e2gan.teachers.offline import EDITS, offline_spec
from e2gan.train import Trainer, training_flops

PIXEL_SCALE = 256
CAMERA = 640  # short side of the camera-sized frames (a 640x480 webcam)
ARMS = {  # name → (training mode, preset)
    "quick-lora": ("lora", "quick"),
    "standard-lora": ("lora", "standard"),
    "standard-full": ("full", "standard"),
    "standard-scratch": ("scratch", "standard"),
    "pix2pix": ("pix2pix", "standard"),
}
TITLES = {
    "nothing": "do nothing (the photo)",
    "ceiling": "teacher vs itself, another seed (ceiling)",
    "lookup": "colour lookup fitted on the pairs (floor)",
    "quick-lora": "base + LoRA, Quick preset (the default CPU path)",
    "standard-lora": "base + LoRA, Standard preset",
    "standard-full": "base + full fine-tune, Standard preset",
    "standard-scratch": "E2GAN from scratch, Standard preset",
    "pix2pix": "pix2pix ResNet-9 from scratch, Standard preset",
}


# -- data ---------------------------------------------------------------------------------------------
def training_pairs(concept: str, pixel_scale: int = PIXEL_SCALE) -> PairData:
    """The teacher's pairs over the sample set, stored as a project stores them (centre square)."""
    photos = [images.normalise(images.decode_image(load())[0], pixel_scale, "center") for _, load in samples.iter_samples()]
    edited = teacher_edits(concept, photos, seed=0)
    return PairData.from_arrays([np.asarray(p) for p in photos], edited, [EDITS[concept].prompt] * len(photos))


def judging_crops(pixel_scale: int = PIXEL_SCALE) -> list[np.ndarray]:
    """Two crops per judging photo (top-left and bottom-right of the photo at 1.25x the pixel scale)."""
    crops = []
    for _, load in samples.iter_judging():
        img = images.decode_image(load())[0]
        scale = int(pixel_scale * 1.25) / min(img.size)
        big = np.asarray(img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS))
        h, w = big.shape[:2]
        crops += [big[:pixel_scale, :pixel_scale], big[h - pixel_scale :, w - pixel_scale :]]
    return [np.ascontiguousarray(c) for c in crops]


def teacher_edits(concept: str, photos: list, seed: int) -> list[np.ndarray]:
    """The built-in teacher's edit of each photo (uint8 arrays or PIL images), as uint8 (H, W, 3) arrays."""
    teacher = make_teacher(offline_spec(concept))
    prompt = EDITS[concept].prompt
    photos = [p if isinstance(p, Image.Image) else Image.fromarray(p) for p in photos]
    return [np.asarray(teacher.edit([p], prompt, [pair_seed(seed, f"{concept}:{i}")])[0]) for i, p in enumerate(photos)]


# -- judging ------------------------------------------------------------------------------------------
def score(outputs: list[np.ndarray], targets: list[np.ndarray]) -> dict[str, float]:
    to_t = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float() / 127.5 - 1  # noqa: E731
    o, t = to_t(outputs), to_t(targets)
    per = [psnr(o[i : i + 1], t[i : i + 1]) for i in range(len(o))]
    return {"psnr": float(np.mean(per)), "ssim": ssim(o, t), "gmsd": gmsd(o, t)}


def camera_outputs(runner, crops: list[np.ndarray]) -> list[np.ndarray]:
    """Each crop upscaled to camera size, filtered by the runner (resize, network, compose), scaled back."""
    import cv2

    outs = []
    for c in crops:
        big = cv2.resize(c, (CAMERA, CAMERA), interpolation=cv2.INTER_CUBIC)
        outs.append(cv2.resize(runner(big), c.shape[1::-1], interpolation=cv2.INTER_AREA))
    return outs


def runner_for(generator, prompt: str, pixel_scale: int) -> FilterPack:
    """The runtime's own runner around a trained generator (LoRA merged, as a pack does at intensity 1)."""
    model = merge(generator) if hasattr(generator, "merge_and_unload") else generator
    pack = FilterPack(model, text_function(model), pixel_scale)
    pack.text = pack.text_fn([prompt])
    return pack


class Judge(TrainCallback):
    """Held-out PSNR through the runtime every `every` steps; its time is not training time."""

    def __init__(self, crops, targets, prompt, pixel_scale, every):
        self.crops, self.targets, self.prompt, self.pixel_scale, self.every = crops, targets, prompt, pixel_scale, every
        self.curve: list[tuple[int, float, float]] = []
        self.judging_s = 0.0

    def on_step(self, trainer, step, losses):
        if step % self.every and step != trainer.settings.steps:
            return
        start = time.monotonic()
        g = trainer.generator
        g.eval()
        with torch.no_grad():
            runner = runner_for(_copy(g), self.prompt, self.pixel_scale)
            value = score([runner(c) for c in self.crops[::2]], self.targets[::2])["psnr"]
        g.train()
        self.curve.append((step, round(trainer.elapsed_s - self.judging_s, 2), round(value, 3)))
        self.judging_s += time.monotonic() - start


def _copy(model):
    import copy

    return copy.deepcopy(model).cpu()


# -- arms ---------------------------------------------------------------------------------------------
@dataclass
class ArmRun:
    scores: dict[str, float]
    camera: dict[str, float]
    wall_s: float
    steps: int
    train_flops: float
    curve: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


def train_arm(arm: str, data: PairData, crops, targets, seed: int, base: Path, overrides: dict, every: int) -> ArmRun:
    """One learned arm with its preset's settings (`overrides` replace some: quick checks)."""
    mode, preset_name = ARMS[arm]
    preset = get_preset(preset_name)
    settings = preset.train_settings(len(data), mode, seed=seed, checkpoint_every=10**9, sample_every=10**9, **overrides)
    generator = build_generator(mode, str(base), LoraSettings() if mode == "lora" else None, seed)
    prompt = data.prompts[0]
    judge = Judge(crops, targets, prompt, PIXEL_SCALE, every)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(generator, data, text_function(generator), settings, Path(tmp), [judge])
        flops = training_flops(trainer)
        result = trainer.fit()
    g = trainer.generator.cpu().eval()
    with torch.no_grad():
        runner = runner_for(g, prompt, PIXEL_SCALE)
        outs = [runner(c) for c in crops]
        cam = camera_outputs(runner, crops)
    train_s = judge.curve[-1][1]  # the last curve point: training time without judging time
    return ArmRun(score(outs, targets), score(cam, targets), train_s, result.steps, flops, judge.curve, outs)


def reference_rows(concept: str, data: PairData, crops, targets) -> dict[str, dict]:
    srcs = [s.permute(1, 2, 0).numpy() for s in data.sources]
    tgts = [t.permute(1, 2, 0).numpy() for t in data.targets]
    lookup = ColourLookup.fit(srcs, tgts)
    other = teacher_edits(concept, crops, seed=1)
    return {"nothing": score(crops, targets), "ceiling": score(other, targets), "lookup": score([lookup(c) for c in crops], targets)}


# -- report -------------------------------------------------------------------------------------------
def mean_sd(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values))


def fmt(values: list[float], digits: int = 2) -> str:
    m, sd = mean_sd(values)
    return f"{m:.{digits}f}" if len(values) == 1 else f"{m:.{digits}f} ± {sd:.{digits}f}"


def render(results: dict, arms: list[str], seeds: int) -> str:
    concepts = list(results)
    rows = []
    for name in ["nothing", "ceiling", "lookup", *arms]:
        cells = [TITLES[name]]
        for c in concepts:
            r = results[c][name]
            cells.append(fmt([x["psnr"] for x in r]) if isinstance(r, list) else f"{r['psnr']:.2f}")
        allp = [np.mean([_seed_mean(results[c][name], "psnr", s) for c in concepts]) for s in range(_n(results[concepts[0]][name]))]
        cells.append(fmt(allp))
        rows.append(cells)
    psnr_table = table(["held-out PSNR (dB) ↑", *concepts, "mean"], rows)
    detail = []
    for name in ["nothing", "lookup", *arms]:
        for c in concepts:
            r = results[c][name]
            rs = r if isinstance(r, list) else [r]
            cam = [x["camera"]["psnr"] for x in rs if "camera" in x]
            detail.append([TITLES[name], c, fmt([x["ssim"] for x in rs], 3), fmt([x["gmsd"] for x in rs], 3),
                           fmt(cam) if cam else "–", fmt([x["wall_s"] for x in rs], 0) if "wall_s" in rs[0] else "–",
                           str(rs[0].get("steps", "–"))])  # fmt: skip
    detail_table = table(["arm", "concept", "SSIM ↑", "GMSD ↓", f"PSNR at camera size ({CAMERA} px) ↑", "train s", "steps"], detail)
    return (
        f"Held-out concepts, {results[concepts[0]]['crops']} crops of {len(samples.JUDGING)} judging photos at {PIXEL_SCALE} px, "
        f"through the runtime's path; learned arms: mean ± sd over {seeds} seed(s).\n\n{psnr_table}\n\n{detail_table}\n\n"
        + " ".join(f"![{c}](benchmarks/results/quality_{c}.jpg)" for c in concepts)
    )


def _n(r) -> int:
    return len(r) if isinstance(r, list) else 1


def _seed_mean(r, key: str, s: int) -> float:
    return (r[s] if isinstance(r, list) else r)[key]


def grid(crops, targets, rows: dict[str, list[np.ndarray]], n: int = 6) -> Image.Image:
    """Columns: judging crops; rows: photo, teacher, then each filter."""
    lines = [np.concatenate(list(x[:n]), axis=1) for x in [crops, targets, *rows.values()]]
    return Image.fromarray(np.concatenate(lines, axis=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", default=None, help="comma-separated (default: the shipped base's held-out concepts)")
    parser.add_argument("--arms", default="quick-lora,standard-lora,standard-full,pix2pix")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None, help="override every arm's step count (quick checks)")
    parser.add_argument("--every", type=int, default=50, help="steps between held-out curve points")
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="seconds-long run: one concept, tiny steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    concepts = args.concepts.split(",") if args.concepts else base_preset("shipped")["held_out"]
    arms = args.arms.split(",")
    if args.quick:
        concepts, args.steps, args.seeds, args.every = concepts[:1], 2, 1, 1
    info = machine()
    base = args.base or shipped_base()
    crops = judging_crops()[: 4 if args.quick else None]  # quick: two photos keep pix2pix's inference short
    overrides = {"steps": args.steps} if args.steps else {}
    if args.quick:
        overrides.update(crop=64, batch_size=1)
    command = f"python -m benchmarks.quality --arms {args.arms} --seeds {args.seeds}" + (f" --steps {args.steps}" if args.steps else "")
    done = Progress.open(command, args.quick)
    results, curves = {}, {}
    for concept in concepts:
        data = training_pairs(concept)
        targets = teacher_edits(concept, crops, seed=0)
        results[concept] = {"crops": len(crops), **reference_rows(concept, data, crops, targets)}
        shown = {}
        for arm in arms:
            runs = []
            for seed in range(args.seeds):
                run = done.get(concept, arm, seed)
                if run is None:
                    r = train_arm(arm, data, crops, targets, seed, base, overrides, args.every)
                    run = {**r.scores, "camera": r.camera, "wall_s": r.wall_s, "steps": r.steps, "train_flops": r.train_flops, "curve": r.curve}
                    done.put(concept, arm, seed, run, r.outputs if seed == 0 else None)
                    print(f"{concept} {arm} seed {seed}: {r.scores['psnr']:.2f} dB in {r.wall_s:.0f} s ({r.steps} steps)", flush=True)
                runs.append(run)
            results[concept][arm] = runs
            shown[arm] = done.outputs(concept, arm)
            curves[f"{concept} · {arm}"] = [(p[1], p[2]) for p in runs[0]["curve"]]
        if not args.quick:
            grid(crops, targets, shown).save(RESULTS / f"quality_{concept}.jpg", quality=90)
    body = render(results, arms, args.seeds)
    if args.quick:
        print(body)
        return
    line_chart(curves, "held-out PSNR over training time (seed 0)", "training seconds", "PSNR dB").save(RESULTS / "quality_curves.png")
    publish("quality", command, info, body + "\n\n![curves](benchmarks/results/quality_curves.png)", {"results": results})
    done.finish()


class Progress:
    """Finished runs of an unfinished benchmark (results/quality.partial/), so a stopped run resumes: each
    run's scores and its seed-0 outputs (for the grids) are written as soon as it ends."""

    def __init__(self, folder: Path | None, command: str):
        self.folder, self.command = folder, command
        self.runs: dict[str, dict] = {}
        self.shown: dict[tuple[str, str], list[np.ndarray]] = {}  # seed-0 outputs made by this process
        if folder is not None and (folder / "runs.json").exists():
            saved = json.loads((folder / "runs.json").read_text())
            self.runs = saved["runs"] if saved.get("command") == command else {}

    @classmethod
    def open(cls, command: str, quick: bool) -> "Progress":
        return cls(None if quick else RESULTS / "quality.partial", command)

    def get(self, concept: str, arm: str, seed: int) -> dict | None:
        return self.runs.get(f"{concept}/{arm}/{seed}")

    def put(self, concept: str, arm: str, seed: int, run: dict, outputs: list[np.ndarray] | None) -> None:
        self.runs[f"{concept}/{arm}/{seed}"] = run
        if outputs is not None:
            self.shown[(concept, arm)] = outputs
        if self.folder is None:
            return
        from e2gan import atomic

        self.folder.mkdir(parents=True, exist_ok=True)
        if outputs is not None:
            strip = Image.fromarray(np.concatenate(outputs, axis=1))
            atomic.write_with(self.folder / f"{concept}_{arm}.png", lambda f: strip.save(f, format="PNG"))
        atomic.write_json(self.folder / "runs.json", {"command": self.command, "runs": self.runs})

    def outputs(self, concept: str, arm: str) -> list[np.ndarray]:
        if (concept, arm) in self.shown:
            return self.shown[(concept, arm)]
        strip = np.asarray(Image.open(self.folder / f"{concept}_{arm}.png").convert("RGB"))
        return list(np.split(strip, strip.shape[1] // strip.shape[0], axis=1))

    def finish(self) -> None:
        import shutil

        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
