"""Writes a reduced-size FLUX.1 Kontext folder in the exact diffusers layout, plus Kontinuous projector/LoRA files.

Keys and shapes come from flux_layout.py (independent of the model code); dtypes mirror the real release
(transformer and T5 in bf16, sharded with an index; CLIP in fp16; VAE in fp32).
"""
import json
import os
from typing import Dict, Tuple

import numpy as np
import torch

from training.exporting.safetensors_io import write_safetensors

from flux_layout import clip_shapes, lora_shapes, projector_shapes, t5_shapes, transformer_shapes, vae_shapes

SMALL_TRANSFORMER = dict(in_channels=64, num_layers=2, num_single_layers=2, attention_head_dim=16,
                         num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=24,
                         guidance_embeds=True, axes_dims_rope=[4, 6, 6], patch_size=1, out_channels=None)
SMALL_VAE = dict(in_channels=3, out_channels=3, latent_channels=16, block_out_channels=[8, 16, 16, 16],
                 layers_per_block=2, norm_num_groups=4, scaling_factor=0.3611, shift_factor=0.1159,
                 use_quant_conv=False, use_post_quant_conv=False, mid_block_add_attention=True)
SMALL_CLIP = dict(vocab_size=0, hidden_size=24, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                  max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5, bos_token_id=0,
                  eos_token_id=2, pad_token_id=1)     # vocab_size set from the synthetic BPE vocabulary
SMALL_T5 = dict(vocab_size=0, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4,
                relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
                feed_forward_proj="gated-gelu")
LORA_RANK = 4


def _bytes_to_unicode() -> Dict[int, str]:
    """GPT-2/CLIP's byte -> printable character table (printable Latin-1 bytes map to themselves)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def clip_vocab_and_merges() -> Tuple[Dict[str, int], list]:
    chars = list(_bytes_to_unicode().values())
    vocab_list = chars + [c + "</w>" for c in chars]
    merges = ["t h", "th e</w>", "r e", "re d</w>", "c a", "ca t</w>", "s k", "sk y</w>"]
    for m in merges:
        merged = m.replace(" ", "")
        if merged not in vocab_list:
            vocab_list.append(merged)
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(vocab_list)}, merges


def t5_tokenizer_json() -> dict:
    words = ["▁the", "▁red", "▁cat", "▁sky", "▁make", "▁it", "▁blue", "▁a"] + [f"▁{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    words += list("abcdefghijklmnopqrstuvwxyz") + ["▁"]
    vocab = [["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]] + [[w, -1.0 - 0.1 * i] for i, w in enumerate(words)]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(["<pad>", "</s>", "<unk>"])],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True,
                          "prepend_scheme": "always", "split": True},
        "post_processor": None,
        "decoder": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True, "prepend_scheme": "always",
                    "split": True},
        "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab, "byte_fallback": False},
    }


def _random(shapes, rng: np.random.Generator, scale: float = 0.2) -> Dict[str, np.ndarray]:
    out = {}
    for name, shape in shapes.items():
        if len(shape) == 1 and "norm" in name and name.endswith(".weight"):
            out[name] = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        else:
            fan_in = shape[1] if len(shape) > 1 else 1
            out[name] = (rng.standard_normal(shape) * scale / max(1.0, np.sqrt(fan_in) / 4)).astype(np.float32)
    return out


def _write_sharded(folder: str, prefix: str, tensors: Dict[str, np.ndarray], bf16: bool, shards: int) -> None:
    names = sorted(tensors)
    weight_map = {}
    for i in range(shards):
        part = names[i::shards]
        filename = f"{prefix}-{i + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(folder, filename), {n: tensors[n] for n in part}, bf16=bf16,
                          metadata={"format": "pt"})
        weight_map.update({n: filename for n in part})
    with open(os.path.join(folder, f"{prefix}.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)


def _config(folder: str, cfg: dict, class_name: str) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(dict(cfg, _class_name=class_name), f)


def make_synthetic_flux(root: str, seed: int = 0, lora_subset: int = 10) -> Dict[str, object]:
    """Writes the folder at `root` and `root`/../{slider_projector.pth, pytorch_lora_weights.safetensors}.

    Returns paths and the written tensors (by checkpoint key) for the tests to compare against.
    """
    rng = np.random.default_rng(seed)
    vocab, merges = clip_vocab_and_merges()
    clip_cfg = dict(SMALL_CLIP, vocab_size=len(vocab))
    t5_json = t5_tokenizer_json()
    t5_cfg = dict(SMALL_T5, vocab_size=len(t5_json["model"]["vocab"]))
    written: Dict[str, Dict[str, np.ndarray]] = {}

    folder = os.path.join(root, "transformer")
    _config(folder, SMALL_TRANSFORMER, "FluxTransformer2DModel")
    written["transformer"] = _random(transformer_shapes(SMALL_TRANSFORMER), rng)
    _write_sharded(folder, "diffusion_pytorch_model", written["transformer"], bf16=True, shards=2)

    folder = os.path.join(root, "vae")
    _config(folder, SMALL_VAE, "AutoencoderKL")
    written["vae"] = _random(vae_shapes(SMALL_VAE), rng)
    write_safetensors(os.path.join(folder, "diffusion_pytorch_model.safetensors"), written["vae"])

    folder = os.path.join(root, "text_encoder")
    _config(folder, clip_cfg, "CLIPTextModel")
    written["clip"] = {k: v.astype(np.float16) for k, v in _random(clip_shapes(clip_cfg), rng).items()}
    extra = {"text_model.embeddings.position_ids": np.arange(77, dtype=np.int64)[None]}
    write_safetensors(os.path.join(folder, "model.safetensors"), dict(written["clip"], **extra))

    folder = os.path.join(root, "text_encoder_2")
    _config(folder, t5_cfg, "T5EncoderModel")
    written["t5"] = _random(t5_shapes(t5_cfg), rng)
    tied = {"encoder.embed_tokens.weight": written["t5"]["shared.weight"]}
    _write_sharded(folder, "model", dict(written["t5"], **tied), bf16=True, shards=2)

    folder = os.path.join(root, "tokenizer")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": 77, "pad_token": "<|endoftext|>"}, f)
    folder = os.path.join(root, "tokenizer_2")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(t5_json, f, ensure_ascii=False)
    with open(os.path.join(root, "model_index.json"), "w") as f:
        json.dump({"_class_name": "FluxKontextPipeline"}, f)

    d = SMALL_TRANSFORMER["num_attention_heads"] * SMALL_TRANSFORMER["attention_head_dim"]
    projector = _random(projector_shapes(SMALL_TRANSFORMER["pooled_projection_dim"], 40, 2 * d), rng, scale=0.5)
    projector_path = os.path.join(os.path.dirname(root), "slider_projector.pth")
    torch.save({k: torch.from_numpy(v) for k, v in projector.items()}, projector_path)
    written["projector"] = projector

    # A LoRA over only part of the targets (the rest must be zero-filled), B non-zero so it matters.
    all_lora = lora_shapes(SMALL_TRANSFORMER, LORA_RANK)
    modules = sorted({k.rsplit(".lora_", 1)[0] for k in all_lora})[:lora_subset]
    lora = {k: (rng.standard_normal(s) * 0.3).astype(np.float32) for k, s in all_lora.items()
            if k.rsplit(".lora_", 1)[0] in modules}
    lora_path = os.path.join(os.path.dirname(root), "pytorch_lora_weights.safetensors")
    write_safetensors(lora_path, lora, bf16=True)
    written["lora"] = lora
    return {"root": root, "projector": projector_path, "lora": lora_path, "written": written,
            "lora_modules": modules}
