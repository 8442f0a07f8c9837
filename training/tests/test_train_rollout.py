"""Training on the sampler's own path (editor_steps.on_own_path): where a later Euler step really starts."""
import torch

from training.train import flow
from training.train.editor_steps import on_own_path

N, D = 16, 8


def batch(b=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x0, noise = torch.randn(b, N, D, generator=g), torch.randn(b, N, D, generator=g)
    sigma = torch.full((b,), 0.3)
    return x0, noise, flow.noisy(x0, noise, sigma), sigma, noise - x0


def test_a_model_that_follows_the_line_exactly_trains_where_flow_matching_would():
    x0, noise, xt, sigma, target = batch()
    pick = torch.tensor([True, False, True, False])
    exact = lambda rows, x, sig: (noise - x0)[rows]  # noqa: E731 - the straight line's velocity
    xt2, sigma2, target2 = on_own_path(2, exact, x0, noise, xt, sigma, target, pick, N, flow.FLUX_SCHEDULER,
                                       torch.Generator().manual_seed(1))
    second = flow.inference_sigmas(2, N)[1]
    assert torch.allclose(sigma2[pick], torch.full((2,), second, dtype=sigma2.dtype))
    assert torch.allclose(xt2[pick], flow.noisy(x0[pick], noise[pick], torch.full((2,), second)), atol=1e-6)
    assert torch.allclose(target2[pick], target[pick], atol=1e-5)
    # Rows not picked keep their straight-line training point; the inputs are not written to.
    assert torch.equal(xt2[~pick], xt[~pick]) and torch.equal(sigma2[~pick], sigma[~pick])
    assert torch.equal(xt, flow.noisy(x0, noise, torch.full((4,), 0.3)))


def test_a_model_that_stops_short_is_asked_for_the_rest_of_the_edit():
    x0, noise, xt, sigma, target = batch()
    pick = torch.ones(4, dtype=torch.bool)
    idle = lambda rows, x, sig: torch.zeros_like(x)  # noqa: E731 - a first step that moves nothing
    xt2, sigma2, target2 = on_own_path(2, idle, x0, noise, xt, sigma, target, pick, N, flow.FLUX_SCHEDULER,
                                       torch.Generator().manual_seed(1))
    second = flow.inference_sigmas(2, N)[1]
    assert torch.equal(xt2, noise)
    # From pure noise at sigma_2, one Euler step of this velocity lands exactly on the target.
    assert torch.allclose(xt2 - second * target2, x0, atol=1e-5)


def test_one_step_samplers_and_an_empty_pick_change_nothing():
    x0, noise, xt, sigma, target = batch()
    never = lambda rows, x, sig: (_ for _ in ()).throw(AssertionError("no rollout expected"))  # noqa: E731
    for steps, pick in ((1, torch.ones(4, dtype=torch.bool)), (4, torch.zeros(4, dtype=torch.bool))):
        out = on_own_path(steps, never, x0, noise, xt, sigma, target, pick, N, flow.FLUX_SCHEDULER,
                          torch.Generator())
        assert all(a is b for a, b in zip(out, (xt, sigma, target)))


def test_longer_samplers_roll_out_to_a_later_step_through_every_earlier_one():
    x0, noise, xt, sigma, target = batch(b=2)
    pick = torch.ones(2, dtype=torch.bool)
    calls = []
    half = lambda rows, x, sig: (calls.append(float(sig[0])), 0.5 * (noise - x0)[rows])[1]  # noqa: E731
    seen = set()
    sigmas = flow.inference_sigmas(4, N)
    for seed in range(12):
        calls.clear()
        _, sigma2, target2 = on_own_path(4, half, x0, noise, xt, sigma, target, pick, N, flow.FLUX_SCHEDULER,
                                         torch.Generator().manual_seed(seed))
        upto = min(range(1, 4), key=lambda i: abs(sigmas[i] - float(sigma2[0])))
        seen.add(upto)
        assert torch.allclose(torch.tensor(calls), torch.tensor(sigmas[:upto]))
        # Half the line's velocity leaves (1 - sigma_i) / 2 of the way undone: the target asks for the rest.
        more = (0.5 + 0.5 * sigmas[upto]) / sigmas[upto]
        assert torch.allclose(target2, more * target, atol=1e-5)
    assert seen == {1, 2, 3}


def test_the_stage_commands_pass_the_sampler_aims_on():
    from training.train.stages import build_parser, sampler_aims
    ap = build_parser("stage2", "doc")
    args = ap.parse_args(["--data", "d", "--run", "r", "--focus-steps", "2", "--rollout-steps", "2",
                          "--rollout-share", "0.25"])
    assert sampler_aims(args) == {"sigma_focus": (2, 0.5), "rollout": (2, 0.25)}
    assert sampler_aims(ap.parse_args(["--data", "d", "--run", "r"])) == {"sigma_focus": None, "rollout": None}
