"""Writes a whole bundle folder: the ONNX files of the contract, tokenizers and manifest.json.

The manifest follows models/BUNDLE_FORMAT.md (version 1) field for field; sha256 covers every file written,
external-data files included.
"""
import hashlib
import json
import os
import time
from typing import Any, Callable, Dict, List, Optional

import torch

from ..kontext.config import KontextConfig
from ..kontext.meta import meta_device
from ..kontext.models import KontextModels
from ..kontext.projector import StrengthProjector
from ..kontext.text_encoders import ClipTextEncoder, T5Encoder
from ..kontext.transformer import KontextTransformer
from ..kontext.vae import AutoencoderKL
from .components import component_specs
from .onnx_writer import WeightSource, export_onnx

EXPORTER_VERSION = "1"
T5_KEEP_FP32 = ("DenseReluDense.wo",)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fresh_module(cfg: KontextConfig, attr: str) -> torch.nn.Module:
    """A weightless (meta-device) instance of a component, for tracing with placeholders."""
    with meta_device():
        if attr == "transformer":
            return KontextTransformer(cfg.transformer)
        if attr == "projector":
            return StrengthProjector(cfg.projector)
        if attr == "vae":
            return AutoencoderKL(cfg.vae)
        if attr == "clip":
            return ClipTextEncoder(cfg.clip)
        if attr == "t5":
            return T5Encoder(cfg.t5)
    raise KeyError(f"unknown component {attr!r}")


def state_source(module: torch.nn.Module) -> WeightSource:
    """A weight source over a live module's parameters."""
    state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    return {k: (lambda v=v: v.float().numpy()) for k, v in state.items()}


def build_manifest(cfg: KontextConfig, files: Dict[str, str], hashes: Dict[str, str], precision: str,
                   projector: bool, lora: str, provenance: Dict[str, Any]) -> Dict[str, Any]:
    """The manifest.json content for a bundle (BUNDLE_FORMAT.md version 1)."""
    return {
        "format": "kontinuous-bundle",
        "format_version": 1,
        "name": cfg.name,
        "display_name": cfg.display_name,
        "description": cfg.description,
        "license": cfg.license,
        "files": files,
        "sha256": hashes,
        "dims": cfg.dims(),
        "tokenizers": {"clip": cfg.clip_tokenizer.manifest(), "t5": cfg.t5_tokenizer.manifest()},
        "vae": {"downscale": cfg.vae.downscale, "scaling_factor": cfg.vae.scaling_factor,
                "shift_factor": cfg.vae.shift_factor},
        "scheduler": {"type": "flow_match_euler", "dynamic_shift": True,
                      "base_seq_len": cfg.scheduler_base_seq_len, "max_seq_len": cfg.scheduler_max_seq_len,
                      "base_shift": cfg.scheduler_base_shift, "max_shift": cfg.scheduler_max_shift},
        "resolutions": {"native": list(cfg.native_resolution), "preferred": cfg.preferred_resolutions(),
                        "multiple_of": cfg.multiple_of},
        "defaults": {"steps": cfg.default_steps, "guidance": cfg.default_guidance, "seed": cfg.default_seed},
        "kontinuous": dict({"projector": projector, "lora": lora},
                           **({"strength_curve": cfg.projector.strength_curve}
                              if projector and cfg.projector.strength_curve else {})),
        "precision": precision,
        "provenance": provenance,
    }


def export_bundle(cfg: KontextConfig, weights: Dict[str, WeightSource], out_dir: str,
                  tokenizer_writers: Dict[str, Callable[[str], None]], fp16: bool = False,
                  with_projector: bool = True, with_lora: bool = True, store_fp16: bool = False,
                  provenance: Optional[Dict[str, Any]] = None, external: Optional[bool] = None,
                  log: Callable[[str], None] = lambda s: None) -> Dict[str, Any]:
    """Exports every component named by the contract into `out_dir` and writes manifest.json.

    `weights` maps a component ("transformer", "projector", "vae", "clip", "t5") to its weight source;
    `tokenizer_writers` maps "tokenizer_clip"/"tokenizer_t5" to a function writing that file.
    Returns the manifest. Raises ExportError (from the ONNX writer) when weights do not fit the config.
    """
    cfg.check()
    os.makedirs(out_dir, exist_ok=True)
    with_lora = with_lora and cfg.transformer.lora_rank > 0
    files: Dict[str, str] = {}
    written: List[str] = []
    for spec in component_specs(cfg, with_projector, with_lora):
        started = time.time()
        path = os.path.join(out_dir, spec.filename)
        module = fresh_module(cfg, spec.module_attr)
        source = dict(weights[spec.module_attr])
        if with_lora is False and spec.module_attr == "transformer":
            source = {k: v for k, v in source.items() if ".lora_" not in k}
            _strip_lora(module)
        example = spec.example(cfg)
        written += export_onnx(module, spec.fn, example, spec.input_names, spec.output_names, spec.dynamic_axes,
                               source, path, fp16=fp16, external=external, component=spec.key,
                               keep_fp32=T5_KEEP_FP32 if spec.module_attr == "t5" else (), store_fp16=store_fp16)
        files[spec.key] = spec.filename
        log(f"{spec.filename}: {os.path.getsize(path) / 1e6:.2f} MB in {time.time() - started:.1f} s")
    for key, filename in (("tokenizer_clip", "tokenizer_clip.json"), ("tokenizer_t5", "tokenizer_t5.json")):
        path = os.path.join(out_dir, filename)
        tokenizer_writers[key](path)
        files[key] = filename
        written.append(path)
    hashes = {os.path.relpath(p, out_dir): sha256_file(p) for p in written}
    prov = {"exporter": f"training.export v{EXPORTER_VERSION}", "torch": torch.__version__}
    prov.update(provenance or {})
    if store_fp16:
        prov["weight_storage"] = "float16, cast to float32 when the session loads (computation in float32)"
    manifest = build_manifest(cfg, files, hashes, "fp16" if fp16 else "fp32", with_projector,
                              "unmerged" if with_lora else "none", prov)
    with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest


def _strip_lora(module: torch.nn.Module) -> None:
    for m in module.modules():
        if getattr(m, "lora_rank", 0) > 0:
            m.lora_rank = 0
            del m.lora_A
            del m.lora_B


def export_models(models: KontextModels, out_dir: str, fp16: bool = False, with_projector: bool = True,
                  with_lora: bool = True, provenance: Optional[Dict[str, Any]] = None,
                  log: Callable[[str], None] = lambda s: None, store_fp16: bool = False) -> Dict[str, Any]:
    """Exports live torch models (tiny/fixture configs with a word-level vocabulary) as a bundle."""
    tokenizer = models.tokenizer()
    writers = {"tokenizer_clip": tokenizer.save, "tokenizer_t5": tokenizer.save}
    weights = {name: state_source(module) for name, module in models.modules().items()}
    prov = dict(models.provenance)
    prov.update(provenance or {})
    return export_bundle(models.config, weights, out_dir, writers, fp16=fp16, with_projector=with_projector,
                         with_lora=with_lora, provenance=prov, log=log, store_fp16=store_fp16)
