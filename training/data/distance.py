"""The perceptual distance used in place of LPIPS: "MS-SSIM-C", in [0, 1], 0 for identical images.

LPIPS needs pretrained network weights that are not available here, so every `lpips_*` metadata field holds
this distance instead (the metadata names it in `distance`). Definition, for RGB images in [0, 1]:
- opponent channels: luma L = (R+G+B)/3 and chroma (R-G)/2, (R+G-2B)/4;
- structural term: 1 - mean SSIM of L over 3 scales (full, 1/2, 1/4; 7x7 box windows, C1 = 0.01^2,
  C2 = 0.03^2), which reacts to texture, edges and contrast the way a structure-sensitive metric does;
- colour term: mean of min(1, 2.5 x magnitude of the chroma difference) after a 5x5 box blur, averaged over
  the same 3 scales (SSIM alone is nearly blind to a hue change at equal luma);
- distance = min(1, SCALE * (0.6 * structural + 0.4 * colour)).
SCALE puts the distance on LPIPS's scale, so the paper's bounds keep their meaning: it is chosen so that two
unrelated natural photographs are 0.70 apart on average, the typical LPIPS (AlexNet) distance between unrelated
images (see `python -m training.data.calibrate`, which measures it on the stored photographs).
"""
from __future__ import annotations

import numpy as np

from . import imaging

NAME = "ms-ssim-c"
SCALE = 1.015  # from `python -m training.data.calibrate` (unscaled mean 0.690 over 325 photo pairs)
_C1, _C2 = 0.01 ** 2, 0.03 ** 2
_SCALES = 3
_WINDOW = 3  # box radius: 7x7 windows
_CHROMA_BLUR = 2
_CHROMA_GAIN = 2.5  # a saturated colour against gray then counts about 1


class Features:
    """Per-image quantities the distance needs, computed once so a sequence's many pairs share them."""

    def __init__(self, image: np.ndarray):
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"distance needs an HxWx3 image, got shape {image.shape}")
        self.luma, self.mu, self.var, self.chroma = [], [], [], []
        level = image
        for _ in range(_SCALES):
            luma = level.mean(axis=2)
            mu = imaging.box_blur(luma, _WINDOW)
            self.luma.append(luma)
            self.mu.append(mu)
            self.var.append(imaging.box_blur(luma * luma, _WINDOW) - mu * mu)
            chroma = np.stack([(level[..., 0] - level[..., 1]) * 0.5,
                               (level[..., 0] + level[..., 1] - 2 * level[..., 2]) * 0.25], axis=-1)
            self.chroma.append(imaging.box_blur(chroma, _CHROMA_BLUR))
            level = imaging.downsample2(level)


def raw_terms(a: Features, b: Features) -> tuple[float, float]:
    """(structural, colour) terms before weighting and scaling."""
    ssim_sum, colour_sum = 0.0, 0.0
    for s in range(_SCALES):
        cov = imaging.box_blur(a.luma[s] * b.luma[s], _WINDOW) - a.mu[s] * b.mu[s]
        numerator = (2 * a.mu[s] * b.mu[s] + _C1) * (2 * cov + _C2)
        denominator = (a.mu[s] ** 2 + b.mu[s] ** 2 + _C1) * (a.var[s] + b.var[s] + _C2)
        ssim_sum += float((numerator / denominator).mean())
        diff = a.chroma[s] - b.chroma[s]
        colour_sum += float(np.minimum(1.0, _CHROMA_GAIN * np.sqrt((diff * diff).sum(axis=-1))).mean())
    return max(0.0, 1.0 - ssim_sum / _SCALES), colour_sum / _SCALES


def unscaled(a: Features, b: Features) -> float:
    """The weighted sum before SCALE (what calibration measures)."""
    structural, colour = raw_terms(a, b)
    return 0.6 * structural + 0.4 * colour


def feature_distance(a: Features, b: Features) -> float:
    """Distance between two precomputed images, in [0, 1]."""
    return float(min(1.0, SCALE * unscaled(a, b)))


def distance(x: np.ndarray, y: np.ndarray) -> float:
    """MS-SSIM-C distance between two HxWx3 float images in [0, 1]. Throws ValueError on other shapes."""
    if np.shape(x) != np.shape(y):
        raise ValueError(f"distance needs images of one shape, got {np.shape(x)} and {np.shape(y)}")
    return feature_distance(Features(x), Features(y))
