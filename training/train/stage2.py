"""Stage 2, Kontinuous strength control: `python -m training.train.stage2 --data DIR --run DIR [--budget-s S]`.

Base editor and text encoders frozen; the projector (output layer zero-initialised) and the LoRA train on
filter-kept sequences with s = k/6 (s = 0 included), every strength of a sequence sharing one noise and one
noise level. Starts from <run>/stage1.pt, resumes <run>/stage2.pt."""
from training.train.stages import build_parser, run_stage


def main(argv=None):
    ap = build_parser("stage2", __doc__)
    ap.add_argument("--strengths-per-seq", type=int, default=3, help="frames k per sequence in a batch (1..7)")
    args = ap.parse_args(argv)
    return run_stage("stage2", args, strengths_per_seq=args.strengths_per_seq)


if __name__ == "__main__":
    raise SystemExit(main())
