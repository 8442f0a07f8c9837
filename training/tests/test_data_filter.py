"""kl-filter-simple on hand-made sequences: smooth kept, jumpy and popping rejected, per-category bounds."""
import math

import numpy as np
import pytest

from training.data import distance, filtering, imaging, scenes


def _record(category, sequence, edit, inversion):
    return {"category": category, "lpips_sequence": sequence, "lpips_kontext_edit": edit,
            "lpips_edit_inversion": inversion}


def _frames_along(source, target, amounts):
    return [imaging.lerp(source, target, a) for a in amounts]


def _adjacent(frames):
    features = [distance.Features(f) for f in frames]
    return [distance.feature_distance(features[k], features[k + 1]) for k in range(len(frames) - 1)]


def test_kl_is_zero_for_even_steps_and_log_n_for_one_jump():
    assert filtering.kl_to_uniform([0.1] * 6) == pytest.approx(0.0, abs=1e-12)
    assert filtering.kl_to_uniform([0, 0, 0.6, 0, 0, 0]) == pytest.approx(math.log(6))
    assert filtering.kl_to_uniform([0.0] * 6) == 0.0


def test_smooth_rendered_sequence_is_kept_and_jumpy_ones_are_rejected():
    rng = np.random.default_rng(1)
    scene = scenes.random_object_scene(rng, 64, "test")
    source = scenes.render(scene)
    target = imaging.lerp(source, source[..., ::-1], 0.8)  # channels swapped: a strong colour edit
    smooth = _adjacent(_frames_along(source, target, np.linspace(0, 1, 7)))
    pop = _adjacent(_frames_along(source, target, [0, 0, 0, 0, 1, 1, 1]))
    jumpy = _adjacent(_frames_along(source, target, [0, 0.05, 0.1, 0.7, 0.75, 0.8, 1.0]))
    assert filtering.kl_to_uniform(smooth) < 0.05
    assert filtering.kl_to_uniform(pop) > filtering.KL_THRESHOLD
    assert filtering.kl_to_uniform(jumpy) > filtering.KL_THRESHOLD
    edit = distance.distance(source, target)
    assert filtering.keep(_record("appearance_change", smooth, edit, 0.0))
    assert filtering.rejection_reasons(_record("appearance_change", pop, edit, 0.0)) == ["kl"]
    assert filtering.rejection_reasons(_record("appearance_change", jumpy, edit, 0.0)) == ["kl"]


def test_per_category_bounds_match_the_paper_table():
    even = [0.05] * 6
    # stylization needs a visible edit (>= 0.10); appearance only >= 0.02.
    assert filtering.rejection_reasons(_record("stylization", even, 0.09, 0.1)) == ["edit_distance"]
    assert filtering.keep(_record("stylization", even, 0.10, 0.1))
    assert filtering.keep(_record("appearance_change", even, 0.021, 0.1))
    assert filtering.rejection_reasons(_record("attribute_change", even, 0.025, 0.1)) == ["edit_distance"]
    # inversion distance: stylization tolerates 0.55, reimagining 0.52, attribute and morphing 0.45.
    assert filtering.keep(_record("stylization", even, 0.3, 0.54))
    assert filtering.rejection_reasons(_record("reimagining", even, 0.3, 0.53)) == ["inversion_distance"]
    assert filtering.rejection_reasons(_record("object_morphing", even, 0.3, 0.46)) == ["inversion_distance"]
    assert filtering.keep(_record("material_change", even, 0.3, 0.49))
    assert filtering.rejection_reasons(_record("environment_change", [0, 0, 0, 0.3, 0, 0], 0.05, 0.6)) == [
        "kl", "edit_distance", "inversion_distance"]


def test_unknown_category_is_named():
    with pytest.raises(KeyError, match="sculpture"):
        filtering.rejection_reasons(_record("sculpture", [0.1] * 6, 0.2, 0.1))
