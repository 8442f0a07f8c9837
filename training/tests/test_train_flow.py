"""The flow-matching pieces: golden schedule values from KONTEXT.md, packing round trip and layout, ids."""
import torch

from training.train import flow


def test_schedule_matches_golden_values():
    s = flow.inference_sigmas(28, 4096)
    assert abs(flow.shift_mu(4096) - 1.15) < 1e-9
    assert len(s) == 29 and s[-1] == 0.0
    for got, want in zip(s[:4], [1.0, 0.9884, 0.9762, 0.9634]):
        assert abs(got - want) < 1e-4
    for got, want in zip(s[-4:-1], [0.2748, 0.1955, 0.1047]):
        assert abs(got - want) < 1e-4
    s14 = flow.inference_sigmas(14, 1024)
    assert abs(flow.shift_mu(1024) - 0.63) < 1e-3
    assert abs(s14[1] - 0.9606) < 1e-4 and abs(s14[-3] - 0.2383) < 1e-4 and abs(s14[-2] - 0.1262) < 1e-4


def test_pack_layout_and_round_trip():
    z = torch.randn(2, 16, 6, 4)
    t = flow.pack_latents(z)
    assert t.shape == (2, 6, 64)
    # token i*(w/2)+j, channel c*4+dy*2+dx = z[c, 2i+dy, 2j+dx]
    i, j, c, dy, dx = 2, 1, 5, 1, 0
    assert t[1, i * 2 + j, c * 4 + dy * 2 + dx] == z[1, c, 2 * i + dy, 2 * j + dx]
    assert torch.equal(flow.unpack_latents(t, 6, 4), z)


def test_edit_ids_put_target_then_reference():
    ids = flow.edit_ids(4, 6)
    assert ids.shape == (12, 3)
    assert ids[:6, 0].eq(0).all() and ids[6:, 0].eq(1).all()
    assert ids[4].tolist() == [0.0, 1.0, 1.0] and ids[10].tolist() == [1.0, 1.0, 1.0]


def test_training_sigmas_are_in_range_and_euler_is_exact_for_constant_velocity():
    s = flow.sample_training_sigmas(1000, 64, generator=torch.Generator().manual_seed(0))
    assert float(s.min()) > 0 and float(s.max()) < 1
    x0 = torch.randn(3, 8, 64)
    noise = torch.randn(3, 8, 64)
    # The exact velocity of the straight path makes Euler land on x0 from the noise.
    out = flow.euler_sample(lambda x, sig: noise - x0, noise, 7, 64)
    assert torch.allclose(out, x0, atol=1e-5)


def test_focused_sigmas_put_a_share_of_the_batch_on_the_few_step_samplers_noise_levels():
    points = flow.inference_sigmas(2, 64)[:-1]  # 1.0 and about 0.615
    draw = lambda focus: flow.sample_training_sigmas(4000, 64, generator=torch.Generator().manual_seed(1), focus=focus)
    plain = draw(None)
    assert float((plain > 0.95).float().mean()) < 0.01, "logit-normal draws almost never reach the first step"
    every = draw((2, 1.0))
    assert set(round(v, 6) for v in every.tolist()) == set(round(p, 6) for p in points)
    half = draw((2, 0.5))
    on_points = sum(float(torch.isclose(half, torch.tensor(p, dtype=half.dtype)).float().mean()) for p in points)
    assert 0.45 < on_points < 0.55
    # The rest are the same logit-normal draws as without focus (the extra draws come after them).
    assert torch.equal(draw((2, 0.0)), plain)
