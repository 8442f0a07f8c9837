"""Export of bundles: manifest per models/BUNDLE_FORMAT.md, ONNX names/axes per the contract, the committed
fixture against the current model code, fp16, the CLI on a tiny checkpoint, and onnxruntime-node parity."""
import hashlib
import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
import torch

from training.export import main as export_main
from training.exporting.fixture import DEFAULT_OUT, build_fixture_models, write_fixture
from training.exporting.parity import parity_vectors
from training.exporting.reimport import load_bundle_models
from training.kontext import build_models, get_config, save_checkpoint, tiny_vocab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, DEFAULT_OUT)
ORT_SCRIPT = os.path.join(ROOT, "training", "tests", "ort_parity.mjs")
CONTRACT = {
    "text_encoder_clip": (["input_ids"], ["pooled"]),
    "text_encoder_t5": (["input_ids"], ["text_embeds"]),
    "projector": (["strength", "pooled"], ["modulation"]),
    "transformer": (["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "guidance",
                     "img_ids", "txt_ids", "modulation", "lora_scale"], ["velocity"]),
    "vae_encoder": (["image"], ["latent"]),
    "vae_decoder": (["latent"], ["image"]),
}


def _ort_available() -> bool:
    return shutil.which("node") is not None and os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node"))


def _ort_parity(bundle_dir: str, parity_file: str):
    out = subprocess.run(["node", ORT_SCRIPT, bundle_dir, parity_file], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


@pytest.fixture(scope="module")
def fresh_fixture(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("fixture"))
    manifest = write_fixture(out)
    return out, manifest


def test_manifest_follows_bundle_format(fresh_fixture):
    out, manifest = fresh_fixture
    cfg = get_config("fixture")
    assert manifest["format"] == "kontinuous-bundle" and manifest["format_version"] == 1
    assert manifest["name"] == "kontext-fixture"
    assert manifest["dims"] == {"clip_seq_len": 8, "pooled_dim": 16, "t5_seq_len": 8, "joint_dim": 16,
                                "latent_channels": 16, "packed_channels": 64, "inner_dim": 32, "modulation_dim": 64}
    assert manifest["tokenizers"]["t5"] == {"max_length": 8, "bos_id": None, "eos_id": 3, "pad_id": 0,
                                            "lowercase": True}
    assert manifest["vae"] == {"downscale": 8, "scaling_factor": cfg.vae.scaling_factor,
                               "shift_factor": cfg.vae.shift_factor}
    assert manifest["scheduler"]["type"] == "flow_match_euler" and manifest["kontinuous"] == {
        "projector": True, "lora": "unmerged"}
    assert manifest["precision"] == "fp32"
    assert set(manifest["files"]) == set(CONTRACT) | {"tokenizer_clip", "tokenizer_t5"}
    for filename in manifest["files"].values():
        with open(os.path.join(out, filename), "rb") as f:
            assert manifest["sha256"][filename] == hashlib.sha256(f.read()).hexdigest()
    assert set(manifest["sha256"]) == set(os.listdir(out)) - {"manifest.json", "parity.json"}
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    assert total <= 2_000_000, total


def test_onnx_names_types_and_dynamic_axes(fresh_fixture):
    out, manifest = fresh_fixture
    for key, (inputs, outputs) in CONTRACT.items():
        model = onnx.load(os.path.join(out, manifest["files"][key]))
        assert [i.name for i in model.graph.input] == inputs, key
        assert [o.name for o in model.graph.output] == outputs, key
        assert model.opset_import[0].version == 17
        for vi in list(model.graph.input) + list(model.graph.output):
            want = onnx.TensorProto.INT64 if vi.name == "input_ids" else onnx.TensorProto.FLOAT
            assert vi.type.tensor_type.elem_type == want, (key, vi.name)
            dims = _dims(vi)
            if vi.name != "lora_scale":
                assert dims[0] in ("batch", "num_tokens", "text_len"), (key, vi.name, dims)
    tr = onnx.load(os.path.join(out, "transformer.onnx"))
    dims = {vi.name: _dims(vi) for vi in tr.graph.input}
    assert dims["hidden_states"] == ["batch", "num_tokens", 64] and dims["img_ids"] == ["num_tokens", 3]
    names = {t.name for t in tr.graph.initializer}
    for key in ("x_embedder.weight", "time_text_embed.guidance_embedder.linear_2.bias",
                "transformer_blocks.0.attn.norm_added_k.weight", "transformer_blocks.0.ff_context.net.0.proj.weight",
                "transformer_blocks.0.attn.to_out.0.lora_B.weight", "single_transformer_blocks.0.proj_mlp.weight",
                "norm_out.linear.weight", "reference_embedder.weight"):
        assert key in names, key


def test_committed_fixture_matches_current_model_code():
    """The committed fixture's weights, run by today's model code, reproduce the committed parity vectors."""
    with open(os.path.join(FIXTURE, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    for filename, digest in manifest["sha256"].items():
        with open(os.path.join(FIXTURE, filename), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, filename
    models = load_bundle_models(FIXTURE, get_config("fixture"))
    with open(os.path.join(FIXTURE, "parity.json"), encoding="utf-8") as f:
        committed = json.load(f)
    fresh = parity_vectors(models)
    assert fresh["tokenizers"] == committed["tokenizers"]
    assert len(fresh["cases"]) == len(committed["cases"]) >= 8
    for got, want in zip(fresh["cases"], committed["cases"]):
        assert (got["component"], got["name"]) == (want["component"], want["name"])
        for name, t in want["inputs"].items():
            assert got["inputs"][name]["data"] == pytest.approx(t["data"], abs=1e-6), (want["name"], name)
        for name, t in want["outputs"].items():
            assert got["outputs"][name]["shape"] == t["shape"]
            diff = np.abs(np.array(got["outputs"][name]["data"]) - np.array(t["data"])).max()
            assert diff <= 1e-5, (want["component"], want["name"], diff)


def test_fixture_parity_vectors_cover_the_contract():
    with open(os.path.join(FIXTURE, "parity.json"), encoding="utf-8") as f:
        parity = json.load(f)
    components = {c["component"] for c in parity["cases"]}
    assert components == set(CONTRACT)
    transformer = [c for c in parity["cases"] if c["component"] == "transformer"]
    scales = {c["inputs"]["lora_scale"]["data"][0] for c in transformer}
    assert scales == {0.0, 0.5, 1.0}
    assert any(max(abs(v) for v in c["inputs"]["modulation"]["data"]) == 0 for c in transformer)
    assert len({tuple(c["inputs"]["hidden_states"]["shape"]) for c in transformer}) >= 2
    strengths = [c for c in parity["cases"] if c["component"] == "projector"][0]["inputs"]["strength"]["data"]
    assert strengths == [0.0, 0.25, 0.5, 1.0]
    for key in ("clip", "t5"):
        assert len(parity["tokenizers"][key]) >= 5
    assert parity["tokenizers"]["clip"][0]["ids"][0] == 2           # bos
    assert parity["tokenizers"]["t5"][0]["ids"][0] != 2             # T5 role: no bos


@pytest.mark.skipif(not _ort_available(), reason="node with onnxruntime-node is needed")
def test_committed_fixture_runs_in_onnxruntime_node():
    results = _ort_parity(FIXTURE, os.path.join(FIXTURE, "parity.json"))
    assert len(results) >= 8
    for r in results:
        assert r["shape"] == r["want_shape"], r
        assert r["max_abs"] <= 1e-4, r


@pytest.mark.skipif(not _ort_available(), reason="node with onnxruntime-node is needed")
def test_fp16_bundle_keeps_float32_io_and_stays_close(tmp_path):
    models = build_fixture_models()
    from training.exporting.bundle import export_models
    out = str(tmp_path / "fp16")
    manifest = export_models(models, out, fp16=True)
    assert manifest["precision"] == "fp16"
    tr = onnx.load(os.path.join(out, "transformer.onnx"))
    dtypes = {t.name: t.data_type for t in tr.graph.initializer}
    assert dtypes["transformer_blocks.0.attn.to_q.weight"] == onnx.TensorProto.FLOAT16
    assert dtypes["transformer_blocks.0.attn.norm_q.weight"] == onnx.TensorProto.FLOAT  # norms stay fp32
    assert all(vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for vi in tr.graph.output)
    weight_bytes = lambda m: sum(len(t.raw_data) for t in m.graph.initializer)  # noqa: E731
    assert weight_bytes(tr) < 0.6 * weight_bytes(onnx.load(os.path.join(FIXTURE, "transformer.onnx")))
    parity_file = str(tmp_path / "parity.json")
    with open(parity_file, "w") as f:
        json.dump(parity_vectors(models), f)
    for r in _ort_parity(out, parity_file):
        assert r["shape"] == r["want_shape"], r
        assert r["max_rel"] <= 2e-2, r


@pytest.mark.skipif(not _ort_available(), reason="node with onnxruntime-node is needed")
def test_weights_stored_as_fp16_run_as_float32_exactly_when_they_are_fp16_values(tmp_path):
    models = build_fixture_models()
    # A GPU run's checkpoint holds float16 values: round the fixture's weights the same way.
    with torch.no_grad():
        for module in models.modules().values():
            for p in module.parameters():
                p.copy_(p.half().float())
    from training.exporting.bundle import export_models
    from training.exporting.onnx_writer import STORED_FP16_SUFFIX
    out = str(tmp_path / "stored")
    manifest = export_models(models, out, store_fp16=True)
    assert manifest["precision"] == "fp32" and "float16" in manifest["provenance"]["weight_storage"]
    tr = onnx.load(os.path.join(out, "transformer.onnx"))
    assert all(t.data_type == onnx.TensorProto.FLOAT16 and t.name.endswith(STORED_FP16_SUFFIX)
               for t in tr.graph.initializer if t.data_type != onnx.TensorProto.INT64)
    casts = [n for n in tr.graph.node if n.op_type == "Cast" and n.input[0].endswith(STORED_FP16_SUFFIX)]
    assert len(casts) == sum(t.name.endswith(STORED_FP16_SUFFIX) for t in tr.graph.initializer)
    assert all(helper_attr(n, "to") == onnx.TensorProto.FLOAT for n in casts)
    weight_bytes = lambda m: sum(len(t.raw_data) for t in m.graph.initializer)  # noqa: E731
    assert weight_bytes(tr) < 0.55 * weight_bytes(onnx.load(os.path.join(FIXTURE, "transformer.onnx")))
    parity_file = str(tmp_path / "parity.json")
    with open(parity_file, "w") as f:
        json.dump(parity_vectors(models), f)
    results = _ort_parity(out, parity_file)
    assert len(results) >= 8
    for r in results:
        assert r["shape"] == r["want_shape"], r
        assert r["max_abs"] <= 1e-4, r


def helper_attr(node, name):
    return next(onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == name)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed")
def test_word_tokenizer_json_matches_python_ids_in_js(tmp_path):
    """@huggingface/tokenizers on the exported tokenizer.json gives the Python WordTokenizer's ids."""
    with open(os.path.join(FIXTURE, "parity.json"), encoding="utf-8") as f:
        cases = json.load(f)["tokenizers"]["clip"]
    texts_file = tmp_path / "texts.json"
    texts_file.write_text(json.dumps([c["text"] for c in cases]))
    run = subprocess.run(["node", os.path.join(ROOT, "training", "tests", "tokenize.mjs"),
                          os.path.join(FIXTURE, "tokenizer_clip.json"), str(texts_file)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    assert [g["ids"] for g in got] == [c["raw_ids"] for c in cases]
    assert any(1 in c["raw_ids"] for c in cases)        # unknown words map to [UNK] on both sides
    assert any("," in g["tokens"] or "!" in g["tokens"] or "[UNK]" in g["tokens"] for g in got)


def test_cli_exports_a_tiny_checkpoint(tmp_path):
    cfg = get_config("tiny")
    cfg.vae.scaling_factor, cfg.vae.shift_factor = 0.5, 0.1
    models = build_models(cfg, tiny_vocab(), seed=1)
    with torch.no_grad():
        models.transformer.reference_embedder.weight.fill_(0.01)
    models.provenance = {"training": "none (test)"}
    ckpt = str(tmp_path / "tiny.pt")
    save_checkpoint(ckpt, models)
    out = str(tmp_path / "bundle")
    assert export_main(["--checkpoint", ckpt, "--out", out]) == 0
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["name"] == "kontext-tiny"
    assert manifest["vae"]["scaling_factor"] == 0.5 and manifest["vae"]["shift_factor"] == 0.1
    assert manifest["dims"]["inner_dim"] == 128 and manifest["dims"]["t5_seq_len"] == 32
    assert manifest["resolutions"]["native"] == [128, 128]
    assert manifest["provenance"]["training"] == "none (test)"
    total = sum(os.path.getsize(os.path.join(out, f)) for f in manifest["sha256"])
    assert total <= 40_000_000
    back = load_bundle_models(out, cfg)
    assert torch.equal(back.transformer.reference_embedder.weight, models.transformer.reference_embedder.weight)
    assert back.vocab == tiny_vocab()
