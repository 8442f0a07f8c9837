"""The metric half of `npm run eval:model`: figures for outputs the product made (test/bench/eval-model.ts),
computed by the model tooling's own code (training/eval/quality.py pair_row and report, MS-SSIM-C from
training/data/distance.py), so a difference from the PyTorch figures can only come from the generation.

/usr/bin/python3 test/bench/eval_metrics.py --heldout DIR --jobs jobs.json --out report.json
jobs.json: {"pairs": [{"index": i, "other": j, "sweep": [png x6], "recon": png, "other_out": png,
"seed_out": png}], ...}. Prints the per-category table and the bars; writes the report (rows included)."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from training.data import layout  # noqa: E402
from training.eval.quality import format_report, pair_row, report  # noqa: E402


def read_png(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--jobs", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    with open(args.jobs) as f:
        jobs = json.load(f)
    records = layout.read_metadata(args.heldout)
    rows = []
    for job in jobs["pairs"]:
        i, j = job["index"], job["other"]
        rec = records[i]
        frames = layout.decode_stack(os.path.join(args.heldout, rec["image_name"]))
        other_frames = layout.decode_stack(os.path.join(args.heldout, records[j]["image_name"]))
        sweep = np.stack([read_png(p) for p in job["sweep"]])
        row = pair_row((rec, frames[0], frames[-1], sweep, read_png(job["recon"]), read_png(job["other_out"]),
                        read_png(job["seed_out"]), other_frames[-1]))
        row["index"] = i
        rows.append(row)
    rep = report(rows)
    rep.update({k: jobs[k] for k in ("bundle", "steps", "guidance", "seconds") if k in jobs})
    print(format_report(rep))
    with open(args.out, "w") as f:
        json.dump(dict(rep, rows=rows), f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
