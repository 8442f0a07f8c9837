"""Export a model bundle (models/BUNDLE_FORMAT.md).

    python -m training.export --config tiny --checkpoint CKPT --out DIR [--fp16]
    python -m training.export --config fixture --random --out DIR          # random weights (test fixture)
    python -m training.export --from-diffusers FLUX_DIR --projector slider_projector.pth \
        --lora pytorch_lora_weights.safetensors --out DIR [--fp16]

Run with Debian's /usr/bin/python3 (torch, onnx, numpy) from the repository root.
"""
import argparse
import json
import os
import sys
from typing import List, Optional


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="bundle folder to write (created if missing)")
    p.add_argument("--fp16", action="store_true", help="store matmul/conv weights as float16 (I/O stays float32)")
    p.add_argument("--store-fp16", action="store_true", help="store every weight as float16, cast to float32 when "
                   "the session loads: half the size, float32 computation (exact for an fp16 checkpoint)")
    src = p.add_argument_group("a checkpoint of this project's model code")
    src.add_argument("--config", default=None, help="tiny | fixture | flux_kontext (default: the checkpoint's)")
    src.add_argument("--checkpoint", help="torch checkpoint written by training.kontext.save_checkpoint")
    src.add_argument("--random", action="store_true", help="no checkpoint: seeded random weights")
    src.add_argument("--seed", type=int, default=0, help="seed for --random (default 0)")
    src.add_argument("--vocab-from", help="text file of instruction phrasings (one per line) for --random's vocabulary")
    src.add_argument("--name", help="override the bundle name (folder-safe: [a-z0-9._-]+)")
    real = p.add_argument_group("the real FLUX.1 Kontext + Kontinuous Kontext weights")
    real.add_argument("--from-diffusers", metavar="DIR", help="local diffusers-format FLUX.1-Kontext-dev folder")
    real.add_argument("--projector", metavar="PTH", help="slider_projector.pth (omit for plain Kontext)")
    real.add_argument("--lora", metavar="SAFETENSORS", help="pytorch_lora_weights.safetensors")
    real.add_argument("--lora-alpha", type=float, default=None, help="LoRA alpha (default: the file's, else rank)")
    real.add_argument("--external", action="store_true", help="force ONNX external data for every file")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    log = lambda s: print(s, flush=True)  # noqa: E731
    if args.from_diffusers:
        from .exporting.diffusers_source import export_from_diffusers
        manifest = export_from_diffusers(args.from_diffusers, args.out, projector_path=args.projector,
                                         lora_path=args.lora, lora_alpha=args.lora_alpha, fp16=args.fp16,
                                         external=True if args.external else None, log=log,
                                         store_fp16=args.store_fp16)
    else:
        from .kontext import build_models, build_vocab, get_config, load_checkpoint
        from .exporting.bundle import export_models
        if args.checkpoint:
            default = get_config(args.config) if args.config else None
            models = load_checkpoint(args.checkpoint, default)
            if models.vocab is None:
                raise SystemExit(f"{args.checkpoint}: checkpoint has no 'vocab'; the tokenizer cannot be written")
            missing = [c for c in ("transformer", "projector", "vae", "clip", "t5")
                       if c not in models.provenance.get("loaded_components", [])]
            if missing:
                log(f"warning: checkpoint has no weights for {', '.join(missing)}; they stay at their seeded init")
        elif args.random:
            if not args.config:
                raise SystemExit("--random needs --config")
            cfg = get_config(args.config)
            texts = []
            if args.vocab_from:
                with open(args.vocab_from, encoding="utf-8") as f:
                    texts = [line.strip() for line in f if line.strip()]
            vocab = build_vocab(texts, max_size=min(cfg.clip.vocab_size, cfg.t5.vocab_size))
            models = build_models(cfg, vocab, seed=args.seed)
            models.provenance = {"weights": f"random (seed {args.seed})"}
        else:
            raise SystemExit("give --checkpoint, --random or --from-diffusers")
        if args.name:
            models.config.name = args.name
        manifest = export_models(models.eval(), args.out, fp16=args.fp16, log=log, store_fp16=args.store_fp16)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in manifest["sha256"])
    log(f"wrote {args.out}: {len(manifest['sha256'])} files, {total / 1e6:.2f} MB, precision {manifest['precision']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
