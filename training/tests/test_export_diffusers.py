"""The real-model path: FLUX.1 Kontext's full key sets vs the model code and the exporter's mapping, and an
end-to-end export of a synthetic reduced-size checkpoint in the exact diffusers layout."""
import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from flux_layout import (CLIP_L, FLUX_TRANSFORMER, FLUX_VAE, T5_XXL, clip_shapes, lora_shapes, projector_shapes,
                         t5_shapes, transformer_shapes, vae_shapes)
from synthetic_diffusers import LORA_RANK, make_synthetic_flux
from training.exporting import diffusers_source as ds
from training.exporting.parity import parity_vectors
from training.exporting.reimport import load_bundle_models
from training.exporting.safetensors_io import (SafetensorsCheckpoint, bf16_to_float32, float32_to_bf16,
                                               write_safetensors)
from training.kontext import get_config
from training.kontext.models import COMPONENTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_SCRIPT = os.path.join(ROOT, "training", "tests", "ort_parity.mjs")
HAVE_ORT = shutil.which("node") is not None and os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node"))


class KeysOnly:
    """A checkpoint stand-in with the real key set and no tensors (nothing is downloaded or allocated)."""

    def __init__(self, keys):
        self._keys = list(keys)

    def keys(self):
        return self._keys

    def get(self, name):
        raise AssertionError("the mapping test must not load tensors")


def _write_configs(root):
    for sub, cfg in (("transformer", FLUX_TRANSFORMER), ("vae", FLUX_VAE), ("text_encoder", CLIP_L),
                     ("text_encoder_2", T5_XXL)):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        with open(os.path.join(root, sub, "config.json"), "w") as f:
            json.dump(cfg, f)


def test_full_flux_kontext_key_sets_match_model_and_mapping(tmp_path):
    """19 double + 38 single blocks, the 16-channel VAE, CLIP-L, T5-XXL, projector and LoRA: every published key
    maps onto exactly one parameter of the model built from the published config.json files, shapes equal."""
    _write_configs(str(tmp_path))
    cfg = ds.config_from_diffusers(str(tmp_path))
    ref = get_config("flux_kontext")
    assert cfg.dims() == ref.dims() and cfg.vae == ref.vae
    assert (cfg.transformer.num_layers, cfg.transformer.num_single_layers) == (19, 38)
    assert cfg.clip.eos_token_id == 49407       # legacy eos_token_id 2 -> pool at <|endoftext|>
    cfg.transformer.lora_rank, cfg.transformer.lora_alpha = 4, 4.0
    expected = {"transformer": transformer_shapes(FLUX_TRANSFORMER), "vae": vae_shapes(FLUX_VAE),
                "clip": clip_shapes(CLIP_L), "t5": t5_shapes(T5_XXL), "projector": projector_shapes()}
    renames = {"transformer": lambda k: k, "vae": ds.rename_vae_key, "clip": ds.rename_clip_key,
               "t5": ds.rename_t5_key, "projector": lambda k: k}
    extras = {"clip": ["text_model.embeddings.position_ids"], "t5": ["encoder.embed_tokens.weight"]}
    for attr in COMPONENTS:
        model = ds._model_shapes(cfg, attr)
        base = {k: v for k, v in model.items() if ".lora_" not in k}
        assert base == expected[attr], attr
        mapped = ds._match(attr, list(base), KeysOnly(list(expected[attr]) + extras.get(attr, [])), renames[attr])
        assert set(mapped) == set(base)
    assert len(expected["transformer"]) == 19 * 32 + 38 * 14 + 20
    assert sum(int(np.prod(s)) for s in expected["transformer"].values()) == 11_901_408_320
    model = ds._model_shapes(cfg, "transformer")
    lora = lora_shapes(FLUX_TRANSFORMER, 4)
    mapped = {ds.lora_key_to_param(k): s for k, s in lora.items()}
    assert mapped == {k: v for k, v in model.items() if ".lora_" in k}
    assert len(lora) == 2 * (19 * 12 + 38 * 3)
    assert ds.lora_key_to_param("transformer.single_transformer_blocks.3.attn.to_k.lora_B.default.weight") == \
        "single_transformer_blocks.3.attn.to_k.lora_B.weight"
    assert ds.lora_key_to_param("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight") is None
    assert ds.rename_vae_key("encoder.mid_block.attentions.0.query.weight") == \
        "encoder.mid_block.attentions.0.to_q.weight"


def test_safetensors_round_trip_with_bf16(tmp_path):
    values = np.array([[1.0, -2.5, 3.14159, 1e-3], [65504.0, -0.0, 7.0, 1 / 3]], dtype=np.float32)
    path = str(tmp_path / "x.safetensors")
    write_safetensors(path, {"a": values, "b": values.astype(np.float16), "i": np.arange(5, dtype=np.int64)},
                      bf16=False)
    write_safetensors(str(tmp_path / "y.safetensors"), {"a": values}, bf16=True)
    ckpt = SafetensorsCheckpoint([path])
    assert np.array_equal(ckpt.get("a"), values) and ckpt.get("b").dtype == np.float16
    assert ckpt.get("i").tolist() == [0, 1, 2, 3, 4]
    bf = SafetensorsCheckpoint([str(tmp_path / "y.safetensors")]).get("a")
    assert bf.dtype == np.float32 and np.allclose(bf, values, rtol=2 ** -8)
    assert bf[0, 0] == 1.0 and bf[0, 1] == -2.5          # exactly representable values survive
    assert np.array_equal(bf16_to_float32(float32_to_bf16(bf)), bf)


@pytest.fixture(scope="module")
def synthetic_bundle(tmp_path_factory):
    base = tmp_path_factory.mktemp("flux")
    src = make_synthetic_flux(str(base / "FLUX.1-Kontext-dev"))
    out = str(base / "bundle")
    manifest = ds.export_from_diffusers(src["root"], out, projector_path=src["projector"], lora_path=src["lora"],
                                        t5_seq_len=16, log=lambda s: None)
    return src, out, manifest


def test_synthetic_export_manifest_and_weights(synthetic_bundle):
    src, out, manifest = synthetic_bundle
    assert manifest["name"] == "flux-kontext-kontinuous"
    assert manifest["kontinuous"] == {"projector": True, "lora": "unmerged"}
    assert manifest["dims"] == {"clip_seq_len": 77, "pooled_dim": 24, "t5_seq_len": 16, "joint_dim": 32,
                                "latent_channels": 16, "packed_channels": 64, "inner_dim": 32, "modulation_dim": 64}
    vocab_size = json.load(open(os.path.join(src["root"], "text_encoder", "config.json")))["vocab_size"]
    assert manifest["tokenizers"]["clip"] == {"max_length": 77, "bos_id": vocab_size - 2, "eos_id": vocab_size - 1,
                                              "pad_id": vocab_size - 1, "lowercase": True}
    assert manifest["tokenizers"]["t5"] == {"max_length": 16, "bos_id": None, "eos_id": 1, "pad_id": 0,
                                            "lowercase": False}
    assert manifest["vae"] == {"downscale": 8, "scaling_factor": 0.3611, "shift_factor": 0.1159}
    assert manifest["provenance"]["lora_rank"] == LORA_RANK
    assert manifest["provenance"]["lora_modules_in_file"] == len(src["lora_modules"])
    # Initializers hold the source tensors exactly (bf16 decoded), under diffusers names.
    tr = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(out, "transformer.onnx")).graph.initializer}
    written = src["written"]
    for key in ("transformer_blocks.1.attn.to_add_out.weight", "single_transformer_blocks.1.proj_out.bias",
                "time_text_embed.guidance_embedder.linear_1.weight"):
        want = bf16_to_float32(float32_to_bf16(written["transformer"][key]))
        assert np.array_equal(tr[key], want), key
    for key, value in written["lora"].items():
        ours = key[len("transformer."):]
        assert np.array_equal(tr[ours], bf16_to_float32(float32_to_bf16(value))), key
    zero_filled = [k for k in tr if ".lora_B." in k and k.rsplit(".lora_", 1)[0] not in
                   {m[len("transformer."):] for m in src["lora_modules"]}]
    assert zero_filled and all(not tr[k].any() for k in zero_filled)
    clip = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(out, "text_encoder_clip.onnx")).graph.initializer}
    key = "text_model.encoder.layers.1.mlp.fc2.weight"
    assert np.array_equal(clip[key], written["clip"][key].astype(np.float32))
    assert os.path.exists(os.path.join(out, "tokenizer_clip.json")) and os.path.exists(os.path.join(out, "tokenizer_t5.json"))


@pytest.mark.skipif(not HAVE_ORT, reason="node with onnxruntime-node is needed")
def test_synthetic_export_runs_in_onnxruntime_like_torch(synthetic_bundle, tmp_path):
    src, out, manifest = synthetic_bundle
    cfg = ds.config_from_diffusers(src["root"])
    ds.tokenizer_writers(src["root"], cfg)
    cfg.t5_tokenizer.max_length = 16
    cfg.transformer.lora_rank, cfg.transformer.lora_alpha = LORA_RANK, float(LORA_RANK)
    cfg.projector.hidden_dim = 40
    models = load_bundle_models(out, cfg)
    parity = str(tmp_path / "parity.json")
    with open(parity, "w") as f:
        json.dump(parity_vectors(models), f)
    run = subprocess.run(["node", ORT_SCRIPT, out, parity], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout)
    assert {r["component"] for r in results} == {"text_encoder_clip", "text_encoder_t5", "projector", "transformer",
                                                  "vae_encoder", "vae_decoder"}
    for r in results:
        assert r["shape"] == r["want_shape"] and r["max_abs"] <= 1e-4, r
    # The LoRA matters: lora_scale 1 and 0 differ on this checkpoint.
    cases = {c["name"]: c for c in json.load(open(parity))["cases"] if c["component"] == "transformer"}
    assert cases["square_kontinuous"]["outputs"]["velocity"]["data"] != cases["square_plain"]["outputs"]["velocity"]["data"]


def _js_tokenize(tokenizer_file, texts, tmp_path):
    texts_file = tmp_path / "texts.json"
    texts_file.write_text(json.dumps(texts))
    run = subprocess.run(["node", os.path.join(ROOT, "training", "tests", "tokenize.mjs"), tokenizer_file,
                          str(texts_file)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed")
def test_tokenizers_load_in_huggingface_tokenizers_js(synthetic_bundle, tmp_path):
    src, out, manifest = synthetic_bundle
    clip = _js_tokenize(os.path.join(out, "tokenizer_clip.json"), ["The  RED cat"], tmp_path)
    t5 = _js_tokenize(os.path.join(out, "tokenizer_t5.json"), ["make it blue"], tmp_path)
    assert clip[0]["tokens"] == ["the</w>", "red</w>", "cat</w>"]
    assert t5[0]["tokens"] == ["▁make", "▁it", "▁blue"]


def test_plain_kontext_export_has_no_strength_inputs(tmp_path):
    src = make_synthetic_flux(str(tmp_path / "flux"), seed=1)
    out = str(tmp_path / "plain")
    manifest = ds.export_from_diffusers(src["root"], out, t5_seq_len=16, external=True, log=lambda s: None)
    assert manifest["kontinuous"] == {"projector": False, "lora": "none"} and "projector" not in manifest["files"]
    graph = onnx.load(os.path.join(out, "transformer.onnx")).graph
    assert [i.name for i in graph.input][-1] == "txt_ids"
    assert not any(".lora_" in t.name for t in graph.initializer)
    # external data: every .onnx has its .data file, hashed in the manifest
    assert "transformer.onnx.data" in manifest["sha256"] and os.path.getsize(os.path.join(out, "transformer.onnx.data")) > 0
    with pytest.raises(ds.ExportError, match="without --projector"):
        ds.export_from_diffusers(src["root"], str(tmp_path / "bad"), lora_path=src["lora"], log=lambda s: None)
