"""MS-SSIM-C distance: zero for identical images, symmetric, bounded, growing with the amount of change."""
import numpy as np
import pytest

from training.data import distance, imaging, scenes


@pytest.fixture(scope="module")
def image():
    return scenes.render(scenes.random_object_scene(np.random.default_rng(3), 64, "test"))


def test_identical_images_are_zero_apart(image):
    assert distance.distance(image, image.copy()) == pytest.approx(0.0, abs=1e-6)


def test_symmetric_and_bounded(image):
    other = image[::-1, ::-1].copy()
    d = distance.distance(image, other)
    assert d == pytest.approx(distance.distance(other, image), abs=1e-6)
    assert 0.0 < d <= 1.0
    noise = np.random.default_rng(0).random(image.shape, dtype=np.float32)
    assert 0.0 < distance.distance(image, noise) <= 1.0


@pytest.mark.parametrize("change", ["blur", "noise", "colour", "darken"])
def test_distance_grows_with_the_size_of_a_change(image, change):
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1, image.shape).astype(np.float32)

    def changed(t):
        if change == "blur":
            return imaging.lerp(image, imaging.box_blur(image, 3), t)
        if change == "noise":
            return np.clip(image + 0.2 * t * noise, 0, 1)
        if change == "colour":
            return imaging.lerp(image, image[..., ::-1], t)
        return image * (1 - 0.8 * t)

    values = [distance.distance(image, changed(t)) for t in (0.1, 0.3, 0.6, 1.0)]
    assert all(b > a for a, b in zip(values, values[1:])), values


def test_unrelated_scenes_are_farther_apart_than_a_small_edit(image):
    other = scenes.render(scenes.random_object_scene(np.random.default_rng(99), 64, "other"))
    small = np.clip(image * 1.05, 0, 1)
    assert distance.distance(image, other) > 5 * distance.distance(image, small)


def test_shape_mismatch_is_an_error(image):
    with pytest.raises(ValueError, match="one shape"):
        distance.distance(image, image[:32])
