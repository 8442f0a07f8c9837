"""Latent packing and position ids exactly as KONTEXT.md section 2 (shared by training, eval and tests)."""
import torch


def pack_latents(z: torch.Tensor) -> torch.Tensor:
    """[B,C,h,w] -> [B,(h/2)(w/2),4C]; token i*(w/2)+j, channel c*4+dy*2+dx = z[c,2i+dy,2j+dx]."""
    b, c, h, w = z.shape
    if h % 2 or w % 2:
        raise ValueError(f"latent grid {h}x{w} must be even to pack 2x2")
    z = z.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return z.reshape(b, (h // 2) * (w // 2), c * 4)


def unpack_latents(tokens: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Inverse of pack_latents for a latent grid h x w."""
    b, n, c4 = tokens.shape
    c = c4 // 4
    z = tokens.reshape(b, h // 2, w // 2, c, 2, 2).permute(0, 3, 1, 4, 2, 5)
    return z.reshape(b, c, h, w)


def image_ids(h: int, w: int, index: int = 0) -> torch.Tensor:
    """Position ids [(h/2)(w/2), 3] = (index, i, j) for a latent grid h x w (index 0 target, 1 reference)."""
    i = torch.arange(h // 2, dtype=torch.float32)[:, None].expand(h // 2, w // 2)
    j = torch.arange(w // 2, dtype=torch.float32)[None, :].expand(h // 2, w // 2)
    first = torch.full_like(i, float(index))
    return torch.stack([first, i, j], dim=-1).reshape(-1, 3)


def text_ids(seq_len: int) -> torch.Tensor:
    return torch.zeros(seq_len, 3)


def kontext_ids(h: int, w: int, ref_h: int = None, ref_w: int = None) -> torch.Tensor:
    """cat[target ids, reference ids] for the transformer's img_ids input."""
    ref_h, ref_w = (h, w) if ref_h is None else (ref_h, ref_w)
    return torch.cat([image_ids(h, w, 0), image_ids(ref_h, ref_w, 1)], dim=0)
