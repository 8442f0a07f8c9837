"""The latents kept beside the data: written on the first run, read back by the next one with the same VAE and
samples, and never used for another VAE or other samples."""
import json
import os

import torch

from training.data import layout
from training.train import memdata
from training.train.parts import Parts
from training.tests.test_train_smoke import fixture_models, write_split


def caches(split_dir):
    return sorted(f for f in os.listdir(split_dir) if f.startswith("latents-"))


def test_latents_are_cached_per_vae_and_samples(tmp_path):
    torch.manual_seed(0)
    write_split(str(tmp_path), "train", 5)
    split = str(tmp_path / "train")
    parts = Parts(fixture_models(), torch.device("cpu"))
    said = []

    first = memdata.load_encoded(parts, split, log=said.append)
    assert len(caches(split)) == 1 and not said
    again = memdata.load_encoded(parts, split, log=said.append)
    assert said and said[-1].startswith("latents read from")
    assert torch.equal(first.latents, again.latents)
    assert torch.equal(first.clip_ids, again.clip_ids) and again.records == first.records
    # The same as encoding the frames directly.
    frames, records = memdata.load_split(split)
    assert torch.equal(memdata.encode_set(parts, frames, records).latents, first.latents)

    # Another VAE makes other latents: a second file, never the first one's.
    with torch.no_grad():
        next(parts.models.vae.parameters()).add_(0.1)
    other = memdata.load_encoded(parts, split, log=said.append)
    assert len(caches(split)) == 2 and not torch.equal(other.latents, first.latents)

    # Same VAE and count but other samples (a regenerated split): encoded again.
    records = layout.read_metadata(split)
    records[0], records[1] = records[1], records[0]
    with open(os.path.join(split, "metadata.jsonl"), "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))
    swapped = memdata.load_encoded(parts, split, log=said.append)
    assert "encoding again" in said[-1]
    assert torch.equal(swapped.latents[0], other.latents[1])
