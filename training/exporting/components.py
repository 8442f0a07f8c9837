"""The ONNX contract of each bundle component: file name, input/output names, dynamic axes, trace inputs.

Names follow shared/design/KONTEXT.md section 3 and models/BUNDLE_FORMAT.md exactly.
"""
from dataclasses import dataclass
from typing import Callable, Dict, List

import torch

from ..kontext.config import KontextConfig
from ..kontext.packing import kontext_ids, text_ids


@dataclass
class ComponentSpec:
    key: str                      # manifest `files` key
    filename: str
    module_attr: str              # KontextModels attribute holding the torch module
    input_names: List[str]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]]
    fn: Callable
    example: Callable[[KontextConfig], tuple]


def _clip(m, ids):
    return m(ids)


def _t5(m, ids):
    return m(ids)


def _projector(m, strength, pooled):
    return m(strength, pooled)


def _vae_encode(m, image):
    return m.encode(image)


def _vae_decode(m, latent):
    return m.decode(latent)


def _transformer_full(m, hs, enc, pooled, t, g, img_ids, txt_ids, modulation, lora_scale):
    return m(hs, enc, pooled, t, g, img_ids, txt_ids, modulation, lora_scale)


def _transformer_mod(m, hs, enc, pooled, t, g, img_ids, txt_ids, modulation):
    return m(hs, enc, pooled, t, g, img_ids, txt_ids, modulation, None)


def _transformer_plain(m, hs, enc, pooled, t, g, img_ids, txt_ids):
    return m(hs, enc, pooled, t, g, img_ids, txt_ids, None, None)


def _ids_example(cfg: KontextConfig, length: int, vocab: int):
    # The sequence axis is dynamic, so a short trace serves every length (T5-XXL at 512 would take minutes).
    g = torch.Generator().manual_seed(0)
    return (torch.randint(4, max(5, min(vocab, 64)), (2, min(length, 8)), generator=g),)


def _transformer_example(cfg: KontextConfig, with_mod: bool, with_lora: bool):
    t = cfg.transformer
    g = torch.Generator().manual_seed(0)
    grid, s = 4, 3   # small trace sizes; every size axis is dynamic
    n = 2 * (grid // 2) ** 2
    args = [torch.randn(2, n, t.in_channels, generator=g), torch.randn(2, s, t.joint_attention_dim, generator=g),
            torch.randn(2, t.pooled_projection_dim, generator=g), torch.rand(2, generator=g),
            torch.full((2,), 2.5), kontext_ids(grid, grid), text_ids(s)]
    if with_mod:
        args.append(torch.randn(2, t.modulation_dim, generator=g))
    if with_lora:
        args.append(torch.ones(1))
    return tuple(args)


def component_specs(cfg: KontextConfig, with_projector: bool = True, with_lora: bool = True) -> List[ComponentSpec]:
    """Specs of every file of a bundle for `cfg` (transformer inputs depend on projector/LoRA presence)."""
    b = {0: "batch"}
    with_lora = with_lora and cfg.transformer.lora_rank > 0
    tr_inputs = ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "guidance", "img_ids",
                 "txt_ids"]
    tr_axes = {"hidden_states": {0: "batch", 1: "num_tokens"}, "encoder_hidden_states": {0: "batch", 1: "text_len"},
               "pooled_projections": b, "timestep": b, "guidance": b, "img_ids": {0: "num_tokens"},
               "txt_ids": {0: "text_len"}, "velocity": {0: "batch", 1: "num_tokens"}}
    if with_projector:
        tr_inputs.append("modulation")
        tr_axes["modulation"] = b
        tr_fn = _transformer_full if with_lora else _transformer_mod
        if with_lora:
            tr_inputs.append("lora_scale")
    else:
        tr_fn = _transformer_plain
        if with_lora:
            raise ValueError("a LoRA without the projector is not part of the contract; merge it or drop it")
    specs = [
        ComponentSpec("text_encoder_clip", "text_encoder_clip.onnx", "clip", ["input_ids"], ["pooled"],
                      {"input_ids": {0: "batch", 1: "seq"}, "pooled": b}, _clip,
                      lambda c: _ids_example(c, c.clip_tokenizer.max_length, c.clip.vocab_size)),
        ComponentSpec("text_encoder_t5", "text_encoder_t5.onnx", "t5", ["input_ids"], ["text_embeds"],
                      {"input_ids": {0: "batch", 1: "seq"}, "text_embeds": {0: "batch", 1: "seq"}}, _t5,
                      lambda c: _ids_example(c, c.t5_tokenizer.max_length, c.t5.vocab_size)),
        ComponentSpec("transformer", "transformer.onnx", "transformer", tr_inputs, ["velocity"], tr_axes, tr_fn,
                      lambda c: _transformer_example(c, with_projector, with_lora)),
        ComponentSpec("vae_encoder", "vae_encoder.onnx", "vae", ["image"], ["latent"],
                      {"image": {0: "batch", 2: "height", 3: "width"},
                       "latent": {0: "batch", 2: "latent_height", 3: "latent_width"}}, _vae_encode,
                      lambda c: (torch.rand(1, 3, 2 * c.vae.downscale, 2 * c.vae.downscale) * 2 - 1,)),
        ComponentSpec("vae_decoder", "vae_decoder.onnx", "vae", ["latent"], ["image"],
                      {"latent": {0: "batch", 2: "latent_height", 3: "latent_width"},
                       "image": {0: "batch", 2: "height", 3: "width"}}, _vae_decode,
                      lambda c: (torch.randn(1, c.vae.latent_channels, 2, 2),)),
    ]
    if with_projector:
        specs.insert(2, ComponentSpec(
            "projector", "projector.onnx", "projector", ["strength", "pooled"], ["modulation"],
            {"strength": b, "pooled": b, "modulation": b}, _projector,
            lambda c: (torch.rand(2, 1), torch.randn(2, c.projector.pooled_dim))))
    return specs
