"""`--init`: a stage started from another checkpoint's weights (fine-tuning a shipped model) keeps its projector,
and a run folder whose checkpoint cannot be resumed is refused with the way out."""
import os

import pytest
import torch

from training.train import ckpt, ship, stage2
from training.train.runtime import load_checkpoint, save_checkpoint
from training.tests.test_train_smoke import fixture_models, write_split


def shipped_checkpoint(path):
    """A slim checkpoint (no resume state) whose projector output is non-zero, as a shipped model's is."""
    torch.manual_seed(1)
    models = fixture_models()
    torch.nn.init.normal_(models.projector.projector[6].weight, std=0.05)
    save_checkpoint(path, ckpt.payload_of(models))
    return models


def test_stage2_fine_tunes_from_init_weights_without_zeroing_the_projector(tmp_path):
    data_dir = str(tmp_path / "data")
    write_split(data_dir, "train", 4)
    init = str(tmp_path / "ship.pt")
    shipped = shipped_checkpoint(init)
    run = str(tmp_path / "run")
    os.makedirs(run)
    assert stage2.main(["--data", data_dir, "--run", run, "--init", init, "--steps", "1", "--batch", "2",
                        "--threads", "1", "--warmup", "5", "--seed", "3"]) == 0
    out = load_checkpoint(ckpt.stage_path(run, "stage2"))
    assert out["train_state"]["step"] == 1
    assert out["provenance"]["stage2"]["seed"] == 3 and out["provenance"]["stage2"]["warmup"] == 5
    w_init = shipped.projector.projector[6].weight
    w_out = out["projector"]["projector.6.weight"]
    assert w_out.abs().max() > 0.01, "the projector was zeroed: stage 2 restarted instead of fine-tuning"
    # One step at warm-up's learning rate, averaged: the weights moved, but stay near the initial ones.
    assert 0 < (w_out - w_init).abs().max() < 1e-2
    # The base transformer is frozen in stage 2: its non-LoRA weights are the init's.
    base = {k: v for k, v in out["transformer"].items() if ".lora_" not in k}
    assert all(torch.equal(v, shipped.transformer.state_dict()[k]) for k, v in base.items())


def test_a_checkpoint_without_resume_state_in_the_run_folder_is_refused(tmp_path):
    data_dir = str(tmp_path / "data")
    write_split(data_dir, "train", 2)
    run = str(tmp_path / "run")
    os.makedirs(run)
    shipped_checkpoint(ckpt.stage_path(run, "stage2"))
    with pytest.raises(SystemExit, match="no resume state.*--init"):
        stage2.main(["--data", data_dir, "--run", run, "--steps", "1"])


def test_ship_takes_the_strength_control_from_another_checkpoint(tmp_path):
    torch.manual_seed(2)
    base, donor = fixture_models(), fixture_models()
    torch.nn.init.normal_(donor.projector.projector[6].weight, std=0.05)
    for p in donor.transformer.lora_parameters():
        torch.nn.init.normal_(p, std=0.05)
    save_checkpoint(str(tmp_path / "base.pt"), ckpt.payload_of(base))
    save_checkpoint(str(tmp_path / "donor.pt"), ckpt.payload_of(donor))
    assert ship.main(["--checkpoint", str(tmp_path / "base.pt"), "--strength-from", str(tmp_path / "donor.pt"),
                      "--out", str(tmp_path / "ship.pt")]) == 0
    out = load_checkpoint(str(tmp_path / "ship.pt"))
    assert all(torch.equal(v, donor.projector.state_dict()[k]) for k, v in out["projector"].items())
    lora = [k for k in out["transformer"] if ship.is_lora(k)]
    assert lora and len(lora) < len(out["transformer"])
    for k, v in out["transformer"].items():
        source = donor if ship.is_lora(k) else base
        assert torch.equal(v, source.transformer.state_dict()[k]), k
    assert "train_state" not in out and "strength_control_from" in out["provenance"]
