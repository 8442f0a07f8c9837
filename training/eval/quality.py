"""The quality bars of issue 4 measured with the PyTorch model on held-out pairs.

Per pair (held-out image, instruction, ground-truth sweep): one sweep at s in {0, .2, .4, .6, .8, 1} with one
seeded noise, decoded; then
- psnr_s0: PSNR of the s=0 output to the source, beside vae_psnr (the VAE's own reconstruction, the ceiling);
- psnr_s1: PSNR of the s=1 output to the target edit; nearer_target: its pixel MSE to the target is below its
  MSE to the source (nearer_target_perceptual: the same with the perceptual distance); edit_share: how much of
  the target edit the s=1 output made, the projection of its change onto the target's change (1 = all of it,
  0 = none; nearer_target holds exactly when it exceeds 0.5, so it tells an edit made too weakly from one made
  wrongly);
- monotone: the perceptual distance to the source strictly grows at each of the six strengths;
- kl: KL(normalised adjacent perceptual distances || uniform) of the sweep (gt_kl: of the ground truth);
- instruction following: the s=1 output for another pair's instruction (another category) on the same image,
  compared with the same instruction under another seed: instr_distance > seed_distance means the instruction,
  not the noise, made the difference.
The perceptual distance is the data pipeline's MS-SSIM-C (training/data/distance.py), LPIPS's stand-in."""
import numpy as np
import torch

from training.data import distance as perceptual
from training.data.filtering import kl_to_uniform
from training.eval import metrics
from training.eval.sweep import sweep
from training.kontext.noise import gaussian_noise
from training.train import flow, memdata

STRENGTHS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
BARS = {
    "psnr_s0": (">=", 22.0),
    "psnr_s1": (">=", 20.0),
    "nearer_target": (">=", 0.85),
    "monotone": (">=", 0.85),
    "kl": ("<=", 0.1),
    "instr_differs": (">=", 0.85),
}
KEYS = ["psnr_s0", "vae_psnr", "psnr_s1", "nearer_target", "nearer_target_perceptual", "monotone", "kl", "gt_kl",
        "instr_distance", "seed_distance", "instr_differs", "nearer_own_target", "edit_share"]


def _uint8(x):
    """[-1,1] tensor [...,3,H,W] -> uint8 numpy [...,H,W,3], rounded as the runtime decodes."""
    return (((x.float().clamp(-1, 1) + 1) / 2) * 255).round().to(torch.uint8).movedim(-3, -1).cpu().numpy()


def seeded_noise(z, seed, device):
    """Packed noise [1,N,4C] for latents shaped like z [.,C,h,w]: the product's generator for this seed (the
    same values its Kontext Denoise draws), so PyTorch and product outputs can be compared pair by pair."""
    c, h, w = z.shape[1:]
    grid = torch.from_numpy(gaussian_noise(seed, c * h * w)).view(1, c, h, w)
    return flow.pack_latents(grid).to(device)


def swept_images(parts, z, pooled, embeds, strengths, seeds, steps, guidance, kontinuous=True):
    """uint8 outputs [B,K,H,W,3] of each source latent z[b] edited at each strength, item b drawing the
    product's noise for seeds[b] (the same for all its strengths)."""
    noise = torch.cat([seeded_noise(z, s, parts.device) for s in seeds])
    lat = sweep(parts, z, pooled, embeds, strengths, noise, steps, guidance, kontinuous)
    images = _uint8(parts.decode_latents(lat.flatten(0, 1)))
    return images.reshape(z.shape[0], len(strengths), *images.shape[1:])


def other_pair(records, i):
    """Index of another pair with a different category (deterministic), for instruction following."""
    n = len(records)
    for off in range(n // 2, n // 2 + n):
        j = (i + off) % n
        if j != i and records[j]["category"] != records[i]["category"]:
            return j
    return (i + 1) % n


@torch.no_grad()
def generate(parts, frames, records, steps, guidance, seed=64, batch=32, kontinuous=True):
    """Decoded outputs (uint8) per pair: the sweep [P,6,H,W,3], VAE reconstructions, the s=1 outputs for
    another pair's instruction and for another seed, and the index of that other pair."""
    dev = parts.device
    n_pairs = len(records)
    clip_ids, t5_ids = parts.token_ids([r["edit_instruction"] for r in records])
    others = [other_pair(records, i) for i in range(n_pairs)]
    sweeps, recons, out_other, out_seed = [], [], [], []
    for lo in range(0, n_pairs, batch):
        hi = min(n_pairs, lo + batch)
        z = parts.encode_images(memdata.to_unit(frames[lo:hi, 0]).to(dev))
        recons.append(_uint8(parts.decode_latents(z)))
        pooled, embeds = parts.encode_text(clip_ids[lo:hi], t5_ids[lo:hi])
        seeds = range(seed + lo, seed + hi)
        sweeps.append(swept_images(parts, z, pooled, embeds, STRENGTHS, seeds, steps, guidance, kontinuous))
        o_pooled, o_embeds = parts.encode_text(clip_ids[others[lo:hi]], t5_ids[others[lo:hi]])
        out_other.append(swept_images(parts, z, o_pooled, o_embeds, (1.0,), seeds, steps, guidance,
                                      kontinuous)[:, 0])
        out_seed.append(swept_images(parts, z, pooled, embeds, (1.0,), [s + 100000 for s in seeds], steps,
                                     guidance, kontinuous)[:, 0])
    return {"sweep": np.concatenate(sweeps), "recon": np.concatenate(recons),
            "other": np.concatenate(out_other), "seed": np.concatenate(out_seed), "others": others}


def _f(img_uint8):
    return img_uint8.astype(np.float64) / 255.0


def pair_row(args):
    """The figures of one pair (a picklable job, so a process pool can compute many)."""
    rec, src, tgt, sweep_out, recon, out_o, out_s, other_tgt = args
    src01, tgt01 = _f(src), _f(tgt)
    outs = [_f(o) for o in sweep_out]
    feats = [perceptual.Features(o) for o in outs]
    f_src, f_tgt = perceptual.Features(src01), perceptual.Features(tgt01)
    to_src = [perceptual.feature_distance(f, f_src) for f in feats]
    adjacent = [perceptual.feature_distance(feats[k], feats[k + 1]) for k in range(len(feats) - 1)]
    f_other, f_seed = perceptual.Features(_f(out_o)), perceptual.Features(_f(out_s))
    f_other_tgt = perceptual.Features(_f(other_tgt))
    s1 = outs[-1]
    edit = (tgt01 - src01).ravel()
    made = (s1 - src01).ravel()
    norm = float(edit @ edit)
    instr_d = perceptual.feature_distance(f_other, feats[-1])
    seed_d = perceptual.feature_distance(f_seed, feats[-1])
    return {
        "image_name": rec["image_name"], "category": rec["category"], "instruction": rec["edit_instruction"],
        "heldout_phrasing": bool(rec.get("heldout_phrasing")),
        "psnr_s0": metrics.psnr(outs[0], src01),
        "vae_psnr": metrics.psnr(_f(recon), src01),
        "psnr_s1": metrics.psnr(s1, tgt01),
        "nearer_target": float(np.mean((s1 - tgt01) ** 2) < np.mean((s1 - src01) ** 2)),
        "edit_share": float(made @ edit / norm) if norm > 0 else None,
        "nearer_target_perceptual": float(perceptual.feature_distance(feats[-1], f_tgt)
                                          < perceptual.feature_distance(feats[-1], f_src)),
        "monotone": float(metrics.is_monotone(to_src)),
        "kl": kl_to_uniform(adjacent),
        "gt_kl": kl_to_uniform(rec["lpips_sequence"]),
        "distances_to_source": [round(d, 5) for d in to_src],
        "instr_distance": instr_d, "seed_distance": seed_d, "instr_differs": float(instr_d > seed_d),
        # The other instruction's output is nearer that instruction's own target than this output is.
        "nearer_own_target": float(perceptual.feature_distance(f_other, f_other_tgt)
                                   < perceptual.feature_distance(feats[-1], f_other_tgt)),
    }


def evaluate(parts, frames, records, steps, guidance, seed=64, batch=32, workers=1, kontinuous=True):
    """(per-pair rows, generated outputs) for held-out frames uint8 [P,7,S,S,3] and their records.
    kontinuous=False runs the plain base editor (no modulation, LoRA off): only the s=1 figures then mean
    something (every strength gives the same full edit), which shows what stage 2 keeps of the base."""
    gen = generate(parts, frames, records, steps, guidance, seed, batch, kontinuous)
    jobs = [(records[i], frames[i, 0], frames[i, -1], gen["sweep"][i], gen["recon"][i], gen["other"][i],
             gen["seed"][i], frames[gen["others"][i], -1]) for i in range(len(records))]
    if workers > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            rows = pool.map(pair_row, jobs, chunksize=4)
    else:
        rows = [pair_row(j) for j in jobs]
    for i, r in enumerate(rows):
        r["index"] = i
    return rows, gen


def examples(frames, records, gen, allowed=lambda rec: True, limit=64):
    """The first `limit` allowed pairs as strip examples (images in [0,1])."""
    idx = [i for i in range(len(records)) if allowed(records[i])][:limit]
    return [{"source": _f(frames[i, 0]), "sweep": [_f(o) for o in gen["sweep"][i]], "target": _f(frames[i, -1]),
             "category": records[i]["category"], "instruction": records[i]["edit_instruction"]} for i in idx]


def report(rows):
    """{"per_category": {...}, "bars": {name: {"value", "bar", "met"}}} of evaluated rows."""
    table = metrics.by_category(rows, KEYS)
    table["heldout_phrasing"] = metrics.summarise([r for r in rows if r["heldout_phrasing"]], KEYS)
    bars = {}
    for key, (op, bar) in BARS.items():
        value = table["all"][key]
        met = value is not None and (value >= bar if op == ">=" else value <= bar)
        bars[key] = {"value": value, "bar": f"{op} {bar}", "met": bool(met)}
        bars[key]["per_category"] = {c: table[c][key] for c in table if c not in ("all", "heldout_phrasing")}
    return {"pairs": len(rows), "strengths": list(STRENGTHS), "per_category": table, "bars": bars}


def format_report(rep):
    """A fixed-width text table of the figures per category, then the bars."""
    cols = [("psnr_s0", "s0 PSNR", "{:.2f}"), ("vae_psnr", "VAE PSNR", "{:.2f}"), ("psnr_s1", "s1 PSNR", "{:.2f}"),
            ("nearer_target", "nearer%", "{:.0%}"), ("edit_share", "edit%", "{:.0%}"), ("monotone", "monot%", "{:.0%}"), ("kl", "KL", "{:.3f}"),
            ("gt_kl", "gt KL", "{:.3f}"), ("instr_differs", "instr%", "{:.0%}")]
    lines = [f"{'category':20s} {'n':>4s} " + " ".join(f"{h:>8s}" for _, h, _ in cols)]
    for cat, row in rep["per_category"].items():
        vals = " ".join(f"{(f.format(row[k]) if row[k] is not None else '-'):>8s}" for k, _, f in cols)
        lines.append(f"{cat:20s} {row['n']:4d} {vals}")
    lines.append("bars: " + ", ".join(f"{k} {v['value']:.3f} ({v['bar']}: {'met' if v['met'] else 'NOT met'})"
                                      for k, v in rep["bars"].items() if v["value"] is not None))
    return "\n".join(lines)
