"""Reads a bundle's weights back into torch modules (ONNX initializers carry the modules' parameter names).

Used by the tests to prove a committed bundle and the current model code agree, and handy for fine-tuning an
exported tiny bundle.
"""
import json
import os
from typing import Dict

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from ..kontext.config import KontextConfig
from ..kontext.models import KontextModels, build_models
from ..kontext.tokenizer import load_vocab_from_json

FILE_COMPONENT = {"text_encoder_clip": "clip", "text_encoder_t5": "t5", "projector": "projector",
                  "transformer": "transformer", "vae_encoder": "vae", "vae_decoder": "vae"}


def bundle_initializers(path: str) -> Dict[str, np.ndarray]:
    """name -> float32 array of every initializer of one ONNX file (external data resolved by path)."""
    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t).astype(np.float32) for t in model.graph.initializer
            if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)}


def load_bundle_models(bundle_dir: str, cfg: KontextConfig) -> KontextModels:
    """Torch models of `cfg` holding the weights of the bundle in `bundle_dir`.

    Raises KeyError naming parameters the bundle lacks.
    """
    with open(os.path.join(bundle_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(bundle_dir, manifest["files"]["tokenizer_clip"]), encoding="utf-8") as f:
        is_word_level = json.load(f).get("model", {}).get("type") == "WordPiece"
    vocab = load_vocab_from_json(os.path.join(bundle_dir, manifest["files"]["tokenizer_clip"])) \
        if is_word_level else None
    models = build_models(cfg, vocab, seed=None)
    states: Dict[str, Dict[str, np.ndarray]] = {}
    for key, component in FILE_COMPONENT.items():
        if key in manifest["files"]:
            states.setdefault(component, {}).update(bundle_initializers(os.path.join(bundle_dir, manifest["files"][key])))
    for component, module in models.modules().items():
        state = states.get(component, {})
        own = module.state_dict()
        missing = [k for k in own if k not in state]
        if missing:
            raise KeyError(f"bundle {bundle_dir} has no {component} weights for {missing[:5]}")
        module.load_state_dict({k: torch.from_numpy(state[k]).reshape(own[k].shape) for k in own})
    return models.eval()
