"""Two-step training smoke runs of every stage (VAE, stage 1, stage 2) and the evaluation, on the fixture
config with a hand-made data set: losses are finite, each stage changes exactly the weights it owns, the
checkpoints round-trip through the exporter's loader, and resuming continues the step count."""
import json
import os

import numpy as np
import torch

from training.data import layout
from training.kontext import load_checkpoint as exporter_load
from training.kontext.tokenizer import build_vocab
from training.train import ckpt, memdata
from training.train.editor import train_editor
from training.train.parts import Parts, new_models
from training.train.runtime import Logger
from training.train.vae import train_vae
from training.eval.__main__ import run_eval

INSTRUCTIONS = ["make the ball red", "turn it into a sketch", "add fog", "make it night"]
CATEGORIES = ["appearance_change", "stylization", "environment_change", "environment_change"]


def write_split(root, split, n, size=32, seed=0):
    """n hand-made 7-frame sequences (a square brightening over the frames) in the data layout."""
    rng = np.random.default_rng(seed)
    d = os.path.join(root, split)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "metadata.jsonl"), "w") as f:
        for i in range(n):
            base = rng.integers(0, 200, size=(size, size, 3)).astype(np.float64)
            frames = np.stack([np.clip(base + 8 * k, 0, 255) for k in range(7)]).astype(np.uint8)
            name = f"{i:06d}.png"
            with open(os.path.join(d, name), "wb") as g:
                g.write(layout.encode_stack(frames))
            f.write(json.dumps({"image_name": name, "category": CATEGORIES[i % 4],
                                "edit_instruction": INSTRUCTIONS[i % 4], "lpips_sequence": [0.01] * 6,
                                "heldout_phrasing": i % 2 == 0, "source_kind": "procedural"}) + "\n")


def fixture_models():
    return new_models("fixture", vocab=build_vocab(INSTRUCTIONS, extra_words=()))


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, module):
    return sorted(k for k, v in module.state_dict().items() if not torch.equal(before[k], v))


def test_every_stage_trains_two_steps_and_checkpoints_round_trip(tmp_path):
    torch.manual_seed(0)
    data_dir = str(tmp_path / "data")
    write_split(data_dir, "train", 6)
    write_split(data_dir, "heldout", 3, seed=1)
    device = torch.device("cpu")
    frames, records = memdata.load_split(os.path.join(data_dir, "train"))
    assert frames.shape == (6, 7, 32, 32, 3)
    log = Logger(str(tmp_path / "log.jsonl"))

    models = fixture_models()
    vae_before = snapshot(models.vae)
    p_vae = train_vae(models, frames, device, max_steps=2, batch=2, log=log, heldout_frames=frames[:2, 0])
    assert p_vae["train_state"]["step"] == 2
    assert changed(vae_before, models.vae), "the VAE did not train"
    assert p_vae["config"]["vae"]["scaling_factor"] > 0 and p_vae["config"]["vae"]["scaling_factor"] != 1.0
    ckpt.save(str(tmp_path), "vae", p_vae)

    models = ckpt.models_from(p_vae)
    parts = Parts(models, device)
    data = memdata.encode_set(parts, frames, records)
    assert data.latents.shape[:2] == (6, 7) and data.latents.dtype == torch.float16
    before_t, before_p = snapshot(models.transformer), snapshot(models.projector)
    p1 = train_editor("stage1", parts, data, max_steps=2, batch=3, log=log, identity_fraction=0.5,
                      rollout=(2, 1.0))
    assert torch.isfinite(torch.tensor(p1["train_state"]["step"])) and p1["train_state"]["step"] == 2
    moved = changed(before_t, models.transformer)
    assert moved and not any(".lora_" in k for k in moved), "stage 1 must train the base, never the LoRA"
    assert not changed(before_p, models.projector)
    ckpt.save(str(tmp_path), "stage1", p1)

    models = ckpt.models_from(p1)
    models.projector.zero_init_output()
    parts = Parts(models, device)
    memdata.add_text_features(parts, data)
    before_t, before_p, before_c = snapshot(models.transformer), snapshot(models.projector), snapshot(models.clip)
    p2 = train_editor("stage2", parts, data, max_steps=2, batch=2, log=log, strengths_per_seq=3)
    moved = changed(before_t, models.transformer)
    assert moved and all(".lora_" in k for k in moved), "stage 2 must train only the LoRA in the transformer"
    assert changed(before_p, models.projector) and not changed(before_c, models.clip)
    path = ckpt.save(str(tmp_path), "stage2", p2)

    # The exporter's loader reads the stage checkpoint; resuming continues the step count.
    loaded = exporter_load(path)
    assert loaded.config.vae.scaling_factor == p_vae["config"]["vae"]["scaling_factor"]
    resumed = ckpt.models_from(p2, use_raw=True)
    p3 = train_editor("stage2", Parts(resumed, device), data, max_steps=1, batch=2, resume=p2, sigma_focus=(2, 0.5),
                      rollout=(2, 1.0))
    assert p3["train_state"]["step"] == 3
    assert p3["provenance"]["stage2"]["sigma_focus"] == [2, 0.5] and "sigma_focus" not in p2["provenance"]["stage2"]
    assert p3["provenance"]["stage2"]["rollout"] == [2, 1.0] and p1["provenance"]["stage1"]["rollout"] == [2, 1.0]

    report = run_eval(Parts(ckpt.models_from(p2).eval(), device), data_dir, 3, 2, 2.5,
                      out=str(tmp_path / "eval.json"), strip=str(tmp_path / "strip.png"), log=lambda s: None)
    assert report["pairs"] == 3 and set(report["bars"]) >= {"psnr_s0", "psnr_s1", "monotone", "kl"}
    assert os.path.getsize(tmp_path / "strip.png") > 1000
    assert "per_category" in report and "appearance_change" in report["per_category"]
    assert report["split"] == "heldout"

    # The same figures on pairs the model trained on: other images, so the VAE's ceiling differs.
    seen = run_eval(Parts(ckpt.models_from(p2).eval(), device), data_dir, 3, 2, 2.5, log=lambda s: None,
                    split="train")
    assert seen["split"] == "train" and seen["pairs"] == 3
    assert seen["per_category"]["all"]["vae_psnr"] != report["per_category"]["all"]["vae_psnr"]
