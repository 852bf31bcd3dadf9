"""Quality: does a filter reproduce its teacher's edit, on photos it never saw, through the path users get?

For each held-out concept (the shipped base never saw them) a filter trains on the teacher's pairs of the
sample set, exactly as a project that pressed "Use sample images" would, and is judged on the judging
photographs (`e2gan.samples.JUDGING`: 8 real photos, never trained on by anything) cut into 2 crops each.
Every filter is run through the runtime (`e2gan.runtime.FilterPack`: resize to the pixel scale, network,
compose), once at the pixel scale and once on the crop upscaled to camera size (`camera`), where the
composed full-resolution output is scaled back to compare with the teacher.

Reference rows, per concept: `nothing` (return the photo), `agreement` (the teacher against itself with
another seed: how random the edit is; not a ceiling, since a student that learns the average edit halves
the error of an independent sample and can score up to 3 dB above it on a random edit), `lookup`
(`e2gan.colour_lookup`, fitted in closed form: the floor a learned filter must beat). Learned arms run
with several seeds; the spread is the standard deviation over seeds.

Metrics: PSNR and SSIM against the teacher, and GMSD (gradient magnitude similarity deviation, Xue et al.
2014; 0 = the same edges): PSNR scores a blurred stroke no worse than a harmless shift of tone, while GMSD
compares only where edges are and how strong, so blur and fringes cost. It needs no downloaded network.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks.bases import one_concept_base
from benchmarks.plot import COLOURS, line_chart, side_by_side
from benchmarks.report import RESULTS, machine, publish, table
from benchmarks.run_store import SHOWN, Key, RunStore, array_digest, file_digest
from e2gan import images, samples
from e2gan.base_model import base_preset
from e2gan.callbacks import TrainCallback
from e2gan.colour_lookup import ColourLookup
from e2gan.data import PairData
from e2gan.evaluate import gmsd, psnr, ssim
from e2gan.filters import shipped_base, text_function
from e2gan.finetune import build_generator
from e2gan.lora import LoraSettings, merge
from e2gan.models.generator import ARCHITECTURE_VERSION, GeneratorConfig
from e2gan.presets import get_preset
from e2gan.runtime import FilterPack
from e2gan.teachers.base import make_teacher, pair_seed
from e2gan.teachers.offline import EDITS, offline_spec
from e2gan.train import Trainer, TrainSettings, resolve_device, resolve_precision, training_flops

PIXEL_SCALE = 256
CAMERA = 640  # short side of the camera-sized frames (a 640x480 webcam)


@dataclass(frozen=True)
class Arm:
    mode: str  # lora | full | scratch | pix2pix (e2gan.finetune.build_generator)
    preset: str  # the training preset it runs (assets/presets/training.json)
    title: str
    base: str | None = "shipped"  # what it starts from: the shipped base, a one-concept base (benchmarks.bases), nothing
    recipe: tuple = ()  # (setting, value) pairs pinned over the preset's: a baseline keeps its own recipe when ours changes


ARMS = {
    "quick-lora": Arm("lora", "quick", "base + LoRA, Quick preset (the default CPU path)"),
    "standard-lora": Arm("lora", "standard", "base + LoRA, Standard preset"),
    "one-base-lora": Arm("lora", "standard", "1-concept base + LoRA, Standard preset", "one-concept"),
    "standard-full": Arm("full", "standard", "base + full fine-tune, Standard preset"),
    "standard-scratch": Arm("scratch", "standard", "E2GAN from scratch, Standard preset", None),
    "quick-scratch": Arm("scratch", "quick", "E2GAN from scratch, Quick preset", None),
    # pix2pix keeps the recipe it was measured with (its crops, steps and adversarial phase), whatever Standard becomes
    "pix2pix": Arm("pix2pix", "standard", "pix2pix ResNet-9 from scratch (its own recipe: 256 px crops, 720 steps)", None,
                   (("crop", 256), ("batch_size", 2), ("steps", 720), ("lr", 2e-4), ("gan_from", 0.5), ("ema", 0.995), ("beta1", 0.5), ("precision", "auto"))),
}
TITLES = {
    "nothing": "do nothing (the photo)",
    "agreement": "teacher vs itself, another seed (how random the edit is)",
    "lookup": "colour lookup fitted on the pairs (floor)",
    **{name: arm.title for name, arm in ARMS.items()},
}


# -- data ---------------------------------------------------------------------------------------------
def training_pairs(concept: str, pixel_scale: int = PIXEL_SCALE) -> PairData:
    """The teacher's pairs over the sample set, stored as a project stores them (centre square)."""
    photos = [images.normalise(images.decode_image(load())[0], pixel_scale, "center") for _, load in samples.iter_samples()]
    edited = teacher_edits(concept, photos, seed=0)
    return PairData.from_arrays([np.asarray(p) for p in photos], edited, [EDITS[concept].prompt] * len(photos))


def judging_crops(pixel_scale: int = PIXEL_SCALE, inset: int = 0) -> list[np.ndarray]:
    """Two crops per judging photo (top-left and bottom-right of the photo at 1.25x the pixel scale), each
    `inset` px further into the photo (the same scenes moved diagonally in the frame, for `layout_agreement`)."""
    crops, i = [], inset
    for _, load in samples.iter_judging():
        img = images.decode_image(load())[0]
        scale = int(pixel_scale * 1.25) / min(img.size)
        big = np.asarray(img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS))
        h, w = big.shape[:2]
        crops += [big[i : i + pixel_scale, i : i + pixel_scale], big[h - pixel_scale - i : h - i, w - pixel_scale - i : w - i]]
    return [np.ascontiguousarray(c) for c in crops]


def teacher_edits(concept: str, photos: list, seed: int) -> list[np.ndarray]:
    """The built-in teacher's edit of each photo (uint8 arrays or PIL images), as uint8 (H, W, 3) arrays."""
    teacher = make_teacher(offline_spec(concept))
    prompt = EDITS[concept].prompt
    photos = [p if isinstance(p, Image.Image) else Image.fromarray(p) for p in photos]
    return [np.asarray(teacher.edit([p], prompt, [pair_seed(seed, f"{concept}:{i}")])[0]) for i, p in enumerate(photos)]


def layout_agreement(concept: str, targets: list[np.ndarray], pixel_scale: int = PIXEL_SCALE, shift: int = 8) -> dict[str, float]:
    """The teacher against itself with the photo moved `shift` px in the frame (one cell of the generator's
    grid, which a filter can see), compared where the two views overlap: where it is low, the edit's layout
    hangs on the frame rather than the photo (old photo's vignette), and a filter that only sees the photo
    cannot place it."""
    moved = teacher_edits(concept, judging_crops(pixel_scale, shift)[: len(targets)], seed=0)
    s = shift  # crop 2k is top-left (moved content sits s px up-left), crop 2k+1 bottom-right (s px down-right)
    a = [m[: -s, : -s] if k % 2 == 0 else m[s:, s:] for k, m in enumerate(moved)]
    b = [t[s:, s:] if k % 2 == 0 else t[: -s, : -s] for k, t in enumerate(targets)]
    return score(a, b)


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


def arm_recipe(arm: str, overrides: dict) -> dict:
    """What an arm sets over its preset: its pinned recipe, then `overrides`. On a CPU the E2GAN arms train in
    fp32: the presets' "fastest" takes bf16 only where the CPU has it natively, so runs from machines with and
    without it would be different results that never publish together (bf16 measured the same quality:
    ablation, Recipe; most desktop CPUs have no native bf16)."""
    on_cpu = resolve_device(overrides.get("device", "auto")).type == "cpu"
    return ({"precision": "fp32"} if on_cpu else {}) | dict(ARMS[arm].recipe) | overrides


def train_arm(arm: str, data: PairData, crops, targets, seed: int, base: Path | None, overrides: dict, every: int) -> ArmRun:
    """One learned arm with its preset's settings (`overrides` replace some: quick checks)."""
    mode = ARMS[arm].mode
    preset = get_preset(ARMS[arm].preset)
    settings = preset.train_settings(len(data), mode, seed=seed, checkpoint_every=10**9, sample_every=10**9, **arm_recipe(arm, overrides))
    generator = build_generator(mode, str(base) if base else None, LoraSettings() if mode == "lora" else None, seed)
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
    return {"nothing": score(crops, targets), "agreement": score(other, targets), "lookup": score([lookup(c) for c in crops], targets)}


# -- report -------------------------------------------------------------------------------------------
def mean_sd(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values))


def fmt(values: list[float], digits: int = 2) -> str:
    m, sd = mean_sd(values)
    return f"{m:.{digits}f}" if len(values) == 1 else f"{m:.{digits}f} ± {sd:.{digits}f}"


def render(results: dict, arms: list[str], grids: bool = True) -> str:
    """The section's tables. An arm measured on some concepts so far shows "–" for the others, and its mean
    only once every concept has a run."""
    concepts = list(results)
    rows = []
    for name in ["nothing", "agreement", "lookup", *arms]:
        have = [c for c in concepts if name in results[c]]
        seeds, most = min(_n(results[c][name]) for c in have), max(_n(results[c][name]) for c in have)
        cells = [TITLES[name] + (_seeds(seeds, most) if name in arms else "")]
        for c in concepts:
            r = results[c].get(name)
            cells.append("–" if r is None else fmt([x["psnr"] for x in r]) if isinstance(r, list) else psnr_cell(r["psnr"]))
        per_seed = [np.mean([_seed_mean(results[c][name], "psnr", s) for c in concepts]) for s in range(seeds)] if len(have) == len(concepts) else []
        cells.append("–" if not per_seed or (name == "agreement" and max(per_seed) >= 50) else fmt(per_seed))  # a mean with "identical" in it means nothing
        rows.append(cells)
    psnr_table = table(["held-out PSNR (dB) ↑", *concepts, "mean"], rows)
    detail = []
    for name in ["nothing", "lookup", *arms]:
        for c in concepts:
            if name not in results[c]:
                continue
            r = results[c][name]
            rs = r if isinstance(r, list) else [r]
            cam = [x["camera"]["psnr"] for x in rs if "camera" in x]
            detail.append([TITLES[name], c, fmt([x["ssim"] for x in rs], 3), fmt([x["gmsd"] for x in rs], 3),
                           fmt(cam) if cam else "–", fmt([x["wall_s"] for x in rs], 0) if "wall_s" in rs[0] else "–",
                           str(rs[0].get("steps", "–"))])  # fmt: skip
    detail_table = table(["arm", "concept", "SSIM ↑", "GMSD ↓", f"PSNR at camera size ({CAMERA} px) ↑", "train s", "steps"], detail)
    parts = [
        f"Held-out concepts, {results[concepts[0]]['crops']} crops of {len(samples.JUDGING)} judging photos at {PIXEL_SCALE} px, "
        "through the runtime's path; learned arms: mean ± sd over seeds.",
        psnr_table,
        detail_table,
    ]
    for reference in (r for r in REFERENCES if r in arms):
        learners = [a for a in arms if a != reference and (reference == "pix2pix" or transfers_to(a, reference))]
        if learners:
            parts.append(render_reach(results, learners, reference))
    if grids:
        parts.append(" ".join(f"![{c}](benchmarks/results/quality_{c}.jpg)" for c in concepts))
    return "\n\n".join(parts)


def _seeds(n: int, most: int) -> str:
    return f" ({n}–{most} seeds)" if most > n else f" ({n} seed{'s' if n > 1 else ''})"


def psnr_cell(value: float) -> str:
    return "identical" if value >= 99 else f"{value:.2f}"  # e2gan.evaluate.psnr caps equal images at 100 dB


def _n(r) -> int:
    return len(r) if isinstance(r, list) else 1


def _seed_mean(r, key: str, s: int) -> float:
    return (r[s] if isinstance(r, list) else r)[key]


# -- cost to a reference's quality (the paper's table 1; base transfer) -----------------------------------
TRANSFER = ("Base transfer{}: steps and time to E2GAN-from-scratch's final quality with the same preset (E2GAN's first "
            "technique: a base of many concepts lets a new one start close; the target is ≥ 3x fewer steps and less time)")
REFERENCES = {  # reference arm → what reaching its final quality measures
    "pix2pix": "Cost to pix2pix's final quality (the paper's claim: base + LoRA needs 4.8x less time and 14x fewer FLOPs)",
    "standard-scratch": TRANSFER.format(", Standard preset"),
    "quick-scratch": TRANSFER.format(", Quick preset"),
}


def transfers_to(arm: str, reference: str) -> bool:
    """Whether `arm` starts from a base and trains with the from-scratch `reference`'s preset: the same
    crops, learning-rate schedule and step budget, so that fewer steps means a better start, not a recipe."""
    return ARMS[arm].base is not None and ARMS[arm].preset == ARMS[reference].preset


@dataclass
class Reach:
    """How an arm's runs reached a reference arm's final quality on one concept (held-out curve, same crops)."""

    target: float  # the reference's final held-out curve PSNR, mean over its seeds
    reached: int  # runs of the arm that reached it
    runs: int
    steps: float  # mean step of first reaching it (over the runs that did)
    seconds: float  # mean training time to it
    step_ratio: float  # the reference's steps / the arm's steps to reach
    time_ratio: float  # the reference's mean training time / the arm's time to reach
    flops_ratio: float  # the reference's mean training FLOPs / the arm's FLOPs to reach


def reach(results: dict, concept: str, arm: str, reference: str = "pix2pix") -> Reach:
    ref = results[concept][reference]
    target = float(np.mean([r["curve"][-1][2] for r in ref]))
    hits = []
    for r in results[concept][arm]:
        hit = next(((step, s) for step, s, v in r["curve"] if v >= target), None)
        if hit is not None:
            hits.append((hit[0], hit[1], r["train_flops"] * hit[0] / r["steps"]))
    n = len(results[concept][arm])
    if not hits:
        return Reach(target, 0, n, *[float("nan")] * 5)
    steps, secs, flops = (float(np.mean(v)) for v in zip(*hits))
    ref_steps, ref_s, ref_flops = (float(np.mean([r[k] for r in ref])) for k in ("steps", "wall_s", "train_flops"))
    return Reach(target, len(hits), n, steps, secs, ref_steps / steps, ref_s / max(secs, 1e-6), ref_flops / flops)


def render_reach(results: dict, arms: list[str], reference: str) -> str:
    """Per arm and concept: when its runs first reached the reference's final quality, and the ratios."""
    rows = []
    for arm in arms:
        for c in results:
            if arm not in results[c] or reference not in results[c]:
                continue  # not measured on this concept yet
            r = reach(results, c, arm, reference)
            done = r.reached == r.runs
            ratio = lambda x: f"{x:.1f}x" if done else "not reached"  # noqa: E731
            rows.append([TITLES[arm], c, f"{r.target:.2f}", f"{r.reached}/{r.runs}", f"{r.steps:.0f}" if r.reached else "–",
                         f"{r.seconds:.0f}" if r.reached else "–", ratio(r.step_ratio), ratio(r.time_ratio), ratio(r.flops_ratio)])  # fmt: skip
    name = ARMS[reference].title.split(",")[0]
    head = ["arm", "concept", f"{name} final (dB, curve crops)", "runs reaching it", "steps to it", "train s to it",
            "fewer steps", "less time", "fewer training FLOPs"]  # fmt: skip
    return (
        f"{REFERENCES[reference]}: the first held-out curve point (the curve's 8 crops) at or above the reference's "
        "final curve PSNR; ratios are the reference's whole training against the arm's steps, time and FLOPs up to "
        "that point, means over seeds. A ratio is printed only when every seed reached the target.\n\n" + table(head, rows)
    )


def grid(crops, targets, rows: dict[str, list[np.ndarray]], n: int = SHOWN) -> Image.Image:
    """Columns: judging crops; rows: photo, teacher, then each filter."""
    lines = [np.concatenate(list(x[:n]), axis=1) for x in [crops, targets, *rows.values()]]
    return Image.fromarray(np.concatenate(lines, axis=0))


# -- the run ------------------------------------------------------------------------------------------
def arm_key(arm: str, data: PairData, crops: list[np.ndarray], base: Path | None, overrides: dict) -> Key | None:
    """Everything that decides an arm's result except the seed: a stored run counts only while it matches.
    None when the arm's base has not been trained yet (no stored run can match)."""
    mode = ARMS[arm].mode
    settings = get_preset(ARMS[arm].preset).train_settings(len(data), mode, **arm_recipe(arm, overrides))
    parts = {"arm": arm, "mode": mode, "pixel_scale": PIXEL_SCALE, **run_parts(settings, data, crops)}
    if mode != "pix2pix":
        parts["architecture"] = ARCHITECTURE_VERSION
    if mode == "scratch":  # built from the default config (e2gan.finetune.build_generator): a changed default is another arm
        parts["generator"] = asdict(GeneratorConfig())
    if mode == "lora":
        parts["lora"] = asdict(LoraSettings())
    if ARMS[arm].base is not None:
        if base is None or not (base / "model.safetensors").exists():
            return None
        parts["base"] = file_digest(base / "model.safetensors")
    return Key(parts)


def run_parts(settings: TrainSettings, data: PairData, crops: list[np.ndarray]) -> dict:
    """What decides any learned run's result besides its model: the resolved settings (not the seed or how
    often it logs), the pairs, the judging crops, and the device, precision and torch version."""
    s = asdict(settings)
    device = resolve_device(s["device"])
    return {
        "settings": {k: v for k, v in s.items() if k not in ("seed", "checkpoint_every", "sample_every")},
        "pairs": _pairs_digest(data),
        "crops": array_digest(crops),
        "device": f"{device.type} {resolve_precision(s['precision'], device) or torch.float32} torch {torch.__version__.split('+')[0]}",
    }


def _pairs_digest(data: PairData) -> str:
    """A short hash of the training pairs and their prompts."""
    return array_digest([t.numpy() for t in [*data.sources, *data.targets]] + [np.frombuffer("|".join(data.prompts).encode(), np.uint8)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", default=None, help="comma-separated (default: the shipped base's held-out concepts)")
    parser.add_argument("--arms", default="quick-lora,standard-lora,standard-full,pix2pix", help=f"arms to train where runs are missing, of {list(ARMS)}")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None, help="override every arm's step count (quick checks)")
    parser.add_argument("--every", type=int, default=50, help="steps between held-out curve points")
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None, help="train on this device (default: the preset's, auto); "
                        "a GPU's runs are kept and published apart from the CPU's")
    parser.add_argument("--fresh", action="store_true", help="re-train the requested arms even where stored runs match")
    parser.add_argument("--plan", action="store_true", help="say which stored runs would be re-used and why the others "
                        "no longer match, then stop without training")
    parser.add_argument("--quick", action="store_true", help="seconds-long run: one concept, tiny steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    concepts = args.concepts.split(",") if args.concepts else base_preset("shipped")["held_out"]
    arms = args.arms.split(",")
    if unknown := set(arms) - set(ARMS):
        parser.error(f"unknown arms {sorted(unknown)}; choose from {list(ARMS)}")
    if args.quick:
        concepts, args.steps, args.seeds, args.every = concepts[:1], 2, 1, 1
    info = machine()
    bases = {"shipped": args.base or shipped_base(), None: None}
    wanted = not args.plan and any(ARMS[a].base == "one-concept" for a in arms)  # trained once (minutes), then kept
    bases["one-concept"] = one_concept_base(steps=2 if args.quick else None, train=wanted)
    crops = judging_crops()[: 4 if args.quick else None]  # quick: two photos keep pix2pix's inference short
    overrides = {"steps": args.steps} if args.steps else {}
    if args.device:
        overrides["device"] = args.device
    if args.quick:
        overrides.update(crop=64, batch_size=1)
    device = resolve_device(args.device or "auto")  # what TrainSettings' default "auto" picks
    name = "quality" if device.type == "cpu" else f"quality_{device.type}"  # a GPU's runs and section stand apart
    store = RunStore(None if args.quick else RESULTS / f"{name}_runs")
    results, judged = {}, {}
    for concept in concepts:
        data = training_pairs(concept)
        targets = judged[concept] = teacher_edits(concept, crops, seed=0)
        results[concept] = {"crops": len(crops), **reference_rows(concept, data, crops, targets)}
        keys = {arm: arm_key(arm, data, crops, bases[ARMS[arm].base], overrides) for arm in ARMS}
        for line in plan(store, concept, arms, keys, args.seeds, args.fresh):
            print(line, flush=True)
        if args.plan:
            continue
        for arm in arms:
            for seed in range(args.seeds):
                if store.get(concept, arm, seed, keys[arm]) is None or args.fresh:
                    r = train_arm(arm, data, crops, targets, seed, bases[ARMS[arm].base], overrides, args.every)
                    run = {**r.scores, "camera": r.camera, "wall_s": r.wall_s, "steps": r.steps, "train_flops": r.train_flops, "curve": r.curve}
                    store.put(concept, arm, seed, keys[arm], run, r.outputs if seed == 0 else None)
                    print(f"{concept} {arm} seed {seed}: {r.scores['psnr']:.2f} dB in {r.wall_s:.0f} s ({r.steps} steps)", flush=True)
        for arm in ARMS:  # every stored arm that matches what ships, not only the ones trained now
            if runs := store.seeds(concept, arm, keys[arm]):
                results[concept][arm] = runs
    if args.plan:
        return
    shown_arms = [a for a in ARMS if any(a in results[c] for c in concepts)]  # partial arms show "–" where missing
    body = render(results, shown_arms, grids=name == "quality")
    if args.quick:
        print(body)
        return
    if name == "quality":  # the CPU's grids and curves show the filters; a GPU's section is its tables
        body += "\n\n" + save_pictures(store, crops, judged, results, shown_arms)
    publish(name, _command(args, shown_arms, results, concepts), info, _note(store, results, concepts, shown_arms) + "\n\n" + body, {"results": results})


def plan(store: RunStore, concept: str, arms: list[str], keys: dict, seeds: int, fresh: bool) -> list[str]:
    """One line per requested arm: how many of its seeds are re-used and how many train, and why stored runs that
    no longer match do not count (another device or precision, a changed preset, base or data)."""
    lines = []
    for arm in arms:
        kept = 0 if fresh else len(store.seeds(concept, arm, keys[arm])[:seeds])
        line = f"{concept} {arm}: {kept} of {seeds} seed(s) stored, {seeds - kept} to train"
        if kept < seeds and (why := store.stale(concept, arm, keys[arm])):
            line += f" ({why})"
        lines.append(line)
    return lines


def save_pictures(store: RunStore, crops, judged: dict, results: dict, arms: list[str]) -> str:
    """Each concept's photo | teacher | filters grid and seed 0's held-out curves; the curves' Markdown."""
    colours = {arm: COLOURS[i % len(COLOURS)] for i, arm in enumerate(arms)}  # an arm keeps its colour in every panel
    charts = []
    for concept, targets in judged.items():
        grid(crops, targets, {a: store.outputs(concept, a) for a in arms if a in results[concept]}).save(RESULTS / f"quality_{concept}.jpg", quality=90)
        curves = {arm: [(p[1], p[2]) for p in results[concept][arm][0]["curve"]] for arm in arms if arm in results[concept]}
        charts.append(line_chart(curves, f"{concept}: held-out PSNR (dB), seed 0", "training seconds", "", (640, 420), log_x=True, colours=colours))
    side_by_side(charts).save(RESULTS / "quality_curves.png")
    return "![curves](benchmarks/results/quality_curves.png)"


def _command(args, arms: list[str], results: dict, concepts: list[str]) -> str:
    seeds = max((len(results[c][a]) for c in concepts for a in arms if a in results[c]), default=0)
    return (f"python -m benchmarks.quality --arms {','.join(arms)} --seeds {seeds}" + (f" --steps {args.steps}" if args.steps else "")
            + (f" --device {args.device}" if args.device else ""))  # fmt: skip


def _note(store: RunStore, results: dict, concepts: list[str], arms: list[str]) -> str:
    first, last = store.measured([r for c in concepts for a in arms for r in results[c].get(a, [])])
    when = f"on {first}" if first == last else f"between {first} and {last}"
    return (f"Runs are kept in `benchmarks/results/{store.folder.name}/` and finished {when}; "
            "the command re-uses the ones whose settings, base and data still match (`--fresh` re-trains).")  # fmt: skip


if __name__ == "__main__":
    main()
