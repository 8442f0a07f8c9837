"""All components of one bundle together, and the checkpoint format the exporter reads.

Checkpoint (torch.save'd dict; every key optional except `config`):
    {"config": config_to_dict(cfg), "vocab": [words...],
     "transformer": state_dict, "projector": ..., "vae": ..., "clip": ..., "t5": ...,
     "provenance": {...}}           # free-form, copied into the manifest
Components missing from a checkpoint keep their (seeded) initial weights; the exporter says which.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn

from .config import (ClipTextConfig, KontextConfig, ProjectorConfig, T5Config, TokenizerSpec, TransformerConfig,
                     VAEConfig)
from .projector import StrengthProjector
from .text_encoders import ClipTextEncoder, T5Encoder
from .tokenizer import WordTokenizer
from .transformer import KontextTransformer, load_transformer_state
from .vae import AutoencoderKL

COMPONENTS = ("transformer", "projector", "vae", "clip", "t5")


@dataclass
class KontextModels:
    config: KontextConfig
    transformer: KontextTransformer
    projector: StrengthProjector
    vae: AutoencoderKL
    clip: ClipTextEncoder
    t5: T5Encoder
    vocab: Optional[List[str]] = None
    provenance: Dict[str, Any] = field(default_factory=dict)

    def modules(self) -> Dict[str, nn.Module]:
        return {name: getattr(self, name) for name in COMPONENTS}

    def tokenizer(self) -> WordTokenizer:
        """The word-level tokenizer (tiny configs); raises ValueError when the models have no vocabulary."""
        if self.vocab is None:
            raise ValueError("these models have no word-level vocabulary (real CLIP/T5 tokenizers are files)")
        return WordTokenizer(self.vocab)

    def eval(self) -> "KontextModels":
        for m in self.modules().values():
            m.eval()
        return self


def build_models(cfg: KontextConfig, vocab: Optional[List[str]] = None, seed: Optional[int] = 0) -> KontextModels:
    """Instantiates every component from `cfg` (seeded when `seed` is not None)."""
    cfg.check()
    if vocab is not None and len(vocab) > min(cfg.clip.vocab_size, cfg.t5.vocab_size):
        raise ValueError(f"vocabulary of {len(vocab)} words exceeds the text encoders' vocab_size "
                         f"({cfg.clip.vocab_size}, {cfg.t5.vocab_size})")
    if seed is not None:
        torch.manual_seed(seed)
    return KontextModels(cfg, KontextTransformer(cfg.transformer), StrengthProjector(cfg.projector),
                         AutoencoderKL(cfg.vae), ClipTextEncoder(cfg.clip), T5Encoder(cfg.t5), vocab)


def config_to_dict(cfg: KontextConfig) -> Dict[str, Any]:
    return dataclasses.asdict(cfg)


_SUB = {"transformer": TransformerConfig, "projector": ProjectorConfig, "vae": VAEConfig, "clip": ClipTextConfig,
        "t5": T5Config, "clip_tokenizer": TokenizerSpec, "t5_tokenizer": TokenizerSpec}
_TUPLES = {("transformer", "axes_dims_rope"), ("vae", "block_out_channels")}


def config_from_dict(d: Dict[str, Any]) -> KontextConfig:
    """Rebuilds a KontextConfig from config_to_dict's output; raises TypeError on unknown fields."""
    kwargs = dict(d)
    for key, cls in _SUB.items():
        sub = dict(kwargs[key])
        for (owner, fld) in _TUPLES:
            if owner == key and fld in sub:
                sub[fld] = tuple(sub[fld])
        kwargs[key] = cls(**sub)
    kwargs["native_resolution"] = tuple(kwargs["native_resolution"])
    kwargs["preferred"] = [tuple(p) for p in kwargs["preferred"]]
    cfg = KontextConfig(**kwargs)
    cfg.check()
    return cfg


def save_checkpoint(path: str, models: KontextModels, extra: Optional[Dict[str, Any]] = None) -> None:
    """Writes every component's state dict, the config and the vocabulary (plus `extra` keys, e.g. optimiser)."""
    payload: Dict[str, Any] = {"config": config_to_dict(models.config), "vocab": models.vocab,
                               "provenance": dict(models.provenance)}
    for name, module in models.modules().items():
        payload[name] = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    payload.update(extra or {})
    torch.save(payload, path)


def load_checkpoint(path: str, default_config: Optional[KontextConfig] = None) -> KontextModels:
    """Loads a checkpoint written by save_checkpoint (or any dict in its format).

    Raises ValueError when it has no config and none is given, KeyError when a state dict does not fit.
    """
    payload = torch.load(path, map_location="cpu")
    if not isinstance(payload, dict):
        raise ValueError(f"{path}: expected a dict checkpoint, got {type(payload).__name__}")
    if payload.get("config") is not None:
        cfg = config_from_dict(payload["config"])
    elif default_config is not None:
        cfg = default_config
    else:
        raise ValueError(f"{path}: checkpoint has no 'config'; pass --config")
    models = build_models(cfg, payload.get("vocab"))
    models.provenance = dict(payload.get("provenance") or {})
    loaded = []
    for name, module in models.modules().items():
        state = payload.get(name)
        if state is None:
            continue
        if name == "transformer":
            load_transformer_state(module, state)
        else:
            result = module.load_state_dict(state, strict=False)
            if result.missing_keys or result.unexpected_keys:
                raise KeyError(f"{path}: '{name}' state does not match config {cfg.name!r}: missing "
                               f"{result.missing_keys[:6]}, unexpected {result.unexpected_keys[:6]}")
        loaded.append(name)
    models.provenance.setdefault("loaded_components", loaded)
    return models
