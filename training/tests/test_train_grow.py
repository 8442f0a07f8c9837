"""A training run fed by a generator that is still writing: the metadata tail takes only complete lines, in
order and once each, and stage 1 draws from the grown set after its next check."""
import json
import os

import torch

from training.data import layout
from training.gpu.stream import GrowingData, MetadataTail
from training.train import memdata
from training.train.editor import train_editor
from training.train.parts import Parts
from training.train.runtime import Logger
from training.tests.test_train_smoke import fixture_models, write_split


def test_tail_takes_complete_lines_once_and_waits_for_a_cut_one(tmp_path):
    for i in range(3):
        (tmp_path / f"{i:06d}.png").write_bytes(b"x")
    meta = tmp_path / "metadata.jsonl"
    meta.write_text('{"image_name": "000000.png"}\n{"image_name": "0000')
    tail = MetadataTail(str(tmp_path))
    assert [r["image_name"] for r in tail.read_new()] == ["000000.png"]
    assert tail.read_new() == []
    with open(meta, "a") as f:
        f.write('01.png"}\n{"image_name": "000002.png"}\n{"image_name": "000009.png"}\n')
    # The cut line is now whole; a line whose stack is missing is skipped.
    assert [r["image_name"] for r in tail.read_new()] == ["000001.png", "000002.png"]
    assert tail.read_new() == [] and tail.read_partial_last() == []


def test_stage1_takes_in_sequences_written_while_it_runs(tmp_path):
    torch.manual_seed(0)
    first, later = str(tmp_path / "first"), str(tmp_path / "later")
    write_split(first, "train", 4)
    os.makedirs(os.path.join(later, "train"))
    parts = Parts(fixture_models(), torch.device("cpu"))
    frames, records = memdata.load_split(os.path.join(first, "train"))
    data = memdata.encode_set(parts, frames, records)
    grower = GrowingData(parts, os.path.join(later, "train"), workers=1)
    assert grower(data) is None  # nothing written yet

    # The "generator" writes 5 sequences, the last one's line still in its buffer.
    write_split(later, "train", 5, seed=3)
    meta = os.path.join(later, "train", "metadata.jsonl")
    lines = open(meta).read().splitlines(keepends=True)
    with open(meta, "w") as f:
        f.write("".join(lines[:4]) + lines[4][:10])
    seen = []

    def grow(d):
        seen.append(len(d))
        return grower(d)

    p1 = train_editor("stage1", parts, data, max_steps=4, batch=2, log=Logger(), check_every=2, grow=grow,
                      grow_every_s=0)
    assert seen == [4, 8], "the second check draws from the grown set"
    assert grower.added == 4 and len(grower.latest) == 8
    assert p1["provenance"]["stage1"]["sequences"] == 8
    assert grower.latest.records[4]["image_name"] == json.loads(lines[0])["image_name"]
    torch.testing.assert_close(grower.latest.latents[:4], data.latents)

    # Once the generator has stopped, the final read takes the cut line too if it parses (here it does not).
    with open(meta, "w") as f:
        f.write("".join(lines))
    grown = grower(grower.latest, final=True)
    assert len(grown) == 9 and grower.added == 5
    assert layout.decode_stack(os.path.join(later, "train", grown.records[-1]["image_name"])).shape[0] == 7


def test_background_intake_hands_over_what_the_previous_call_started(tmp_path):
    torch.manual_seed(0)
    first, later = str(tmp_path / "first"), str(tmp_path / "later")
    write_split(first, "train", 3)
    write_split(later, "train", 4, seed=5)
    meta = os.path.join(later, "train", "metadata.jsonl")
    lines = open(meta).read().splitlines(keepends=True)
    with open(meta, "w") as f:
        f.write("".join(lines[:2]))
    parts = Parts(fixture_models(), torch.device("cpu"))
    frames, records = memdata.load_split(os.path.join(first, "train"))
    data = memdata.encode_set(parts, frames, records)
    grower = GrowingData(parts, os.path.join(later, "train"), workers=2, background=True)

    assert grower(data) is None, "the first call only starts reading"
    grower.pending.result()
    with open(meta, "a") as f:
        f.write(lines[2])
    grown = grower(data)
    assert len(grown) == 5, "the second call takes in what the first one read (2 sequences)"
    grower.pending.result()  # the next read, started by that call, has the third line
    with open(meta, "a") as f:
        f.write(lines[3])
    final = grower(grown, final=True)
    assert len(final) == 7 and grower.added == 4
    assert [r["image_name"] for r in final.records[3:]] == [json.loads(line)["image_name"] for line in lines]
    torch.testing.assert_close(final.latents[:3], data.latents)
