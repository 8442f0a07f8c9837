"""Regenerates the random-weight fixture bundle and its parity vectors (test/fixtures/bundles/kontext-fixture).

    /usr/bin/python3 -m training.exporting.fixture [--out test/fixtures/bundles/kontext-fixture]

Made by the same exporter as every bundle. parity.json holds fixed inputs and the PyTorch outputs of each
component (see parity.py); the TypeScript runtime tests check onnxruntime-node against them.
"""
import argparse
import json
import os
import sys

from ..kontext import build_models, build_vocab, get_config
from .bundle import export_models
from .parity import parity_vectors

DEFAULT_OUT = os.path.join("test", "fixtures", "bundles", "kontext-fixture")
# The fixture vocabulary: a few instruction phrasings (parity texts deliberately include words outside it).
FIXTURE_PHRASINGS = ["make it look like a watercolor painting", "turn the sky to night", "add snow",
                     "change the colour of the car to red", "make the ball bigger"]


def build_fixture_models():
    cfg = get_config("fixture")
    vocab = build_vocab(FIXTURE_PHRASINGS, max_size=min(cfg.clip.vocab_size, cfg.t5.vocab_size))
    models = build_models(cfg, vocab, seed=0).eval()
    models.provenance = {"weights": "random (seed 0)", "purpose": "test fixture; outputs are noise"}
    return models


def write_fixture(out_dir: str) -> dict:
    """Exports the fixture bundle into `out_dir` and writes parity.json beside it; returns the manifest."""
    models = build_fixture_models()
    manifest = export_models(models, out_dir)
    with open(os.path.join(out_dir, "parity.json"), "w", encoding="utf-8") as f:
        json.dump(parity_vectors(models), f, separators=(",", ":"))
        f.write("\n")
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.exporting.fixture", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=DEFAULT_OUT)
    args = p.parse_args(argv)
    manifest = write_fixture(args.out)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in manifest["sha256"])
    print(f"wrote {args.out}: {total / 1e6:.2f} MB + parity.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
