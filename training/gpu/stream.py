"""Reading a data generator's output while it still runs: stacks whose metadata line is complete, taken in
order from where the last read stopped, so a training run can grow its data set as the generator writes."""
import json
import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor

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


def load_frames(split_dir, records, workers, pool=None):
    """Frames uint8 [N,7,S,S,3] of records (dropping unreadable stacks), with the records kept; decoded on
    `pool` when given, else on a pool of `workers` processes for many records."""
    paths = [os.path.join(split_dir, r["image_name"]) for r in records]
    if pool is not None:
        stacks = pool.map(_decode, paths, chunksize=32)
    elif workers > 1 and len(paths) > 64:
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
    largest set handed out, for the stages after the one that grew it.

    With `background` (the GPU run), reading and decoding the new stacks happens on a thread while training goes
    on, and a call takes in what the previous call started: on the H100 each intake done in line stalled training
    for about 35 s (decoding beside a generator busy on 14 cores), a third of stage 1 over three intakes. The
    thread waits on a process pool (forked once, here, before the thread exists), so it holds the interpreter's
    lock only to hand results over."""

    def __init__(self, parts, split_dir, workers, log=None, background=False):
        self.parts = parts
        self.tail = MetadataTail(split_dir)
        self.workers = workers
        self.log = log
        self.added = 0
        self.latest = None
        self.pending = None
        self.pool = ThreadPoolExecutor(max_workers=1) if background else None
        self.decoders = multiprocessing.get_context("fork").Pool(workers) if background else None

    def _read(self, final=False):
        records = self.tail.read_new() + (self.tail.read_partial_last() if final else [])
        return load_frames(self.tail.dir, records, self.workers, self.decoders) if records else (None, [])

    def __call__(self, data, final=False):
        if self.pool is None:
            return self._take_in(data, *self._read(final))
        if final:
            taken = self._take_in(data, *self.pending.result()) if self.pending else None
            self.pending = None
            self.pool.shutdown()
            base = taken if taken is not None else data
            grown = self._take_in(base, *self._read(final=True)) or taken
            self.decoders.close()
            return grown
        if self.pending is None:
            self.pending = self.pool.submit(self._read)
            return None
        if not self.pending.done():
            return None
        frames, records = self.pending.result()
        self.pending = self.pool.submit(self._read)
        return self._take_in(data, frames, records)

    def _take_in(self, data, frames, records):
        if not records:
            return None
        grown = data.extended(memdata.encode_set(self.parts, frames, records))
        self.added += len(grown) - len(data)
        self.latest = grown
        if self.log:
            self.log(event="data_grown", added=len(grown) - len(data), sequences=len(grown))
        return grown
