"""The strength calibration: the piecewise-linear map (same golden values as the product's TypeScript), the
curve measured from change profiles, Parts.modulation applying it, and the manifest and config carrying it."""
import numpy as np
import torch

from training.eval.calibrate import GRID, curve_from_profiles
from training.exporting.bundle import build_manifest
from training.kontext import config_from_dict, config_to_dict, get_config
from training.tests.test_train_smoke import fixture_models
from training.train.parts import Parts, apply_strength_curve

CURVE = [[0, 0], [0.1, 0.31], [0.5, 0.6], [1, 1]]


def test_map_is_linear_between_knots_fixes_the_ends_and_clamps():
    s = torch.tensor([[0.0], [0.05], [0.1], [0.3], [0.75], [1.0], [-0.2], [1.4]])
    got = apply_strength_curve(s, CURVE).flatten().tolist()
    np.testing.assert_allclose(got, [0, 0.155, 0.31, 0.455, 0.8, 1, 0, 1], atol=1e-6)
    assert apply_strength_curve(s, None) is s


def test_curve_inverts_the_mean_change():
    grid = np.array(GRID)
    # Change that grows as s^2: a user's s should reach the projector as about sqrt(s).
    profiles = np.stack([grid ** 2, grid ** 2 * 0.9 + grid * 0.1])
    knots, mean = curve_from_profiles(profiles)
    assert knots[0] == [0.0, 0.0] and knots[-1] == [1.0, 1.0]
    assert all(b[1] > a[1] for a, b in zip(knots, knots[1:]))
    for s, p in knots[2:-1]:
        assert abs(p - np.interp(s, mean, grid)) < 1e-3 and p > s


def test_modulation_goes_through_the_config_curve():
    models = fixture_models().eval()
    parts = Parts(models, torch.device("cpu"))
    pooled = torch.randn(2, models.config.projector.pooled_dim)
    plain = parts.modulation(torch.tensor([[0.3], [0.75]]), pooled)
    models.config.projector.strength_curve = CURVE
    curved = parts.modulation(torch.tensor([[0.3], [0.75]]), pooled)
    torch.testing.assert_close(curved, models.projector(torch.tensor([[0.455], [0.8]]), pooled))
    assert not torch.allclose(plain, curved)


def test_config_and_manifest_carry_the_curve():
    cfg = get_config("fixture")
    cfg.projector.strength_curve = CURVE
    assert config_from_dict(config_to_dict(cfg)).projector.strength_curve == CURVE
    manifest = build_manifest(cfg, {}, {}, "fp32", projector=True, lora="unmerged", provenance={})
    assert manifest["kontinuous"] == {"projector": True, "lora": "unmerged", "strength_curve": CURVE}
    assert "strength_curve" not in build_manifest(cfg, {}, {}, "fp32", projector=False, lora="none",
                                                  provenance={})["kontinuous"]
