"""Prepare a checkpoint for export: `python -m training.train.ship --checkpoint RUN/stage2.pt --out FILE
[--strength-from CHECKPOINT] [--default-steps N] [--description TEXT]`. Drops the resume state and sets the description the manifest
carries (the tiny config's default one predates the data set and does not name all its sources).

--strength-from takes the projector and the transformer's LoRA from another checkpoint: stage 1 never changes
them, so a base editor trained further (`stage1 --init` of a stage-2 checkpoint) can keep the strength control
that a larger stage-2 run trained, where a short CPU stage 2 would fit it worse."""
import argparse

from training.train import ckpt
from training.train.runtime import load_checkpoint, save_checkpoint
from training.train.unseen_words import unseen_as_unknown

DESCRIPTION = ("A small instruction-based image editor with continuous edit strength (Kontinuous Kontext "
               "architecture at 128x128), trained by this project on procedural scenes and photographs from "
               "Debian packages (see MODEL_CARD.md).")


def is_lora(name):
    return ".lora_A." in name or ".lora_B." in name


def with_strength_control(payload, donor):
    """payload with donor's projector and LoRA weights (same config); records where they came from."""
    if payload["config"] != donor["config"]:
        raise ValueError("--strength-from: the two checkpoints have different model configs")
    out = dict(payload)
    out["projector"] = dict(donor["projector"])
    out["transformer"] = {k: (donor["transformer"][k] if is_lora(k) else v) for k, v in payload["transformer"].items()}
    provenance = dict(out.get("provenance") or {})
    if "stage2" in (donor.get("provenance") or {}):
        provenance["stage2"] = donor["provenance"]["stage2"]
    provenance["strength_control_from"] = "a stage-2 run on an earlier base (projector and LoRA kept)"
    out["provenance"] = provenance
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--strength-from", default=None, help="checkpoint whose projector and LoRA to ship")
    ap.add_argument("--description", default=DESCRIPTION)
    ap.add_argument("--default-steps", type=int, default=None, help="the Euler steps the bundle's manifest "
                    "suggests (default: the checkpoint config's)")
    ap.add_argument("--unseen-words-unknown", action="store_true", help="words no training instruction holds "
                    "become [UNK], embedded as [PAD] (training/train/unseen_words.py)")
    args = ap.parse_args(argv)
    payload = ckpt.slim(load_checkpoint(args.checkpoint))
    if args.strength_from:
        payload = with_strength_control(payload, load_checkpoint(args.strength_from))
    payload["config"]["description"] = args.description
    if args.default_steps is not None:
        if args.default_steps < 1:
            raise SystemExit("--default-steps must be at least 1")
        payload["config"]["default_steps"] = args.default_steps
    if args.unseen_words_unknown:
        payload = unseen_as_unknown(payload)
    save_checkpoint(args.out, payload)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
