"""Small numpy image helpers shared by scenes, edits and the distance (float32 HxWx3 arrays in [0, 1]).

Only numpy and Pillow, with APIs that behave the same on numpy 1.24 and 2.x and Pillow 9 and 10+.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def box_blur(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1) square window, edges replicated; works on HxW or HxWxC float arrays."""
    if radius <= 0:
        return image
    width = 2 * radius + 1
    # One extra leading row/column: the difference of cumulative sums width apart is then exactly one window.
    pad = [(radius + 1, radius), (radius + 1, radius)] + [(0, 0)] * (image.ndim - 2)
    padded = np.pad(np.asarray(image, dtype=np.float32), pad, mode="edge")
    cum = np.cumsum(padded, axis=0, dtype=np.float32)
    rows = cum[width:] - cum[:-width]
    cum = np.cumsum(rows, axis=1, dtype=np.float32)
    return (cum[:, width:] - cum[:, :-width]) * np.float32(1.0 / (width * width))


def box_blur_planes(planes: np.ndarray, radius: int) -> np.ndarray:
    """box_blur over the last two axes of an [..., H, W] float array (planes blurred independently)."""
    if radius <= 0:
        return planes
    width = 2 * radius + 1
    pad = [(0, 0)] * (planes.ndim - 2) + [(radius + 1, radius), (radius + 1, radius)]
    padded = np.pad(np.asarray(planes, dtype=np.float32), pad, mode="edge")
    cum = np.cumsum(padded, axis=-2, dtype=np.float32)
    rows = cum[..., width:, :] - cum[..., :-width, :]
    cum = np.cumsum(rows, axis=-1, dtype=np.float32)
    return (cum[..., width:] - cum[..., :-width]) * np.float32(1.0 / (width * width))


def downsample2(image: np.ndarray) -> np.ndarray:
    """Half resolution by 2x2 averaging (odd trailing rows/columns dropped)."""
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    x = image[:h, :w]
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


def resize(array: np.ndarray, size: tuple[int, int], smooth: bool = True) -> np.ndarray:
    """Resize a float HxW or HxWx3 array to (height, width) with Pillow (bilinear, or nearest)."""
    height, width = size
    method = Image.BILINEAR if smooth else Image.NEAREST
    if array.ndim == 2:
        return np.asarray(Image.fromarray(array.astype(np.float32)).resize((width, height), method), dtype=np.float32)
    channels = [np.asarray(Image.fromarray(np.ascontiguousarray(array[..., c], dtype=np.float32))
                           .resize((width, height), method), dtype=np.float32) for c in range(array.shape[2])]
    return np.stack(channels, axis=-1)


def value_noise(rng: np.random.Generator, size: int, cells: int, octaves: int = 3) -> np.ndarray:
    """Smooth fractal noise in [0, 1], HxW: random grids upsampled bilinearly and summed over octaves."""
    total = np.zeros((size, size), dtype=np.float32)
    weight_sum = 0.0
    for octave in range(octaves):
        grid = max(2, cells * (2 ** octave))
        layer = rng.random((grid, grid), dtype=np.float32)
        weight = 0.5 ** octave
        total += weight * resize(layer, (size, size))
        weight_sum += weight
    total /= weight_sum
    low, high = float(total.min()), float(total.max())
    return (total - low) / max(high - low, 1e-6)


def luminance(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma, HxW."""
    return image[..., 0] * 0.299 + image[..., 1] * 0.587 + image[..., 2] * 0.114


def lerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """a + t (b - a), t a scalar or a broadcastable map."""
    return a + (b - a) * t


def gradient_magnitude(gray: np.ndarray) -> np.ndarray:
    """Central-difference gradient magnitude of an HxW image (edges replicated)."""
    padded = np.pad(gray, 1, mode="edge")
    gx = 0.5 * (padded[1:-1, 2:] - padded[1:-1, :-2])
    gy = 0.5 * (padded[2:, 1:-1] - padded[:-2, 1:-1])
    return np.sqrt(gx * gx + gy * gy)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] to uint8 with rounding."""
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def from_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 to float32 [0, 1]."""
    return array.astype(np.float32) / 255.0


def coords(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1]: (x, y), each HxW."""
    axis = (np.arange(size, dtype=np.float32) + 0.5) / size
    return np.meshgrid(axis, axis)
