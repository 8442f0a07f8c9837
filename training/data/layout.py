"""The paper's storage layout: per split a folder of horizontal-stack PNGs and one metadata.jsonl.

<out>/<split>/<image_name>      7 square frames side by side (source ... full edit), RGB PNG
<out>/<split>/metadata.jsonl   one JSON object per kept sample, `image_name` naming its stack
<out>/<split>/rejected.jsonl   the metadata of filtered-out samples (no images), for inspection
<out>/report.json              kept/rejected counts per category and reason
"""
from __future__ import annotations

import io
import json
import os

import numpy as np
from PIL import Image


def encode_stack(frames: np.ndarray) -> bytes:
    """PNG bytes of frames [n, s, s, 3] uint8 laid side by side. Throws ValueError on non-square frames."""
    if frames.ndim != 4 or frames.shape[1] != frames.shape[2] or frames.shape[3] != 3:
        raise ValueError(f"a stack needs [n, s, s, 3] frames, got shape {frames.shape}")
    strip = np.concatenate(list(frames), axis=1)
    buffer = io.BytesIO()
    Image.fromarray(strip).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def decode_stack(data_or_path, frame_count: int | None = None) -> np.ndarray:
    """Frames [n, s, s, 3] uint8 of a stack PNG (bytes or a path); n = width / height unless given.

    Throws ValueError when the width is not a whole number of square frames."""
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, (bytes, bytearray)) else data_or_path
    with Image.open(source) as image:
        strip = np.asarray(image.convert("RGB"))
    height, width = strip.shape[:2]
    count = frame_count or width // height
    if count * height != width:
        raise ValueError(f"stack of {width}x{height} is not {count} square frames")
    return np.stack(np.split(strip, count, axis=1))


def read_metadata(split_dir: str, name: str = "metadata.jsonl") -> list[dict]:
    """All records of a split's metadata file, in file order. Throws FileNotFoundError naming the file."""
    path = os.path.join(split_dir, name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no {name} in {split_dir}: generate the data first (python -m training.data.generate)")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class SplitWriter:
    """Writes one split's stacks and metadata lines (opened with `with`)."""

    def __init__(self, out: str, split: str):
        self.dir = os.path.join(out, split)
        os.makedirs(self.dir, exist_ok=True)
        self._kept = open(os.path.join(self.dir, "metadata.jsonl"), "w", encoding="utf-8")
        self._rejected = open(os.path.join(self.dir, "rejected.jsonl"), "w", encoding="utf-8")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._kept.close()
        self._rejected.close()

    def add(self, record: dict, png: bytes | None) -> None:
        """A kept record with its stack PNG bytes, or a rejected record (png ignored)."""
        if record["rejected"]:
            self._rejected.write(json.dumps(record) + "\n")
            return
        with open(os.path.join(self.dir, record["image_name"]), "wb") as handle:
            handle.write(png)
        self._kept.write(json.dumps(record) + "\n")
