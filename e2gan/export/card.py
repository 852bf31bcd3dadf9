"""The model card that ships inside every export: what the filter is, how it was made, how it measured."""

from __future__ import annotations


def model_card(report: dict) -> str:
    r = report
    teacher = r.get("teacher") or {}
    train = r.get("training") or {}
    lines = [
        f"# {r['title']}",
        "",
        f"A real-time image filter made with E2GAN Studio: **“{r['prompt']}”**.",
        "",
        "## How it was made",
        f"- Teacher: {teacher.get('kind', '?')} `{teacher.get('name', '?')}` with settings `{teacher.get('settings', {})}`",
        f"- Teacher licence: {teacher.get('licence', 'unknown')}. Outputs of this filter inherit any obligations of "
        "the teacher's licence; check it before commercial use.",
        f"- Data: {r['data']['sources']} source photos → {r['data']['pairs']} teacher pairs → "
        f"{r['data']['trained_on']} used for training ({r['data']['rejected']} rejected by hand).",
        f"- Training: {train.get('mode', '?')} from base `{train.get('base') or 'none'}`, {train.get('steps', '?')} steps "
        f"on {train.get('crop', '?')} px crops, learning rate {train.get('lr', '?')}, seed {train.get('seed', '?')}.",
    ]
    if train.get("lora"):
        lines.append(f"- LoRA ranks per layer group: `{train['lora']['ranks']}`")
    if r.get("fit"):
        lines.append(f"- Fit to the teacher on its training pairs: {r['fit'].get('fit_psnr', '?')} dB PSNR, SSIM {r['fit'].get('fit_ssim', '?')}.")
    if r.get("quality"):
        from e2gan.evaluate import describe

        lines.append(f"- Quality against the teacher: {describe(r['quality'])}.")
    lines += [
        "",
        "## Files and contract",
        "Input `image`: float32 RGB (N, 3, H, W) in [0, 1], H and W multiples of 8 (Core ML: fixed 1×3×R×R).",
        "Output `image_out`: the same shape and range.",
        "",
        "| file | format | size |",
        "|---|---|---|",
    ]
    lines += [f"| `{f['file']}` | {f['format']} | {f['bytes'] / 1e6:.2f} MB |" for f in r["files"]]
    lines += ["", "## Verification", "", "| export | compared with | max abs error | PSNR dB | check | passed |", "|---|---|---|---|---|---|"]
    for p in r["parity"]:
        lines.append(f"| {p['name']} | {p['reference']} | {p['max_abs']:.2e} | {p['psnr']:.1f} | {p['threshold']} | {'✅' if p['passed'] else '❌'} |")
    if r.get("latency_ms"):
        lines += ["", f"## Measured latency ({r['machine']}, batch 1, {r['pixel_scale']} px)", ""]
        lines += [f"- {name}: {ms:.1f} ms ({1000 / ms:.1f} fps)" for name, ms in r["latency_ms"].items()]
    if r.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in r["notes"]]
    lines += ["", f"Exported {r['created']} by E2GAN Studio {r['version']}."]
    return "\n".join(lines) + "\n"
