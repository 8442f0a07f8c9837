"""One optimisation step of each editing stage (flow matching, velocity target noise - x0, timestep = sigma).

Stage 1 (base editor): (source, instruction, full edit) plus identity pairs (source, empty instruction,
source); text encoders train jointly. Stage 2 (Kontinuous): base frozen, projector + LoRA train on
(source, instruction, s = k/6, frame k) with the same noise and noise level for every strength of a sequence."""
import torch
import torch.nn.functional as F

from training.train import flow

FRAMES = 7  # frames per stored sequence: k = 0..6, s = k/6


def _guidance(batch, device, generator):
    # The tiny model has a guidance input it must learn to ignore: random values keep it insensitive.
    return 1.0 + 3.0 * torch.rand(batch, generator=generator).to(device)


def on_own_path(steps, velocity_fn, x0, noise, xt, sigma, target, pick, num_target_tokens, sched, generator):
    """Moves the picked rows' training point onto the path the sampler itself takes (exposure bias).

    Flow matching trains every noise level on the straight line between noise and target. At inference only
    the first step starts on that line: the later steps start where the model's own earlier steps went, which for
    an editor that stops short of the edit is off the line. Here an Euler sampler of `steps` steps runs from the
    rows' noise up to a step i >= 1 (no gradient), and the rows train at that state and noise level, towards the
    velocity that would land exactly on the target: (x_i - x0) / sigma_i. So a later step learns to finish what
    the earlier ones left undone. pick: bool [B], the rows to move."""
    if steps < 2 or not pick.any():
        return xt, sigma, target
    sigmas = flow.inference_sigmas(steps, num_target_tokens, sched)
    upto = 1 + int(torch.randint(0, steps - 1, (1,), generator=generator))
    rows = pick.nonzero().flatten()
    x = noise[rows].float()
    with torch.no_grad():
        for i in range(upto):
            sig = torch.full((len(rows),), sigmas[i], device=x.device, dtype=torch.float32)
            x = x + (sigmas[i + 1] - sigmas[i]) * velocity_fn(rows, x, sig).float()
    xt, sigma, target = xt.clone(), sigma.clone(), target.clone()
    xt[rows] = x.to(xt.dtype)
    sigma[rows] = sigmas[upto]
    target[rows] = ((x - x0[rows].float()) / sigmas[upto]).to(target.dtype)
    return xt, sigma, target


def _rollout_rows(groups, per_group, share, generator):
    """bool [groups * per_group]: whole groups (a sequence's strengths share one noise) picked with the share."""
    return (torch.rand(groups, generator=generator) < share).repeat_interleave(per_group)


def stage1_loss(parts, data, idx, identity_fraction, generator, device, sigma_focus=None, rollout=None):
    """Flow-matching loss of the base editor on the sequences idx (a CPU LongTensor)."""
    b = len(idx)
    lat = data.latents[idx.to(data.latents.device)].to(device, non_blocking=True).float()  # [B,7,C,h,w]
    _, _, c, h, w = lat.shape
    identity = torch.rand(b, generator=generator) < identity_fraction
    src = lat[:, 0]
    tgt = torch.where(identity.to(device).view(b, 1, 1, 1), lat[:, 0], lat[:, FRAMES - 1])
    clip_ids = data.clip_ids[idx].clone()
    t5_ids = data.t5_ids[idx].clone()
    if identity.any():
        clip_ids[identity] = data.empty_clip_ids
        t5_ids[identity] = data.empty_t5_ids
    pooled, embeds = parts.encode_text(clip_ids.to(device), t5_ids.to(device))
    x0 = flow.pack_latents(tgt)
    ref = flow.pack_latents(src)
    noise = torch.randn(x0.shape, generator=generator).to(device)
    sigma = flow.sample_training_sigmas(b, x0.shape[1], generator=generator, device=device, sched=parts.sched,
                                        focus=sigma_focus)
    guidance = _guidance(b, device, generator)
    xt, target = flow.noisy(x0, noise, sigma), noise - x0
    if rollout:
        steps, share = rollout
        xt, sigma, target = on_own_path(
            steps, lambda r, x, sig: parts.velocity(x, ref[r], embeds[r], pooled[r], sig, guidance[r], None, 0.0),
            x0, noise, xt, sigma, target, _rollout_rows(b, 1, share, generator).to(device), x0.shape[1],
            parts.sched, generator)
    v = parts.velocity(xt, ref, embeds, pooled, sigma, guidance, None, 0.0)
    return F.mse_loss(v.float(), target)


def stage2_loss(parts, data, idx, strengths_per_seq, generator, device, sigma_focus=None, rollout=None):
    """Flow-matching loss of the strength control on the kept sequences idx; each sequence contributes
    strengths_per_seq frames k (always including k = 0 and k = 6 when 7 are taken) sharing one noise."""
    g = len(idx)
    kk = strengths_per_seq
    lat = data.latents[idx.to(data.latents.device)].to(device, non_blocking=True).float()
    _, _, c, h, w = lat.shape
    # k values per sequence: a random subset of 0..6 without repeats.
    ks = torch.stack([torch.randperm(FRAMES, generator=generator)[:kk] for _ in range(g)])  # [G,K]
    src = lat[:, 0].repeat_interleave(kk, 0)
    tgt = lat[torch.arange(g).repeat_interleave(kk).to(device), ks.reshape(-1).to(device)]
    s = (ks.reshape(-1).float() / (FRAMES - 1)).to(device).view(-1, 1)
    # Frozen text encoders: their outputs were computed once per sequence.
    pooled = data.pooled[idx].to(device).float().repeat_interleave(kk, 0)
    embeds = data.embeds[idx].to(device).float().repeat_interleave(kk, 0)
    x0 = flow.pack_latents(tgt)
    ref = flow.pack_latents(src)
    n = x0.shape[1]
    noise = torch.randn((g, n, x0.shape[2]), generator=generator).to(device).repeat_interleave(kk, 0)
    sigma = flow.sample_training_sigmas(g, n, generator=generator, device=device, sched=parts.sched, focus=sigma_focus)
    sigma = sigma.repeat_interleave(kk, 0)
    guidance = _guidance(g, device, generator).repeat_interleave(kk, 0)
    xt, target = flow.noisy(x0, noise, sigma), noise - x0
    modulation = parts.modulation(s, pooled)
    if rollout:
        steps, share = rollout
        held = modulation.detach()
        xt, sigma, target = on_own_path(
            steps, lambda r, x, sig: parts.velocity(x, ref[r], embeds[r], pooled[r], sig, guidance[r], held[r], 1.0),
            x0, noise, xt, sigma, target, _rollout_rows(g, kk, share, generator).to(device), n, parts.sched,
            generator)
    v = parts.velocity(xt, ref, embeds, pooled, sigma, guidance, modulation, 1.0)
    return F.mse_loss(v.float(), target)
