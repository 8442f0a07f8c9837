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
            # The scale multiplies the rank-r intermediate (r values per token) rather than the output.
            low = self.lora_A(x) * (as_dtype(lora_scale, x.dtype) * self.lora_scaling)
            out = out + self.lora_B(low)
        return out


def make_linear(in_f: int, out_f: int, lora_rank: int, lora_alpha: float, bias: bool = True) -> LoRALinear:
    return LoRALinear(in_f, out_f, bias=bias, rank=lora_rank, alpha=lora_alpha)


class _SumSquareLastAxis(torch.autograd.Function):
    """Sum of squares over the last axis (kept); exports as one ReduceSumSquare node."""

    @staticmethod
    def forward(ctx, x):
        return x.pow(2).sum(-1, keepdim=True)

    @staticmethod
    def symbolic(g, x):
        return g.op("ReduceSumSquare", x, axes_i=[-1], keepdims_i=1)


class RMSNorm(nn.Module):
    """RMS normalisation over the last axis with a learned scale (FLUX's q/k norm)."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        xf = as_dtype(x, torch.float32)
        if _onnx_exporting():
            # x / sqrt(mean(x^2) + eps) = x sqrt(D) / sqrt(sum(x^2) + D eps): five kernels, two of them on one
            # value per row. Written so because onnxruntime fuses the plain form into SimplifiedLayerNormalization,
            # whose CPU kernel is slow on a head's 32-value rows (about 300 us per q/k norm at batch 8 against a
            # third of that here; measured 5% faster at batch 1 and 8% at batch 8 over the whole transformer).
            d = self.weight.shape[0]
            xf = xf / torch.sqrt(_SumSquareLastAxis.apply(xf) + d * self.eps)
            return as_dtype(xf, dtype) * as_dtype(self.weight * math.sqrt(d), dtype)
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return as_dtype(xf, dtype) * as_dtype(self.weight, dtype)


class PlainLayerNorm(nn.Module):
    """LayerNorm without affine parameters, with a constant ones scale and zeros bias: torch 1.13 exports
    nn.LayerNorm(affine=False) at opset 17 as a LayerNormalization node with an empty scale input, which the ONNX
    checker rejects (and onnxruntime 1.30 crashes on a missing bias); with constants it is one
    LayerNormalization node instead of seven elementwise kernels."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        xf = as_dtype(x, torch.float32)
        ones = torch.ones(self.dim, dtype=torch.float32, device=x.device)
        zeros = torch.zeros(self.dim, dtype=torch.float32, device=x.device)
        return as_dtype(F.layer_norm(xf, (self.dim,), ones, zeros, self.eps), dtype)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """F.gelu(x, approximate="tanh"); under ONNX export written out in the form onnxruntime fuses into one
    FastGelu kernel (torch's own export of the tanh GELU is nine kernels that nothing fuses)."""
    if not _onnx_exporting():
        return F.gelu(x, approximate="tanh")
    return x * 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


class _KeepLeadingReshape(torch.autograd.Function):
    """Reshape that keeps the first `keep` axes and sets the rest to `tail`; exports as one Reshape with a
    constant shape whose leading zeros copy those axes, instead of Shape/Gather/Unsqueeze/Concat chains."""

    @staticmethod
    def forward(ctx, x, keep, tail):
        return x.reshape(tuple(x.shape[:keep]) + tuple(tail))

    @staticmethod
    def symbolic(g, x, keep, tail):
        lead = [0] * keep
        if -1 not in tail:
            lead[-1] = -1     # torch's exporter rejects a shape with zeros and no -1; the last kept axis is implied
        shape = g.op("Constant", value_t=torch.tensor(lead + list(tail), dtype=torch.int64))
        return g.op("Reshape", x, shape)


def reshape_tail(x: torch.Tensor, keep: int, tail: Sequence[int]) -> torch.Tensor:
    """x.reshape(x.shape[:keep] + tail), one constant-shape Reshape under ONNX export (`tail` may hold one -1)."""
    if _onnx_exporting():
        return _KeepLeadingReshape.apply(x, keep, tuple(tail))
    return x.reshape(tuple(x.shape[:keep]) + tuple(tail))


def timestep_sinusoid(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """[B] -> [B, dim] as [cos, sin] of t * exp(-ln(max_period) * k / half) (FLUX's flip_sin_to_cos layout)."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    args = as_dtype(t, torch.float32)[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope_cos_sin(ids: torch.Tensor, axes_dim: Sequence[int], theta: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Position ids [N, A] -> (cos, sin) each [N, sum(axes_dim)], pairs interleaved (x0,x1 share a frequency)."""
    cos_parts, sin_parts = [], []
    for axis, d in enumerate(axes_dim):
        freqs = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32, device=ids.device) / d))
        angles = as_dtype(ids[:, axis:axis + 1], torch.float32) * freqs[None, :]            # [N, d/2]
        cos, sin = angles.cos(), angles.sin()
        cos_parts.append(torch.stack([cos, cos], dim=-1).flatten(-2))
        sin_parts.append(torch.stack([sin, sin], dim=-1).flatten(-2))
    return torch.cat(cos_parts, dim=-1), torch.cat(sin_parts, dim=-1)


def rope_rotation(dim: int, device=None) -> torch.Tensor:
    """The [dim, dim] matrix R with (x @ R) = (-b, a) for every pair (a, b) of x: one signed 1 per column, so
    the product is exact (every other term is a zero) and costs one small MatMul."""
    r = torch.zeros(dim, dim, device=device)
    even = torch.arange(0, dim, 2, device=device)
    r[even + 1, even] = -1.0
    r[even, even + 1] = 1.0
    return r


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates x [B, H, S, D] by (cos, sin) [S, D]: each pair (a, b) -> (a cos - b sin, b cos + a sin)."""
    return apply_rope_rotation(x, cos[None, None], sin[None, None], rope_rotation(x.shape[-1], x.device))


def apply_rope_rotation(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, rotation: torch.Tensor) -> torch.Tensor:
    """Rotates the pairs on x's last axis with `cos` / `sin` broadcastable to x and `rotation` = rope_rotation(D).

    x @ rotation is bit for bit the stacked (-b, a) of every pair: four kernels (MatMul, Mul, Mul, Add) instead
    of a reshape/slice/neg/stack chain per call.
    """
    dtype = x.dtype
    xf = as_dtype(x, torch.float32)
    return as_dtype(xf * cos + torch.matmul(xf, rotation) * sin, dtype)


def _onnx_exporting() -> bool:
    return bool(getattr(torch.onnx, "is_in_onnx_export", lambda: False)())


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Optional[torch.Tensor] = None,
              scale: Optional[float] = None) -> torch.Tensor:
    """Softmax attention on [B, H, S, D]; `mask` is an additive bias broadcastable to [B, H, S, S]."""
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    sdpa = getattr(F, "scaled_dot_product_attention", None)
    # Only unmasked attention goes to the fused kernel. With a mask, CUDA's memory-efficient kernel has returned
    # NaN gradients at large batch x heads (pytorch/pytorch#119320), and the H100 probe that found the cuDNN crash
    # (training/train/runtime.py) ran its clean configurations with masked attention on this explicit path. The
    # masked sequences are short text, where the explicit product costs little.
    if sdpa is not None and mask is None and not _onnx_exporting() and not torch.jit.is_tracing():
        if scale == q.shape[-1] ** -0.5:
            return sdpa(q, k, v)
    scores = torch.matmul(q, k.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores + mask
    return torch.matmul(as_dtype(torch.softmax(as_dtype(scores, torch.float32), dim=-1), v.dtype), v)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, S, H*D] -> [B, H, S, D]."""
    return reshape_tail(x, 2, (heads, -1)).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[B, H, S, D] -> [B, S, H*D]."""
    return reshape_tail(x.transpose(1, 2), 2, (-1,))
