"""Generate the data set: `python -m training.data.generate --sources DIR --out DIR --size 128 --train N
--heldout M --seed 0 --workers W`.

Samples are made in index order per split, filtered, and the first N (train) and M (heldout) kept ones are
written in the paper's layout (see layout.py) with report.json; the result depends only on the arguments and
the sources, not on --workers. Held-out samples use photographs never used for training (a fixed quarter of
them), their own procedural scenes, and held-out phrasings for about half of them.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time

import numpy as np
from PIL import Image

from . import filtering, imaging, layout, sequences
from .edits import CATEGORIES

_PHOTOS: dict[str, dict[str, np.ndarray]] = {}
_CONFIG: dict = {}


FREE_LICENCES = ("CC0-1.0", "public-domain")


def split_photos(sources: str | None, public_domain_only: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """Photographs per split: every 4th stored image (sorted by id) is held out. Empty without sources.

    With public_domain_only, only images licensed CC0-1.0 or public domain are used. Throws FileNotFoundError
    when the folder has no sources.json."""
    splits: dict[str, dict[str, np.ndarray]] = {"train": {}, "heldout": {}}
    if not sources:
        return splits
    manifest_path = os.path.join(sources, "sources.json")
    if not os.path.exists(manifest_path):
        raise FileNotFoundError(f"{manifest_path} not found: run python -m training.data.sources --out {sources}")
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    records = sorted(manifest["images"], key=lambda r: r["id"])
    if public_domain_only:
        records = [r for r in records if r.get("licence") in FREE_LICENCES]
    for position, record in enumerate(records):
        pixels = imaging.from_uint8(np.asarray(Image.open(os.path.join(sources, record["png"])).convert("RGB")))
        splits["heldout" if position % 4 == 3 else "train"][record["id"]] = pixels
    return splits


def _init_worker(sources: str | None, size: int, seed: int, public_domain_only: bool) -> None:
    _PHOTOS.update(split_photos(sources, public_domain_only))
    _CONFIG.update(size=size, seed=seed)


def _work(task: tuple[str, int]) -> tuple[dict, bytes | None]:
    split, index = task
    record, frames = sequences.make_sample(_CONFIG["seed"], split, index, _PHOTOS[split], _CONFIG["size"])
    return record, (None if record["rejected"] else layout.encode_stack(frames))


def _batches(split: str, batch: int):
    start = 0
    while True:
        yield [(split, index) for index in range(start, start + batch)]
        start += batch


def generate_split(pool, split: str, target: int, writer: layout.SplitWriter, workers: int) -> list[dict]:
    """Make samples of one split until `target` are kept; returns every record made (kept and rejected)."""
    records: list[dict] = []
    kept = 0
    limit = max(50, target * 6)
    batch = max(32, 8 * workers)
    for tasks in _batches(split, batch):
        results = pool.imap(_work, tasks, chunksize=2) if pool else map(_work, tasks)
        for record, png in results:
            records.append(record)
            writer.add(record, png)
            kept += not record["rejected"]
            if kept >= target:
                return records
        if len(records) >= limit:
            raise RuntimeError(f"{split}: only {kept} of {target} samples kept after {len(records)} tries")
    return records


def summarise(records: list[dict]) -> dict:
    """Counts per category: made, kept, rejected by first failing test, and any-reason counts; per defect too."""
    table = {}
    for category in CATEGORIES:
        rows = [r for r in records if r["category"] == category]
        first = {reason: sum(1 for r in rows if r["rejected"] and r["rejected"][0] == reason)
                 for reason in filtering.REASONS}
        table[category] = {"made": len(rows), "kept": sum(1 for r in rows if not r["rejected"]),
                           "rejected_first_reason": first,
                           "rejected_any_reason": {reason: sum(1 for r in rows if reason in r["rejected"])
                                                   for reason in filtering.REASONS}}
    defects = {}
    for name, _ in sequences.DEFECTS:
        rows = [r for r in records if r["synthetic_defect"] == name]
        defects[name] = {"made": len(rows), "kept": sum(1 for r in rows if not r["rejected"])}
    kept_kl = [r["kl"] for r in records if not r["rejected"]]
    return {"made": len(records), "kept": sum(1 for r in records if not r["rejected"]), "categories": table,
            "defects": defects, "kept_mean_kl": float(np.mean(kept_kl)) if kept_kl else None,
            "heldout_phrasing_kept": sum(1 for r in records if not r["rejected"] and r["heldout_phrasing"])}


def format_table(report: dict) -> str:
    """The report as a fixed-width text table."""
    lines = []
    for split, summary in report["splits"].items():
        mean_kl = "-" if summary["kept_mean_kl"] is None else f"{summary['kept_mean_kl']:.4f}"
        lines.append(f"{split}: made {summary['made']}, kept {summary['kept']}, mean KL of kept {mean_kl}, "
                     f"kept with held-out phrasing {summary['heldout_phrasing_kept']}")
        lines.append(f"  {'category':20s} {'made':>6s} {'kept':>6s} {'kl':>6s} {'edit<':>6s} {'inv>':>6s}")
        for category, row in summary["categories"].items():
            first = row["rejected_first_reason"]
            lines.append(f"  {category:20s} {row['made']:6d} {row['kept']:6d} {first['kl']:6d} "
                         f"{first['edit_distance']:6d} {first['inversion_distance']:6d}")
        lines.append("  synthetic defect -> kept/made: " + ", ".join(
            f"{name} {row['kept']}/{row['made']}" for name, row in summary["defects"].items()))
    lines.append(f"time {report['seconds']:.1f} s, {report['sequences_per_second']:.1f} sequences/s made "
                 f"with {report['workers']} workers")
    return "\n".join(lines)


def generate(sources: str | None, out: str, size: int, train: int, heldout: int, seed: int, workers: int,
             public_domain_only: bool = False) -> dict:
    """Write both splits and report.json under `out`; returns the report."""
    os.makedirs(out, exist_ok=True)
    started = time.perf_counter()
    report = {"seed": seed, "size": size, "workers": workers, "sources": sources, "distance": "ms-ssim-c",
              "public_domain_only": public_domain_only, "kl_threshold": filtering.KL_THRESHOLD,
              "bounds": filtering.CATEGORY_BOUNDS, "splits": {}}
    pool = None
    if workers > 1:
        context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        pool = context.Pool(workers, initializer=_init_worker, initargs=(sources, size, seed, public_domain_only))
    else:
        _init_worker(sources, size, seed, public_domain_only)
    try:
        made = 0
        for split, target in (("train", train), ("heldout", heldout)):
            with layout.SplitWriter(out, split) as writer:
                records = generate_split(pool, split, target, writer, workers) if target > 0 else []
            made += len(records)
            report["splits"][split] = summarise(records)
    finally:
        if pool:
            pool.close()
            pool.join()
    report["seconds"] = time.perf_counter() - started
    report["sequences_per_second"] = made / max(report["seconds"], 1e-9)
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=None, help="folder written by training.data.sources (optional)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--train", type=int, required=True, help="kept training sequences to write")
    parser.add_argument("--heldout", type=int, required=True, help="kept held-out sequences to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 1)))
    parser.add_argument("--public-domain-only", action="store_true",
                        help="use only CC0 / public-domain photographs (skimage's), no GPL or CC-BY-SA ones")
    args = parser.parse_args(argv)
    if args.size % 8 != 0 or args.size < 32:
        parser.error(f"--size must be a multiple of 8 and at least 32, got {args.size}")
    report = generate(args.sources, args.out, args.size, args.train, args.heldout, args.seed, args.workers,
                      args.public_domain_only)
    print(format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
