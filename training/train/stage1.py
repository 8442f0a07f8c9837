"""Stage 1, the base editor: `python -m training.train.stage1 --data DIR --run DIR [--budget-s S] [--steps N]`.

Flow matching on (source, instruction, full edit) plus identity pairs (source, empty instruction, source); the
tiny text encoders train jointly; no modulation, LoRA off. Starts from <run>/vae.pt, resumes <run>/stage1.pt."""
from training.train.stages import build_parser, run_stage


def main(argv=None):
    ap = build_parser("stage1", __doc__)
    ap.add_argument("--identity-fraction", type=float, default=0.15)
    args = ap.parse_args(argv)
    return run_stage("stage1", args, identity_fraction=args.identity_fraction)


if __name__ == "__main__":
    raise SystemExit(main())
