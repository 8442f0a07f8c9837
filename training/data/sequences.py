"""One sample of the synthetic pipeline: scene, edit, instruction, 7 frames, the paper's metadata fields.

The paper edits with Kontext (the full edit E), then builds the in-between frames with an inversion-based
interpolation that may fail. The synthetic stand-ins:
- the Kontext edit E = edit(source, amount 1), or a barely visible one (defect "weak": the editor did not edit);
- frame k = edit(source, curve(k/6)), where curve is the identity for most samples but some get a mild ease
  ("ease"), uneven jumps ("jumpy") or a sudden pop ("pop"), and some drift away from the edit as they go
  ("drift": a growing blur and colour cast, like an inversion that loses the image).
Metadata (all distances are MS-SSIM-C, see distance.py):
- lpips_kontext_edit = d(source, E): the edit's size (the filter's edit distance);
- lpips_edit_inversion = d(E, frame 6): how far the sequence's end is from the edit (the inversion distance);
- lpips_inversion_edit = d(frame 0, frame 6): the change the sequence itself carries, first to last frame;
- lpips_sequence = [d(frame k, frame k+1) for k = 0..5];
- lpips_sequence_triangle = upper triangle of the pairwise distances: row i = [d(frame i, frame j), j > i].
"""
from __future__ import annotations

import numpy as np

from . import distance, filtering, imaging, instructions
from .edits import choose_edit
from .scenes import Scene, photo_scene, random_object_scene, render

FRAMES = 7
SPLITS = {"train": 1, "heldout": 2}
DEFECTS = (("none", 0.62), ("ease", 0.13), ("jumpy", 0.09), ("pop", 0.05), ("weak", 0.05), ("drift", 0.06))
PROCEDURAL_SHARE = 0.6
HELDOUT_PHRASING_SHARE = 0.5


def amount_curve(defect: str, rng: np.random.Generator) -> np.ndarray:
    """The 7 edit amounts of a sequence (first 0, last 1 except for 'weak')."""
    steps = np.arange(FRAMES) / (FRAMES - 1)
    if defect == "ease":
        return steps ** rng.uniform(0.8, 1.25)
    if defect == "jumpy":
        increments = rng.dirichlet(np.full(FRAMES - 1, 0.35))
        return np.concatenate([[0.0], np.cumsum(increments)])
    if defect == "pop":
        at = int(rng.integers(1, FRAMES))
        return (np.arange(FRAMES) >= at).astype(np.float64)
    if defect == "weak":
        return steps * rng.uniform(0.01, 0.08)
    return steps


def drift(image: np.ndarray, strength: float, cast: np.ndarray) -> np.ndarray:
    """An inversion losing the image: blur, contrast loss and a colour cast growing with strength."""
    if strength <= 0:
        return image
    blurred = imaging.box_blur(image, int(round(1 + 4 * min(strength, 1.0))))
    faded = imaging.lerp(image, blurred, min(1.0, 2 * strength))
    flat = imaging.lerp(faded, faded.mean(axis=(0, 1), keepdims=True), min(0.9, 0.6 * strength))
    return np.clip(imaging.lerp(flat, cast, min(0.85, 0.5 * strength)), 0, 1)


def _pick(options, rng):
    names = [name for name, _ in options]
    weights = np.array([weight for _, weight in options], dtype=np.float64)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def make_scene(rng: np.random.Generator, split: str, index: int, photos: dict[str, np.ndarray], size: int) -> Scene:
    """A procedural scene or a crop of one of the split's photographs."""
    if not photos or rng.random() < PROCEDURAL_SHARE:
        return random_object_scene(rng, size, f"procedural-{split}-{index:06d}")
    names = sorted(photos)
    name = names[int(rng.integers(len(names)))]
    return photo_scene(rng, photos[name], size, name)


def make_sample(seed: int, split: str, index: int, photos: dict[str, np.ndarray], size: int) -> tuple[dict, np.ndarray]:
    """(metadata, frames uint8 [7, size, size, 3]) of sample `index` of `split`; deterministic in its arguments."""
    rng = np.random.default_rng([seed, SPLITS[split], index])
    scene = make_scene(rng, split, index, photos, size)
    spec = choose_edit(scene, rng)
    edit, params = spec.bind(scene, rng)
    heldout_phrasing = split == "heldout" and rng.random() < HELDOUT_PHRASING_SHARE
    templates = instructions.phrasings_for(spec.name, heldout_phrasing)
    template = templates[int(rng.integers(len(templates)))]
    instruction = instructions.fill(template, params["slots"])
    defect = _pick(DEFECTS, rng)
    curve = amount_curve(defect, rng)
    drift_strength = float(rng.uniform(0.5, 2.0)) if defect == "drift" else 0.0
    cast = rng.uniform(0.2, 0.8, 3).astype(np.float32)

    source = render(scene)
    frames = []
    for k, amount in enumerate(curve):
        frame = source if amount == 0.0 else edit(source, scene, amount)
        frame = drift(frame, drift_strength * k / (FRAMES - 1), cast)
        frames.append(imaging.from_uint8(imaging.to_uint8(frame)))  # measure what is stored
    kontext_edit = edit(source, scene, curve[-1] if defect == "weak" else 1.0)
    kontext_edit = imaging.from_uint8(imaging.to_uint8(kontext_edit))

    features = [distance.Features(frame) for frame in frames]
    source_features = distance.Features(imaging.from_uint8(imaging.to_uint8(source)))
    edit_features = distance.Features(kontext_edit)
    pairs = [(features[i], features[j]) for i in range(FRAMES - 1) for j in range(i + 1, FRAMES)]
    values = distance.feature_distances(pairs + [(source_features, edit_features), (edit_features, features[-1])])
    values = [round(v, 5) for v in values]
    triangle, position = [], 0
    for i in range(FRAMES - 1):
        triangle.append(values[position:position + FRAMES - 1 - i])
        position += FRAMES - 1 - i
    sequence = [row[0] for row in triangle]
    record = {
        "image_name": f"{index:06d}.png",
        "category": spec.category,
        "edit_instruction": instruction,
        "lpips_kontext_edit": values[-2],
        "lpips_edit_inversion": values[-1],
        "lpips_inversion_edit": triangle[0][-1],
        "lpips_sequence": sequence,
        "lpips_sequence_triangle": triangle,
        "distance": distance.NAME,
        "split": split,
        "heldout_phrasing": bool(heldout_phrasing),
        "edit": spec.name,
        "instruction_template": template,
        "source_image": scene.name,
        "source_kind": scene.kind,
        "synthetic_defect": defect,
        "amounts": [round(float(a), 4) for a in curve],
        "seed": seed,
        "index": index,
    }
    record["kl"] = round(filtering.kl_to_uniform(sequence), 5)
    record["rejected"] = filtering.rejection_reasons(record)
    return record, np.stack([imaging.to_uint8(frame) for frame in frames])
