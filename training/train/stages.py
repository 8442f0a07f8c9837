"""Command-line plumbing shared by `python -m training.train.stage1` and `... .stage2`."""
import argparse
import time

from training.train import ckpt, memdata
from training.train.editor import train_editor
from training.train.parts import Parts
from training.train.runtime import Logger, load_checkpoint, pick_device, set_cpu_threads

PREVIOUS = {"stage1": "vae", "stage2": "stage1"}


def add_sampler_aims(ap):
    """The options that aim training at a few-step sampler (the bundle's default steps)."""
    ap.add_argument("--focus-steps", type=int, default=None, help="train a share of each batch at the noise levels "
                    "an Euler sampler of this many steps visits, not only logit-normal (flow.sample_training_sigmas)")
    ap.add_argument("--focus-share", type=float, default=0.5, help="that share, with --focus-steps")
    ap.add_argument("--rollout-steps", type=int, default=None, help="train a share of each batch on the path an "
                    "Euler sampler of this many steps really takes from the noise (editor_steps.on_own_path)")
    ap.add_argument("--rollout-share", type=float, default=0.5, help="that share, with --rollout-steps")


def sampler_aims(args):
    """train_editor's keyword arguments for the options add_sampler_aims added."""
    return {"sigma_focus": (args.focus_steps, args.focus_share) if args.focus_steps else None,
            "rollout": (args.rollout_steps, args.rollout_share) if args.rollout_steps else None}


def build_parser(stage, doc):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--data", required=True, help="generated data folder (train/ and heldout/)")
    ap.add_argument("--run", required=True, help="run folder: reads the previous stage's checkpoint, writes this one")
    ap.add_argument("--budget-s", type=float, default=None, help="wall-clock seconds to train")
    ap.add_argument("--steps", type=int, default=None, help="optimisation steps to train")
    ap.add_argument("--batch", type=int, default=16 if stage == "stage1" else 6)
    ap.add_argument("--lr", type=float, default=3e-4 if stage == "stage1" else 5e-4)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training sequences")
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--checkpoint-every-s", type=float, default=300)
    ap.add_argument("--no-latent-cache", action="store_true",
                    help="encode every frame again instead of reading the latents kept beside the data")
    ap.add_argument("--warmup", type=int, default=200, help="steps of linear learning-rate warm-up")
    ap.add_argument("--seed", type=int, default=0, help="seeds the batches, noises and noise levels drawn")
    add_sampler_aims(ap)
    ap.add_argument("--init", default=None, help="start from this checkpoint's weights (a shipped model, another "
                    "run's stage) instead of the previous stage; the projector is kept, so stage 2 fine-tunes it")
    return ap


def run_stage(stage, args, **train_kwargs):
    """Resumes <run>/<stage>.pt when present, else starts from <run>/<previous>.pt; trains; saves."""
    set_cpu_threads(args.threads)
    device = pick_device(args.device)
    own = ckpt.load_stage(args.run, stage)
    if own is not None and own.get("train_state") is None:
        raise SystemExit(f"{ckpt.stage_path(args.run, stage)} has no resume state (a shipped checkpoint?): "
                         f"pass it as --init to a fresh run folder")
    if own is not None:
        models = ckpt.models_from(own, use_raw=True)
        resume = own
        print(f"resuming {stage} at step {own['train_state']['step']}"
              + (f" (--init {args.init} is for a fresh run folder: not used)" if args.init else ""))
    elif args.init:
        models = ckpt.models_from(load_checkpoint(args.init))
        resume = None
        print(f"{stage} starts from the weights of {args.init}")
    else:
        prev = ckpt.load_stage(args.run, PREVIOUS[stage])
        if prev is None:
            raise SystemExit(f"{ckpt.stage_path(args.run, PREVIOUS[stage])} not found: run "
                             f"python -m training.train.{PREVIOUS[stage]} --run {args.run} first")
        models = ckpt.models_from(prev)
        resume = None
        if stage == "stage2":
            models.projector.zero_init_output()  # start exactly at the base editor's behaviour
    parts = Parts(models, device)
    t0 = time.time()
    data = memdata.load_encoded(parts, f"{args.data}/train", args.limit, cache=not args.no_latent_cache)
    if stage == "stage2":
        memdata.add_text_features(parts, data)
    print(f"{len(data)} sequences ready in {time.time() - t0:.0f} s")
    log = Logger(f"{args.run}/log.jsonl")
    train_editor(stage, parts, data, args.budget_s, args.steps, args.batch, args.lr, log,
                 on_checkpoint=lambda p: ckpt.save(args.run, stage, p),
                 checkpoint_every_s=args.checkpoint_every_s, resume=resume, warmup=args.warmup, seed=args.seed,
                 **sampler_aims(args), **train_kwargs)
    print(f"{stage} done -> {ckpt.stage_path(args.run, stage)}")
    return 0
