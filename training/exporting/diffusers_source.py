"""The real model: a local diffusers-format FLUX.1 Kontext folder (+ Kontinuous projector and LoRA) -> bundle.

Folder layout read (as published for FLUX.1-Kontext-dev):
    transformer/{config.json, *.safetensors[.index.json]}   FluxTransformer2DModel
    vae/{config.json, *.safetensors}                        AutoencoderKL (16 channels, no quant convs)
    text_encoder/{config.json, model.safetensors}           CLIPTextModel (CLIP-L)
    text_encoder_2/{config.json, *.safetensors[.index.json]} T5EncoderModel (v1.1 XXL)
    tokenizer/{vocab.json, merges.txt} or tokenizer.json    CLIP BPE
    tokenizer_2/tokenizer.json                              T5 unigram
Sizes come from the config.json files, so a reduced-size folder in the same layout exports the same way.
"""
import json
import os
import shutil
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from ..kontext.config import (ClipTextConfig, KontextConfig, ProjectorConfig, T5Config, TokenizerSpec, flux_kontext)
from .bundle import export_bundle, fresh_module
from .clip_tokenizer import clip_tokenizer_json
from .onnx_writer import ExportError, WeightSource
from .safetensors_io import SafetensorsCheckpoint

LORA_SUFFIXES = (".lora_A.weight", ".lora_B.weight")


def _read_json(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ExportError(f"{path} is missing: is this a diffusers FLUX.1 Kontext folder?") from None


def config_from_diffusers(root: str) -> KontextConfig:
    """KontextConfig from the folder's config.json files (FLUX defaults where a field is absent)."""
    cfg = flux_kontext()
    t = _read_json(os.path.join(root, "transformer", "config.json"))
    tr = cfg.transformer
    for key in ("in_channels", "num_layers", "num_single_layers", "attention_head_dim", "num_attention_heads",
                "joint_attention_dim", "pooled_projection_dim", "guidance_embeds"):
        if key in t:
            setattr(tr, key, t[key])
    tr.out_channels = t.get("out_channels") or tr.in_channels
    if "axes_dims_rope" in t:
        tr.axes_dims_rope = tuple(t["axes_dims_rope"])
    if t.get("patch_size", 1) != 1:
        raise ExportError(f"transformer patch_size {t['patch_size']} is not supported (FLUX uses 1)")
    v = _read_json(os.path.join(root, "vae", "config.json"))
    if v.get("use_quant_conv") or v.get("use_post_quant_conv"):
        raise ExportError("this VAE uses quant convs; FLUX's VAE does not and this exporter does not handle them")
    vae = cfg.vae
    for key in ("in_channels", "out_channels", "latent_channels", "layers_per_block", "norm_num_groups",
                "scaling_factor", "shift_factor"):
        if v.get(key) is not None:
            setattr(vae, key, v[key])
    vae.block_out_channels = tuple(v.get("block_out_channels", vae.block_out_channels))
    vae.mid_block_attention = bool(v.get("mid_block_add_attention", True))
    c = _read_json(os.path.join(root, "text_encoder", "config.json"))
    eos = c.get("eos_token_id", 2)
    cfg.clip = ClipTextConfig(
        vocab_size=c.get("vocab_size", 49408), hidden_size=c.get("hidden_size", 768),
        intermediate_size=c.get("intermediate_size", 3072), num_hidden_layers=c.get("num_hidden_layers", 12),
        num_attention_heads=c.get("num_attention_heads", 12),
        max_position_embeddings=c.get("max_position_embeddings", 77), hidden_act=c.get("hidden_act", "quick_gelu"),
        layer_norm_eps=c.get("layer_norm_eps", 1e-5),
        # eos_token_id 2 is transformers' legacy marker for "pool at the highest id" = the first <|endoftext|>.
        eos_token_id=(c.get("vocab_size", 49408) - 1) if eos == 2 else eos, causal=True)
    t5 = _read_json(os.path.join(root, "text_encoder_2", "config.json"))
    if t5.get("feed_forward_proj", "gated-gelu") != "gated-gelu":
        raise ExportError(f"T5 feed_forward_proj {t5.get('feed_forward_proj')!r}: only gated-gelu (v1.1) is handled")
    cfg.t5 = T5Config(vocab_size=t5.get("vocab_size", 32128), d_model=t5["d_model"], d_kv=t5["d_kv"],
                      d_ff=t5["d_ff"], num_layers=t5["num_layers"], num_heads=t5["num_heads"],
                      relative_attention_num_buckets=t5.get("relative_attention_num_buckets", 32),
                      relative_attention_max_distance=t5.get("relative_attention_max_distance", 128),
                      layer_norm_epsilon=t5.get("layer_norm_epsilon", 1e-6))
    cfg.projector = ProjectorConfig(pooled_dim=tr.pooled_projection_dim, hidden_dim=cfg.projector.hidden_dim,
                                    out_dim=tr.modulation_dim)
    return cfg


# ---------------------------------------------------------------------------------------------- weights

def _source_from(ckpt: SafetensorsCheckpoint, names: Dict[str, str]) -> WeightSource:
    """our name -> loader, given our name -> checkpoint key."""
    return {ours: (lambda key=key: ckpt.get(key)) for ours, key in names.items()}


def _match(component: str, model_keys: List[str], ckpt: SafetensorsCheckpoint,
           rename: Callable[[str], Optional[str]]) -> WeightSource:
    """Maps checkpoint keys onto the model's parameter names; raises ExportError listing what does not fit."""
    mapped: Dict[str, str] = {}
    unexpected = []
    for key in ckpt.keys():
        ours = rename(key)
        if ours is None:
            continue
        if ours in model_keys:
            mapped[ours] = key
        else:
            unexpected.append(key)
    missing = [k for k in model_keys if k not in mapped]
    if missing or unexpected:
        raise ExportError(f"{component}: checkpoint does not match the model built from its config.json: "
                          f"{len(missing)} missing (e.g. {missing[:4]}), {len(unexpected)} unexpected "
                          f"(e.g. {unexpected[:4]})")
    return _source_from(ckpt, mapped)


def rename_vae_key(key: str) -> Optional[str]:
    """diffusers VAE key -> ours (older checkpoints name the mid-block attention query/key/value/proj_attn)."""
    for old, new in ((".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")):
        key = key.replace(old, new)
    return key


def rename_clip_key(key: str) -> Optional[str]:
    if key.endswith("position_ids") or key.startswith("text_projection"):
        return None   # a buffer, and the projection FLUX does not use
    return key


def rename_t5_key(key: str) -> Optional[str]:
    if key == "encoder.embed_tokens.weight":
        return None   # tied to shared.weight
    return key


def lora_key_to_param(key: str) -> Optional[str]:
    """`transformer.<module>.lora_A.weight` (diffusers/peft naming) -> our `<module>.lora_A.weight`.

    Accepts peft's `.lora_A.default.weight` too; returns None for keys of other models (e.g. text encoders).
    """
    if key.startswith("transformer."):
        key = key[len("transformer."):]
    elif key.startswith(("text_encoder", "unet.")):
        return None
    key = key.replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.")
    return key if key.endswith(LORA_SUFFIXES) else None


def lora_source(path: str, model_keys: List[str], cfg: KontextConfig,
                alpha: Optional[float]) -> Tuple[WeightSource, Dict[str, Any]]:
    """Weights for every LoRA parameter of the model: from the file where present, zero B (no-op) elsewhere.

    Sets cfg.transformer.lora_rank/alpha from the file. Raises ExportError when a LoRA module of the file is
    not one of the model's LoRA targets, or ranks disagree.
    """
    ckpt = SafetensorsCheckpoint([path])
    found: Dict[str, str] = {}
    for key in ckpt.keys():
        ours = lora_key_to_param(key)
        if ours is not None:
            found[ours] = key
    if not found:
        raise ExportError(f"{path}: no transformer LoRA keys (expected 'transformer.<module>.lora_A.weight')")
    ranks = {ckpt.shape(k)[0] for ours, k in found.items() if ours.endswith(".lora_A.weight")}
    if len(ranks) != 1:
        raise ExportError(f"{path}: LoRA ranks differ between modules: {sorted(ranks)}")
    rank = ranks.pop()
    meta = ckpt.files[0].metadata
    file_alpha = None
    if "lora_adapter_metadata" in meta:
        try:
            file_alpha = json.loads(meta["lora_adapter_metadata"]).get("lora_alpha")
        except ValueError:
            file_alpha = None
    cfg.transformer.lora_rank = rank
    cfg.transformer.lora_alpha = float(alpha if alpha is not None else (file_alpha if file_alpha else rank))
    lora_keys = [k for k in model_keys if k.endswith(LORA_SUFFIXES)]
    stray = [k for k in found if k not in lora_keys]
    if stray:
        raise ExportError(f"{path}: LoRA on modules outside the paper's targets: {stray[:4]}")
    source: WeightSource = {ours: (lambda key=key: ckpt.get(key)) for ours, key in found.items()}
    return source, {"lora_file": os.path.basename(path), "lora_rank": rank,
                    "lora_alpha": cfg.transformer.lora_alpha, "lora_modules_in_file": len(found) // 2,
                    "lora_modules_zero_filled": (len(lora_keys) - len(found)) // 2}


def projector_state(path: str) -> Dict[str, np.ndarray]:
    """slider_projector.pth -> {pe_extender.*, projector.{0,2,4,6}.*} arrays (unwraps 'state_dict'/'module.')."""
    import torch
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ExportError(f"{path}: expected a state dict, got {type(state).__name__}")
    out = {}
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        out[key] = value.detach().float().cpu().numpy()
    want = {"pe_extender.weight", "pe_extender.bias"} | {f"projector.{i}.{p}" for i in (0, 2, 4, 6)
                                                          for p in ("weight", "bias")}
    if set(out) != want:
        raise ExportError(f"{path}: projector keys {sorted(out)} differ from the paper's {sorted(want)}")
    return out


# ---------------------------------------------------------------------------------------------- tokenizers

def _token_id(tokenizer_json: Dict[str, Any], content: str) -> Optional[int]:
    for t in tokenizer_json.get("added_tokens", []):
        if t.get("content") == content:
            return t["id"]
    vocab = tokenizer_json.get("model", {}).get("vocab")
    if isinstance(vocab, dict):
        return vocab.get(content)
    if isinstance(vocab, list):
        for i, entry in enumerate(vocab):
            if entry and entry[0] == content:
                return i
    return None


def tokenizer_writers(root: str, cfg: KontextConfig) -> Dict[str, Callable[[str], None]]:
    """Writers for tokenizer_clip.json and tokenizer_t5.json; sets cfg's tokenizer specs from the files."""
    clip_dir, t5_dir = os.path.join(root, "tokenizer"), os.path.join(root, "tokenizer_2")
    if os.path.exists(os.path.join(clip_dir, "tokenizer.json")):
        clip = _read_json(os.path.join(clip_dir, "tokenizer.json"))
    else:
        clip = clip_tokenizer_json(os.path.join(clip_dir, "vocab.json"), os.path.join(clip_dir, "merges.txt"))
    t5_path = os.path.join(t5_dir, "tokenizer.json")
    if not os.path.exists(t5_path):
        raise ExportError(f"{t5_path} is missing: FLUX.1-Kontext-dev ships it; a folder with only spiece.model "
                          "needs it converted first (transformers' T5TokenizerFast(...).save_pretrained)")
    t5 = _read_json(t5_path)
    clip_cfg = _read_json(os.path.join(clip_dir, "tokenizer_config.json")) \
        if os.path.exists(os.path.join(clip_dir, "tokenizer_config.json")) else {}
    max_clip = min(int(clip_cfg.get("model_max_length", 77)), cfg.clip.max_position_embeddings)
    bos, eos = _token_id(clip, "<|startoftext|>"), _token_id(clip, "<|endoftext|>")
    if bos is None or eos is None:
        raise ExportError("CLIP tokenizer lacks <|startoftext|>/<|endoftext|>")
    pad_token = clip_cfg.get("pad_token", "<|endoftext|>")
    pad_token = pad_token.get("content") if isinstance(pad_token, dict) else pad_token
    cfg.clip_tokenizer = TokenizerSpec(max_length=max_clip, bos_id=bos, eos_id=eos,
                                       pad_id=_token_id(clip, pad_token) or eos, lowercase=True)
    t5_eos, t5_pad = _token_id(t5, "</s>"), _token_id(t5, "<pad>")
    if t5_eos is None or t5_pad is None:
        raise ExportError(f"{t5_path} lacks </s> or <pad>")
    cfg.t5_tokenizer = TokenizerSpec(max_length=512, bos_id=None, eos_id=t5_eos, pad_id=t5_pad, lowercase=False)

    def write(content):
        def _write(path):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(content, f, ensure_ascii=False)
        return _write
    return {"tokenizer_clip": write(clip), "tokenizer_t5": (lambda path: shutil.copyfile(t5_path, path))}


# ---------------------------------------------------------------------------------------------- export

def _model_shapes(cfg: KontextConfig, attr: str) -> Dict[str, Tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in fresh_module(cfg, attr).state_dict().items()}


def _model_keys(cfg: KontextConfig, attr: str) -> List[str]:
    return list(_model_shapes(cfg, attr))


def export_from_diffusers(root: str, out_dir: str, projector_path: Optional[str] = None,
                          lora_path: Optional[str] = None, lora_alpha: Optional[float] = None, fp16: bool = False,
                          store_fp16: bool = False,
                          external: Optional[bool] = None, t5_seq_len: int = 512,
                          log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Writes a bundle from a diffusers FLUX.1 Kontext folder; without `projector_path` it is plain Kontext.

    Raises ExportError naming the file and keys when anything does not match the expected layout.
    """
    if lora_path and not projector_path:
        raise ExportError("--lora without --projector: the contract pairs the LoRA with the strength projector")
    cfg = config_from_diffusers(root)
    provenance: Dict[str, Any] = {"source": "diffusers folder", "source_folder": os.path.basename(os.path.abspath(root))}
    projector = None
    if projector_path:
        projector = projector_state(projector_path)
        hidden, in2 = projector["projector.0.weight"].shape
        cfg.projector = ProjectorConfig(pooled_dim=in2 // 2, hidden_dim=hidden,
                                        out_dim=projector["projector.6.weight"].shape[0])
        provenance["projector_file"] = os.path.basename(projector_path)
    else:
        cfg.name, cfg.display_name = "flux-kontext", "FLUX.1 Kontext"
        cfg.description = "FLUX.1 Kontext [dev] (no strength control)."
    cfg.transformer.lora_rank, cfg.transformer.lora_alpha = 0, 0.0
    lora: WeightSource = {}
    if lora_path:
        cfg.transformer.lora_rank = 1     # placeholder so the model has LoRA params to match against
        rank_keys = _model_keys(cfg, "transformer")
        lora, info = lora_source(lora_path, rank_keys, cfg, lora_alpha)
        provenance.update(info)
    writers = tokenizer_writers(root, cfg)
    cfg.t5_tokenizer.max_length = t5_seq_len
    cfg.check()

    weights: Dict[str, WeightSource] = {}
    tr_shapes = _model_shapes(cfg, "transformer")
    tr_keys = list(tr_shapes)
    base_keys = [k for k in tr_keys if not k.endswith(LORA_SUFFIXES)]
    weights["transformer"] = _match("transformer", base_keys, SafetensorsCheckpoint.from_folder(
        os.path.join(root, "transformer")), lambda k: k)
    for key in tr_keys:
        if key.endswith(LORA_SUFFIXES) and key not in lora:
            shape = tr_shapes[key]
            # Modules the file does not cover get zero A and B: they contribute exactly nothing.
            weights["transformer"][key] = (lambda shape=shape: np.zeros(shape, np.float32))
        elif key in lora:
            weights["transformer"][key] = lora[key]
    weights["vae"] = _match("vae", _model_keys(cfg, "vae"), SafetensorsCheckpoint.from_folder(
        os.path.join(root, "vae")), rename_vae_key)
    weights["clip"] = _match("text_encoder", _model_keys(cfg, "clip"), SafetensorsCheckpoint.from_folder(
        os.path.join(root, "text_encoder")), rename_clip_key)
    weights["t5"] = _match("text_encoder_2", _model_keys(cfg, "t5"), SafetensorsCheckpoint.from_folder(
        os.path.join(root, "text_encoder_2")), rename_t5_key)
    if projector is not None:
        weights["projector"] = {k: (lambda v=v: v) for k, v in projector.items()}
    return export_bundle(cfg, weights, out_dir, writers, fp16=fp16, with_projector=projector is not None,
                         with_lora=bool(lora_path), provenance=provenance, external=external, log=log,
                         store_fp16=store_fp16)

