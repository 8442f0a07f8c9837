"""Stylization and reimagining edits: a full effect image computed once, reached by blending over the amount.

The effect is drawn in `sample` (from the scene's own pixels, with per-sequence random settings) and
`apply(image, scene, amount, params)` returns image + amount (effect - image).
"""
from __future__ import annotations

import math

import numpy as np

from . import imaging
from .scenes import render


def _posterize(image, levels):
    return np.round(image * (levels - 1)) / (levels - 1)


def effect_posterize(image, rng):
    return _posterize(imaging.box_blur(image, 1), int(rng.integers(3, 5)))


def effect_sketch(image, rng):
    gray = imaging.luminance(image)
    dodge = np.clip(gray / (imaging.box_blur(gray, int(rng.integers(2, 4))) + 0.04), 0, 1) ** 3
    paper = 0.96 + 0.03 * imaging.value_noise(rng, image.shape[0], 32, octaves=1)
    return np.repeat((dodge * paper)[..., None], 3, axis=2)


def effect_oil_paint(image, rng):
    size = image.shape[0]
    smooth = imaging.box_blur(image, 2)
    strokes = imaging.resize(rng.random((size // 6, size), dtype=np.float32), (size, size))
    return np.clip(_posterize(smooth, 7) * (0.9 + 0.2 * strokes[..., None]), 0, 1)


def effect_pixelate(image, rng):
    size = image.shape[0]
    block = int(rng.choice([d for d in (6, 8, 12, 16) if size % d == 0] or [8]))
    small = image[: size // block * block, : size // block * block]
    small = small.reshape(size // block, block, size // block, block, 3).mean(axis=(1, 3))
    return np.repeat(np.repeat(small, block, axis=0), block, axis=1)


def effect_sepia(image, rng):
    matrix = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], dtype=np.float32)
    return np.clip(image @ matrix.T * 0.92, 0, 1)


def effect_grayscale(image, rng):
    return np.repeat(imaging.luminance(image)[..., None], 3, axis=2)


def effect_watercolor(image, rng):
    size = image.shape[0]
    soft = _posterize(imaging.box_blur(image, 2), 6) * 0.85 + 0.18
    edges = imaging.gradient_magnitude(imaging.luminance(imaging.box_blur(image, 1)))
    paper = 0.9 + 0.1 * imaging.value_noise(rng, size, 24, octaves=2)
    return np.clip(soft * paper[..., None] - 1.2 * edges[..., None], 0, 1)


def effect_cartoon(image, rng):
    flat = _posterize(imaging.box_blur(image, 2), 4)
    edges = imaging.gradient_magnitude(imaging.luminance(imaging.box_blur(image, 1)))
    ink = np.clip((edges - 0.04) * 25, 0, 1)[..., None]
    return flat * (1 - ink)


def effect_mosaic(image, rng):
    size = image.shape[0]
    tile = int(rng.choice([d for d in (6, 8) if size % d == 0] or [8]))
    n = size // tile
    means = image[: n * tile, : n * tile].reshape(n, tile, n, tile, 3).mean(axis=(1, 3))
    means = np.clip(means * rng.uniform(0.9, 1.1, (n, n, 1)), 0, 1)
    tiles = np.repeat(np.repeat(means, tile, axis=0), tile, axis=1)
    pos = np.arange(size) % tile
    grout = ((pos[:, None] == 0) | (pos[None, :] == 0))[..., None]
    return np.where(grout, np.array([0.35, 0.33, 0.30]), tiles)


def effect_thermal(image, rng):
    gray = imaging.box_blur(imaging.luminance(image), 1)
    stops = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    palette = np.array([[0.0, 0.0, 0.1], [0.4, 0.0, 0.6], [0.9, 0.1, 0.2], [1.0, 0.7, 0.0], [1.0, 1.0, 0.9]])
    return np.stack([np.interp(gray, stops, palette[:, c]) for c in range(3)], axis=-1)


def effect_halftone(image, rng):
    size = image.shape[0]
    cell = int(rng.choice([d for d in (4, 8) if size % d == 0] or [4]))
    n = size // cell
    means = image.reshape(n, cell, n, cell, 3).mean(axis=(1, 3))
    darkness = 1.0 - imaging.luminance(means)
    radius = np.repeat(np.repeat(np.sqrt(darkness) * cell * 0.7, cell, axis=0), cell, axis=1)
    ink = np.repeat(np.repeat(means * 0.7, cell, axis=0), cell, axis=1)
    pos = np.arange(size) % cell - (cell - 1) / 2
    dist = np.sqrt(pos[:, None] ** 2 + pos[None, :] ** 2)
    cover = np.clip(radius - dist + 0.5, 0, 1)[..., None]
    return imaging.lerp(np.array([0.97, 0.95, 0.9]), ink, cover)


def effect_neon(image, rng):
    edges = imaging.gradient_magnitude(imaging.luminance(imaging.box_blur(image, 1)))
    line = np.clip(edges * 12, 0, 1)[..., None]
    hue = rng.uniform(0, 2 * math.pi)
    color = 0.5 + 0.5 * np.array([math.cos(hue), math.cos(hue + 2.1), math.cos(hue + 4.2)])
    glow = imaging.box_blur(line * color, 2) * 1.5
    return np.clip(image * 0.12 + line * (0.5 + 0.5 * color) + glow, 0, 1)


def _crossfade(effect):
    def sample(scene, rng):
        return {"slots": {}, "effect": effect(render(scene), rng).astype(np.float32)}

    def apply(image, scene, amount, params):
        return imaging.lerp(image, params["effect"], amount)
    return sample, apply


# name -> (category, sample, apply)
STYLE_EDITS = {}
for _name, _effect, _category in (
        ("posterize", effect_posterize, "stylization"), ("sketch", effect_sketch, "stylization"),
        ("oil_paint", effect_oil_paint, "stylization"), ("pixelate", effect_pixelate, "stylization"),
        ("sepia", effect_sepia, "stylization"), ("grayscale", effect_grayscale, "stylization"),
        ("watercolor", effect_watercolor, "stylization"), ("cartoon", effect_cartoon, "stylization"),
        ("mosaic", effect_mosaic, "reimagining"), ("thermal", effect_thermal, "reimagining"),
        ("halftone", effect_halftone, "reimagining"), ("neon", effect_neon, "reimagining")):
    STYLE_EDITS[_name] = (_category, *_crossfade(_effect))
