"""Prepare a stage-2 checkpoint for export: `python -m training.train.ship --checkpoint RUN/stage2.pt --out FILE
[--description TEXT]`. Drops the resume state and sets the description the manifest carries (the tiny config's
default one predates the data set and does not name all its sources)."""
import argparse

from training.train import ckpt
from training.train.runtime import load_checkpoint, save_checkpoint

DESCRIPTION = ("A small instruction-based image editor with continuous edit strength (Kontinuous Kontext "
               "architecture at 128x128), trained by this project on procedural scenes and photographs from "
               "Debian packages (see MODEL_CARD.md).")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--description", default=DESCRIPTION)
    args = ap.parse_args(argv)
    payload = ckpt.slim(load_checkpoint(args.checkpoint))
    payload["config"]["description"] = args.description
    save_checkpoint(args.out, payload)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
