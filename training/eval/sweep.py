"""Strength sweeps with the PyTorch model: the same seeded noise for every strength, Euler over the bundle's
shifted schedule, exactly the steps the runtime takes (KONTEXT.md section 2)."""
import torch

from training.train import flow


@torch.no_grad()
def sweep(parts, src_z, pooled, embeds, strengths, noise, steps, guidance, kontinuous=True, chunk=256):
    """Edits each source at each strength. src_z [B,C,h,w] normalised latents, pooled [B,P], embeds [B,S,D],
    noise [B,N,4C] packed; returns latents [B, len(strengths), C, h, w] (normalised).
    With kontinuous=False the plain editor runs (no modulation, lora_scale 0) and strengths are ignored."""
    b, c, h, w = src_z.shape
    k = len(strengths)
    ref = flow.pack_latents(src_z)
    n = ref.shape[1]
    # Flatten (item, strength) pairs so one forward batch covers a whole sweep.
    ref_all = ref.repeat_interleave(k, 0)
    pooled_all = pooled.repeat_interleave(k, 0)
    embeds_all = embeds.repeat_interleave(k, 0)
    noise_all = noise.repeat_interleave(k, 0)
    s_all = torch.tensor(list(strengths), dtype=torch.float32, device=src_z.device).repeat(b)
    outs = []
    for lo in range(0, b * k, chunk):
        hi = min(b * k, lo + chunk)
        sl = slice(lo, hi)
        if kontinuous:
            modulation = parts.modulation(s_all[sl].view(-1, 1), pooled_all[sl])
            lora = 1.0
        else:
            modulation, lora = None, 0.0

        def velocity(x, sigma, sl=sl, modulation=modulation, lora=lora):
            return parts.velocity(x, ref_all[sl], embeds_all[sl], pooled_all[sl], sigma, guidance, modulation, lora)

        x = flow.euler_sample(velocity, noise_all[sl], steps, n, parts.sched)
        outs.append(flow.unpack_latents(x, h, w))
    return torch.cat(outs, 0).view(b, k, c, h, w)
