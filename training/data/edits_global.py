"""Whole-image edits that grow with the amount itself (not a crossfade): lighting, weather, colour grading.

Each is `apply(image, scene, amount, params)` with parameters drawn once per sequence by `sample(scene, rng)`.
"""
from __future__ import annotations

import math

import numpy as np

from . import imaging
from .instructions import DIRECTIONS


def _none(scene, rng):
    return {"slots": {}}


def apply_night(image, scene, amount, params):
    tint = imaging.lerp(np.ones(3), np.array([0.32, 0.38, 0.62]), amount)
    gamma = 1.0 + 0.6 * amount
    return np.clip(image ** gamma * tint, 0, 1)


def sample_sunset(scene, rng):
    return {"slots": {}, "sun": (float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.15, 0.45)))}


def apply_sunset(image, scene, amount, params):
    x, y = imaging.coords(image.shape[0])
    sx, sy = params["sun"]
    glow = np.exp(-((x - sx) ** 2 + (y - sy) ** 2) * 6)[..., None]
    grade = imaging.lerp(np.array([1.15, 0.72, 0.45]), np.array([0.85, 0.55, 0.75]), y[..., None])
    graded = image * grade + 0.35 * glow * np.array([1.0, 0.6, 0.2])
    return np.clip(imaging.lerp(image, graded, amount), 0, 1)


def sample_fog(scene, rng):
    size = scene.size
    return {"slots": {}, "density": imaging.value_noise(rng, size, 3)[..., None].astype(np.float32),
            "color": np.array([0.82, 0.84, 0.86]) + rng.uniform(-0.04, 0.04, 3)}


def apply_fog(image, scene, amount, params):
    x, y = imaging.coords(image.shape[0])
    depth = (0.55 + 0.45 * (1.0 - y))[..., None] * (0.75 + 0.25 * params["density"])
    return np.clip(imaging.lerp(image, params["color"], amount * 0.8 * depth), 0, 1)


def sample_snow(scene, rng):
    size = scene.size
    count = int(size * size / 60)
    layer_alpha = np.zeros((size, size), dtype=np.float32)
    threshold = np.full((size, size), 2.0, dtype=np.float32)
    xs, ys = rng.integers(0, size, count), rng.integers(0, size, count)
    starts = rng.uniform(0.0, 0.75, count).astype(np.float32)
    big = rng.random(count) < 0.3
    for dx, dy, only_big in ((0, 0, False), (1, 0, True), (0, 1, True), (1, 1, True)):
        sel = big if only_big else np.ones(count, dtype=bool)
        yy, xx = np.clip(ys[sel] + dy, 0, size - 1), np.clip(xs[sel] + dx, 0, size - 1)
        layer_alpha[yy, xx] = 0.95
        threshold[yy, xx] = np.minimum(threshold[yy, xx], starts[sel])
    return {"slots": {}, "alpha": layer_alpha, "threshold": threshold}


def apply_snow(image, scene, amount, params):
    # Each flake fades in over a fifth of the range from its own start, so flakes appear gradually.
    opacity = params["alpha"] * np.clip((amount - params["threshold"]) / 0.25, 0, 1)
    cold = imaging.lerp(image, imaging.luminance(image)[..., None] * np.array([0.9, 0.95, 1.05]) + 0.12, 0.5 * amount)
    return np.clip(imaging.lerp(cold, np.ones(3), opacity[..., None]), 0, 1)


def sample_relight(scene, rng):
    direction = str(rng.choice(list(DIRECTIONS)))
    return {"direction": direction, "slots": {"direction": DIRECTIONS[direction]}}


def apply_relight(image, scene, amount, params):
    x, y = imaging.coords(image.shape[0])
    ramp = {"left": 1 - x, "right": x, "top": 1 - y, "bottom": y}[params["direction"]][..., None]
    factor = 1.0 + amount * (1.1 * ramp - 0.55)
    warm = amount * 0.08 * ramp * np.array([1.0, 0.8, 0.4])
    return np.clip(image * factor + warm, 0, 1)


def _tint(gains):
    def apply(image, scene, amount, params):
        return np.clip(image * imaging.lerp(np.ones(3), np.array(gains), amount), 0, 1)
    return apply


def sample_hue(scene, rng):
    return {"slots": {}, "angle": float(rng.uniform(0.5, 1.0) * math.pi * rng.choice([-1, 1]))}


def apply_hue(image, scene, amount, params):
    # Rotate chroma in YIQ: a linear map, so the hue turns evenly with the amount.
    to_yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], dtype=np.float32)
    angle = params["angle"] * amount
    c, s = math.cos(angle), math.sin(angle)
    rotate = np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float32)
    matrix = np.linalg.inv(to_yiq) @ rotate @ to_yiq
    return np.clip(image @ matrix.T.astype(np.float32), 0, 1)


def apply_contrast(image, scene, amount, params):
    mean = image.mean(axis=(0, 1), keepdims=True)
    return np.clip((image - mean) * (1.0 + 1.3 * amount) + mean, 0, 1)


def apply_saturate(image, scene, amount, params):
    gray = imaging.luminance(image)[..., None]
    return np.clip(gray + (image - gray) * (1.0 + 1.6 * amount), 0, 1)


# name -> (category, sample, apply)
GLOBAL_EDITS = {
    "night": ("environment_change", _none, apply_night),
    "sunset": ("environment_change", sample_sunset, apply_sunset),
    "fog": ("environment_change", sample_fog, apply_fog),
    "snow": ("environment_change", sample_snow, apply_snow),
    "relight": ("environment_change", sample_relight, apply_relight),
    "warm_tone": ("appearance_change", _none, _tint((1.22, 1.03, 0.72))),
    "cool_tone": ("appearance_change", _none, _tint((0.75, 0.95, 1.25))),
    "hue_shift": ("appearance_change", sample_hue, apply_hue),
    "contrast": ("attribute_change", _none, apply_contrast),
    "saturate": ("attribute_change", _none, apply_saturate),
}
