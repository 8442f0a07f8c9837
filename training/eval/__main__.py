"""Evaluate a checkpoint against issue 4's quality bars: `python -m training.eval --checkpoint RUN/stage2.pt
--data training/out/data [--pairs 240] [--steps 14] [--out report.json] [--strip strip.png] [--split train]`.

Runs the PyTorch model on the held-out split (held-out images; about half with held-out phrasings), prints the
figures per category and which bars are met, and writes them as JSON (plus every pair's row). `--split train`
scores pairs the model was trained on instead: the gap between the two says whether it underfits or generalises
badly (the bars themselves are for held-out pairs only)."""
import argparse
import json
import os
import time

from training.eval.quality import STRENGTHS, evaluate, examples, format_report, report
from training.eval.strip import pick_examples, render_strip, shippable, shippable_sources
from training.train import ckpt, memdata
from training.train.parts import Parts
from training.train.runtime import load_checkpoint, pick_device, set_cpu_threads


def run_eval(parts, data_dir, pairs, steps, guidance, out=None, strip=None, workers=1, log=print,
             kontinuous=True, split="heldout"):
    """Evaluates parts on the first `pairs` pairs of a split (held-out by default); returns the report dict
    (rows included)."""
    t0 = time.time()
    frames, records = memdata.load_split(os.path.join(data_dir, split), pairs, workers=workers)
    rows, gen = evaluate(parts, frames, records, steps, guidance, workers=workers, kontinuous=kontinuous)
    rep = report(rows)
    rep["steps"], rep["guidance"], rep["split"], rep["seconds"] = steps, guidance, split, round(time.time() - t0, 1)
    log(format_report(rep))
    if strip:
        free = shippable_sources(data_dir)
        chosen = pick_examples(examples(frames, records, gen, allowed=lambda r: shippable(r, free)))
        if chosen:
            render_strip(chosen, STRENGTHS, strip)
    if out:
        with open(out, "w") as f:
            json.dump(dict(rep, rows=rows), f, indent=1)
    return rep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="a stage-2 checkpoint (training/runs/NAME/stage2.pt)")
    ap.add_argument("--data", required=True, help="generated data folder holding heldout/")
    ap.add_argument("--pairs", type=int, default=240)
    ap.add_argument("--steps", type=int, default=None, help="Euler steps (default: the config's default_steps)")
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--out", default=None, help="JSON report path")
    ap.add_argument("--strip", default=None, help="PNG sample-strip path")
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--workers", type=int, default=1, help="processes for the per-pair distances")
    ap.add_argument("--plain", action="store_true", help="run the base editor without strength control "
                    "(no modulation, LoRA off): a diagnostic of the s=1 figures only")
    ap.add_argument("--split", choices=("heldout", "train"), default="heldout",
                    help="which pairs to score: held-out (the bars) or trained-on (a diagnostic of fit)")
    args = ap.parse_args(argv)
    set_cpu_threads(args.threads)
    models = ckpt.models_from(load_checkpoint(args.checkpoint)).eval()
    parts = Parts(models, pick_device(args.device))
    cfg = models.config
    run_eval(parts, args.data, args.pairs, args.steps or cfg.default_steps, args.guidance or cfg.default_guidance,
             args.out, args.strip, args.workers, kontinuous=not args.plain, split=args.split)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
