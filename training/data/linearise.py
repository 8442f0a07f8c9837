"""Measure each edit's amount exponent (edits.EASE): `python -m training.data.linearise [--sources DIR] [EDIT ...]`.

For 10 random scenes per edit, frames at amounts (k/6)^g for g in GAMMAS, the mean KL of their adjacent
MS-SSIM-C distances to uniform; prints every g's mean KL / rejected share and the best g. edits.EASE holds the
chosen values, so smooth sequences are smooth under the same distance the filter uses.
"""
from __future__ import annotations

import argparse
import glob
import os

import numpy as np
from PIL import Image

from . import distance, edits, filtering, imaging, scenes

GAMMAS = (0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 1.8, 2.2)


def measure(spec: edits.EditSpec, photos: list[np.ndarray], rng: np.random.Generator, trials: int = 10) -> dict:
    """Mean KL and share above the threshold per exponent, plus the median edit distance."""
    kls: dict[float, list[float]] = {g: [] for g in GAMMAS}
    sizes = []
    for trial in range(trials):
        use_photo = photos and not spec.needs_objects and trial % 2 == 1
        scene = (scenes.photo_scene(rng, photos[int(rng.integers(len(photos)))], 128, "photo") if use_photo
                 else scenes.random_object_scene(rng, 128, "procedural"))
        params = spec.sample(scene, rng)
        source = scenes.render(scene)
        cache: dict[float, distance.Features] = {}

        def features(amount: float) -> distance.Features:
            key = round(float(amount), 6)
            if key not in cache:
                cache[key] = distance.Features(spec.apply(source, scene, key, params))
            return cache[key]
        for g in GAMMAS:
            frames = [features((k / 6) ** g) for k in range(7)]
            kls[g].append(filtering.kl_to_uniform([distance.feature_distance(frames[k], frames[k + 1])
                                                   for k in range(6)]))
        sizes.append(distance.feature_distance(features(0.0), features(1.0)))
    best = min(GAMMAS, key=lambda g: float(np.mean(kls[g])))
    return {"best": best, "mean_kl": {g: float(np.mean(v)) for g, v in kls.items()},
            "rejected": {g: float(np.mean(np.array(v) > filtering.KL_THRESHOLD)) for g, v in kls.items()},
            "median_edit_distance": float(np.median(sizes))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="training/out/sources")
    parser.add_argument("edits", nargs="*", help="edit names (default: all)")
    args = parser.parse_args(argv)
    photos = [imaging.from_uint8(np.asarray(Image.open(path).convert("RGB")))
              for path in sorted(glob.glob(os.path.join(args.sources, "*.png")))]
    rng = np.random.default_rng(5)
    for name in args.edits or list(edits.EDITS):
        result = measure(edits.EDITS[name], photos, rng)
        cells = " ".join(f"{g}:{result['mean_kl'][g]:.3f}/{result['rejected'][g]:.1f}" for g in GAMMAS)
        print(f"{name:18s} edit {result['median_edit_distance']:.3f} | {cells} | best {result['best']} "
              f"(in use {edits.EASE.get(name, 1.0)})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
