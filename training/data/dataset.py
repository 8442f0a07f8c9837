"""Read the generated data set back: (source frame, target frame k, s = k/6, instruction, category, ...).

    from training.data.dataset import SequenceDataset, load_split
    data = SequenceDataset("training/out/data", "train")          # one item per (sequence, k), k = 0..6
    item = data[i]   # {"source", "target": float32 [3,H,W] in [0,1], "s", "k", "instruction", "category", ...}
    frames, records = load_split("training/out/data", "heldout")  # uint8 [n, 7, H, W, 3] + metadata, e.g. to
                                                                   # pre-encode every frame's latent once
Works with torch's DataLoader (it has __len__ and __getitem__) but needs only numpy and Pillow.
"""
from __future__ import annotations

import os

import numpy as np

from . import layout

FRAMES = 7


class SequenceDataset:
    """Pairs of the paper's training scheme: frame 0 as source, frame k as target, strength s = k / 6."""

    def __init__(self, root: str, split: str, channels_first: bool = True, cache: bool = False,
                 exclude_defects: tuple[str, ...] = ()):
        """exclude_defects drops kept samples by `synthetic_defect`, e.g. ("drift", "ease") for evaluation on
        exactly linear, undistorted sweeps. Throws FileNotFoundError when root/split has no metadata.jsonl."""
        self.dir = os.path.join(root, split)
        self.records = [r for r in layout.read_metadata(self.dir) if r.get("synthetic_defect") not in exclude_defects]
        self.channels_first = channels_first
        self._cache: dict[int, np.ndarray] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.records) * FRAMES

    def frames(self, sequence: int) -> np.ndarray:
        """All 7 frames of one sequence, uint8 [7, H, W, 3]."""
        if self._cache is not None and sequence in self._cache:
            return self._cache[sequence]
        frames = layout.decode_stack(os.path.join(self.dir, self.records[sequence]["image_name"]), FRAMES)
        if self._cache is not None:
            self._cache[sequence] = frames
        return frames

    def _image(self, frame: np.ndarray) -> np.ndarray:
        image = frame.astype(np.float32) / 255.0
        return np.ascontiguousarray(image.transpose(2, 0, 1)) if self.channels_first else image

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} pairs in {self.dir}")
        sequence, k = divmod(index, FRAMES)
        record = self.records[sequence]
        frames = self.frames(sequence)
        return {"source": self._image(frames[0]), "target": self._image(frames[k]), "s": k / (FRAMES - 1), "k": k,
                "instruction": record["edit_instruction"], "category": record["category"], "edit": record["edit"],
                "heldout_phrasing": record["heldout_phrasing"], "image_name": record["image_name"],
                "sequence": sequence}


def load_split(root: str, split: str, exclude_defects: tuple[str, ...] = ()) -> tuple[np.ndarray, list[dict]]:
    """Every kept sequence of a split at once: frames uint8 [n, 7, H, W, 3] and their metadata records."""
    directory = os.path.join(root, split)
    records = [r for r in layout.read_metadata(directory) if r.get("synthetic_defect") not in exclude_defects]
    if not records:
        return np.zeros((0, FRAMES, 0, 0, 3), dtype=np.uint8), records
    frames = [layout.decode_stack(os.path.join(directory, r["image_name"]), FRAMES) for r in records]
    return np.stack(frames), records
