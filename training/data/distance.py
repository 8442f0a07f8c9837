"""The perceptual distance used in place of LPIPS: "MS-SSIM-C", in [0, 1], 0 for identical images.

LPIPS needs pretrained network weights that are not available here, so every `lpips_*` metadata field holds
this distance instead (the metadata names it in `distance`). Definition, for RGB images in [0, 1]:
- opponent channels: luma L = (R+G+B)/3 and chroma (R-G)/2, (R+G-2B)/4;
- structural term: 1 - mean SSIM of L over 3 scales (full, 1/2, 1/4; 7x7 box windows, C1 = 0.01^2,
  C2 = 0.03^2), which reacts to texture, edges and contrast the way a structure-sensitive metric does;
- colour term: mean of min(1, 2.5 x magnitude of the chroma difference) after a 7x7 box blur, averaged over
  the same 3 scales (SSIM alone is nearly blind to a hue change at equal luma);
- distance = min(1, SCALE * (0.5 * structural + 0.5 * colour)).
SCALE puts the distance on LPIPS's scale, so the paper's bounds keep their meaning: it is chosen so that two
unrelated natural photographs are 0.70 apart on average, the typical LPIPS (AlexNet) distance between unrelated
images (see `python -m training.data.calibrate`, which measures it on the stored photographs).
"""
from __future__ import annotations

import numpy as np

from . import imaging

NAME = "ms-ssim-c"
SCALE = 1.080  # from `python -m training.data.calibrate` (unscaled mean 0.648 over 325 photo pairs)
_C1, _C2 = 0.01 ** 2, 0.03 ** 2
_SCALES = 3
_WINDOW = 3  # box radius: 7x7 windows
_CHROMA_GAIN = 2.5  # a saturated colour against gray then counts about 1


class Features:
    """Per-image quantities the distance needs, computed once so a sequence's many pairs share them."""

    def __init__(self, image: np.ndarray):
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"distance needs an HxWx3 image, got shape {image.shape}")
        self.shape = image.shape
        self.luma, self.mu, self.var, self.chroma = [], [], [], []
        level = image
        for _ in range(_SCALES):
            r, g, b = level[..., 0], level[..., 1], level[..., 2]
            luma = (r + g + b) * np.float32(1.0 / 3.0)
            planes = np.stack([luma, luma * luma, (r - g) * np.float32(0.5), (r + g - 2 * b) * np.float32(0.25)])
            stats = imaging.box_blur_planes(planes, _WINDOW)
            self.luma.append(luma)
            self.mu.append(stats[0])
            self.var.append(stats[1] - stats[0] * stats[0])
            self.chroma.append(stats[2:])
            level = imaging.downsample2(level)


def raw_terms_many(pairs: list[tuple[Features, Features]]) -> np.ndarray:
    """[n, 2] (structural, colour) terms of many pairs at once (one blur per scale for all of them)."""
    if not pairs:
        return np.zeros((0, 2), dtype=np.float64)
    ssim_sum = np.zeros(len(pairs))
    colour_sum = np.zeros(len(pairs))
    for s in range(_SCALES):
        cross = imaging.box_blur_planes(np.stack([a.luma[s] * b.luma[s] for a, b in pairs]), _WINDOW)
        mu_a = np.stack([a.mu[s] for a, _ in pairs])
        mu_b = np.stack([b.mu[s] for _, b in pairs])
        var_sum = np.stack([a.var[s] + b.var[s] for a, b in pairs])
        mu_ab = mu_a * mu_b
        numerator = (2 * mu_ab + _C1) * (2 * (cross - mu_ab) + _C2)
        denominator = (mu_a * mu_a + mu_b * mu_b + _C1) * (var_sum + _C2)
        ssim_sum += (numerator / denominator).mean(axis=(1, 2))
        diff = np.stack([a.chroma[s] - b.chroma[s] for a, b in pairs])
        magnitude = np.sqrt(diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1])
        colour_sum += np.minimum(1.0, _CHROMA_GAIN * magnitude).mean(axis=(1, 2))
    structural = np.maximum(0.0, 1.0 - ssim_sum / _SCALES)
    return np.stack([structural, colour_sum / _SCALES], axis=-1)


def raw_terms(a: Features, b: Features) -> tuple[float, float]:
    """(structural, colour) terms before weighting and scaling."""
    structural, colour = raw_terms_many([(a, b)])[0]
    return float(structural), float(colour)


def unscaled(a: Features, b: Features) -> float:
    """The weighted sum before SCALE (what calibration measures)."""
    structural, colour = raw_terms(a, b)
    return 0.5 * structural + 0.5 * colour


def feature_distances(pairs: list[tuple[Features, Features]]) -> list[float]:
    """Distances of many precomputed pairs, each in [0, 1]."""
    terms = raw_terms_many(pairs)
    values = np.minimum(1.0, SCALE * (0.5 * terms[:, 0] + 0.5 * terms[:, 1])) if len(pairs) else np.zeros(0)
    return [float(v) for v in values]


def feature_distance(a: Features, b: Features) -> float:
    """Distance between two precomputed images, in [0, 1]."""
    return feature_distances([(a, b)])[0]


def distance(x: np.ndarray, y: np.ndarray) -> float:
    """MS-SSIM-C distance between two HxWx3 float images in [0, 1]. Throws ValueError on other shapes."""
    if np.shape(x) != np.shape(y):
        raise ValueError(f"distance needs images of one shape, got {np.shape(x)} and {np.shape(y)}")
    return feature_distance(Features(x), Features(y))
