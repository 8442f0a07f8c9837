"""Which sequences each stage learns from: stage 1 takes the full edit from a sequence's last frame, so it leaves
out sequences whose last frame drifted away from the edit; stage 2 takes the paper's whole filtered set."""
import os

import torch

from training.train import editor_steps, memdata
from training.train.editor import stage_pool, train_editor
from training.train.parts import Parts
from training.train.runtime import Logger
from training.tests.test_train_smoke import fixture_models, write_split


def records(inversions):
    return [{"image_name": f"{i:06d}.png", "lpips_edit_inversion": v} for i, v in enumerate(inversions)]


def test_stage1_leaves_out_sequences_whose_end_is_not_the_edit():
    recs = records([0.0, 0.3565, 0.0, 0.0008, 0.0897])
    assert stage_pool("stage1", recs).tolist() == [0, 2, 3]
    assert stage_pool("stage1", recs, skip_drifted=False).tolist() == [0, 1, 2, 3, 4]
    assert stage_pool("stage2", recs).tolist() == [0, 1, 2, 3, 4]
    assert stage_pool("stage1", [{"image_name": "a.png"}]).tolist() == [0], "no inversion field: kept"


def test_stage1_never_draws_a_drifted_sequence(tmp_path, monkeypatch):
    torch.manual_seed(0)
    write_split(str(tmp_path), "train", 6)
    parts = Parts(fixture_models(), torch.device("cpu"))
    frames, recs = memdata.load_split(os.path.join(str(tmp_path), "train"))
    for i, r in enumerate(recs):
        r["lpips_edit_inversion"] = 0.4 if i in (1, 4) else 0.0
    data = memdata.encode_set(parts, frames, recs)
    drawn = []
    real = editor_steps.stage1_loss

    def spy(parts, data, idx, *rest):
        drawn.extend(idx.tolist())
        return real(parts, data, idx, *rest)

    monkeypatch.setattr(editor_steps, "stage1_loss", spy)
    p1 = train_editor("stage1", parts, data, max_steps=6, batch=8, log=Logger())
    assert len(drawn) == 48 and not {1, 4} & set(drawn)
    assert p1["provenance"]["stage1"]["sequences"] == 4 and p1["provenance"]["stage1"]["left_out"] == 2
