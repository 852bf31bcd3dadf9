"""Benchmark scripts still run (tiny sizes; their structure is checked, never their timings)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import inference
from e2gan import samples
from benchmarks.run_store import Key, RunStore, fingerprint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_inference_benchmark_measures_both_arms():
    results = inference.measure(resolution=64, threads=1, repeats=1)
    assert set(results) == {"E2GAN (default)", "pix2pix ResNet-9"}
    for m in results.values():
        assert m["params"] > 0 and m["gflops"] > 0 and m["ort_ms"] > 0 and m["torch_ms"] > 0 and m["int8_ms"] > 0
    assert results["pix2pix ResNet-9"]["gflops"] > 10 * results["E2GAN (default)"]["gflops"]


def tables(text: str) -> list[list[str]]:
    """The markdown tables in `text`, each as its lines."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    return found


def test_gpu_inference_table_has_both_arms_and_the_frame_path():
    """The `--device cuda` path, run on the CPU (CI has no GPU): every arm timed in both precisions."""
    results = inference.measure_gpu(resolution=64, repeats=1, device="cpu")
    assert set(results) == {"E2GAN (default)", "pix2pix ResNet-9"}
    assert all(r["fp32_ms"] > 0 and r["bf16_ms"] > 0 for r in results.values())
    assert results["E2GAN (default)"]["pack_ms"] > 0
    body = inference.gpu_body(results, 64, 1)
    assert "E2GAN (default)" in body and "fps" in body


def test_data_reduction_quick_mode_compares_clustered_random_and_all():
    (found,) = tables(quick("benchmarks.data_reduction"))
    assert "clustered − random (95% CI)" in found[0]
    assert [row.split("|")[1].strip() for row in found[2:]] == ["2", "all 12"]


def quick(module: str, *args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", module, "--quick", "--threads", "1", *args]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_estimates_quick_mode_prints_estimate_and_measured_time():
    (found,) = tables(quick("benchmarks.estimates", "--presets", "quick", "--pairs", "3"))
    assert len(found) == 3 and "estimate / measured" in found[0]


def test_runtime_quick_mode_breaks_down_the_try_tab_frame():
    (arms, live) = tables(quick("benchmarks.runtime"))
    assert len(arms) == 2 + 3
    assert all(stage in live[0] for stage in ("decode", "resize", "network", "compose", "layout", "encode")) and len(live) == 2 + 4


def test_sizing_quick_mode_measures_each_width_against_resnet9():
    (found,) = tables(quick("benchmarks.sizing"))
    assert len(found) == 2 + 2 + 1 and "lower latency" in found[0] and "ResNet-9" in found[-1]


def test_base_card_quick_mode_judges_seen_and_held_out_concepts():
    text = quick("benchmarks.base_card")
    assert "### Concepts it was trained on" in text and "### Held-out concepts (never seen)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| concept", "| photo"))]
    judged = [r for r in rows if len(r.split("|")) == 11]
    assert len(judged) == 2  # one trained-on concept, one held-out
    photos = [r for r in rows if r not in judged]
    assert len(photos) == len(samples.SAMPLES) and all(r.split("|")[4].strip() for r in photos)  # each photo with its licence
    assert "e2gan train-base --preset shipped" in text


def test_layout_agreement_tells_an_edit_on_the_photo_from_one_placed_in_the_frame():
    from benchmarks.quality import judging_crops, layout_agreement, teacher_edits

    crops = judging_crops(64)[:4]
    concepts = ("pixel_art", "bronze_relief", "old_photo")
    agree = {k: layout_agreement(k, teacher_edits(k, crops, seed=0), 64)["psnr"] for k in concepts}
    assert agree["pixel_art"] >= 50  # 8 px blocks: moving the photo one grid cell moves the blocks with it
    assert agree["bronze_relief"] > 30  # a relief of the photo's own shapes moves with them
    assert agree["old_photo"] < 25  # the vignette and the film's grain stay where the frame puts them


def test_low_poly_and_stained_glass_move_with_the_photo():
    """Their mesh and panes grow from the photo's corners: moved one grid cell in the frame, each teacher
    agrees with itself far better than the random mesh (21.0 dB on these crops) and the frame-seeded panes
    (10.4 dB) they replaced."""
    from benchmarks.quality import judging_crops, layout_agreement, teacher_edits

    crops = judging_crops(256)[:4]
    concepts = ("low_poly", "stained_glass")
    agree = {k: layout_agreement(k, teacher_edits(k, crops, seed=0), 256)["psnr"] for k in concepts}
    assert agree["low_poly"] > 24 and agree["stained_glass"] > 14, agree


def test_base_card_says_where_the_training_time_was_spent():
    from benchmarks.base_card import trained_on

    info = {"cores": 2, "cpu": "AMD EPYC"}
    assert trained_on({"device": "cpu", "threads": 1}, info) == "1 thread(s) of a 2-core CPU (AMD EPYC), no GPU"
    assert trained_on({}, info) == "a 2-core CPU (AMD EPYC), no GPU"
    assert trained_on({"device": "cuda", "threads": 16}, info) == "a cuda device"


def test_quality_quick_mode_reports_references_and_learned_arms():
    arms = "quick-lora,one-base-lora,standard-scratch,quick-scratch,pix2pix"
    (psnr_table, detail, cost, standard, quick_) = tables(quick("benchmarks.quality", "--arms", arms))
    names = ["do nothing", "teacher vs itself", "colour lookup", "base + LoRA, Quick", "1-concept base + LoRA", "E2GAN from scratch, Standard",
             "E2GAN from scratch, Quick", "pix2pix ResNet-9"]  # fmt: skip
    assert len(psnr_table) == 2 + len(names)
    for row, name in zip(psnr_table[2:], names):
        assert name in row
    assert "GMSD" in detail[0] and "camera size" in detail[0]
    assert len(cost) == 2 + 4 and "pix2pix" in cost[0] and "fewer training FLOPs" in cost[0]  # every other arm against pix2pix
    for transfer, learner in ((standard, "1-concept base"), (quick_, "base + LoRA, Quick")):  # base arms against scratch with their own preset
        assert len(transfer) == 2 + 1 and "E2GAN from scratch final" in transfer[0] and "fewer steps" in transfer[0]
        assert learner in transfer[2]


def test_quality_runs_count_only_while_their_settings_match(tmp_path):
    a = Key({"settings": {"lr": 0.008}, "device": "cpu torch.bfloat16 torch 2.14.1"})
    b = Key({"settings": {"lr": 0.008}, "device": "cpu torch.float32 torch 2.14.1"})  # a CPU without native bf16
    store = RunStore(tmp_path / "runs")
    store.put("ink", "pix2pix", 0, a, {"psnr": 20.0}, [np.zeros((8, 8, 3), np.uint8)] * 3)
    store.put("ink", "pix2pix", 1, a, {"psnr": 21.0}, None)
    again = RunStore(tmp_path / "runs")  # a later invocation, maybe another session
    assert [r["psnr"] for r in again.seeds("ink", "pix2pix", a)] == [20.0, 21.0]
    assert again.seeds("ink", "pix2pix", b) == [] and again.get("ink", "pix2pix", 0, b) is None
    assert len(again.outputs("ink", "pix2pix")) == 3
    assert again.stale("ink", "pix2pix", a) is None
    why = again.stale("ink", "pix2pix", b)  # a run that stops matching says which part changed
    assert why.startswith("2 stored runs") and "device: 'cpu torch.bfloat16 torch 2.14.1' → 'cpu torch.float32 torch 2.14.1'" in why
    assert "settings" not in why


def test_run_keys_hash_as_the_fingerprints_stored_before_them():
    """Runs stored before keys kept their parts must still match: a key hashes its parts, a nested key as its digest."""
    inner = Key({"arm": "quick-lora", "pairs": "d4b04205e6581b4a"})
    assert inner.digest == fingerprint(inner.parts)
    outer = Key({"arm": inner, "method": "random", "k": 4})
    assert outer.digest == fingerprint({"arm": inner.digest, "method": "random", "k": 4})
    assert outer.explained()["arm"] == {"arm": "quick-lora", "pairs": "d4b04205e6581b4a"}


def test_ablation_quick_mode_prints_every_variant():
    (found,) = tables(quick("benchmarks.ablation", "--variants", "arch,arch-blind,recipe"))
    assert len(found) == 2 + 3 and "`arch-blind`" in found[3]


def test_standing_table_reads_every_saved_result():
    """The "where we stand" rows come from the committed results, GPU ones included, never typed by hand."""
    from benchmarks import standing

    rows = standing.rows()
    assert rows and all(len(r) == 3 and all(r) for r in rows)
    if standing._load("quality_cuda") is not None:
        assert any("on a GPU" in r[0] for r in rows)


def test_standing_says_when_stored_runs_used_an_earlier_preset():
    from benchmarks.standing import earlier_preset
    from e2gan.presets import get_preset
    from e2gan.samples import SAMPLES

    today = get_preset("standard").steps_for(len(SAMPLES))
    assert earlier_preset({"winter": {"standard-lora": [{"steps": today}]}}) == ""
    assert f"{today + 1} steps, today {today}" in earlier_preset({"winter": {"standard-lora": [{"steps": today + 1}]}})


def test_curves_on_a_log_time_axis_keep_each_arms_colour_across_panels():
    from benchmarks.plot import line_chart, side_by_side

    colours = {"fast": "#ff0000", "slow": "#0000ff"}
    a = line_chart({"fast": [(2, 20), (8, 24)], "slow": [(100, 15), (1500, 19)]}, "a", "s", "dB", (400, 300), log_x=True, colours=colours)
    b = line_chart({"slow": [(0, 14), (50, 18)]}, "b", "s", "dB", (400, 300), log_x=True, colours=colours)  # a 0 s point cannot sit on a log axis
    both = np.asarray(side_by_side([a, b]))
    assert both.shape == (300, 800, 3)
    drawn = lambda img, rgb: bool((np.abs(np.asarray(img).astype(int) - rgb).sum(-1) < 30).any())  # noqa: E731
    assert drawn(a, (255, 0, 0)) and drawn(a, (0, 0, 255)) and drawn(b, (0, 0, 255)) and not drawn(b, (255, 0, 0))
