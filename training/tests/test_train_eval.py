"""The evaluation's figures and guards: PSNR, smoothness KL, strict monotonicity, the strip's licence filter,
the category tables, and the GPU run's fp16 fallback for large checkpoints."""
import numpy as np
import torch

from training.data.filtering import kl_to_uniform
from training.eval import metrics
from training.eval.quality import other_pair, pair_row, report
from training.eval.strip import shippable
from training.gpu.run_all import slim_payload
from training.gpu.stream import read_records_robust


def test_psnr_of_known_error_and_identity():
    a = np.zeros((4, 4, 3))
    assert metrics.psnr(a, a) == 100.0
    assert abs(metrics.psnr(a, a + 0.1) - 20.0) < 1e-9


def test_kl_is_zero_for_even_change_and_large_for_one_jump():
    assert kl_to_uniform([0.1] * 5) < 1e-12
    assert abs(kl_to_uniform([0.0, 0.0, 1.0, 0.0, 0.0]) - np.log(5)) < 1e-9


def test_monotone_needs_strict_growth_so_an_unchanged_sweep_fails():
    assert metrics.is_monotone([0.01, 0.02, 0.05, 0.1, 0.2, 0.3])
    assert not metrics.is_monotone([0.01, 0.02, 0.02, 0.1, 0.2, 0.3])
    assert not metrics.is_monotone([0.05] * 6)
    assert not metrics.is_monotone([0.01, 0.2, 0.1, 0.3, 0.4, 0.5])


def test_strip_only_takes_procedural_scenes_and_free_photos():
    free = {"skimage-camera"}
    assert shippable({"source_kind": "procedural"}, free)
    assert shippable({"source_kind": "photo", "source_image": "skimage-camera"}, free)
    assert not shippable({"source_kind": "photo", "source_image": "mate-aqua"}, free)
    assert not shippable({}, free)


def test_other_pair_has_another_category():
    recs = [{"category": c} for c in ["a", "a", "b", "a", "c"]]
    for i in range(len(recs)):
        j = other_pair(recs, i)
        assert j != i and recs[j]["category"] != recs[i]["category"]


def test_report_marks_bars_and_lists_every_category():
    rows = [{"category": c, "heldout_phrasing": k % 2 == 0, "psnr_s0": 25.0, "vae_psnr": 28.0, "psnr_s1": p,
             "nearer_target": 1.0, "nearer_target_perceptual": 1.0, "monotone": 1.0, "kl": 0.05, "gt_kl": 0.01,
             "instr_distance": 0.3, "seed_distance": 0.1, "instr_differs": 1.0, "nearer_own_target": 1.0}
            for k, (c, p) in enumerate([("stylization", 18.0), ("material_change", 24.0)])]
    rep = report(rows)
    assert rep["per_category"]["all"]["psnr_s1"] == 21.0
    assert rep["bars"]["psnr_s1"]["met"] and rep["bars"]["kl"]["met"]
    assert rep["bars"]["psnr_s1"]["per_category"] == {"material_change": 24.0, "stylization": 18.0}
    rows[0]["kl"] = 0.5
    assert not report(rows)["bars"]["kl"]["met"]


def test_edit_share_is_the_part_of_the_target_edit_made_and_decides_nearer():
    rng = np.random.default_rng(0)
    src = rng.integers(0, 100, (64, 64, 3)).astype(np.uint8)
    tgt = (src.astype(int) + 100).astype(np.uint8)
    rec = {"image_name": "x.png", "category": "stylization", "edit_instruction": "e", "lpips_sequence": [0.1] * 6}
    for share in (0.3, 0.7):
        sweep_out = np.stack([(src + round(100 * share * k / 5)).astype(np.uint8) for k in range(6)])
        row = pair_row((rec, src, tgt, sweep_out, src, sweep_out[-1], sweep_out[-1], tgt))
        assert abs(row["edit_share"] - share) < 0.01
        assert row["nearer_target"] == float(share > 0.5)
    # An unedited pair has no edit to share.
    assert pair_row((rec, src, src, np.stack([src] * 6), src, src, src, src))["edit_share"] is None


def test_slim_payload_halves_only_large_checkpoints():
    small = {"config": {}, "vocab": [], "provenance": {}, "train_state": {"x": 1},
             **{c: {"w": torch.zeros(10)} for c in ("transformer", "projector", "vae", "clip", "t5")}}
    out = slim_payload(small)
    assert "train_state" not in out and out["vae"]["w"].dtype == torch.float32
    out = slim_payload(small, max_bytes=100)
    assert out["vae"]["w"].dtype == torch.float16 and out["provenance"]["stored_dtype"] == "float16"


def test_robust_metadata_reader_skips_a_cut_line_and_missing_stacks(tmp_path):
    (tmp_path / "000000.png").write_bytes(b"x")
    (tmp_path / "metadata.jsonl").write_text('{"image_name": "000000.png"}\n{"image_name": "000001.png"}\n'
                                             '{"image_name": "0000')
    assert [r["image_name"] for r in read_records_robust(str(tmp_path))] == ["000000.png"]


def test_sample_check_wants_growth_and_a_clear_full_edit():
    from training.eval.sample_check import grows
    assert grows([0.03, 0.09, 0.16, 0.25, 0.31])
    assert grows([0.03, 0.09, 0.088, 0.25, 0.31]), "a dip within the slack is allowed"
    assert not grows([0.034, 0.095, 0.159, 0.155, 0.135]), "the unshipped model's night sweep"
    assert not grows([0.038, 0.041, 0.045, 0.052, 0.060]), "too weak a full edit"


def test_sample_check_sweeps_every_instruction_and_seed_on_the_fixture_model():
    from training.eval.sample_check import SAMPLE, STRENGTHS, centre_crop, sample_sweeps
    from training.tests.test_train_smoke import fixture_models
    from training.train.parts import Parts
    parts = Parts(fixture_models().eval(), torch.device("cpu"))
    assert centre_crop(SAMPLE, 32, 16).shape == (16, 32, 3)
    image = centre_crop(SAMPLE, 32, 32)  # the PyTorch model takes square latent grids
    assert image.dtype == np.uint8
    rows = sample_sweeps(parts, image, instructions=("add fog", "make it night"), seeds=(1, 2))
    assert [(t, s) for t, s, *_ in rows] == [("add fog", 1), ("add fog", 2), ("make it night", 1), ("make it night", 2)]
    assert all(len(change) == len(STRENGTHS) and all(c >= 0 for c in change) for _, _, change, _ in rows)
    assert rows[0][2] != rows[1][2], "the seed changes the noise"
