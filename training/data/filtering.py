"""The paper's `kl-filter-simple`: a smoothness test on the adjacent-frame distances, then per-category bounds.

1. p = lpips_sequence / sum(lpips_sequence); reject when KL(p || uniform) > 0.15 (a smooth edit spreads its
   change evenly over the steps; a jump or a pop concentrates it).
2. edit distance (`lpips_kontext_edit`) >= the category's minimum: the edit is visible at all.
3. inversion distance (`lpips_edit_inversion`) <= the category's maximum: the sequence still ends at the edit.
The bounds are the paper's numbers, used unchanged because the distance is scaled to LPIPS's range (see
distance.py and calibrate.py). Background replacement is filed under environment_change.
"""
from __future__ import annotations

import math

KL_THRESHOLD = 0.15

# category -> (edit distance >=, inversion distance <=), from the paper's filter configuration.
CATEGORY_BOUNDS = {
    "stylization": (0.10, 0.55),
    "environment_change": (0.10, 0.55),
    "reimagining": (0.10, 0.52),
    "appearance_change": (0.020, 0.50),
    "material_change": (0.020, 0.50),
    "attribute_change": (0.030, 0.45),
    "object_morphing": (0.030, 0.45),
}
REASONS = ("kl", "edit_distance", "inversion_distance")


def kl_to_uniform(sequence: list[float]) -> float:
    """KL(p || uniform) of the normalised sequence; 0 for an even one, log(n) for all change in one step."""
    total = float(sum(sequence))
    n = len(sequence)
    if n == 0:
        raise ValueError("kl_to_uniform needs at least one distance")
    if total <= 0.0:
        return 0.0  # no change at all: the edit-distance bound rejects it, not the smoothness test
    kl = 0.0
    for value in sequence:
        p = max(float(value), 0.0) / total
        if p > 0.0:
            kl += p * math.log(p * n)
    return kl


def rejection_reasons(record: dict) -> list[str]:
    """Every failed test of a metadata record, in filter order (empty when the record is kept).

    Throws KeyError naming an unknown category."""
    category = record["category"]
    if category not in CATEGORY_BOUNDS:
        raise KeyError(f"no filter bounds for category {category!r}; known: {sorted(CATEGORY_BOUNDS)}")
    edit_min, inversion_max = CATEGORY_BOUNDS[category]
    reasons = []
    if kl_to_uniform(record["lpips_sequence"]) > KL_THRESHOLD:
        reasons.append("kl")
    if record["lpips_kontext_edit"] < edit_min:
        reasons.append("edit_distance")
    if record["lpips_edit_inversion"] > inversion_max:
        reasons.append("inversion_distance")
    return reasons


def keep(record: dict) -> bool:
    """True when the record passes the whole filter."""
    return not rejection_reasons(record)
