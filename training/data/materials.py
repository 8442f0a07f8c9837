"""Material textures for objects (the material_change edits): wood, metal, gold, glass, marble, stone.

Each returns the object's fill colour over the whole canvas (the caller masks it), lit by the same shade map as
the plain fill, with texture coordinates relative to the object so the texture stays put across a sequence.
"""
from __future__ import annotations

import math

import numpy as np

from . import imaging


def _object_frame(obj, size: int):
    x, y = imaging.coords(size)
    u = (x - obj.center[0]) / obj.radius
    v = (y - obj.center[1]) / obj.radius
    seed = int(obj.center[0] * 7919) * 31 + int(obj.center[1] * 104729)
    return u, v, np.random.default_rng([abs(seed), 11])


def material_fill(material: str, obj, under: np.ndarray, shade: np.ndarray, size: int) -> np.ndarray:
    """The textured fill, HxWx3 in [0, 1]; `under` is what lies behind (glass shows it). Throws on unknown names."""
    u, v, rng = _object_frame(obj, size)
    noise = imaging.value_noise(rng, size, 3)
    if material == "wood":
        rings = 0.5 + 0.5 * np.sin(2 * math.pi * (np.sqrt((u + 0.9) ** 2 + 0.15 * v ** 2) * 5 + 1.5 * noise))
        color = imaging.lerp(np.array([0.45, 0.26, 0.10]), np.array([0.78, 0.55, 0.30]), rings[..., None] ** 1.5)
        return np.clip(color * shade, 0, 1)
    if material in ("metal", "gold"):
        streaks = imaging.resize(rng.random((size, 8), dtype=np.float32), (size, size))
        base = np.array([0.72, 0.74, 0.78]) if material == "metal" else np.array([0.95, 0.75, 0.25])
        sheen = np.clip(0.55 + 0.45 * np.cos(2.5 * (u * 0.6 - v * 0.8)), 0, 1)[..., None]
        color = base * (0.45 + 0.65 * sheen) * (0.9 + 0.15 * streaks[..., None])
        highlight = np.exp(-((u + 0.35) ** 2 + (v + 0.35) ** 2) * 8)[..., None]
        return np.clip(color * shade + 0.5 * highlight, 0, 1)
    if material == "glass":
        tint = np.array([0.75, 0.90, 0.95])
        seen = under * tint * 0.85 + 0.08
        rim = np.clip(np.sqrt(u * u + v * v), 0, 1)[..., None] ** 4
        highlight = np.exp(-((u + 0.3) ** 2 * 6 + (v + 0.45) ** 2 * 30))[..., None]
        return np.clip(seen * (1 - 0.4 * rim) + 0.7 * highlight, 0, 1)
    if material == "marble":
        veins = np.abs(np.sin(2 * math.pi * (u * 1.5 + v * 0.7 + 2.5 * noise)))
        color = imaging.lerp(np.array([0.40, 0.40, 0.42]), np.array([0.95, 0.94, 0.92]), (veins ** 0.25)[..., None])
        return np.clip(color * shade, 0, 1)
    if material == "stone":
        grain = imaging.value_noise(rng, size, 16, octaves=2)
        color = np.array([0.55, 0.53, 0.50]) * (0.65 + 0.45 * grain[..., None]) * (0.85 + 0.3 * noise[..., None])
        return np.clip(color * shade, 0, 1)
    raise KeyError(f"unknown material {material!r}")
