"""The lean forward (the one the ONNX graph is traced from) computes the same math as a straightforward one:
layer norm, tanh GELU, RoPE, head reshapes, the Kontinuous injection and a whole transformer against a
reference written the plain way, and the exported graph holds the compact forms onnxruntime fuses."""
import math

import onnx
import pytest
import torch
import torch.nn.functional as F

from training.exporting.fixture import build_fixture_models
from training.exporting.onnx_writer import export_onnx
from training.exporting.bundle import fresh_module, state_source
from training.exporting.components import component_specs
from training.kontext import layers
from training.kontext.layers import (PlainLayerNorm, RMSNorm, apply_rope, gelu_tanh, merge_heads, reshape_tail,
                                     rope_cos_sin, rope_rotation, split_heads)
from training.kontext.transformer import modulation_offset


def _plain_layer_norm(x, eps=1e-6):
    centred = x - x.mean(-1, keepdim=True)
    return centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + eps)


def _plain_rope(x, cos, sin):
    """(a, b) -> (a cos - b sin, b cos + a sin) on [B, H, S, D] with pairs interleaved."""
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    rotated = torch.stack([-pairs[..., 1], pairs[..., 0]], dim=-1).reshape(x.shape)
    return x * cos + rotated * sin


def test_layer_norm_matches_torch_and_the_written_out_form():
    x = torch.randn(3, 7, 40) * 5 + 2
    ln = PlainLayerNorm(40)
    assert torch.allclose(ln(x), F.layer_norm(x, (40,), eps=1e-6), atol=1e-6)
    assert torch.allclose(ln(x), _plain_layer_norm(x), atol=2e-6)


def test_gelu_tanh_and_its_export_form_match_torch(monkeypatch):
    x = torch.linspace(-8, 8, 4001)
    want = F.gelu(x, approximate="tanh")
    assert torch.equal(gelu_tanh(x), want)
    monkeypatch.setattr(layers, "_onnx_exporting", lambda: True)
    assert torch.allclose(gelu_tanh(x), want, atol=1e-6)


def test_rms_norm_export_form_matches_the_plain_one(monkeypatch):
    norm = RMSNorm(32)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
    x = torch.randn(2, 9, 5, 32) * 3
    x[0, 0, 0] = 1e-4                       # a row where eps matters
    want = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * norm.weight
    with torch.no_grad():
        assert torch.allclose(norm(x), want, atol=1e-6)
        monkeypatch.setattr(layers, "_onnx_exporting", lambda: True)
        assert torch.allclose(norm(x), want, rtol=1e-5, atol=1e-6)


def test_rope_rotation_is_bit_exact_against_the_stacked_form():
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(0, 40, (11, 3), generator=g).float()
    cos, sin = rope_cos_sin(ids, (4, 14, 14), 10000.0)
    x = torch.randn(2, 5, 11, 32, generator=g)
    assert torch.equal(apply_rope(x, cos, sin), _plain_rope(x, cos[None, None], sin[None, None]))
    r = rope_rotation(6)
    want = torch.tensor([[-2.0, 1.0, -4.0, 3.0, -6.0, 5.0]])
    assert torch.equal(torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]) @ r, want)


def test_head_reshapes_round_trip_and_keep_the_layout():
    x = torch.randn(2, 9, 4 * 8)
    heads = split_heads(x, 4)
    assert heads.shape == (2, 4, 9, 8)
    assert torch.equal(heads[:, 1], x[..., 8:16])
    assert torch.equal(merge_heads(heads), x)
    assert torch.equal(reshape_tail(x, 2, (4, 8)), x.reshape(2, 9, 4, 8))


def test_modulation_offset_puts_the_halves_on_c_scale_then_c_shift():
    d = 5
    mod = torch.arange(2 * d, dtype=torch.float32)[None] + 1
    off = modulation_offset(mod, d).reshape(6, d)     # shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp
    assert torch.equal(off[4], mod[0, :d]) and torch.equal(off[3], mod[0, d:])
    assert not off[[0, 1, 2, 5]].any()


def _reference_transformer(tr, hs, enc, pooled, t, g, img_ids, txt_ids, modulation, lora_scale):
    """KontextTransformer's math written the plain way, from its parameters."""
    cfg = tr.config
    heads, d = cfg.num_attention_heads, cfg.inner_dim

    def lin(m, x):
        out = F.linear(x, m.weight, m.bias)
        if getattr(m, "lora_rank", 0) > 0 and lora_scale is not None:
            out = out + m.lora_B(m.lora_A(x)) * (lora_scale * m.lora_scaling)
        return out

    def ada(m, x, chunks):
        mods = m.linear(F.silu(temb)).chunk(chunks, dim=1)
        return [_plain_layer_norm(x) * (1 + mods[1][:, None]) + mods[0][:, None]] + list(mods[2:])

    def rms(m, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + m.eps) * m.weight

    def qkv(x, to_q, to_k, to_v, nq, nk):
        split = lambda y: y.reshape(y.shape[0], y.shape[1], heads, -1).transpose(1, 2)  # noqa: E731
        return rms(nq, split(lin(to_q, x))), rms(nk, split(lin(to_k, x))), split(lin(to_v, x))

    def attend(q, k, v):
        q, k = _plain_rope(q, cos, sin), _plain_rope(k, cos, sin)
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
        out = w @ v
        return out.transpose(1, 2).reshape(out.shape[0], out.shape[2], -1)

    def gelu(x):
        return F.gelu(x, approximate="tanh")

    img = tr.x_embedder(hs) + tr._reference_residual(hs, img_ids)
    te = tr.time_text_embed
    temb = (te.timestep_embedder(layers.timestep_sinusoid(t * 1000)) +
            te.guidance_embedder(layers.timestep_sinusoid(g * 1000)) + te.text_embedder(pooled))
    txt = tr.context_embedder(enc)
    ids = torch.cat([txt_ids, img_ids], dim=0)
    cos, sin = rope_cos_sin(ids, cfg.axes_dims_rope, cfg.rope_theta)
    for b in tr.transformer_blocks:
        a = b.attn
        img_n, gate_msa, shift_mlp, scale_mlp, gate_mlp = ada(b.norm1, img, 6)
        txt_n, c_gate_msa, c_shift_mlp, c_scale_mlp, c_gate_mlp = ada(b.norm1_context, txt, 6)
        if modulation is not None:
            c_scale_mlp, c_shift_mlp = c_scale_mlp + modulation[:, :d], c_shift_mlp + modulation[:, d:]
        q, k, v = qkv(img_n, a.to_q, a.to_k, a.to_v, a.norm_q, a.norm_k)
        cq, ck, cv = qkv(txt_n, a.add_q_proj, a.add_k_proj, a.add_v_proj, a.norm_added_q, a.norm_added_k)
        out = attend(torch.cat([cq, q], 2), torch.cat([ck, k], 2), torch.cat([cv, v], 2))
        n_txt = txt.shape[1]
        img = img + gate_msa[:, None] * lin(a.to_out[0], out[:, n_txt:])
        h = _plain_layer_norm(img) * (1 + scale_mlp[:, None]) + shift_mlp[:, None]
        img = img + gate_mlp[:, None] * lin(b.ff.net[2], gelu(lin(b.ff.net[0].proj, h)))
        txt = txt + c_gate_msa[:, None] * lin(a.to_add_out, out[:, :n_txt])
        h = _plain_layer_norm(txt) * (1 + c_scale_mlp[:, None]) + c_shift_mlp[:, None]
        txt = txt + c_gate_mlp[:, None] * lin(b.ff_context.net[2], gelu(lin(b.ff_context.net[0].proj, h)))
    x = torch.cat([txt, img], dim=1)
    for b in tr.single_transformer_blocks:
        a = b.attn
        x_n, gate = ada(b.norm, x, 3)
        out = attend(*qkv(x_n, a.to_q, a.to_k, a.to_v, a.norm_q, a.norm_k))
        x = x + gate[:, None] * b.proj_out(torch.cat([out, gelu(b.proj_mlp(x_n))], dim=2))
    scale, shift = tr.norm_out.linear(F.silu(temb)).chunk(2, dim=1)
    return tr.proj_out(_plain_layer_norm(x[:, txt.shape[1]:]) * (1 + scale[:, None]) + shift[:, None])


@pytest.fixture(scope="module")
def fixture_models():
    models = build_fixture_models()
    with torch.no_grad():   # a LoRA that does something, so the LoRA path is compared too
        for name, p in models.transformer.named_parameters():
            if ".lora_B." in name:
                p.normal_(0, 0.3, generator=torch.Generator().manual_seed(len(name)))
    return models


@pytest.mark.parametrize("with_mod,lora", [(True, 0.7), (False, None), (True, None)])
def test_transformer_equals_the_plain_reference(fixture_models, with_mod, lora):
    tr = fixture_models.transformer
    spec = next(s for s in component_specs(fixture_models.config) if s.key == "transformer")
    args = list(spec.example(fixture_models.config))
    args[7] = args[7] if with_mod else None
    args[8] = None if lora is None else torch.full((1,), lora)
    with torch.no_grad():
        got = tr(*args)
        want = _reference_transformer(tr, *args)
    assert (got - want).abs().max() <= 1e-5


def test_exported_transformer_uses_the_compact_forms(fixture_models, tmp_path):
    """One LayerNormalization per layer norm, no shapes read at run time for heads or the attention scale,
    the GELU in the form onnxruntime fuses (Pow 3 feeding Tanh) and no Neg left from RoPE."""
    cfg = fixture_models.config
    spec = next(s for s in component_specs(cfg) if s.key == "transformer")
    path = str(tmp_path / "transformer.onnx")
    export_onnx(fresh_module(cfg, "transformer"), spec.fn, spec.example(cfg), spec.input_names, spec.output_names,
                spec.dynamic_axes, state_source(fixture_models.transformer), path, component="transformer")
    graph = onnx.load(path).graph
    ops = [n.op_type for n in graph.node]
    t = cfg.transformer
    assert ops.count("LayerNormalization") == 4 * t.num_layers + t.num_single_layers + 1
    assert ops.count("Tanh") == 2 * t.num_layers + t.num_single_layers
    assert "Neg" not in ops                                # RoPE rotates by a MatMul
    assert ops.count("ReduceSumSquare") == 4 * t.num_layers + 2 * t.num_single_layers   # the q/k RMSNorms
    assert "ReduceMean" not in ops
    in_blocks = [n for n in graph.node if n.op_type == "Shape" and "blocks." in n.name]
    assert len(in_blocks) <= t.num_layers                  # only the text/image split of the joint blocks
