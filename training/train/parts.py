"""The model helper's components (training.kontext) wrapped for training and evaluation: text encoding,
the transformer's velocity on [noisy target, clean reference] tokens, the projector, VAE encode/decode with the
latent normalisation z = (mean - shift) * scale that KONTEXT.md prescribes."""
import math

import torch

from training.kontext import build_models, config_from_dict, get_config
from training.kontext.tokenizer import WordTokenizer, build_vocab
from training.train import flow

try:  # the data helper's instruction vocabulary (a contract: words are only ever appended)
    from training.data.vocabulary import WORDS as DATA_WORDS
except ImportError:  # pragma: no cover - data package absent
    DATA_WORDS = ()


def tiny_vocab():
    """The word list kontext-tiny's tokenizers are built from: specials, base words, every data word."""
    return build_vocab(list(DATA_WORDS))


class Parts:
    """Holds KontextModels on a device plus the tokenizers and the schedule constants."""

    def __init__(self, models, device):
        self.models = models
        self.cfg = models.config
        self.device = device
        for m in models.modules().values():
            m.to(device)
        self.sched = flow.scheduler_of(self.cfg)
        self.tokenizer = WordTokenizer(models.vocab)
        self._ids_cache = {}

    # ---- text -------------------------------------------------------------------------------------------
    def token_ids(self, texts):
        """(clip_ids [B,Lc], t5_ids [B,Lt]) int64 on CPU, by the manifest's tokenisation rule."""
        clip = [self.tokenizer.encode(t, self.cfg.clip_tokenizer) for t in texts]
        t5 = [self.tokenizer.encode(t, self.cfg.t5_tokenizer) for t in texts]
        return torch.tensor(clip, dtype=torch.long), torch.tensor(t5, dtype=torch.long)

    def encode_text(self, clip_ids, t5_ids):
        """(pooled [B,P], embeds [B,S,D]) from the two text encoders."""
        return self.models.clip(clip_ids.to(self.device)), self.models.t5(t5_ids.to(self.device))

    # ---- transformer ------------------------------------------------------------------------------------
    def _ids(self, n, s):
        key = (n, s)
        if key not in self._ids_cache:
            side = int(round(math.sqrt(n))) * 2  # square latent grids (128x128 -> 16x16 latent, 64 tokens)
            if (side // 2) ** 2 != n:
                raise ValueError(f"{n} tokens are not a square latent grid")
            self._ids_cache[key] = (flow.edit_ids(side, side, self.device), torch.zeros(s, 3, device=self.device))
        return self._ids_cache[key]

    def velocity(self, x, ref, embeds, pooled, sigma, guidance, modulation, lora):
        """Velocity of the target tokens x [B,N,64] given clean reference tokens ref [B,N,64]."""
        n = x.shape[1]
        img_ids, txt_ids = self._ids(n, embeds.shape[1])
        if not torch.is_tensor(guidance):
            guidance = torch.full((x.shape[0],), float(guidance), device=self.device)
        lora_scale = None if not lora else torch.full((1,), float(lora), device=self.device)
        out = self.models.transformer(torch.cat([x, ref], dim=1), embeds, pooled, sigma, guidance, img_ids, txt_ids,
                                      modulation, lora_scale)
        return out[:, :n]

    def modulation(self, strength, pooled):
        """The projector's output for strengths [B,1] (through the config's strength curve, if any)."""
        return self.models.projector(apply_strength_curve(strength, self.cfg.projector.strength_curve), pooled)

    # ---- VAE --------------------------------------------------------------------------------------------
    def encode_images(self, images):
        """images [B,3,H,W] in [-1,1] -> normalised latents (mean - shift) * scale."""
        v = self.cfg.vae
        return (self.models.vae.encode(images.to(self.device)) - v.shift_factor) * v.scaling_factor

    def decode_latents(self, z):
        """normalised latents -> images [B,3,H,W] in [-1,1] (unclamped)."""
        v = self.cfg.vae
        return self.models.vae.decode(z / v.scaling_factor + v.shift_factor)


def new_models(config_name="tiny", overrides=None, seed=0, vocab=None):
    """Fresh KontextModels (default: the tiny vocabulary); overrides: {"transformer": {...}, ...} applied to the
    config (sections of config_to_dict), e.g. a wider transformer or a larger LoRA rank."""
    cfg = get_config(config_name)
    if overrides:
        from training.kontext import config_to_dict
        d = config_to_dict(cfg)
        for section, fields in overrides.items():
            if isinstance(fields, dict):
                d[section].update(fields)
            else:
                d[section] = fields
        cfg = config_from_dict(d)
    return build_models(cfg, vocab or tiny_vocab(), seed=seed)


def apply_strength_curve(strength, knots):
    """Piecewise-linear map of a strength tensor through knots [[s, projector s], ...]; identity without knots."""
    if not knots:
        return strength
    xs = torch.tensor([k[0] for k in knots], dtype=strength.dtype, device=strength.device)
    ys = torch.tensor([k[1] for k in knots], dtype=strength.dtype, device=strength.device)
    s = strength.clamp(0, 1)
    i = torch.searchsorted(xs, s.contiguous(), right=True).clamp(1, len(knots) - 1)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 + (s - x0) * (y1 - y0) / (x1 - x0)
