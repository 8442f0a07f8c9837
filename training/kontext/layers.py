"""Building blocks shared by the transformer and text encoders: LoRA linear, RMSNorm, RoPE, attention.

Everything here traces to ONNX opset 17 under torch 1.13 and runs unchanged on torch 2.x; where torch 2 has a
faster kernel (scaled_dot_product_attention) it is used only outside ONNX export.
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def as_dtype(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """x.to(dtype) that emits nothing when x already has it: chains of no-op Casts in an ONNX graph trip an
    onnxruntime graph optimisation (seen with onnxruntime-node 1.30: "input ... is not ... output of a previous
    node")."""
    return x if x.dtype == dtype else x.to(dtype)


class LoRALinear(nn.Linear):
    """nn.Linear plus an optional unmerged low-rank update, scaled at call time.

    Parameter names stay diffusers' own (`weight`, `bias`) with peft's `lora_A.weight` / `lora_B.weight` beside
    them, so a diffusers state dict and a diffusers LoRA file both load by name.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rank: int = 0, alpha: float = 0.0):
        super().__init__(in_features, out_features, bias=bias)
        self.lora_rank = rank
        self.lora_scaling = (alpha / rank) if rank > 0 else 0.0
        if rank > 0:
            self.lora_A = nn.Linear(in_features, rank, bias=False)
            self.lora_B = nn.Linear(rank, out_features, bias=False)
            # peft's "gaussian" init: A ~ N(0, 1/r), B = 0, so a fresh LoRA changes nothing.
            nn.init.normal_(self.lora_A.weight, std=1.0 / rank)
            nn.init.zeros_(self.lora_B.weight)

    def forward(self, x: torch.Tensor, lora_scale: Optional[torch.Tensor] = None) -> torch.Tensor:
        out = F.linear(x, self.weight, self.bias)
        if self.lora_rank > 0 and lora_scale is not None:
            delta = self.lora_B(self.lora_A(x))
            out = out + delta * (as_dtype(lora_scale, out.dtype) * self.lora_scaling)
        return out


def make_linear(in_f: int, out_f: int, lora_rank: int, lora_alpha: float, bias: bool = True) -> LoRALinear:
    return LoRALinear(in_f, out_f, bias=bias, rank=lora_rank, alpha=lora_alpha)


class RMSNorm(nn.Module):
    """RMS normalisation over the last axis with a learned scale (FLUX's q/k norm)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        xf = as_dtype(x, torch.float32)
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return as_dtype(xf, dtype) * as_dtype(self.weight, dtype)


class PlainLayerNorm(nn.Module):
    """LayerNorm without affine parameters, written out: torch 1.13 exports nn.LayerNorm(affine=False) at opset
    17 as a LayerNormalization node with an empty scale input, which the ONNX checker rejects."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        xf = as_dtype(x, torch.float32)
        centred = xf - xf.mean(-1, keepdim=True)
        return as_dtype(centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + self.eps), dtype)


def timestep_sinusoid(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """[B] -> [B, dim] as [cos, sin] of t * exp(-ln(max_period) * k / half) (FLUX's flip_sin_to_cos layout)."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    args = as_dtype(t, torch.float32)[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope_cos_sin(ids: torch.Tensor, axes_dim: Sequence[int], theta: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Position ids [N, A] -> (cos, sin) each [N, sum(axes_dim)], pairs interleaved (x0,x1 share a frequency)."""
    cos_parts, sin_parts = [], []
    n = ids.shape[0]
    for axis, d in enumerate(axes_dim):
        freqs = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32, device=ids.device) / d))
        angles = as_dtype(ids[:, axis:axis + 1], torch.float32) * freqs[None, :]            # [N, d/2]
        cos = torch.stack([angles.cos(), angles.cos()], dim=-1).reshape(n, d)
        sin = torch.stack([angles.sin(), angles.sin()], dim=-1).reshape(n, d)
        cos_parts.append(cos)
        sin_parts.append(sin)
    return torch.cat(cos_parts, dim=-1), torch.cat(sin_parts, dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates x [B, H, S, D] by (cos, sin) [S, D]: each pair (a, b) -> (a cos - b sin, b cos + a sin)."""
    dtype = x.dtype
    xf = as_dtype(x, torch.float32)
    pairs = xf.reshape(xf.shape[0], xf.shape[1], xf.shape[2], -1, 2)
    real, imag = pairs[..., 0], pairs[..., 1]
    rotated = torch.stack([-imag, real], dim=-1).reshape(xf.shape)
    return as_dtype(xf * cos[None, None] + rotated * sin[None, None], dtype)


def _onnx_exporting() -> bool:
    return bool(getattr(torch.onnx, "is_in_onnx_export", lambda: False)())


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Optional[torch.Tensor] = None,
              scale: Optional[float] = None) -> torch.Tensor:
    """Softmax attention on [B, H, S, D]; `mask` is an additive bias broadcastable to [B, H, S, S]."""
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    sdpa = getattr(F, "scaled_dot_product_attention", None)
    if sdpa is not None and not _onnx_exporting() and not torch.jit.is_tracing():
        if scale == q.shape[-1] ** -0.5:
            return sdpa(q, k, v, attn_mask=mask)
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    return torch.matmul(as_dtype(torch.softmax(as_dtype(scores, torch.float32), dim=-1), v.dtype), v)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, S, H*D] -> [B, H, S, D]."""
    b, s, _ = x.shape
    return x.reshape(b, s, heads, -1).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[B, H, S, D] -> [B, S, H*D]."""
    b, h, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, h * d)
