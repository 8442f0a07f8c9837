"""The model card's sample strip: one row per example, source | sweep at each strength | ground-truth target."""
import numpy as np
from PIL import Image, ImageDraw


def render_strip(examples, strengths, path, gap=4):
    """Writes a PNG of rows [source, outputs at strengths..., target] with a header line of labels."""
    if not examples:
        raise ValueError("no examples to draw")
    size = examples[0]["source"].shape[0]
    cols = 2 + len(strengths)
    header = 14
    label_h = 12
    row_h = size + label_h + gap
    width = cols * size + (cols - 1) * gap
    height = header + len(examples) * row_h
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    titles = ["source"] + [f"s={s:g}" for s in strengths] + ["target"]
    for c, t in enumerate(titles):
        draw.text((c * (size + gap) + 2, 1), t, fill=(0, 0, 0))
    for r, ex in enumerate(examples):
        y = header + r * row_h
        draw.text((2, y), f"{ex['category']}: {ex['instruction']}"[:120], fill=(40, 40, 40))
        tiles = [ex["source"]] + list(ex["sweep"]) + [ex["target"]]
        for c, img in enumerate(tiles):
            arr = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
            canvas.paste(Image.fromarray(arr), (c * (size + gap), y + label_h))
    canvas.save(path, optimize=True)
    return path


FREE_LICENCES = ("CC0-1.0", "public-domain")


def shippable_sources(data_dir):
    """Ids of source photographs that are CC0 or public domain, read from the data set's sources.json
    (found through report.json); empty when unknown, so only procedural scenes are then drawn."""
    import json
    import os
    try:
        with open(os.path.join(data_dir, "report.json")) as f:
            sources = json.load(f).get("sources")
        with open(os.path.join(sources, "sources.json")) as f:
            images = json.load(f)["images"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {r["id"] for r in images if r.get("licence") in FREE_LICENCES}


def shippable(record, free_ids):
    """True when the record's source image may be shipped in the repository: our own procedural scene, or a
    CC0 / public-domain photograph (the strip is committed; GPL and CC-BY-SA photos must not be in it)."""
    if record.get("source_kind") == "photo":
        return record.get("source_image") in free_ids
    return record.get("source_kind") is not None


def pick_examples(kept, per_category=1, limit=8):
    """The first example(s) of each category, in category order of appearance."""
    out, seen = [], {}
    for ex in kept:
        if seen.get(ex["category"], 0) < per_category:
            seen[ex["category"]] = seen.get(ex["category"], 0) + 1
            out.append(ex)
    return out[:limit]
