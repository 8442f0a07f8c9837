"""Reading a data generator's output while it still runs: stacks whose metadata line is complete, taken in
order from where the last read stopped, so a training run can grow its data set as the generator writes."""
import json
import os

import numpy as np

from training.data import layout
from training.train import memdata


def read_records_robust(split_dir):
    """Metadata lines whose stack file exists; a line cut off by stopping the generator is skipped."""
    tail = MetadataTail(split_dir)
    return tail.read_new() + tail.read_partial_last()


def _decode(path):
    try:
        return layout.decode_stack(path)
    except Exception:  # a stack being written when the generator stopped
        return None


def load_frames(split_dir, records, workers):
    """Frames uint8 [N,7,S,S,3] of records (dropping unreadable stacks), with the records kept."""
    paths = [os.path.join(split_dir, r["image_name"]) for r in records]
    if workers > 1 and len(paths) > 64:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            stacks = pool.map(_decode, paths, chunksize=32)
    else:
        stacks = [_decode(p) for p in paths]
    keep = [i for i, s in enumerate(stacks) if s is not None]
    if not keep:
        return None, []
    return np.stack([stacks[i] for i in keep]), [records[i] for i in keep]


class MetadataTail:
    """The metadata lines of a split written since the last read. The generator writes a stack before its line
    and buffers its lines, so only lines ending in a newline are taken; the rest waits for the next read."""

    def __init__(self, split_dir):
        self.dir = split_dir
        self.path = os.path.join(split_dir, "metadata.jsonl")
        self.offset = 0

    def _unread(self):
        """The bytes written since the last read."""
        if not os.path.exists(self.path):
            return b""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read()

    def _complete_lines(self):
        chunk = self._unread()
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        return chunk[:end].decode("utf-8").splitlines()

    def _records(self, lines):
        out = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if os.path.exists(os.path.join(self.dir, rec["image_name"])):
                out.append(rec)
        return out

    def read_new(self):
        return self._records(self._complete_lines())

    def read_partial_last(self):
        """A last line without its newline (the generator has stopped): taken if it parses."""
        rest = self._unread()
        self.offset += len(rest)
        return self._records([rest.decode("utf-8", "replace")]) if rest.strip() else []


class GrowingData:
    """Called by the training loop with its LatentSet: returns it extended by the sequences the generator wrote
    since the last call (VAE-encoded on the training device), or None when there are none yet. `latest` is the
    largest set handed out, for the stages after the one that grew it."""

    def __init__(self, parts, split_dir, workers, log=None):
        self.parts = parts
        self.tail = MetadataTail(split_dir)
        self.workers = workers
        self.log = log
        self.added = 0
        self.latest = None

    def __call__(self, data, final=False):
        records = self.tail.read_new() + (self.tail.read_partial_last() if final else [])
        if not records:
            return None
        frames, records = load_frames(self.tail.dir, records, self.workers)
        if not records:
            return None
        grown = data.extended(memdata.encode_set(self.parts, frames, records))
        self.added += len(grown) - len(data)
        self.latest = grown
        if self.log:
            self.log(event="data_grown", added=len(grown) - len(data), sequences=len(grown))
        return grown
