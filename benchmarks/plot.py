"""Small line charts drawn with PIL, so benchmark figures need no plotting library."""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948"]


def line_chart(series: dict[str, list[tuple[float, float]]], title: str, xlabel: str, ylabel: str,
               size: tuple[int, int] = (900, 520), log_x: bool = False, colours: dict[str, str] | None = None) -> Image.Image:  # fmt: skip
    """One line per series; `log_x` spreads runs of very different lengths (seconds vs half an hour);
    `colours` keeps a series' colour the same across charts (default: by position)."""
    w, h = size
    left, right, top, bottom = 70, 230, 40, 50
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    pts = [p for s in series.values() for p in s if not log_x or p[0] > 0]
    if not pts:
        return img
    fx = (lambda x: math.log10(x)) if log_x else (lambda x: x)  # noqa: E731
    x0, x1 = min(fx(p[0]) for p in pts), max(fx(p[0]) for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    sx = lambda x: left + (fx(x) - x0) / (x1 - x0) * (w - left - right)  # noqa: E731
    sy = lambda y: h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom)  # noqa: E731
    d.rectangle([left, top, w - right, h - bottom], outline="#999")
    for i in range(5):
        yv = y0 + (y1 - y0) * i / 4
        d.text((8, sy(yv) - 6), f"{yv:.1f}", fill="#333")
    for xv in _log_ticks(10**x0, 10**x1) if log_x else [x0 + (x1 - x0) * i / 4 for i in range(5)]:
        d.line([(sx(xv), h - bottom), (sx(xv), h - bottom + 4)], fill="#999")
        d.text((sx(xv) - 10, h - bottom + 6), f"{xv:g}" if log_x else f"{xv:.0f}", fill="#333")
    for i, (name, s) in enumerate(series.items()):
        colour = (colours or {}).get(name, COLOURS[i % len(COLOURS)])
        s = [(x, y) for x, y in s if not log_x or x > 0]
        if len(s) > 1:
            d.line([(sx(x), sy(y)) for x, y in s], fill=colour, width=2)
        for x, y in s:
            d.ellipse([sx(x) - 2, sy(y) - 2, sx(x) + 2, sy(y) + 2], fill=colour)
        d.rectangle([w - right + 15, top + 18 * i + 4, w - right + 27, top + 18 * i + 14], fill=colour)
        d.text((w - right + 32, top + 18 * i + 2), name[:30], fill="#111")
    d.text((left, 12), title, fill="#111")
    d.text(((w - right) // 2, h - 22), xlabel + (" (log scale)" if log_x else ""), fill="#333")
    d.text((8, top - 24), ylabel, fill="#333")
    return img


def side_by_side(charts: list[Image.Image]) -> Image.Image:
    """Charts in one row, e.g. one per concept."""
    out = Image.new("RGB", (sum(c.width for c in charts), max(c.height for c in charts)), "white")
    x = 0
    for c in charts:
        out.paste(c, (x, 0))
        x += c.width
    return out


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2, 5 × powers of ten within [lo, hi]."""
    ticks = [m * 10**e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1) for m in (1, 2, 5)]
    return [t for t in ticks if lo <= t <= hi]
