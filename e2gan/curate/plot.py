"""Draw the pair map: an interactive plotly figure for the studio and a PNG for the CLI.

Every point carries its pair id in `customdata`, so clicks and lasso/box selections on the figure can be
turned back into pairs. Colour = cluster, star = selected for training, red cross = flagged, grey = excluded.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

PALETTE = [
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac", "#e15759",
    "#2f4b7c", "#a05195", "#d45087", "#665191", "#ffa600", "#003f5c", "#7a5195", "#ef5675", "#00876c", "#8cbcb9",
]  # fmt: skip


def colour(cluster: int) -> str:
    return "#9e9e9e" if cluster < 0 else PALETTE[cluster % len(PALETTE)]


def figure(points: list[dict], title: str = ""):
    """points: {id, x, y, cluster, selected, flags, excluded, label} → plotly Figure."""
    import plotly.graph_objects as go

    fig = go.Figure()
    layers = [
        ("pairs", [p for p in points if not p["excluded"]], dict(size=9, opacity=0.85)),
        ("excluded", [p for p in points if p["excluded"]], dict(size=8, color="#cfcfcf", symbol="circle-open")),
        ("selected for training", [p for p in points if p["selected"]], dict(size=16, symbol="star", color="rgba(0,0,0,0)", line=dict(width=2, color="#111"))),
        ("flagged", [p for p in points if p["flags"]], dict(size=13, symbol="x-thin-open", color="#d62728", line=dict(width=2, color="#d62728"))),
    ]  # fmt: skip
    for name, pts, marker in layers:
        if name == "pairs":
            marker = {**marker, "color": [colour(p["cluster"]) for p in pts]}
        fig.add_trace(
            go.Scatter(
                x=[p["x"] for p in pts],
                y=[p["y"] for p in pts],
                mode="markers",
                name=name,
                marker=marker,
                customdata=[p["id"] for p in pts],
                hovertext=[_hover(p) for p in pts],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title=title,
        dragmode="lasso",
        clickmode="event+select",
        height=520,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", y=-0.02),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        plot_bgcolor="white",
    )
    return fig


def _hover(p: dict) -> str:
    parts = [f"<b>{p['label']}</b>", f"pair {p['id'][:8]} · cluster {p['cluster'] if p['cluster'] >= 0 else 'manual'}"]
    if p["selected"]:
        parts.append("★ selected for training")
    if p["flags"]:
        parts.append("⚠ " + ", ".join(p["flags"]))
    if p["excluded"]:
        parts.append("excluded")
    return "<br>".join(parts)


def png(points: list[dict], size: tuple[int, int] = (900, 650), title: str = "") -> Image.Image:
    """A static rendering of the same map (no plotly image export needed)."""
    w, h = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    if not points:
        return img
    xy = np.array([[p["x"], p["y"]] for p in points], np.float32)
    lo, hi = xy.min(0), xy.max(0)
    span = np.where(hi - lo > 1e-6, hi - lo, 1.0)
    pix = 40 + (xy - lo) / span * np.array([w - 80, h - 110])
    pix[:, 1] = h - 60 - pix[:, 1] + 20
    for p, (x, y) in zip(points, pix):
        fill = "#cfcfcf" if p["excluded"] else colour(p["cluster"])
        r = 6
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
        if p["selected"]:
            draw.ellipse([x - 10, y - 10, x + 10, y + 10], outline="#111", width=2)
        if p["flags"]:
            draw.line([x - 8, y - 8, x + 8, y + 8], fill="#d62728", width=3)
            draw.line([x - 8, y + 8, x + 8, y - 8], fill="#d62728", width=3)
    draw.text((12, 10), title, fill="black")
    draw.text((12, h - 24), "colour = cluster   ring = selected for training   red cross = flagged   grey = excluded", fill="#333")
    return img
