"""The edit catalogue: every synthetic edit with its paper category and whether it needs scene objects.

Categories are the paper's: stylization, environment_change, reimagining, appearance_change, material_change,
attribute_change, object_morphing. Background replacement is filed under environment_change (it changes the
setting around an unchanged subject); size changes are object_morphing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .edits_global import GLOBAL_EDITS
from .edits_object import OBJECT_EDITS
from .edits_style import STYLE_EDITS
from .instructions import PHRASINGS
from .scenes import Scene

# Amount exponents that make each edit's frames about evenly spaced in distance (perceptual linearisation):
# the exponent with the lowest mean KL(adjacent distances || uniform) over 10 random scenes, measured with
# MS-SSIM-C among 0.5..2.2 by `python -m training.data.linearise`. Edits not listed are already even at 1.
EASE = {"brighten_object": 1.5, "darken_object": 1.35, "shrink": 1.4, "grow": 0.8, "contrast": 1.35,
        "saturate": 1.3, "pixelate": 0.85, "mosaic": 1.3, "halftone": 1.35, "neon": 1.15}

CATEGORIES = ("stylization", "environment_change", "reimagining", "appearance_change", "material_change",
              "attribute_change", "object_morphing")


@dataclass(frozen=True)
class EditSpec:
    """One edit: `sample(scene, rng)` draws its parameters, `apply(image, scene, amount, params)` renders it."""
    name: str
    category: str
    needs_objects: bool
    sample: Callable[[Scene, np.random.Generator], dict]
    apply: Callable[[np.ndarray, Scene, float, dict], np.ndarray]
    ease: float = 1.0

    def bind(self, scene: Scene, rng: np.random.Generator) -> tuple[Callable[[np.ndarray, Scene, float], np.ndarray], dict]:
        """The edit as edit(image, scene, amount) with its parameters drawn now, and those parameters."""
        params = self.sample(scene, rng)
        return (lambda image, scene_, amount: self.apply(image, scene_, float(amount) ** self.ease, params)), params


def _catalogue() -> dict[str, EditSpec]:
    specs = {}
    for table, needs_objects in ((OBJECT_EDITS, True), (GLOBAL_EDITS, False), (STYLE_EDITS, False)):
        for name, (category, sample, apply) in table.items():
            if category not in CATEGORIES:
                raise ValueError(f"edit {name!r} has unknown category {category!r}")
            if name not in PHRASINGS:
                raise ValueError(f"edit {name!r} has no phrasings in instructions.PHRASINGS")
            specs[name] = EditSpec(name, category, needs_objects, sample, apply, EASE.get(name, 1.0))
    return specs


EDITS: dict[str, EditSpec] = _catalogue()


def applicable(scene: Scene) -> list[EditSpec]:
    """Edits that can run on this scene (object edits need a procedural scene with objects)."""
    return [spec for spec in EDITS.values() if not spec.needs_objects or scene.objects]


def choose_edit(scene: Scene, rng: np.random.Generator) -> EditSpec:
    """A category uniformly among those possible for the scene, then an edit uniformly within it."""
    candidates = applicable(scene)
    categories = sorted({spec.category for spec in candidates}, key=CATEGORIES.index)
    category = categories[int(rng.integers(len(categories)))]
    within = [spec for spec in candidates if spec.category == category]
    return within[int(rng.integers(len(within)))]
