"""The generated data set (training/data's layout) held in memory: frames as uint8, latents as float16, token
ids per instruction, and the frozen text encoders' outputs for stage 2. Training draws batches by index."""
import hashlib
import multiprocessing
import os
import sys

import numpy as np
import torch

from training.data import layout


def _decode(path):
    return layout.decode_stack(path)


def load_split(split_dir, limit=None, workers=1):
    """(frames uint8 [N,7,S,S,3], records) of a split's kept samples, in metadata order."""
    records = layout.read_metadata(split_dir)
    if limit:
        records = records[:limit]
    paths = [os.path.join(split_dir, r["image_name"]) for r in records]
    if workers > 1 and len(paths) > 64:
        ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        with ctx.Pool(workers) as pool:
            stacks = pool.map(_decode, paths, chunksize=32)
    else:
        stacks = [_decode(p) for p in paths]
    if not stacks:
        raise ValueError(f"{split_dir} holds no samples")
    return np.stack(stacks), records


def to_unit(frames_uint8):
    """uint8 [...,H,W,3] (numpy or tensor) -> float tensor [...,3,H,W] in [-1, 1]."""
    t = torch.as_tensor(frames_uint8)
    t = t.movedim(-1, -3).float()
    return t / 127.5 - 1.0


class LatentSet:
    """Per sequence: latents [N,7,C,h,w] (normalised, float16), clip/t5 ids, category; optional frozen text
    features (pooled [N,P], embeds [N,S,D]) for stage 2."""

    def __init__(self, latents, clip_ids, t5_ids, records, empty_clip_ids, empty_t5_ids):
        self.latents = latents
        self.clip_ids = clip_ids
        self.t5_ids = t5_ids
        self.records = records
        self.categories = [r["category"] for r in records]
        self.empty_clip_ids = empty_clip_ids
        self.empty_t5_ids = empty_t5_ids
        self.pooled = None
        self.embeds = None

    def __len__(self):
        return self.latents.shape[0]

    def extended(self, more):
        """This set followed by another's sequences (both without stage-2 text features)."""
        if self.pooled is not None or more.pooled is not None:
            raise ValueError("extend a LatentSet before its text features are added")
        return LatentSet(torch.cat([self.latents, more.latents.to(self.latents.device)]),
                         torch.cat([self.clip_ids, more.clip_ids]), torch.cat([self.t5_ids, more.t5_ids]),
                         self.records + more.records, self.empty_clip_ids, self.empty_t5_ids)


@torch.no_grad()
def encode_latents(parts, frames, batch=256, keep_on=None):
    """VAE latents (mean, normalised, float16) of frames uint8 [N,K,S,S,3] -> [N,K,C,h,w]."""
    n, k = frames.shape[:2]
    flat = frames.reshape(n * k, *frames.shape[2:])
    out = []
    for lo in range(0, n * k, batch):
        x = to_unit(flat[lo:lo + batch]).to(parts.device)
        out.append(parts.encode_images(x).half().to(keep_on or parts.device))
    return torch.cat(out).view(n, k, *out[0].shape[1:])


def latent_set(parts, lat, records):
    """A LatentSet of latents [N,7,C,h,w] and their records: tokenises every instruction."""
    # A latent past float16's range would make every batch that draws it NaN: such sequences are left out.
    finite = torch.isfinite(lat).flatten(1).all(1).cpu()
    if not bool(finite.all()):
        lat = lat[finite.to(lat.device)]
        records = [r for r, ok in zip(records, finite.tolist()) if ok]
    clip_ids, t5_ids = parts.token_ids([r["edit_instruction"] for r in records])
    e_clip, e_t5 = parts.token_ids([""])
    return LatentSet(lat, clip_ids, t5_ids, records, e_clip[0], e_t5[0])


def encode_set(parts, frames, records, batch=256, keep_on=None):
    """Encodes every frame with the VAE (mean, normalised) and tokenises every instruction."""
    return latent_set(parts, encode_latents(parts, frames, batch, keep_on), records)


def vae_digest(parts):
    """Names the latents a VAE makes: a hash of its weights and of the config's shift and scale."""
    h = hashlib.sha256(repr((parts.cfg.vae.shift_factor, parts.cfg.vae.scaling_factor)).encode())
    for name, value in sorted(parts.models.vae.state_dict().items()):
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def load_encoded(parts, split_dir, limit=None, cache=True, log=print):
    """The split as a LatentSet. The VAE stays frozen after its own stage, so every later run over the same
    data makes the same latents: they are kept beside the data (latents-<vae digest>-<count>.pt) and read back
    instead of decoding and encoding every frame again (8 minutes for 2,500 sequences on 2 CPU cores)."""
    records = layout.read_metadata(split_dir)
    if limit:
        records = records[:limit]
    if not records:
        raise ValueError(f"{split_dir} holds no samples")
    names = [r["image_name"] for r in records]
    path = os.path.join(split_dir, f"latents-{vae_digest(parts)}-{len(records)}.pt")
    if cache and os.path.exists(path):
        saved = torch.load(path, map_location="cpu")
        if saved.get("names") == names:
            log(f"latents read from {path}")
            return latent_set(parts, saved["latents"].to(parts.device), records)
        log(f"{path} was made for other samples: encoding again")
    frames, records = load_split(split_dir, limit)
    lat = encode_latents(parts, frames)
    del frames
    if cache:
        torch.save({"names": names, "latents": lat.cpu()}, path + ".part")
        os.replace(path + ".part", path)
    return latent_set(parts, lat, records)


@torch.no_grad()
def add_text_features(parts, data, batch=512):
    """Computes the (frozen) text encoders' outputs once per sequence, for stage 2."""
    pooled, embeds = [], []
    for lo in range(0, len(data), batch):
        p, e = parts.encode_text(data.clip_ids[lo:lo + batch], data.t5_ids[lo:lo + batch])
        pooled.append(p.float())
        embeds.append(e.half())
    data.pooled = torch.cat(pooled)
    data.embeds = torch.cat(embeds)
