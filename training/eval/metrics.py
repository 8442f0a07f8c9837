"""The quality-bar figures of issue 4 computed from decoded sweeps (images as float arrays in [0, 1])."""
import math

import numpy as np


def psnr(a, b):
    """PSNR in dB of two images in [0, 1] (capped at 100 dB for identical images)."""
    mse = float(np.mean((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))
    if mse <= 1e-10:
        return 100.0
    return 10.0 * math.log10(1.0 / mse)


def kl_to_uniform(distances, eps=1e-8):
    """KL(p || uniform) of the adjacent distances normalised to a distribution (the paper's smoothness test)."""
    d = np.maximum(np.asarray(distances, dtype=np.float64), 0.0) + eps
    p = d / d.sum()
    n = len(p)
    return float(np.sum(p * np.log(p * n)))


def is_monotone(distances_to_source, tolerance=0.0):
    """True when the distance to the source strictly grows at every step of the sweep (by more than tolerance)."""
    d = np.asarray(distances_to_source, dtype=np.float64)
    return bool(np.all(np.diff(d) > tolerance))


def summarise(rows, keys):
    """Mean of each key over rows (booleans become fractions); rows lacking a key are skipped for it."""
    out = {"n": len(rows)}
    for k in keys:
        vals = [float(r[k]) for r in rows if k in r and r[k] is not None]
        out[k] = float(np.mean(vals)) if vals else None
    return out


def by_category(rows, keys):
    """summarise() for all rows and for each category ('all' first)."""
    table = {"all": summarise(rows, keys)}
    for cat in sorted({r["category"] for r in rows}):
        table[cat] = summarise([r for r in rows if r["category"] == cat], keys)
    return table
