"""The generate command end to end on a tiny count, its reproducibility, and the stored layout read back."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from training.data import dataset, generate, layout, vocabulary
from training.data.sequences import make_sample

PAPER_FIELDS = ("image_name", "category", "edit_instruction", "lpips_kontext_edit", "lpips_edit_inversion",
                "lpips_inversion_edit", "lpips_sequence", "lpips_sequence_triangle")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """A stand-in sources folder: 8 small photographs-like images and their sources.json."""
    folder = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(0)
    images = []
    for i in range(8):
        base = rng.random((8, 8, 3))
        pixels = np.asarray(Image.fromarray((base * 255).astype(np.uint8)).resize((64, 64), Image.BILINEAR))
        Image.fromarray(pixels).save(folder / f"img{i}.png")
        images.append({"id": f"img{i}", "png": f"img{i}.png", "kind": "photograph", "licence": "CC0-1.0"})
    (folder / "sources.json").write_text(json.dumps({"size": 64, "images": images}))
    return str(folder)


@pytest.fixture(scope="module")
def generated(tmp_path_factory, sources):
    out = str(tmp_path_factory.mktemp("data"))
    report = generate.generate(sources, out, size=64, train=6, heldout=4, seed=3, workers=1)
    return out, report


def test_writes_the_requested_kept_counts_with_the_paper_fields(generated):
    out, report = generated
    train = layout.read_metadata(os.path.join(out, "train"))
    heldout = layout.read_metadata(os.path.join(out, "heldout"))
    assert len(train) == 6 and len(heldout) == 4
    for record in train + heldout:
        for field in PAPER_FIELDS:
            assert field in record, field
        assert record["rejected"] == []
        assert len(record["lpips_sequence"]) == 6
        assert [len(row) for row in record["lpips_sequence_triangle"]] == [6, 5, 4, 3, 2, 1]
        assert record["lpips_sequence"] == [row[0] for row in record["lpips_sequence_triangle"]]
        assert vocabulary.unknown_words(record["edit_instruction"]) == []
        assert os.path.exists(os.path.join(out, record["split"], record["image_name"]))
    assert all(not r["heldout_phrasing"] for r in train)
    assert report["splits"]["train"]["kept"] == 6
    assert os.path.exists(os.path.join(out, "report.json"))
    assert "category" in generate.format_table(report)


def test_heldout_uses_other_photographs_than_train(generated, sources):
    photos = generate.split_photos(sources)
    assert photos["train"] and photos["heldout"]
    assert not set(photos["train"]) & set(photos["heldout"])
    out, _ = generated
    train = layout.read_metadata(os.path.join(out, "train")) + layout.read_metadata(os.path.join(out, "train"), "rejected.jsonl")
    assert not {r["source_image"] for r in train} & set(photos["heldout"])


def test_same_arguments_give_the_same_bytes_whatever_the_worker_count(tmp_path, sources, generated):
    out, _ = generated
    again = str(tmp_path / "again")
    generate.generate(sources, again, size=64, train=6, heldout=4, seed=3, workers=2)
    for split in ("train", "heldout"):
        first = open(os.path.join(out, split, "metadata.jsonl")).read()
        assert first == open(os.path.join(again, split, "metadata.jsonl")).read()
        for record in layout.read_metadata(os.path.join(out, split)):
            a = open(os.path.join(out, split, record["image_name"]), "rb").read()
            assert a == open(os.path.join(again, split, record["image_name"]), "rb").read()


def test_stack_round_trip_and_loader_pairs(generated):
    out, _ = generated
    data = dataset.SequenceDataset(out, "train")
    assert len(data) == 6 * 7
    item = data[7 * 2 + 6]
    assert item["k"] == 6 and item["s"] == pytest.approx(1.0)
    assert item["source"].shape == (3, 64, 64) and item["source"].dtype == np.float32
    first = data[7 * 2]
    assert np.array_equal(first["source"], first["target"])  # k = 0: the target is the source
    frames, records = dataset.load_split(out, "train")
    assert frames.shape == (6, 7, 64, 64, 3)
    assert np.allclose(frames[2, 6].astype(np.float32).transpose(2, 0, 1) / 255.0, item["target"])
    encoded = layout.encode_stack(frames[0])
    assert np.array_equal(layout.decode_stack(encoded), frames[0])
    with pytest.raises(IndexError):
        data[len(data)]
    defects = {r["synthetic_defect"] for r in data.records}
    clean = dataset.SequenceDataset(out, "train", exclude_defects=tuple(defects - {"none"}))
    assert all(r["synthetic_defect"] == "none" for r in clean.records)


def test_a_sample_is_deterministic_and_its_frames_start_at_the_source():
    record_a, frames_a = make_sample(5, "train", 17, {}, 64)
    record_b, frames_b = make_sample(5, "train", 17, {}, 64)
    assert record_a == record_b and np.array_equal(frames_a, frames_b)
    assert frames_a.shape == (7, 64, 64, 3)
    other, _ = make_sample(5, "train", 18, {}, 64)
    assert other["edit_instruction"] != record_a["edit_instruction"] or other["source_image"] != record_a["source_image"]


def test_missing_sources_manifest_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="sources.json"):
        generate.split_photos(str(tmp_path))


def test_command_line_runs_without_sources_and_rejects_a_bad_size(tmp_path, capsys):
    out = str(tmp_path / "cli")
    assert generate.main(["--out", out, "--size", "64", "--train", "2", "--heldout", "1", "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "train: made" in printed and "sequences/s" in printed
    assert len(layout.read_metadata(os.path.join(out, "heldout"))) == 1
    assert all(r["source_kind"] == "procedural" for r in layout.read_metadata(os.path.join(out, "train")))
    with pytest.raises(SystemExit):
        generate.main(["--out", out, "--size", "60", "--train", "1", "--heldout", "1"])
