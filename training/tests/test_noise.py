"""The Python port of the product's seeded noise: the values pinned in test/kontext/math-noise.test.ts, and a whole
latent's draw compared with the TypeScript generator itself."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from training.kontext.noise import SeededRandom, gaussian_noise

PINNED = {
    0: [0.3029727339744568, 2.0391221046447754, -1.0919476747512817, -0.5421730279922485, -0.9529020190238953,
        -2.7054975032806396],
    64: [-0.6371525526046753, 0.36685672402381897, 2.5904324054718018, -0.49105802178382874, -0.3091667890548706,
         -1.696129560470581],
    2 ** 64 - 1: [1.3568295240402222, 0.17742203176021576, -0.3055475652217865, 1.3304998874664307,
                  1.3298126459121704, 0.7677513360977173],
}


def test_words_and_values_match_the_product():
    r = SeededRandom(64)
    assert [r.next_uint32() for _ in range(4)] == [3277793181, 3770497898, 1790376451, 3641265143]
    for seed, values in PINNED.items():
        np.testing.assert_array_equal(gaussian_noise(seed, 6), np.array(values, dtype=np.float32))


def test_a_longer_draw_starts_with_the_shorter_one_and_bad_seeds_fail():
    np.testing.assert_array_equal(gaussian_noise(9, 2001)[:2000], gaussian_noise(9, 2000))
    with pytest.raises(ValueError):
        gaussian_noise(-1, 4)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(os.path.join(ROOT, "node_modules", "tsx")),
                    reason="needs node and the project's node_modules")
def test_a_whole_latent_of_noise_matches_the_product_bit_for_bit(tmp_path):
    out = tmp_path / "noise.bin"
    script = ("import { gaussianNoise } from './nodes/kontext/math/noise.ts'; import { writeFileSync } from 'node:fs';"
              f"writeFileSync({json.dumps(str(out))}, Buffer.from(gaussianNoise(81, 4096).buffer));")
    subprocess.run(["node", "--import", "tsx", "-e", script], cwd=ROOT, check=True, timeout=60)
    np.testing.assert_array_equal(np.fromfile(out, dtype=np.float32), gaussian_noise(81, 4096))
