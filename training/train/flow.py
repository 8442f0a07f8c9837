"""Flow-matching pieces shared by training and evaluation: packing, position ids, the shifted sigma schedule,
training-time sigma sampling and the Euler sampler, all as KONTEXT.md section 2 defines them."""
import math

import torch

# FLUX's scheduler constants (BUNDLE_FORMAT.md "scheduler"): base_seq_len, max_seq_len, base_shift, max_shift.
# A bundle may carry its own (kontext-tiny does); pass them as `sched`.
FLUX_SCHEDULER = (256, 4096, 0.5, 1.15)


def scheduler_of(cfg):
    """The scheduler constants of a KontextConfig as the tuple the functions here take."""
    return (cfg.scheduler_base_seq_len, cfg.scheduler_max_seq_len, cfg.scheduler_base_shift,
            cfg.scheduler_max_shift)


def shift_mu(num_target_tokens, sched=FLUX_SCHEDULER):
    """The dynamic shift mu = m*L + b for L target tokens (no clamping, as the reference)."""
    base_len, max_len, base_shift, max_shift = sched
    m = (max_shift - base_shift) / (max_len - base_len)
    b = base_shift - base_len * m
    return m * num_target_tokens + b


def shift_sigma(u, mu):
    """Maps an unshifted noise level u in (0, 1] to sigma = e^mu / (e^mu + (1/u - 1))."""
    em = math.exp(mu)
    return em / (em + (1.0 / u - 1.0))


def inference_sigmas(steps, num_target_tokens, sched=FLUX_SCHEDULER):
    """The Euler schedule: linspace(1, 1/N, N) shifted, then a final 0 appended (N+1 values, float64 list)."""
    mu = shift_mu(num_target_tokens, sched)
    base = [1.0 - i * (1.0 - 1.0 / steps) / max(steps - 1, 1) for i in range(steps)]
    if steps == 1:
        base = [1.0]
    return [shift_sigma(u, mu) for u in base] + [0.0]


def sample_training_sigmas(batch, num_target_tokens, generator=None, device="cpu", sched=FLUX_SCHEDULER,
                           focus=None):
    """Training noise levels: logit-normal u (more weight mid-range), shifted exactly like inference.

    focus (steps, share): that share of the batch instead takes the noise levels an Euler sampler of `steps` steps
    visits. Logit-normal draws almost never come near sigma = 1 (above 0.95 in under 1% of draws), yet a few-step
    sampler's first step, which decides most of the edit, is made there."""
    u = torch.sigmoid(torch.randn(batch, generator=generator, device="cpu")).clamp(1e-4, 1.0 - 1e-4)
    em = math.exp(shift_mu(num_target_tokens, sched))
    sigma = em / (em + (1.0 / u - 1.0))
    if focus:
        steps, share = focus
        points = torch.tensor(inference_sigmas(steps, num_target_tokens, sched)[:-1], dtype=sigma.dtype)
        pick = torch.rand(batch, generator=generator) < share
        which = torch.randint(0, len(points), (batch,), generator=generator)
        sigma = torch.where(pick, points[which], sigma)
    return sigma.to(device)


def pack_latents(z):
    """[B,C,h,w] -> [B,(h/2)(w/2),4C]; token i*(w/2)+j, channel c*4+dy*2+dx = z[c,2i+dy,2j+dx]."""
    b, c, h, w = z.shape
    if h % 2 or w % 2:
        raise ValueError(f"latent grid {h}x{w} must be even to pack 2x2")
    z = z.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return z.reshape(b, (h // 2) * (w // 2), c * 4)


def unpack_latents(tokens, h, w):
    """Inverse of pack_latents for a latent grid of h x w."""
    b, n, d = tokens.shape
    c = d // 4
    if n != (h // 2) * (w // 2):
        raise ValueError(f"{n} tokens do not fill a {h}x{w} latent grid")
    z = tokens.reshape(b, h // 2, w // 2, c, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return z.reshape(b, c, h, w)


def grid_ids(h, w, index, device="cpu"):
    """Position ids [(h/2)(w/2), 3] float: (index, i, j) for each packed token."""
    gi = torch.arange(h // 2, device=device).view(-1, 1).expand(h // 2, w // 2)
    gj = torch.arange(w // 2, device=device).view(1, -1).expand(h // 2, w // 2)
    first = torch.full_like(gi, index)
    return torch.stack([first, gi, gj], dim=-1).reshape(-1, 3).float()


def edit_ids(h, w, device="cpu"):
    """img_ids for [target tokens, reference tokens] on the same grid: (0,i,j) then (1,i,j)."""
    return torch.cat([grid_ids(h, w, 0, device), grid_ids(h, w, 1, device)], dim=0)


def noisy(x0, noise, sigma):
    """x_sigma = (1 - sigma) x0 + sigma noise, sigma broadcast per batch item."""
    s = sigma.view(-1, *([1] * (x0.dim() - 1)))
    return (1.0 - s) * x0 + s * noise


def euler_sample(velocity_fn, noise, steps, num_target_tokens, sched=FLUX_SCHEDULER):
    """Integrates x from noise (sigma 1) to sigma 0 with velocity_fn(x, sigma_tensor[B]) -> v, in float32."""
    x = noise.float()
    sigmas = inference_sigmas(steps, num_target_tokens, sched)
    for i in range(steps):
        sig = torch.full((x.shape[0],), sigmas[i], device=x.device, dtype=torch.float32)
        v = velocity_fn(x, sig).float()
        x = x + (sigmas[i + 1] - sigmas[i]) * v
    return x
