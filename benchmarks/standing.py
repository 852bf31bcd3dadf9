"""Print BENCHMARKS.md's "where we stand" table from the benchmarks' saved results (never typed by hand).

    python -m benchmarks.standing

Each row reads one results/*.json written by a benchmark script; a claim whose benchmark has not been run
with the generator that ships says so instead of quoting an old number.
"""

from __future__ import annotations

import json
import re

import numpy as np

from benchmarks.report import DOC, RESULTS, table

PAPER = {"time": 4.8, "flops": 14.0}


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def inference_row(r: dict, gpu: dict | None) -> list[str]:
    e2gan, p2p = r["results"]["E2GAN (default)"], r["results"]["pix2pix ResNet-9"]
    flops, latency = p2p["gflops"] / e2gan["gflops"], p2p["ort_ms"] / e2gan["ort_ms"]
    verdict = "ahead of our target (≥ 10x FLOPs, ≥ 6x latency)" if flops >= 10 and latency >= 6 else "**behind** our target"
    measured = (f"{flops:.0f}x fewer FLOPs; {latency:.0f}x lower latency in onnxruntime on {r['machine']['cores']} CPU cores; "
                f"{1000 / e2gan['ort_ms']:.0f} fps fp32, {1000 / e2gan['int8_ms']:.0f} fps int8 at 256 px")  # fmt: skip
    if gpu is not None:  # the target is a CPU's or a phone's; say plainly what a datacenter GPU shows
        g, gp = gpu["results"]["E2GAN (default)"], gpu["results"]["pix2pix ResNet-9"]
        measured += f"; on an {gpu['machine']['gpu']} at batch 1, {gp['fp32_ms'] / g['fp32_ms']:.1f}x the speed ({g['fp32_ms']:.1f} vs {gp['fp32_ms']:.1f} ms)"
    return ["The generator is far cheaper than pix2pix's ResNet-9", measured, verdict]


def quality_rows(q: dict) -> list[list[str]]:
    res = q["results"]
    concepts = list(res)
    rows = []
    if "quick-lora" in res[concepts[0]]:
        mean = lambda c: float(np.mean([x["psnr"] for x in res[c]["quick-lora"]]))  # noqa: E731
        avg = float(np.mean([mean(c) for c in concepts]))
        nothing = float(np.mean([res[c]["nothing"]["psnr"] for c in concepts]))
        beats_lookup = [c for c in concepts if mean(c) > res[c]["lookup"]["psnr"]]
        times = [x["wall_s"] for c in concepts for x in res[c]["quick-lora"]]
        secs, slowest = float(np.median(times)), max(times)
        ok = avg >= 22 and avg - nothing >= 8 and len(beats_lookup) == len(concepts)
        rows.append([
            "A filter reproduces its teacher's edit (default CPU path: base + LoRA, Quick)",
            f"{avg:.1f} dB held-out PSNR on {', '.join(concepts)} ({avg - nothing:+.1f} dB over doing nothing; beats the "
            f"colour lookup on {len(beats_lookup)} of {len(concepts)}); {secs:.0f} s of training (median of "
            f"{len(times)} runs; slowest {slowest:.0f} s)",
            "target met (≥ 22 dB, ≥ +8 dB, beats the lookup everywhere)" if ok else "**behind** our target (≥ 22 dB, ≥ +8 dB, beats the lookup everywhere)",
        ])  # fmt: skip
    if any("standard-lora" in res[c] and "pix2pix" in res[c] for c in concepts):
        rows.append(cost_row(res, concepts))
    else:
        rows.append(["Base + LoRA reaches pix2pix's quality with 4.8x less time and 14x fewer FLOPs",
                     "not yet measured with the generator that ships (`python -m benchmarks.quality --arms standard-lora,pix2pix`)",
                     "unknown"])  # fmt: skip
    return rows


def cost_row(res: dict, concepts: list[str]) -> list[str]:
    """Base + LoRA (Standard) vs pix2pix from scratch: time and FLOPs to reach pix2pix's final quality."""
    from benchmarks.quality import reach

    claim = "Base + LoRA reaches pix2pix's quality with 4.8x less time and 14x fewer FLOPs"
    measured = [c for c in concepts if "standard-lora" in res[c] and "pix2pix" in res[c]]
    found = {c: reach(res, c, "standard-lora") for c in measured}
    lora_seeds, p2p_seeds = (sorted({len(res[c][arm]) for c in measured}) for arm in ("standard-lora", "pix2pix"))
    seeds = f"base + LoRA {_span(lora_seeds)} seed(s), pix2pix {_span(p2p_seeds)}"
    missed = [c for c, r in found.items() if r.reached < r.runs]
    if missed:
        return [claim, f"base + LoRA did not reach pix2pix's final quality on {', '.join(missed)} in every run within the Standard budget", "**behind**"]
    if len(measured) < len(concepts):  # published as the runs land: say how far it got
        t, f = min(r.time_ratio for r in found.values()), min(r.flops_ratio for r in found.values())
        return [claim, f"so far on {', '.join(measured)} only ({seeds}): {t:.1f}x less time and {f:.0f}x fewer training FLOPs "
                       f"(not yet run: {', '.join(c for c in concepts if c not in measured)})", "unknown until every held-out concept is measured"]  # fmt: skip
    t, f = min(r.time_ratio for r in found.values()), min(r.flops_ratio for r in found.values())
    verdict = "ahead of the paper" if t >= PAPER["time"] and f >= PAPER["flops"] else ("shown, behind the paper's ratios" if t > 1 and f > 1 else "**behind**")
    return [claim, f"on every held-out concept ({seeds}), at least {t:.1f}x less time and {f:.0f}x fewer training FLOPs", verdict]


def _span(counts: list[int]) -> str:
    return f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def earlier_preset(res: dict, arm: str = "standard-lora") -> str:
    """A note when an arm's stored runs trained another number of steps than its preset gives today."""
    from benchmarks.quality import ARMS
    from e2gan.presets import get_preset
    from e2gan.samples import SAMPLES

    runs = [x for r in res.values() for x in r.get(arm, [])]
    today = get_preset(ARMS[arm].preset).steps_for(len(SAMPLES))  # the quality benchmark trains on the sample set
    steps = sorted({x["steps"] for x in runs if x.get("steps") is not None})
    return "" if not steps or steps == [today] else f" (an earlier {ARMS[arm].preset} preset: {_span(steps)} steps, today {today})"


def transfer_row(res: dict, concepts: list[str], preset: str = "standard") -> list[str]:
    """Base + LoRA vs E2GAN from scratch with the same preset, and (where it was run) the 12-concept base vs a
    1-concept base."""
    from benchmarks.quality import ARMS, reach

    lora, scratch, title = f"{preset}-lora", f"{preset}-scratch", preset.capitalize()
    compares_bases = ARMS["one-base-lora"].preset == preset
    claim = ("A base of many concepts transfers: base + LoRA reaches from-scratch quality in ≥ 3x fewer steps"
             + (", and beats a 1-concept base" if compares_bases else "") + f" ({title} preset)")
    measured = [c for c in concepts if lora in res[c] and scratch in res[c]]
    if not measured:
        return [claim, f"not yet measured with the generator that ships (`python -m benchmarks.quality --arms {lora},{scratch}`)", "unknown"]
    found = {c: reach(res, c, lora, scratch) for c in measured}
    seeds = min(min(len(res[c][lora]), len(res[c][scratch])) for c in measured)
    if missed := [c for c, r in found.items() if r.reached < r.runs]:
        return [claim, f"base + LoRA did not reach from-scratch quality on {', '.join(missed)} in every run", "**behind**"]
    steps, secs = min(r.step_ratio for r in found.values()), min(r.time_ratio for r in found.values())
    text = f"{steps:.1f}x fewer steps and {secs:.1f}x less time at worst ({', '.join(measured)}; {seeds} seed(s))"
    one = [c for c in measured if "one-base-lora" in res[c]] if compares_bases else []
    final = lambda c, a: float(np.mean([x["psnr"] for x in res[c][a]]))  # noqa: E731
    beats = [c for c in one if final(c, lora) > final(c, "one-base-lora")]
    if compares_bases:
        text += f"; the 12-concept base beats the 1-concept base on {len(beats)} of {len(one)} measured" if one else "; 1-concept base not yet run"
    done = len(measured) == len(concepts) and (len(one) == len(concepts) or not compares_bases)
    ok = steps >= 3 and secs > 1 and len(beats) == len(one)
    verdict = "**behind** the target" if not ok else "target met" if done else "unknown until every held-out concept is measured"
    return [claim, text, verdict]


def data_reduction_row(d: dict) -> list[str]:
    claim = "Data reduction: a clustered subset trains a better filter than a random one of the same size"
    if "psnr" not in d:
        return [claim, "not yet measured with the generator that ships (`python -m benchmarks.data_reduction`)", "unknown"]
    from benchmarks.data_reduction import interval, verdict

    psnr, parts = d["psnr"], []
    for name in sorted((n for n in psnr if n.startswith("cluster-")), key=lambda n: int(n.split("-")[1])):
        k = name.split("-")[1]
        c, r = psnr[name], psnr.get(f"random-{k}", [])
        n = min(len(c), len(r))
        mean, half = interval([a - b for a, b in zip(c[:n], r[:n])])
        parts.append(f"K = {k}: {mean:+.2f} ± {half:.2f} dB ({verdict(mean, half)})")
    verdicts = {p.split("(")[-1].rstrip(")") for p in parts}
    summary = "shown" if verdicts == {"clustered better"} else "not shown here: random stays a selectable baseline"
    return [claim, "; ".join(parts) + " (clustered − random, 95% CI)", summary]


def rows() -> list[list[str]]:
    out = []
    if (r := _load("inference")) is not None:
        out.append(inference_row(r, _load("inference_cuda")))
    if (q := _load("quality")) is not None:
        out += quality_rows(q)
    if (g := _load("quality_cuda")) is not None and any("standard-lora" in r and "pix2pix" in r for r in g["results"].values()):
        row = cost_row(g["results"], list(g["results"]))
        out.append([f"{row[0]}, on a GPU ({g['machine']['gpu']}){earlier_preset(g['results'])}", *row[1:]])
    if q is not None:
        out += [transfer_row(q["results"], list(q["results"]), preset) for preset in ("quick", "standard")]
    if (d := _load("data_reduction")) is not None:
        out.append(data_reduction_row(d))
    return out


def main() -> None:
    body = table(["E2GAN's claim", "measured here", "verdict"], rows())
    text = DOC.read_text()
    pattern = re.compile(r"<!-- standing:start -->.*?<!-- standing:end -->", re.S)
    section = f"<!-- standing:start -->\n{body}\n<!-- standing:end -->"
    DOC.write_text(pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + f"\n\n{section}\n")
    print(body)


if __name__ == "__main__":
    main()
