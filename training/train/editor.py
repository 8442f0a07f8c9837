"""The training loop shared by stage 1 and stage 2 (wall-clock or step budget, EMA, progressive checkpoints)."""
import time

import torch
import torch.nn as nn

from training.train import ckpt, editor_steps
from training.train.rollback import Rollback
from training.train.runtime import Budget, Ema, Logger, autocast, cpu_state
from training.train.schedule import lr_at, progress, set_lr


def trainable_modules(models, stage):
    """The modules a stage trains, with requires_grad set accordingly (everything else frozen)."""
    for m in models.modules().values():
        for p in m.parameters():
            p.requires_grad_(False)
    if stage == "stage1":
        mods = {"transformer": models.transformer, "clip": models.clip, "t5": models.t5}
        for name, m in mods.items():
            for n, p in m.named_parameters():
                p.requires_grad_(".lora_A." not in n and ".lora_B." not in n)
    elif stage == "stage2":
        mods = {"transformer": models.transformer, "projector": models.projector}
        for p in models.transformer.lora_parameters():
            p.requires_grad_(True)
        for p in models.projector.parameters():
            p.requires_grad_(True)
    else:
        raise ValueError(f"unknown stage {stage!r}")
    return nn.ModuleDict(mods)


# A sequence's last frame is the edit when its inversion distance is 0 (up to the metadata's rounding).
END_IS_EDIT = 1e-3


def stage_pool(stage, records, skip_drifted=True):
    """Indices of the sequences a stage draws from (the layout holds only filter-kept sequences).

    Stage 2 takes them all: the paper's filtered set. Stage 1 learns the full edit from a sequence's last frame,
    so it skips sequences whose last frame is not the edit (`lpips_edit_inversion` > 0). In the synthetic data
    these are the 'drift' defect, whose frames blur and take a colour cast as they go. The paper's filter keeps
    about half of them (it allows inversion distances up to 0.45-0.55): about 4% of the kept sequences, environment
    edits the largest share (22%). As stage-1 targets they would show the editor a washed-out image as the edit."""
    if stage != "stage1" or not skip_drifted:
        return torch.arange(len(records), dtype=torch.long)
    return torch.tensor([i for i, r in enumerate(records) if r.get("lpips_edit_inversion", 0.0) <= END_IS_EDIT],
                        dtype=torch.long)


def train_editor(stage, parts, data, budget_s=None, max_steps=None, batch=32, lr=3e-4, log=None,
                 on_checkpoint=None, checkpoint_every_s=120, resume=None, seed=0, identity_fraction=0.15,
                 strengths_per_seq=3, warmup=200, weight_decay=0.01, ema_decay=0.999, check_every=100,
                 grow=None, grow_every_s=60, skip_drifted=True, sigma_focus=None, rollout=None):
    """Trains a stage on a LatentSet; returns the final checkpoint payload (EMA weights + resume state).

    stage1: batch = sequences; stage2: batch = sequences, each giving strengths_per_seq strengths.
    Every check_every steps the running loss is read: if it is not finite, the weights, optimizer and average
    go back to the last check and later batches are split in halves (gradients accumulated), so one bad
    stretch of a long unattended run costs at most check_every steps rather than the whole run.
    grow: called with the data set at a check once grow_every_s have passed since the last call; a set it
    returns replaces the one drawn from (a generator still writing sequences feeds the run as it goes).
    skip_drifted: stage 1 leaves out sequences whose last frame is not the edit (see stage_pool).
    sigma_focus: (steps, share) to train a share of each batch at a few-step sampler's noise levels (flow.py).
    rollout: (steps, share) to train a share of each batch on the sampler's own path (editor_steps.on_own_path)."""
    log = log or Logger()
    models, device = parts.models, parts.device
    group = trainable_modules(models, stage)
    group.train()
    params = [p for p in group.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, betas=(0.9, 0.99))
    ema = Ema(group, decay=ema_decay, only_trainable=True)
    step, spent = 0, 0.0
    if resume and resume.get("train_state") and resume["train_state"].get("stage") == stage:
        ts = resume["train_state"]
        opt.load_state_dict(ts["optimizer"])
        ema.load_state_dict(ts["ema"])
        step, spent = ts["step"], ts["seconds"]
    start_step = step
    pool = stage_pool(stage, data.records, skip_drifted)
    if len(pool) == 0:
        raise ValueError(f"{stage}: none of the {len(data)} sequences ends at its edit")
    gen = torch.Generator().manual_seed(seed * 1000 + step)
    budget = Budget(budget_s)
    last_ckpt = last_grow = time.time()
    total = start_step + max_steps if max_steps else None
    n_params = sum(p.numel() for p in params)
    log(stage=stage, event="start", trainable_params=n_params, sequences=len(pool), left_out=len(data) - len(pool),
        step=step)
    loss_avg = None
    micro = batch
    guard = Rollback(group, opt, ema, step)

    def payload():
        averaged = ema.averaged(group)
        models.provenance[stage] = {"steps": step, "seconds": round(spent + budget.elapsed(), 1),
                                    "device": str(device), "batch": batch, "lr": lr, "sequences": int(len(pool)),
                                    "left_out": int(len(data) - len(pool)),
                                    "trainable_params": n_params, "ema_decay": ema_decay,
                                    "warmup": warmup, "seed": seed}
        if sigma_focus:
            models.provenance[stage]["sigma_focus"] = list(sigma_focus)
        if rollout:
            models.provenance[stage]["rollout"] = list(rollout)
        if stage == "stage1":
            models.provenance[stage]["identity_fraction"] = identity_fraction
            models.provenance[stage]["skip_drifted"] = skip_drifted
        else:
            models.provenance[stage]["strengths_per_sequence"] = strengths_per_seq
        return ckpt.payload_of(models, averaged={k: averaged[k] for k in averaged.keys()}, train_state={
            "stage": stage, "raw": {k: cpu_state(m) for k, m in group.items()}, "optimizer": opt.state_dict(),
            "ema": ema.state_dict(), "step": step, "seconds": spent + budget.elapsed()})

    while not budget.done() and (total is None or step < total):
        set_lr(opt, lr_at(lr, step - start_step, warmup, progress(budget, step - start_step, max_steps)))
        idx = pool[torch.randint(0, len(pool), (batch,), generator=gen)]
        opt.zero_grad(set_to_none=True)
        lv = 0.0
        for chunk in idx.split(micro):
            with autocast(device):
                if stage == "stage1":
                    loss = editor_steps.stage1_loss(parts, data, chunk, identity_fraction, gen, device, sigma_focus,
                                                    rollout)
                else:
                    loss = editor_steps.stage2_loss(parts, data, chunk, strengths_per_seq, gen, device, sigma_focus,
                                                    rollout)
            part = loss * (len(chunk) / len(idx))
            part.backward()
            lv = lv + part.detach().float()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema.update(group)
        step += 1
        # The running mean stays on the device: reading the loss every step would make the host wait for the
        # GPU each step, so it could not queue the next step's kernels while this one runs.
        loss_avg = lv.clone() if loss_avg is None else loss_avg.mul_(0.98).add_(lv, alpha=0.02)
        if step % check_every == 0:
            if torch.isfinite(loss_avg):
                guard.keep(step)
                if grow and time.time() - last_grow > grow_every_s:
                    grown = grow(data)
                    if grown is not None:
                        data, pool = grown, stage_pool(stage, grown.records, skip_drifted)
                    last_grow = time.time()
            else:
                step = guard.restore()
                micro = max(1, micro // 2)
                loss_avg = None
                log(stage=stage, event="non-finite loss: rolled back", step=step, micro_batch=micro)
                continue
        if step % 100 == 0 or step == start_step + 1:
            log(stage=stage, step=step, loss=float(lv), loss_avg=float(loss_avg), lr=opt.param_groups[0]["lr"],
                t=round(budget.elapsed(), 1))
        if on_checkpoint and time.time() - last_ckpt > checkpoint_every_s:
            on_checkpoint(payload())
            last_ckpt = time.time()
    group.eval()
    p = payload()
    log(stage=stage, event="end", step=step, loss_avg=None if loss_avg is None else float(loss_avg),
        t=round(budget.elapsed(), 1))
    if on_checkpoint:
        on_checkpoint(p)
    return p
