"""Edits on one object of a procedural scene: they change the scene description and re-render it.

Each edit is `apply(image, scene, amount, params)`; `sample(scene, rng)` draws its parameters (the target
object, the new colour, ...) once per sequence, including the instruction's slot words.
"""
from __future__ import annotations

import numpy as np

from . import imaging
from .instructions import BACKGROUND_PHRASES, COLORS, MATERIALS, SHAPE_NOUNS
from .scenes import COLOR_RGB, NAMED_BACKGROUNDS, SHAPES, Scene, render


def _object_phrase(scene: Scene, index: int, rng: np.random.Generator) -> str:
    obj = scene.objects[index]
    noun = str(rng.choice(SHAPE_NOUNS[obj.shape]))
    return f"{obj.color_name} {noun}" if rng.random() < 0.5 else noun


def _target(scene: Scene, rng: np.random.Generator, avoid: tuple[str, ...] = ()) -> dict:
    # Prefer an object the edit can visibly change (a gray object cannot be desaturated).
    fitting = [i for i, obj in enumerate(scene.objects) if obj.color_name not in avoid] or list(range(len(scene.objects)))
    index = int(fitting[int(rng.integers(len(fitting)))])
    return {"target": index, "slots": {"object": _object_phrase(scene, index, rng)}}


def _with_object(scene: Scene, index: int, change) -> np.ndarray:
    edited = scene.copy()
    change(edited.objects[index])
    return render(edited)


def sample_recolor(scene, rng):
    params = _target(scene, rng)
    current = scene.objects[params["target"]].color_name
    new = str(rng.choice([c for c in COLORS if c != current]))
    params["new_rgb"] = np.array(COLOR_RGB[new], dtype=np.float32)
    params["slots"]["new_color"] = new
    return params


def apply_recolor(image, scene, amount, params):
    def change(obj):
        obj.color = imaging.lerp(obj.color, params["new_rgb"], amount)
    return _with_object(scene, params["target"], change)


def _tone_change(kind):
    def apply(image, scene, amount, params):
        def change(obj):
            c = obj.color
            gray = float(c.mean())
            # Brightness moves geometrically (a constant ratio per step), which looks even to the eye and to SSIM.
            if kind == "brighten":
                obj.color = (1.0 - (1.0 - c) * 0.3 ** amount).astype(np.float32)
                return
            if kind == "darken":
                obj.color = (c * 0.3 ** amount).astype(np.float32)
                return
            if kind == "desaturate":
                target = np.full(3, gray, dtype=np.float32)
            else:  # saturate: push away from gray until a channel reaches the end of the range
                spread = c - gray
                headroom = min(((1.0 - gray) if v > 0 else gray) / max(abs(float(v)), 1e-3) for v in spread)
                target = np.clip(gray + spread * max(1.0, headroom), 0, 1)
            obj.color = imaging.lerp(c, target, amount).astype(np.float32)
        return _with_object(scene, params["target"], change)
    return apply


def sample_material(scene, rng):
    params = _target(scene, rng)
    params["material"] = str(rng.choice(MATERIALS))
    params["slots"]["material"] = params["material"]
    return params


def apply_material(image, scene, amount, params):
    def change(obj):
        obj.material = params["material"]
        obj.material_weight = amount
    return _with_object(scene, params["target"], change)


def sample_morph(scene, rng):
    params = _target(scene, rng)
    current = scene.objects[params["target"]].shape
    params["new_shape"] = str(rng.choice([s for s in SHAPES if s != current]))
    params["slots"]["new_shape"] = params["new_shape"]
    return params


def apply_morph(image, scene, amount, params):
    def change(obj):
        obj.morph_to = params["new_shape"]
        obj.morph = amount
    return _with_object(scene, params["target"], change)


def _resize(factor_at_full):
    def sample(scene, rng):
        params = _target(scene, rng)
        params["factor"] = float(rng.uniform(*factor_at_full))
        return params

    def apply(image, scene, amount, params):
        def change(obj):
            obj.radius = obj.radius * (params["factor"] ** amount)
        return _with_object(scene, params["target"], change)
    return sample, apply


sample_grow, apply_grow = _resize((1.45, 1.8))
sample_shrink, apply_shrink = _resize((0.4, 0.6))


def sample_background(scene, rng):
    params = _target(scene, rng)
    choices = [b for b in NAMED_BACKGROUNDS if b != scene.background]
    params["background"] = str(rng.choice(choices))
    params["seed"] = int(rng.integers(1 << 30))
    params["slots"]["background"] = str(rng.choice(BACKGROUND_PHRASES[params["background"]]))
    return params


def apply_background(image, scene, amount, params):
    edited = scene.copy()
    edited.background_blend = (params["background"], params["seed"], float(amount))
    return render(edited)


def _target_avoiding(*colors):
    return lambda scene, rng: _target(scene, rng, colors)


def _saturation_target(muted: bool):
    """The target object starts pale (for 'more colorful') or vivid (for 'remove the color'), so the edit shows.

    This sets the source scene's colour before it is rendered: the source is drawn to suit the instruction."""
    def sample(scene, rng):
        params = _target(scene, rng, ("white", "black", "gray"))
        obj = scene.objects[params["target"]]
        if obj.color_name in ("white", "black", "gray"):  # only a neutral object in the scene: give it a hue
            obj.color_name = str(rng.choice([c for c in COLORS if c not in ("white", "black", "gray")]))
            params["slots"]["object"] = _object_phrase(scene, params["target"], rng)
        vivid = np.array(COLOR_RGB[obj.color_name], dtype=np.float32)
        paleness = float(rng.uniform(0.7, 0.85)) if muted else 0.0
        obj.color = imaging.lerp(vivid, np.float32(vivid.mean()), paleness).astype(np.float32)
        return params
    return sample


# name -> (category, sample, apply)
OBJECT_EDITS = {
    "recolor": ("appearance_change", sample_recolor, apply_recolor),
    "brighten_object": ("attribute_change", _target_avoiding("white", "yellow"), _tone_change("brighten")),
    "darken_object": ("attribute_change", _target_avoiding("black"), _tone_change("darken")),
    "desaturate_object": ("attribute_change", _saturation_target(muted=False), _tone_change("desaturate")),
    "saturate_object": ("attribute_change", _saturation_target(muted=True), _tone_change("saturate")),
    "material": ("material_change", sample_material, apply_material),
    "morph_shape": ("object_morphing", sample_morph, apply_morph),
    "grow": ("object_morphing", sample_grow, apply_grow),
    "shrink": ("object_morphing", sample_shrink, apply_shrink),
    "background": ("environment_change", sample_background, apply_background),
}
