"""Safeguards of unattended GPU runs: on a non-finite loss the loop steps back to its last finite check, splits
later batches in halves and goes on; sequences whose latents overflow float16 are left out of the data set; CUDA
devices run without cuDNN attention."""
import torch

from training.tests.test_train_smoke import fixture_models, write_split
from training.train import editor_steps, memdata
from training.train.editor import train_editor
from training.train.parts import Parts


class Recorder:
    def __init__(self):
        self.events = []

    def __call__(self, **kw):
        self.events.append(kw)


def small_set(tmp_path, n=6):
    write_split(str(tmp_path), "train", n)
    frames, records = memdata.load_split(str(tmp_path / "train"))
    models = fixture_models()
    parts = Parts(models, torch.device("cpu"))
    return parts, frames, records


def test_a_nan_loss_rolls_back_to_the_last_check_and_halves_the_micro_batch(tmp_path, monkeypatch):
    torch.manual_seed(0)
    parts, frames, records = small_set(tmp_path)
    data = memdata.encode_set(parts, frames, records)
    real = editor_steps.stage1_loss
    calls = {"n": 0, "sizes": []}

    def poisoned(parts_, data_, idx, *rest):
        calls["n"] += 1
        calls["sizes"].append(len(idx))
        loss = real(parts_, data_, idx, *rest)
        return loss * float("nan") if calls["n"] == 3 else loss  # step 3 of 4 goes bad

    monkeypatch.setattr(editor_steps, "stage1_loss", poisoned)
    log = Recorder()
    p1 = train_editor("stage1", parts, data, max_steps=6, batch=4, log=log, check_every=2, warmup=1)
    rolled = [e for e in log.events if e.get("event", "").startswith("non-finite")]
    assert len(rolled) == 1 and rolled[0]["step"] == 2 and rolled[0]["micro_batch"] == 2
    # Before the bad step whole batches of 4; after the rollback, halves of 2.
    assert calls["sizes"][:4] == [4, 4, 4, 4] and set(calls["sizes"][4:]) == {2}
    assert p1["train_state"]["step"] == 6
    weights = [v for v in p1["transformer"].values() if torch.is_tensor(v) and v.is_floating_point()]
    assert all(torch.isfinite(w).all() for w in weights), "NaN weights survived the rollback"


def test_sequences_with_overflowing_latents_are_left_out(tmp_path, monkeypatch):
    parts, frames, records = small_set(tmp_path)
    encode = parts.encode_images

    def overflow_second(x):
        lat = encode(x)
        lat[7:14] = 1e6  # frames of sequence 1 (7 frames each): past float16's range
        return lat

    monkeypatch.setattr(parts, "encode_images", overflow_second)
    data = memdata.encode_set(parts, frames, records, batch=64)
    assert len(data) == 5 and data.records == [records[0]] + records[2:]
    assert torch.isfinite(data.latents).all() and data.clip_ids.shape[0] == 5


def test_cuda_devices_turn_off_cudnn_attention(monkeypatch):
    # PyTorch 2.x's cuDNN attention backward crashed stage 1 on an H100 (see runtime.pick_device); torch 1.13 here
    # has no such switch, so a stand-in records the call.
    import torch.backends.cuda as cuda_backends
    from training.train.runtime import pick_device

    calls = []
    monkeypatch.setattr(cuda_backends, "enable_cudnn_sdp", lambda on: calls.append(on), raising=False)
    assert pick_device("cpu").type == "cpu" and calls == []
    assert pick_device("cuda").type == "cuda" and calls == [False]
