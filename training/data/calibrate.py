"""Calibrate the distance's SCALE: `python -m training.data.calibrate --sources training/out/sources`.

LPIPS (AlexNet) puts unrelated natural photographs about 0.70 apart on average; the paper's bounds (edit
distance >= 0.02..0.10, inversion distance <= 0.45..0.55) are on that scale. This measures the unscaled
MS-SSIM-C distance over every pair of distinct stored photographs (illustrations excluded) at 128x128 and prints
the SCALE that maps their mean to 0.70, with the current SCALE's mean for comparison.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os

import numpy as np
from PIL import Image

from . import distance, imaging

LPIPS_UNRELATED_MEAN = 0.70


def measure(sources: str, size: int = 128) -> dict:
    """Unscaled distances over all photograph pairs and the SCALE they imply."""
    manifest = json.load(open(os.path.join(sources, "sources.json"), encoding="utf-8"))
    features = []
    for record in manifest["images"]:
        if record.get("kind") != "photograph":
            continue
        pixels = imaging.from_uint8(np.asarray(Image.open(os.path.join(sources, record["png"])).convert("RGB")))
        features.append(distance.Features(imaging.resize(pixels, (size, size))))
    values = [distance.unscaled(a, b) for a, b in itertools.combinations(features, 2)]
    mean = float(np.mean(values))
    return {"pairs": len(values), "unscaled_mean": mean, "unscaled_median": float(np.median(values)),
            "scale": LPIPS_UNRELATED_MEAN / mean, "current_scale": distance.SCALE,
            "current_mean": float(np.mean([min(1.0, distance.SCALE * v) for v in values]))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", required=True)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.sources), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
