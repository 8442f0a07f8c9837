"""Parity vectors: fixed inputs and the PyTorch outputs of each bundle component, as JSON.

The TypeScript runtime tests run the exported ONNX files through onnxruntime-node on these inputs and assert
max |difference| <= tolerance. Every tensor is {"dtype", "shape", "data": flat row-major list}.
"""
from typing import Any, Dict, List

import numpy as np
import torch

from ..kontext.models import KontextModels
from ..kontext.packing import kontext_ids, text_ids

SAMPLE_TEXTS = ["Make it look like a watercolor painting", "turn the sky to NIGHT, please!",
                "add snow to the background", "change the car's colour to bright red", "zzzunknownword & more",
                "  tabs\tand\nnewlines  ", "it's a dog's-life...", "\u00c9cole caf\u00e9 \u2014 \u201cquoted\u201d", ""]


def tensor_json(t: torch.Tensor) -> Dict[str, Any]:
    arr = t.detach().cpu().numpy()
    dtype = "int64" if arr.dtype.kind in "iu" else "float32"
    flat = arr.astype(np.int64 if dtype == "int64" else np.float32).reshape(-1).tolist()
    return {"dtype": dtype, "shape": list(arr.shape), "data": flat}


def _random_ids(g: torch.Generator, spec, vocab_size: int, batch: int = 2) -> torch.Tensor:
    """[bos] + a few random ids + [eos] + padding, per the manifest's tokenisation rule."""
    rows = []
    for b in range(batch):
        n = 3 + 2 * b
        body = torch.randint(0, max(1, vocab_size - 2), (n,), generator=g).tolist()
        row = ([] if spec.bos_id is None else [spec.bos_id]) + body + [spec.eos_id]
        rows.append((row + [spec.pad_id] * spec.max_length)[:spec.max_length])
    return torch.tensor(rows, dtype=torch.int64)


def _case(component: str, name: str, inputs: Dict[str, torch.Tensor], outputs: Dict[str, torch.Tensor]):
    return {"component": component, "name": name, "inputs": {k: tensor_json(v) for k, v in inputs.items()},
            "outputs": {k: tensor_json(v) for k, v in outputs.items()}}


@torch.no_grad()
def parity_vectors(models: KontextModels, tolerance: float = 1e-4) -> Dict[str, Any]:
    """Cases for every component (fixed seed); `models` must hold the exact weights of the exported bundle."""
    models.eval()
    cfg = models.config
    tok = models.tokenizer() if models.vocab is not None else None
    g = torch.Generator().manual_seed(1234)
    cases: List[Dict[str, Any]] = []

    if tok is not None:
        texts = SAMPLE_TEXTS[:2]
        clip_ids = torch.tensor([tok.encode(t, cfg.clip_tokenizer) for t in texts], dtype=torch.int64)
        t5_ids = torch.tensor([tok.encode(t, cfg.t5_tokenizer) for t in texts], dtype=torch.int64)
    else:   # BPE/unigram bundles: fixed random ids in the manifest's layout (the tokenizers are tested apart)
        clip_ids = _random_ids(g, cfg.clip_tokenizer, cfg.clip.vocab_size)
        t5_ids = _random_ids(g, cfg.t5_tokenizer, cfg.t5.vocab_size)
    pooled = models.clip(clip_ids)
    text_embeds = models.t5(t5_ids)
    cases.append(_case("text_encoder_clip", "two_prompts", {"input_ids": clip_ids}, {"pooled": pooled}))
    cases.append(_case("text_encoder_t5", "two_prompts", {"input_ids": t5_ids}, {"text_embeds": text_embeds}))

    strengths = torch.tensor([[0.0], [0.25], [0.5], [1.0]])
    pooled4 = torch.cat([pooled, pooled], dim=0)
    modulation4 = models.projector(strengths, pooled4)
    cases.append(_case("projector", "strengths_0_025_05_1", {"strength": strengths, "pooled": pooled4},
                       {"modulation": modulation4}))

    t = cfg.transformer
    s = cfg.t5_tokenizer.max_length
    for name, (h, w), batch, mod_on, lora in (("square_plain", (4, 4), 2, False, 0.0),
                                              ("square_kontinuous", (4, 4), 2, True, 1.0),
                                              ("wide_half_lora_batch1", (4, 6), 1, True, 0.5)):
        n = 2 * (h // 2) * (w // 2)
        inputs = {
            "hidden_states": torch.randn(batch, n, t.in_channels, generator=g),
            "encoder_hidden_states": text_embeds[:batch],
            "pooled_projections": pooled[:batch],
            "timestep": torch.linspace(0.9, 0.3, batch),
            "guidance": torch.full((batch,), cfg.default_guidance),
            "img_ids": kontext_ids(h, w),
            "txt_ids": text_ids(s),
            "modulation": modulation4[1:1 + batch] if mod_on else torch.zeros(batch, t.modulation_dim),
            "lora_scale": torch.full((1,), lora),
        }
        velocity = models.transformer(**inputs)
        cases.append(_case("transformer", name, inputs, {"velocity": velocity}))

    image = torch.rand(1, 3, 32, 48, generator=g) * 2 - 1
    latent = models.vae.encode(image)
    cases.append(_case("vae_encoder", "32x48", {"image": image}, {"latent": latent}))
    cases.append(_case("vae_decoder", "4x6", {"latent": latent}, {"image": models.vae.decode(latent)}))

    tokenizers = {}
    for key, spec in (("clip", cfg.clip_tokenizer), ("t5", cfg.t5_tokenizer)):
        if tok is not None:
            tokenizers[key] = [{"text": text, "raw_ids": tok.encode_plain(text), "ids": tok.encode(text, spec)}
                               for text in SAMPLE_TEXTS]
    return {"bundle": cfg.name, "tolerance": tolerance, "cases": cases, "tokenizers": tokenizers}
