"""Built-in image edits that need no weights: the offline teachers' actual pixel work.

Each edit is a function `(rgb uint8 (H, W, 3), rng, strength) -> rgb uint8 (H, W, 3)` of the same size,
deterministic for a given rng seed. They are real, local transformations a small generator can learn
(strokes, edges, textures, palettes, relighting), not colour tints, and they give the shipped base model
its concepts. `strength` (0.25–1.5, default 1) scales each edit's main parameter.
"""

from __future__ import annotations

import cv2
import numpy as np

Array = np.ndarray


# -- helpers -------------------------------------------------------------------------------------
def _f(img: Array) -> Array:
    return img.astype(np.float32) / 255.0


def _u8(img: Array) -> Array:
    return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _grey(x: Array) -> Array:
    return x @ np.array([0.299, 0.587, 0.114], np.float32)


def _paper(shape: tuple[int, int], rng: np.random.Generator, grain: float = 0.04) -> Array:
    """A soft paper texture around 1.0."""
    noise = rng.standard_normal(shape).astype(np.float32)
    return 1.0 + grain * cv2.GaussianBlur(noise, (0, 0), 1.2) * 2.0


def _vignette(h: int, w: int, amount: float) -> Array:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2) / np.sqrt(2)
    return (1.0 - amount * r**2)[..., None]


def _edges(x: Array, sigma: float = 1.0) -> Array:
    """Gradient magnitude of the smoothed luminance, in [0, 1]."""
    g = cv2.GaussianBlur(_grey(x), (0, 0), sigma)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx**2 + gy**2)
    return np.clip(mag / (np.percentile(mag, 99) + 1e-6), 0, 1)


def _odd(n: float) -> int:
    n = max(1, int(round(n)))
    return n if n % 2 else n + 1


# -- the edits ----------------------------------------------------------------------------------
def pencil_sketch(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Graphite on paper: colour-dodge of the luminance with its blurred negative, plus hatching grain."""
    g = _grey(_f(img))
    blur = cv2.GaussianBlur(1.0 - g, (0, 0), 6.0 * strength)
    dodge = np.clip(g / np.maximum(1.0 - blur, 1e-3), 0, 1)
    hatch = cv2.GaussianBlur(rng.standard_normal(g.shape).astype(np.float32), (0, 0), 0.6)
    hatch = cv2.filter2D(hatch, -1, np.eye(5, dtype=np.float32) / 5)  # diagonal strokes
    out = dodge**1.6 * _paper(g.shape, rng, 0.02) - 0.06 * np.abs(hatch) * (1 - dodge)
    return _u8(np.repeat(np.clip(out, 0, 1)[..., None], 3, axis=2))


def watercolour(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Flat washes with darker pigment at their borders, lighter colours, on textured paper."""
    smooth = _f(cv2.stylization(img, sigma_s=40 * strength, sigma_r=0.35))
    borders = cv2.Laplacian(cv2.GaussianBlur(_grey(smooth), (0, 0), 1.5), cv2.CV_32F, ksize=3)
    pooled = smooth - 0.8 * np.clip(borders, 0, None)[..., None]
    washed = 0.82 * pooled + 0.18  # pigment thins toward the paper's white
    bleed = cv2.GaussianBlur(washed, (0, 0), 1.0)
    return _u8(bleed * _paper(img.shape[:2], rng, 0.05)[..., None])


def cartoon(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Flat colour regions (bilateral smoothing + quantisation) with bold black outlines."""
    smooth = img
    for _ in range(max(1, int(round(3 * strength)))):
        smooth = cv2.bilateralFilter(smooth, 7, 40, 7)
    levels = 6
    flat = np.round(_f(smooth) * (levels - 1)) / (levels - 1)
    grey = cv2.medianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 5)
    lines = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 4)
    return _u8(flat * (_f(lines)[..., None]))


def oil_paint(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Kuwahara filter (brush-like flat strokes that keep edges) with a light impasto relief."""
    x = _f(cv2.bilateralFilter(img, 5, 30, 5))
    r = max(2, int(round(6 * strength)))
    k = r + 1
    mean = cv2.blur(x, (k, k))
    sq = cv2.blur(x * x, (k, k))
    var = (sq - mean**2).sum(axis=2)
    h, w = var.shape
    best_mean = np.zeros_like(x)
    best_var = np.full((h, w), np.inf, np.float32)
    for dy in (-r // 2, r // 2):
        for dx in (-r // 2, r // 2):
            shift = np.float32([[1, 0, dx], [0, 1, dy]])
            m = cv2.warpAffine(mean, shift, (w, h), borderMode=cv2.BORDER_REFLECT)
            v = cv2.warpAffine(var, shift, (w, h), borderMode=cv2.BORDER_REFLECT)
            better = v < best_var
            best_var = np.where(better, v, best_var)
            best_mean = np.where(better[..., None], m, best_mean)
    relief = cv2.filter2D(_grey(best_mean), -1, np.array([[-1, -1, 0], [-1, 0, 1], [0, 1, 1]], np.float32))
    lum = _grey(best_mean)[..., None]
    saturated = lum + 1.5 * (best_mean - lum)
    canvas = _paper(x.shape[:2], rng, 0.04)[..., None]
    return _u8((saturated + 0.35 * relief[..., None]) * canvas)


def old_photo(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Sepia toning, faded contrast, soft focus, vignette, film grain and scratches."""
    x = cv2.GaussianBlur(_f(img), (0, 0), 0.8)
    sepia = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
    x = np.clip(x @ sepia.T, 0, 1)
    x = 0.12 + 0.78 * x  # faded blacks and whites
    h, w = x.shape[:2]
    x = x * _vignette(h, w, 0.55 * strength)
    grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 0.7)
    x = x + 0.05 * strength * grain[..., None]
    for _ in range(int(rng.integers(2, 6))):
        col = int(rng.integers(0, w))
        x[:, col : col + 1] = np.clip(x[:, col : col + 1] + float(rng.uniform(0.1, 0.25)), 0, 1)
    return _u8(x)


def night(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Day to night: darker, bluer and less saturated, with bright areas glowing like lamps."""
    x = _f(img)
    lum = _grey(x)[..., None]
    dark = (0.35 * lum + 0.65 * x) ** (1.0 + 1.2 * strength) * 0.55
    dark = dark * np.array([0.55, 0.75, 1.25], np.float32)
    lights = np.clip((lum[..., 0] - 0.7) / 0.3, 0, 1)
    glow = cv2.GaussianBlur(lights, (0, 0), 6.0)[..., None]
    warm = np.array([1.0, 0.85, 0.5], np.float32)
    h, w = x.shape[:2]
    return _u8((dark + 0.9 * glow * warm) * _vignette(h, w, 0.6))


def winter(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Cold light, snow settled on upward-facing edges and flat tops, falling snowflakes."""
    x = _f(img)
    lum = _grey(x)[..., None]
    cold = (0.45 * lum + 0.55 * x) * np.array([0.9, 0.97, 1.1], np.float32) + 0.08
    g = cv2.GaussianBlur(_grey(x), (0, 0), 1.5)
    tops = np.clip(-cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=5) * 1.5, 0, 1)  # brighter below than above
    flat = np.clip(1 - 6 * _edges(x, 2.0), 0, 1) * np.clip(lum[..., 0] * 1.2, 0, 1)
    snow = np.clip(cv2.GaussianBlur(np.maximum(tops, 0.5 * flat), (0, 0), 1.0) * strength, 0, 1)[..., None]
    h, w = g.shape
    flakes = (rng.random((h, w)) > 0.994).astype(np.float32)
    flakes = np.clip(cv2.GaussianBlur(flakes, (0, 0), 0.9) * 6, 0, 1)[..., None]
    out = cold * (1 - snow) + snow * 0.97
    return _u8(out * (1 - flakes) + flakes)


def pop_art(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Warhol-style: four bold flat colours by brightness, halftone dots in the mid-tones, black outlines."""
    x = _f(cv2.bilateralFilter(img, 9, 60, 9))
    lum = _grey(x)
    palette = np.array([[0.08, 0.05, 0.25], [0.95, 0.1, 0.55], [0.1, 0.75, 0.95], [1.0, 0.92, 0.1]], np.float32)
    bands = np.clip((lum * 4).astype(int), 0, 3)
    out = palette[bands]
    h, w = lum.shape
    y, xx = np.mgrid[0:h, 0:w]
    period = max(3, int(round(6 / strength)))
    dots = (((y % period) - period / 2) ** 2 + ((xx % period) - period / 2) ** 2) < (period / 3) ** 2
    mid = (bands == 1) | (bands == 2)
    out = np.where((dots & mid)[..., None], out * 0.55, out)
    lines = _edges(x, 1.2) > 0.35
    return _u8(np.where(lines[..., None], 0.0, out))


def neon(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Glowing neon outlines in the image's own saturated hues on a near-black background."""
    x = _f(img)
    e = _edges(x, 1.2) ** 0.8
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = 255
    hsv[..., 2] = 255
    vivid = _f(cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB))
    line = vivid * e[..., None]
    glow = cv2.GaussianBlur(line, (0, 0), 4.0 * strength)
    return _u8(0.04 * x + 1.3 * line + 1.6 * glow)


def ink(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Sumi-e ink: black strokes where edges are strong, grey washes for shadows, on rice paper."""
    x = _f(img)
    g = cv2.GaussianBlur(_grey(x), (0, 0), 1.0)
    strokes = np.clip(_edges(x, 1.5) * 2.2 * strength, 0, 1)
    wash = np.round(cv2.GaussianBlur(g, (0, 0), 3.0) * 3) / 3  # three ink dilutions
    tone = np.clip(0.25 + 0.75 * wash, 0, 1) * (1 - strokes)
    paper = _paper(g.shape, rng, 0.03)[..., None] * np.array([1.0, 0.97, 0.9], np.float32)
    return _u8(tone[..., None] * paper)


def thermal(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """A thermal camera: heat from brightness and local contrast, blurred, in the inferno palette."""
    x = _f(img)
    lum = cv2.GaussianBlur(_grey(x), (0, 0), 2.5 * strength)
    local = lum - cv2.GaussianBlur(lum, (0, 0), 12)
    heat = np.clip(0.75 * lum + 1.5 * local + 0.1, 0, 1)
    coloured = cv2.applyColorMap(_u8(heat[..., None])[..., 0], cv2.COLORMAP_INFERNO)
    return cv2.cvtColor(coloured, cv2.COLOR_BGR2RGB)


def _corners(img: Array, n: int, min_distance: int, quality: float) -> Array:
    """Up to `n` strong corners of the photo as (x, y) float32: chosen by the photo alone, so a mesh or panes
    built on them move with the subject, not the frame, and a filter can learn where they go."""
    grey = cv2.cvtColor(cv2.GaussianBlur(img, (0, 0), 1.0), cv2.COLOR_RGB2GRAY)
    found = cv2.goodFeaturesToTrack(grey, maxCorners=n, qualityLevel=quality, minDistance=min_distance, blockSize=5)
    return found.reshape(-1, 2) if found is not None else np.zeros((0, 2), np.float32)


def low_poly(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Flat-shaded triangles of a Delaunay mesh over the photo's corners, each filled with its mean colour."""
    from scipy.spatial import Delaunay

    h, w = img.shape[:2]
    if min(h, w) < 2:
        return img.copy()
    n = int(120 * strength * (h * w) / 256**2) + 30
    xs, ys = sorted({*range(0, w, 32), w - 1}), sorted({*range(0, h, 32), h - 1})
    rim = sorted({(x, y) for x in xs for y in (0, h - 1)} | {(x, y) for y in ys for x in (0, w - 1)})
    pts = np.concatenate([_corners(img, n, max(4, round(10 / strength**0.5)), 0.01), np.float32(rim)])
    blurred = cv2.GaussianBlur(img, (0, 0), 2.0)
    out = np.zeros_like(img)
    for simplex in Delaunay(pts).simplices:
        corners = np.round(pts[simplex]).astype(np.int32)
        (x0, y0), (x1, y1) = corners.min(0), corners.max(0) + 1  # the triangle's box: a mask of the whole
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)  # frame per triangle costs seconds on large photos
        cv2.fillConvexPoly(mask, corners - (x0, y0), 1)
        box = blurred[y0:y1, x0:x1]
        colour = cv2.mean(box, mask)[:3] if mask.any() else blurred[corners[0, 1], corners[0, 0]].tolist()
        cv2.fillConvexPoly(out, corners, colour, lineType=cv2.LINE_8)
    return out


def pixel_art(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Chunky 8 px blocks, each channel snapped to 4 levels (a 64-colour palette), like an 8-bit game."""
    h, w = img.shape[:2]
    block = max(2, int(round(8 * strength)))
    small = cv2.resize(img, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA)
    levels = np.array([0, 85, 170, 255], np.float32)
    quant = levels[np.abs(small[..., None].astype(np.float32) - levels).argmin(-1)].astype(np.uint8)
    return cv2.resize(quant, (w, h), interpolation=cv2.INTER_NEAREST)


def bronze_relief(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """An embossed bronze plaque: lit relief from the image's shapes, metallic palette."""
    g = cv2.GaussianBlur(_grey(_f(img)), (0, 0), 1.2)
    kernel = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32) * strength
    relief = np.clip(cv2.filter2D(g, -1, kernel) * 0.5 + 0.5, 0, 1)
    dark, light = np.array([0.25, 0.14, 0.05], np.float32), np.array([1.0, 0.82, 0.5], np.float32)
    return _u8(dark + (light - dark) * relief[..., None] ** 1.3)


def stained_glass(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Panes of saturated colour separated by dark lead lines, grown from the photo's corners along its edges
    (a compact watershed), so they outline the subject and mostly move with it."""
    from skimage.segmentation import find_boundaries, watershed

    h, w = img.shape[:2]
    n = int(150 * strength * h * w / 256**2) + 20
    spacing = max(4, round(12 / strength**0.5))  # stronger: smaller panes
    seeds = np.round(_corners(img, n, spacing, 0.002)).astype(int)
    markers = np.zeros((h, w), np.int32)
    markers[seeds[:, 1], seeds[:, 0]] = np.arange(1, len(seeds) + 1)
    x = _f(img)
    panes = watershed(_edges(x, 1.5), markers, compactness=0.002) if len(seeds) else np.ones((h, w), np.int32)
    means = np.zeros((panes.max() + 1, 3), np.float32)
    np.add.at(means, panes.ravel(), x.reshape(-1, 3))
    counts = np.bincount(panes.ravel(), minlength=len(means))[:, None]
    flat = (means / np.maximum(counts, 1))[panes]
    lum = _grey(flat)[..., None]
    vivid = np.clip(lum + 1.6 * (flat - lum), 0, 1) * 1.1
    lead = cv2.dilate(find_boundaries(panes).astype(np.uint8), np.ones((2, 2), np.uint8)).astype(bool)
    return _u8(np.where(lead[..., None], 0.05, vivid))


def _noise(shape: tuple[int, int], rng: np.random.Generator, sigma: float) -> Array:
    """Smooth random field with unit spread: blotches of about `sigma` px."""
    n = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), sigma)
    return n / (n.std() + 1e-6)


def zombie(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Undead skin: sickly grey-green, sunken dark hollows, mottled bruises and faint veins."""
    x = _f(img)
    lum = _grey(x)
    pale = 0.7 * lum[..., None] + 0.3 * x
    sick = pale * np.array([0.8, 0.95, 0.72], np.float32) + np.array([0.03, 0.07, 0.03], np.float32)
    hollows = np.clip(cv2.GaussianBlur(lum, (0, 0), 4.0) - lum, 0, 1)  # eyes, mouth, creases go darker
    sick *= np.clip(1.0 - 6.0 * strength * hollows, 0.05, 1)[..., None]
    h, w = lum.shape
    bruise = np.clip(_noise((h, w), rng, 10.0) - 0.6, 0, 1.5)[..., None]
    sick = sick * (1 - 0.35 * bruise) + 0.35 * bruise * np.array([0.3, 0.12, 0.28], np.float32) * sick
    veins = np.exp(-((_noise((h, w), rng, 3.0) / 0.08) ** 2))[..., None] * np.clip(lum - 0.35, 0, 1)[..., None]
    sick = sick * (1 - 0.5 * veins) + 0.5 * veins * np.array([0.25, 0.2, 0.35], np.float32)
    return _u8(np.clip(sick, 0, 1) ** 1.15 * _vignette(h, w, 0.5))


def golden_hour(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Low warm sunlight: golden highlights, amber shadows, a glow from the upper left and soft bloom."""
    x = _f(img)
    h, w = x.shape[:2]
    curve = x * x * (3 - 2 * x)  # gentle S-curve: richer contrast
    warm = curve * np.array([1.12, 0.93, 0.66], np.float32) + np.array([0.07, 0.03, 0.0], np.float32)
    y, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sun = np.exp(-((xx / w) ** 2 + (y / h) ** 2) / (0.45 * strength))[..., None]  # light from the top-left corner
    lum = _grey(x)
    bloom = cv2.GaussianBlur(np.clip(lum - 0.6, 0, 1), (0, 0), 6.0)[..., None]
    glow = np.array([1.0, 0.68, 0.28], np.float32)
    return _u8(warm * (0.8 + 0.35 * sun) + (0.25 * sun + 1.4 * bloom) * glow)


def blueprint(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """An architect's blueprint: thin white lines on Prussian blue paper with a drafting grid."""
    x = _f(img)
    h, w = x.shape[:2]
    lines = np.clip((_edges(x, 1.0) - 0.15) * 2.5 * strength, 0, 1)
    y, xx = np.mgrid[0:h, 0:w]
    grid = (((y % 16) == 0) | ((xx % 16) == 0)).astype(np.float32) * 0.18
    shade = 0.12 * cv2.GaussianBlur(_grey(x), (0, 0), 2.0)
    paper = np.array([0.06, 0.22, 0.48], np.float32) * _paper((h, w), rng, 0.03)[..., None]
    ink = np.clip(np.maximum(lines, grid) + shade, 0, 1)[..., None]
    return _u8(paper * (1 - ink) + ink * np.array([0.92, 0.96, 1.0], np.float32))


def charcoal(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Charcoal on toned paper: smudged soft shading, bold contours, the paper's tooth showing through."""
    x = _f(img)
    g = cv2.GaussianBlur(_grey(x), (0, 0), 2.0)
    shade = np.clip(1.1 - 1.3 * g, 0, 1) ** 1.6  # only the real darks go dark
    contours = np.clip(cv2.GaussianBlur(_edges(x, 1.5), (0, 0), 1.2) * 1.8 * strength, 0, 1)
    tooth = np.clip(_paper(g.shape, rng, 0.12), 0.6, 1.4)
    dark = np.clip(shade * tooth + contours, 0, 1)  # charcoal sits on the paper's ridges first
    paper = np.array([0.88, 0.85, 0.79], np.float32)
    return _u8(paper * (1 - 0.9 * dark[..., None]))


_BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) / 16 + 1 / 32


def _screen(ink: Array, turn: bool) -> Array:
    """Ordered dither on the frame's 4 px grid (turned for the second ink): a print screen, not noise."""
    h, w = ink.shape
    cell = _BAYER.T if turn else _BAYER
    return (ink > np.tile(cell, (h // 4 + 1, w // 4 + 1))[:h, :w]).astype(np.float32)


def risograph(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """A two-ink risograph print: blue and fluorescent pink layers, screened and slightly misregistered."""
    x = _f(cv2.GaussianBlur(img, (0, 0), 0.8))
    lum = _grey(x)
    blue_ink = np.clip((0.95 - lum) * 1.25, 0, 1)  # shadows and mid-tones
    pink_ink = np.clip((x[..., 0] - 0.5 * (x[..., 1] + x[..., 2])) * 1.8 + 0.25 * (1 - lum), 0, 1)  # warm areas
    shift = int(round(2 * strength))
    pink_ink = np.roll(pink_ink, (shift, -shift), axis=(0, 1))  # the second drum's misregistration
    blue, pink = _screen(blue_ink, False), _screen(pink_ink, True)
    paper = np.array([0.97, 0.95, 0.9], np.float32)
    out = paper * (1 - blue[..., None] * np.array([0.88, 0.62, 0.2], np.float32))
    return _u8(out * (1 - pink[..., None] * np.array([0.02, 0.7, 0.3], np.float32)))


def glitch(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """A broken video signal: split colour channels, a few torn horizontal bands, scanlines."""
    x = _f(img)
    h, w = x.shape[:2]
    s = max(1, int(round(4 * strength)))
    out = np.stack([np.roll(x[..., 0], s, 1), x[..., 1], np.roll(x[..., 2], -s, 1)], -1)
    for _ in range(int(rng.integers(2, 5))):
        top, rows = int(rng.integers(0, h)), int(rng.integers(2, max(3, h // 16)))
        out[top : top + rows] = np.roll(out[top : top + rows], int(rng.integers(-w // 8, w // 8 + 1)), 1)
    levels = np.round(out * 6) / 6  # a coarse digital palette
    out = 0.6 * out + 0.4 * levels
    scan = np.where((np.arange(h) % 3) == 0, 0.7, 1.0).astype(np.float32)[:, None, None]
    return _u8(np.clip(out * 1.1 - 0.03, 0, 1) * scan)


def underwater(img: Array, rng: np.random.Generator, strength: float = 1.0) -> Array:
    """Under the sea: red light absorbed, blue-green haze deepening downwards, rippling caustics."""
    x = _f(img)
    h, w = x.shape[:2]
    depth = np.linspace(0.3, 1.0, h, dtype=np.float32)[:, None, None] * strength
    absorbed = x * np.exp(-depth * np.array([2.2, 0.6, 0.3], np.float32))
    haze = np.array([0.05, 0.35, 0.45], np.float32)
    out = absorbed * (1 - 0.45 * depth) + haze * 0.45 * depth
    ripple = _noise((h, w), rng, 6.0)
    caustics = np.exp(-((ripple / 0.25) ** 2)) * np.linspace(1.0, 0.2, h, dtype=np.float32)[:, None]
    return _u8(out + 0.22 * caustics[..., None] * np.array([0.7, 1.0, 0.95], np.float32))
