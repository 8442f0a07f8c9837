"""Train kontext-tiny's VAE (/8, 16 channels): `python -m training.train.vae --data training/out/data
--run training/runs/NAME [--budget-s S] [--steps N]`. Resumes from <run>/vae.pt when present.

Plain reconstruction (MSE + 0.1 L1) of all frames of the training split with flips, on the latent MEAN (what
the bundle's encoder returns); weights averaged (EMA). At the end the latent shift and scale factors are measured
(z = (mean - shift) * scale has zero mean and unit variance) and written into the checkpoint's config, which
the exporter copies into the manifest."""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from training.train import ckpt, memdata
from training.train.parts import Parts, new_models
from training.train.runtime import Budget, Ema, Logger, autocast, cpu_state, pick_device, set_cpu_threads
from training.train.schedule import lr_at, progress, set_lr


def psnr_batch(x, y):
    """Mean PSNR (dB) over a batch of images in [-1, 1], measured in [0, 1]."""
    mse = ((x.clamp(-1, 1) - y) / 2).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return float((10 * torch.log10(1.0 / mse)).mean())


@torch.no_grad()
def measure_factors(vae, pool, device, count=512, generator=None):
    """(shift, scale) so that (mean - shift) * scale has zero mean and unit std over sample frames."""
    idx = torch.randint(0, pool.shape[0], (min(count, pool.shape[0]),), generator=generator)
    zs = []
    for lo in range(0, len(idx), 128):
        zs.append(vae.encode(memdata.to_unit(pool[idx[lo:lo + 128]]).to(device)).float())
    z = torch.cat(zs)
    shift = float(z.mean())
    std = float(z.std())
    return shift, 1.0 / max(std, 1e-6)


@torch.no_grad()
def reconstruction_psnr(vae, frames_uint8, device, batch=128):
    """Mean PSNR of VAE reconstructions of uint8 frames [M,S,S,3]."""
    vals = []
    for lo in range(0, frames_uint8.shape[0], batch):
        x = memdata.to_unit(frames_uint8[lo:lo + batch]).to(device)
        vals.append(psnr_batch(vae.decode(vae.encode(x)).float(), x) * x.shape[0])
    return sum(vals) / frames_uint8.shape[0]


def train_vae(models, frames, device, budget_s=None, max_steps=None, batch=32, lr=1e-3, log=None,
              on_checkpoint=None, checkpoint_every_s=120, resume=None, heldout_frames=None, seed=0):
    """Trains models.vae on frames uint8 [N,7,S,S,3] (or [M,S,S,3]); returns the checkpoint payload."""
    log = log or Logger()
    vae = models.vae.to(device)
    vae.train()
    pool = torch.from_numpy(np.ascontiguousarray(frames.reshape(-1, *frames.shape[-3:])))
    if device.type == "cuda":
        pool = pool.to(device)
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=0.0, betas=(0.9, 0.99))
    ema = Ema(vae, decay=0.999)
    step, spent = 0, 0.0
    if resume and resume.get("train_state"):
        ts = resume["train_state"]
        vae.load_state_dict(ts["raw"]["vae"])
        opt.load_state_dict(ts["optimizer"])
        ema.load_state_dict(ts["ema"])
        step, spent = ts["step"], ts["seconds"]
    start_step = step
    gen = torch.Generator().manual_seed(seed + step)
    budget = Budget(budget_s)
    last_ckpt = time.time()
    total_steps = (max_steps or 0) + step if max_steps else None

    def payload():
        ema_vae = ema.averaged(vae)
        models.vae = ema_vae
        shift, scale = measure_factors(ema_vae, pool, device, generator=torch.Generator().manual_seed(1))
        models.config.vae.shift_factor, models.config.vae.scaling_factor = shift, scale
        models.provenance["vae"] = {"steps": step, "seconds": round(spent + budget.elapsed(), 1),
                                    "device": str(device), "batch": batch, "frames": int(pool.shape[0])}
        p = ckpt.payload_of(models, train_state={
            "raw": {"vae": cpu_state(vae)}, "optimizer": opt.state_dict(), "ema": ema.state_dict(),
            "step": step, "seconds": spent + budget.elapsed()})
        models.vae = vae
        return p

    while not budget.done() and (total_steps is None or step < total_steps):
        frac = progress(budget, step - start_step, max_steps)
        set_lr(opt, lr_at(lr, step, 200, frac))
        idx = torch.randint(0, pool.shape[0], (batch,), generator=gen)
        x = memdata.to_unit(pool[idx.to(pool.device)]).to(device)
        if torch.rand(1, generator=gen).item() < 0.5:
            x = x.flip(-1)
        with autocast(device):
            rec = vae.decode(vae.encode(x))
        rec = rec.float()
        loss = F.mse_loss(rec, x) + 0.1 * F.l1_loss(rec, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        ema.update(vae)
        step += 1
        if step % 100 == 0 or step == 1:
            log(stage="vae", step=step, loss=float(loss.detach()), psnr=psnr_batch(rec.detach(), x),
                lr=opt.param_groups[0]["lr"], t=round(budget.elapsed(), 1))
        if on_checkpoint and time.time() - last_ckpt > checkpoint_every_s:
            on_checkpoint(payload())
            last_ckpt = time.time()
    vae.eval()
    p = payload()
    if heldout_frames is not None:
        ema_vae = ckpt.models_from(p).vae.to(device).eval()
        p["provenance"]["vae"]["heldout_psnr"] = round(reconstruction_psnr(ema_vae, heldout_frames, device), 2)
        log(stage="vae", heldout_psnr=p["provenance"]["vae"]["heldout_psnr"])
    if on_checkpoint:
        on_checkpoint(p)
    return p


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="generated data folder (train/ and heldout/)")
    ap.add_argument("--run", required=True, help="run folder for checkpoints and logs")
    ap.add_argument("--budget-s", type=float, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training sequences")
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--overrides", default='{"transformer": {"lora_rank": 16, "lora_alpha": 16.0}}',
                    help="JSON config overrides for a fresh run (sections of the tiny config)")
    args = ap.parse_args(argv)
    set_cpu_threads(args.threads)
    device = pick_device(args.device)
    frames, _ = memdata.load_split(f"{args.data}/train", args.limit)
    held, _ = memdata.load_split(f"{args.data}/heldout", 64)
    resume = ckpt.load_stage(args.run, "vae")
    models = ckpt.models_from(resume, use_raw=True) if resume else new_models(overrides=json.loads(args.overrides))
    log = Logger(f"{args.run}/log.jsonl")
    started = time.time()
    train_vae(models, frames, device, args.budget_s, args.steps, args.batch, args.lr, log,
              on_checkpoint=lambda p: ckpt.save(args.run, "vae", p), resume=resume, heldout_frames=held[:, 0])
    print(f"vae done in {time.time() - started:.0f} s -> {ckpt.stage_path(args.run, 'vae')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
