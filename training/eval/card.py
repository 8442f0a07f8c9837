"""Writes the figure sections of models/kontext-tiny/MODEL_CARD.md from evaluation reports, so every number in
the card is the one measured: `python -m training.eval.card --eval REPORT.json [--eval-label TEXT]
[--compare OTHER.json --compare-label TEXT] --out FILE` prints/writes markdown tables (per category, bars)."""
import argparse
import json

COLUMNS = [
    ("n", "pairs", "{:d}"),
    ("psnr_s0", "s=0 PSNR to source (dB)", "{:.2f}"),
    ("vae_psnr", "VAE recon PSNR (dB, ceiling)", "{:.2f}"),
    ("psnr_s1", "s=1 PSNR to target (dB)", "{:.2f}"),
    ("nearer_target", "s=1 nearer target than source (MSE)", "{:.0%}"),
    ("nearer_target_perceptual", "same, MS-SSIM-C", "{:.0%}"),
    ("edit_share", "share of the target edit made at s=1", "{:.0%}"),
    ("monotone", "monotone", "{:.0%}"),
    ("kl", "smoothness KL", "{:.3f}"),
    ("gt_kl", "ground-truth KL", "{:.3f}"),
    ("instr_distance", "other-instruction distance", "{:.3f}"),
    ("seed_distance", "other-seed distance", "{:.3f}"),
    ("instr_differs", "instruction > seed", "{:.0%}"),
]

BAR_TEXT = {
    "psnr_s0": "s = 0 leaves the image: PSNR to the source >= 22 dB",
    "psnr_s1": "s = 1 makes the edit: PSNR to the target >= 20 dB",
    "nearer_target": "s = 1 nearer the target than the source in >= 85% of pairs",
    "monotone": "distance to the source grows over s in {0, .2, .4, .6, .8, 1} in >= 85% of pairs",
    "kl": "smooth: mean KL to uniform of the normalised adjacent distances <= 0.1",
    "instr_differs": "instruction-following: another instruction changes the output more than another seed "
                     "(our criterion: in >= 85% of pairs)",
}


def _fmt(fmt, value):
    if value is None:
        return "-"
    return fmt.format(int(value)) if fmt == "{:d}" else fmt.format(value)


def category_table(report):
    """Markdown table: one row per category (all first, held-out phrasings last), one column per figure."""
    head = "| category | " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    sep = "| --- | " + " | ".join("---:" for _ in COLUMNS) + " |"
    lines = [head, sep]
    table = report["per_category"]
    order = ["all"] + sorted(k for k in table if k not in ("all", "heldout_phrasing")) + ["heldout_phrasing"]
    for cat in order:
        if cat not in table:
            continue
        row = table[cat]
        name = {"all": "**all**", "heldout_phrasing": "held-out phrasings only"}.get(cat, cat)
        lines.append(f"| {name} | " + " | ".join(_fmt(f, row.get(k)) for k, _, f in COLUMNS) + " |")
    return "\n".join(lines)


def bars_table(report, compare=None, label="shipped weights", compare_label="other"):
    """Markdown table of the bars: value, met or not, weakest category."""
    head = f"| bar | {label} | met |"
    sep = "| --- | ---: | --- |"
    if compare:
        head += f" {compare_label} |"
        sep += " ---: |"
    head += " weakest category |"
    sep += " --- |"
    lines = [head, sep]
    for key, bar in report["bars"].items():
        fmt = "{:.2f}" if key.startswith("psnr") else ("{:.3f}" if key == "kl" else "{:.0%}")
        per = {c: v for c, v in bar["per_category"].items() if v is not None}
        worst = (max if key == "kl" else min)(per, key=per.get) if per else None
        row = f"| {BAR_TEXT.get(key, key)} | {_fmt(fmt, bar['value'])} | {'yes' if bar['met'] else '**no**'} |"
        if compare:
            row += f" {_fmt(fmt, compare['bars'][key]['value'])} |"
        row += f" {worst} ({_fmt(fmt, per[worst])}) |" if worst else " - |"
        lines.append(row)
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", required=True)
    ap.add_argument("--eval-label", default="shipped weights")
    ap.add_argument("--compare", default=None)
    ap.add_argument("--compare-label", default="other")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    rep = json.load(open(args.eval))
    cmp_rep = json.load(open(args.compare)) if args.compare else None
    text = ("### Quality bars\n\n" + bars_table(rep, cmp_rep, args.eval_label, args.compare_label)
            + "\n\n### Every figure per edit category\n\n" + category_table(rep) + "\n")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
