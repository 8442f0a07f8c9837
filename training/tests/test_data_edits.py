"""Every edit: amount 0 leaves the source, amount 1 changes it, frames stay valid, instructions fill their slots."""
import numpy as np
import pytest

from training.data import edits, instructions, scenes, vocabulary
from training.data.sequences import amount_curve

PAPER_CATEGORIES = {"stylization", "environment_change", "reimagining", "appearance_change", "material_change",
                    "attribute_change", "object_morphing"}


def _scene(spec, seed):
    rng = np.random.default_rng(seed)
    if spec.needs_objects:
        return scenes.random_object_scene(rng, 48, "test"), rng
    photo = np.random.default_rng(seed + 1).random((96, 96, 3)).astype(np.float32)
    return scenes.photo_scene(rng, photo, 48, "photo"), rng


@pytest.mark.parametrize("name", sorted(edits.EDITS))
def test_edit_runs_from_source_to_a_visible_change(name):
    spec = edits.EDITS[name]
    assert spec.category in PAPER_CATEGORIES
    scene, rng = _scene(spec, 11)
    edit, params = spec.bind(scene, rng)
    source = scenes.render(scene)
    start, middle, end = (edit(source, scene, a) for a in (0.0, 0.5, 1.0))
    for frame in (start, middle, end):
        assert frame.shape == (48, 48, 3)
        assert float(frame.min()) >= 0.0 and float(frame.max()) <= 1.0
    assert np.abs(start - source).max() < 1e-4, "amount 0 must leave the image"
    assert np.abs(end - source).mean() > 1e-3, "amount 1 must change the image"
    template = instructions.phrasings_for(name, heldout=False)[0]
    text = instructions.fill(template, params["slots"])
    assert "{" not in text and vocabulary.unknown_words(text) == []


def test_object_edits_change_only_near_the_target_object():
    spec = edits.EDITS["recolor"]
    rng = np.random.default_rng(4)
    scene = scenes.random_object_scene(rng, 64, "test")
    edit, params = spec.bind(scene, rng)
    source = scenes.render(scene)
    changed = np.abs(edit(source, scene, 1.0) - source).max(axis=-1) > 0.02
    mask = scenes.object_mask(scene.objects[params["target"]], 64) > 0
    assert changed.any() and not (changed & ~mask).any()


def test_photos_only_get_edits_without_objects():
    scene, _ = _scene(edits.EDITS["night"], 2)
    assert all(not spec.needs_objects for spec in edits.applicable(scene))
    assert {spec.category for spec in edits.applicable(scene)} == PAPER_CATEGORIES - {"material_change",
                                                                                      "object_morphing"}


@pytest.mark.parametrize("defect", ["none", "ease", "jumpy", "pop", "weak", "drift"])
def test_amount_curves_start_at_zero_and_rise(defect):
    curve = amount_curve(defect, np.random.default_rng(0))
    assert len(curve) == 7 and curve[0] == 0.0
    assert np.all(np.diff(curve) >= 0)
    assert curve[-1] == pytest.approx(1.0) or defect == "weak"
