"""Shapes, key names and behaviour of every module of the Kontinuous Kontext model code."""
import math

import pytest
import torch

from training.kontext import (build_models, get_config, kontext_ids, pack_latents, text_ids, unpack_latents,
                              KontextTransformer, StrengthProjector)
from training.kontext.config import PAPER_LORA_TARGETS


@pytest.fixture(scope="module")
def fixture_models():
    cfg = get_config("fixture")
    return build_models(cfg, seed=0).eval()


def _inputs(cfg, batch=2, grid=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    t = cfg.transformer
    n = 2 * (grid // 2) ** 2
    s = cfg.t5_tokenizer.max_length
    return dict(hidden_states=torch.randn(batch, n, t.in_channels, generator=g),
                encoder_hidden_states=torch.randn(batch, s, t.joint_attention_dim, generator=g),
                pooled_projections=torch.randn(batch, t.pooled_projection_dim, generator=g),
                timestep=torch.rand(batch, generator=g), guidance=torch.full((batch,), 2.5),
                img_ids=kontext_ids(grid, grid), txt_ids=text_ids(s))


def test_transformer_returns_velocity_for_all_tokens(fixture_models):
    cfg = fixture_models.config
    inp = _inputs(cfg)
    with torch.no_grad():
        v = fixture_models.transformer(**inp)
    assert v.shape == inp["hidden_states"].shape
    assert torch.isfinite(v).all()


def test_modulation_changes_only_through_context_stream(fixture_models):
    cfg = fixture_models.config
    inp = _inputs(cfg)
    tr = fixture_models.transformer
    with torch.no_grad():
        base = tr(**inp)
        zero = tr(**inp, modulation=torch.zeros(2, cfg.transformer.modulation_dim))
        moved = tr(**inp, modulation=torch.randn(2, cfg.transformer.modulation_dim))
    assert torch.allclose(base, zero, atol=1e-6)
    assert (moved - base).abs().max() > 1e-4


def test_modulation_is_added_to_c_scale_then_c_shift(fixture_models):
    """First half of the modulation must act exactly like a bias on c_scale_mlp, second half on c_shift_mlp."""
    cfg = fixture_models.config
    tr = fixture_models.transformer
    block = tr.transformer_blocks[0]
    inner = cfg.transformer.inner_dim
    inp = _inputs(cfg, batch=1)
    mod = torch.randn(1, 2 * inner)
    with torch.no_grad():
        with_mod = tr(**inp, modulation=mod)
        lin = block.norm1_context.linear
        old_bias = lin.bias.clone()
        # chunk order: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp
        lin.bias[4 * inner:5 * inner] += mod[0, :inner]
        lin.bias[3 * inner:4 * inner] += mod[0, inner:]
        via_bias = tr(**inp)
        lin.bias.copy_(old_bias)
    assert torch.allclose(with_mod, via_bias, atol=1e-5)


def test_lora_is_unmerged_and_scaled(fixture_models):
    cfg = fixture_models.config
    tr = fixture_models.transformer
    inp = _inputs(cfg)
    with torch.no_grad():
        saved = [q.clone() for q in tr.lora_parameters()]
        for name, p in tr.named_parameters():
            if ".lora_B." in name:
                p.normal_(0, 0.5)
        off = tr(**inp)
        none = tr(**inp, lora_scale=torch.zeros(1))
        half = tr(**inp, lora_scale=torch.full((1,), 0.5))
        full = tr(**inp, lora_scale=torch.ones(1))
        for q, s in zip(tr.lora_parameters(), saved):
            q.copy_(s)
    assert torch.allclose(off, none, atol=1e-6)
    assert (full - off).abs().max() > 1e-3
    assert (half - off).abs().max() < (full - off).abs().max()


def test_lora_sits_on_the_paper_targets_only():
    cfg = get_config("fixture")
    tr = KontextTransformer(cfg.transformer)
    lora_modules = sorted({n.rsplit(".lora_", 1)[0] for n, _ in tr.named_parameters() if ".lora_A." in n})
    for name in lora_modules:
        assert any(name.endswith(t) for t in PAPER_LORA_TARGETS), name
    assert "single_transformer_blocks.0.attn.to_q" in lora_modules
    assert "transformer_blocks.0.ff_context.net.2" in lora_modules
    assert not any("proj_mlp" in n or "norm" in n for n in lora_modules)
    rank = cfg.transformer.lora_rank
    assert tr.transformer_blocks[0].attn.to_q.lora_A.weight.shape == (rank, cfg.transformer.inner_dim)


def test_reference_residual_copies_reference_position():
    cfg = get_config("fixture")
    torch.manual_seed(0)
    tr = KontextTransformer(cfg.transformer).eval()
    grid = 4
    n_tgt = (grid // 2) ** 2
    raw = torch.randn(1, 2 * n_tgt, cfg.transformer.in_channels)
    with torch.no_grad():
        tr.reference_embedder.weight.normal_()
        res = tr._reference_residual(raw, kontext_ids(grid, grid))
        expect = tr.reference_embedder(raw[:, n_tgt:])
        # Without reference tokens (plain text-to-image ids) the residual vanishes.
        none = tr._reference_residual(raw[:, :n_tgt], kontext_ids(grid, grid)[:n_tgt])
    assert torch.allclose(res[:, :n_tgt], expect, atol=1e-6)
    assert res[:, n_tgt:].abs().max() == 0
    assert none.abs().max() == 0


def test_reference_residual_starts_at_zero_and_gates_start_zero():
    cfg = get_config("tiny")
    tr = KontextTransformer(cfg.transformer)
    assert tr.reference_embedder.weight.abs().max() == 0
    assert tr.transformer_blocks[0].norm1.linear.weight.abs().max() == 0
    assert tr.proj_out.weight.abs().max() == 0


def test_projector_matches_the_paper_formula():
    cfg = get_config("fixture")
    torch.manual_seed(3)
    proj = StrengthProjector(cfg.projector)
    s = torch.tensor([[0.0], [0.3], [1.0]])
    pooled = torch.randn(3, cfg.projector.pooled_dim)
    pe = torch.cat([torch.sin(math.pi * s), torch.cos(math.pi * s)], dim=1)
    x = torch.cat([pe @ proj.pe_extender.weight.T + proj.pe_extender.bias, pooled], dim=1)
    for i in (0, 2, 4):
        layer = proj.projector[i]
        x = torch.relu(x @ layer.weight.T + layer.bias)
    expect = x @ proj.projector[6].weight.T + proj.projector[6].bias
    with torch.no_grad():
        got = proj(s, pooled)
    assert got.shape == (3, cfg.projector.out_dim)
    assert torch.allclose(got, expect, atol=1e-5)
    keys = set(proj.state_dict())
    assert keys == {"pe_extender.weight", "pe_extender.bias"} | {f"projector.{i}.{p}" for i in (0, 2, 4, 6)
                                                                  for p in ("weight", "bias")}
    # s = 0 is not a zero embedding: cos(0) = 1.
    assert pe[0].tolist() == [0.0, 1.0]


def test_vae_shapes_and_mean(fixture_models):
    cfg = fixture_models.config
    img = torch.rand(2, 3, 32, 48) * 2 - 1
    with torch.no_grad():
        mean, logvar = fixture_models.vae.encode_moments(img)
        z = fixture_models.vae.encode(img)
        out = fixture_models.vae.decode(z)
    f = cfg.vae.downscale
    assert f == 8
    assert z.shape == (2, cfg.vae.latent_channels, 32 // f, 48 // f)
    assert torch.equal(z, mean)
    assert out.shape == img.shape


def test_text_encoders_shapes_and_eos_pooling(fixture_models):
    cfg = fixture_models.config
    s = cfg.clip_tokenizer.max_length
    ids = torch.tensor([[2, 5, 6, 3, 0, 0, 0, 0][:s], [2, 7, 3, 0, 0, 0, 0, 0][:s]])
    with torch.no_grad():
        pooled = fixture_models.clip(ids)
        hidden = fixture_models.clip.hidden_states(ids)
        seq = fixture_models.t5(ids)
    assert pooled.shape == (2, cfg.clip.hidden_size)
    assert torch.allclose(pooled[0], hidden[0, 3]) and torch.allclose(pooled[1], hidden[1, 2])
    assert seq.shape == (2, s, cfg.t5.d_model)


def test_packing_layout_and_ids():
    z = torch.arange(2 * 16 * 4 * 6, dtype=torch.float32).reshape(2, 16, 4, 6)
    tokens = pack_latents(z)
    assert tokens.shape == (2, 6, 64)
    # token i*(w/2)+j, channel c*4+dy*2+dx = z[c, 2i+dy, 2j+dx]
    assert tokens[1, 1 * 3 + 2, 5 * 4 + 1 * 2 + 0] == z[1, 5, 2 + 1, 4 + 0]
    assert torch.equal(unpack_latents(tokens, 4, 6), z)
    ids = kontext_ids(4, 6)
    assert ids.shape == (12, 3) and ids[:6, 0].sum() == 0 and ids[6:, 0].sum() == 6
    assert ids[5].tolist() == [0.0, 1.0, 2.0]
