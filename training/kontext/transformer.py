"""The FLUX.1 Kontext transformer with the Kontinuous strength injection and an unmerged LoRA.

Parameter names are diffusers' own (FluxTransformer2DModel), so a diffusers `transformer/` state dict loads by
name; LoRA parameters sit beside them as `<module>.lora_A.weight` / `<module>.lora_B.weight`.
Written from the published architecture facts (see shared/design/KONTEXT.md), not from diffusers' code.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import TransformerConfig
from .layers import (LoRALinear, as_dtype, PlainLayerNorm, RMSNorm, apply_rope, attention, make_linear, merge_heads, rope_cos_sin,
                     split_heads, timestep_sinusoid)


class MLPEmbedder(nn.Module):
    """Linear -> SiLU -> Linear with diffusers' `linear_1` / `linear_2` names."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(in_dim, out_dim)
        self.linear_2 = nn.Linear(out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_2(F.silu(self.linear_1(x)))


class TimeTextEmbed(nn.Module):
    """temb = time_emb(1000 sigma) + guidance_emb(1000 g) + text_emb(pooled)."""

    def __init__(self, inner: int, pooled_dim: int, guidance: bool):
        super().__init__()
        self.timestep_embedder = MLPEmbedder(256, inner)
        self.guidance_embedder = MLPEmbedder(256, inner) if guidance else None
        self.text_embedder = MLPEmbedder(pooled_dim, inner)

    def forward(self, timestep: torch.Tensor, guidance: Optional[torch.Tensor], pooled: torch.Tensor) -> torch.Tensor:
        dtype = pooled.dtype
        temb = self.timestep_embedder(as_dtype(timestep_sinusoid(timestep), dtype))
        if self.guidance_embedder is not None and guidance is not None:
            temb = temb + self.guidance_embedder(as_dtype(timestep_sinusoid(guidance), dtype))
        return temb + self.text_embedder(pooled)


class AdaLayerNormZero(nn.Module):
    """LN(x) * (1 + scale) + shift with 6 modulation vectors from SiLU(temb)."""

    def __init__(self, dim: int, chunks: int = 6):
        super().__init__()
        self.linear = nn.Linear(dim, chunks * dim)
        self.norm = PlainLayerNorm(dim)
        self.chunks = chunks

    def forward(self, x: torch.Tensor, temb: torch.Tensor):
        mods = self.linear(F.silu(temb)).chunk(self.chunks, dim=1)
        shift, scale = mods[0], mods[1]
        return (self.norm(x) * (1 + scale[:, None]) + shift[:, None],) + tuple(mods[2:])


class FeedForward(nn.Module):
    """`net.0.proj` (dim -> 4 dim, tanh-GELU) then `net.2` (4 dim -> dim)."""

    def __init__(self, dim: int, hidden: int, lora_rank: int, lora_alpha: float):
        super().__init__()
        proj = nn.Module()
        proj.proj = make_linear(dim, hidden, lora_rank, lora_alpha)
        self.net = nn.ModuleList([proj, nn.Identity(), make_linear(hidden, dim, lora_rank, lora_alpha)])

    def forward(self, x: torch.Tensor, lora_scale: Optional[torch.Tensor]) -> torch.Tensor:
        h = F.gelu(self.net[0].proj(x, lora_scale), approximate="tanh")
        return self.net[2](h, lora_scale)


class JointAttention(nn.Module):
    """FLUX attention: image q/k/v (+ text `add_*_proj` in double blocks), q/k RMSNorm, RoPE, one softmax."""

    def __init__(self, dim: int, heads: int, head_dim: int, lora_rank: int, lora_alpha: float, joint: bool):
        super().__init__()
        self.heads = heads
        lin = lambda: make_linear(dim, dim, lora_rank, lora_alpha)  # noqa: E731
        self.to_q, self.to_k, self.to_v = lin(), lin(), lin()
        self.norm_q, self.norm_k = RMSNorm(head_dim), RMSNorm(head_dim)
        self.joint = joint
        if joint:
            self.add_q_proj, self.add_k_proj, self.add_v_proj = lin(), lin(), lin()
            self.norm_added_q, self.norm_added_k = RMSNorm(head_dim), RMSNorm(head_dim)
            self.to_out = nn.ModuleList([lin(), nn.Identity()])
            self.to_add_out = lin()

    def _qkv(self, x, to_q, to_k, to_v, norm_q, norm_k, lora_scale):
        q = norm_q(split_heads(to_q(x, lora_scale), self.heads))
        k = norm_k(split_heads(to_k(x, lora_scale), self.heads))
        v = split_heads(to_v(x, lora_scale), self.heads)
        return q, k, v

    def forward(self, x: torch.Tensor, context: Optional[torch.Tensor], cos: torch.Tensor, sin: torch.Tensor,
                lora_scale: Optional[torch.Tensor]):
        q, k, v = self._qkv(x, self.to_q, self.to_k, self.to_v, self.norm_q, self.norm_k, lora_scale)
        if self.joint:
            cq, ck, cv = self._qkv(context, self.add_q_proj, self.add_k_proj, self.add_v_proj,
                                   self.norm_added_q, self.norm_added_k, lora_scale)
            # Text tokens come first in the joint sequence, matching the id order cat[txt_ids, img_ids].
            q, k, v = torch.cat([cq, q], dim=2), torch.cat([ck, k], dim=2), torch.cat([cv, v], dim=2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        out = merge_heads(attention(q, k, v))
        if not self.joint:
            return out
        n_txt = context.shape[1]
        txt_out, img_out = out[:, :n_txt], out[:, n_txt:]
        return self.to_out[0](img_out, lora_scale), self.to_add_out(txt_out, lora_scale)


class DoubleStreamBlock(nn.Module):
    """`transformer_blocks.N`: separate image/text weights, joint attention, AdaLN-Zero per stream."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        dim, r, a = cfg.inner_dim, cfg.lora_rank, cfg.lora_alpha
        hidden = int(dim * cfg.mlp_ratio)
        self.norm1 = AdaLayerNormZero(dim)
        self.norm1_context = AdaLayerNormZero(dim)
        self.attn = JointAttention(dim, cfg.num_attention_heads, cfg.attention_head_dim, r, a, joint=True)
        self.norm2 = PlainLayerNorm(dim)
        self.ff = FeedForward(dim, hidden, r, a)
        self.norm2_context = PlainLayerNorm(dim)
        self.ff_context = FeedForward(dim, hidden, r, a)

    def forward(self, img, txt, temb, cos, sin, modulation: Optional[torch.Tensor], lora_scale):
        img_n, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.norm1(img, temb)
        txt_n, c_gate_msa, c_shift_mlp, c_scale_mlp, c_gate_mlp = self.norm1_context(txt, temb)
        if modulation is not None:
            # Kontinuous: first half of the projector output to c_scale_mlp, second half to c_shift_mlp.
            c_scale_mlp = c_scale_mlp + as_dtype(modulation[:, :c_scale_mlp.shape[1]], c_scale_mlp.dtype)
            c_shift_mlp = c_shift_mlp + as_dtype(modulation[:, c_scale_mlp.shape[1]:], c_shift_mlp.dtype)
        img_attn, txt_attn = self.attn(img_n, txt_n, cos, sin, lora_scale)
        img = img + gate_msa[:, None] * img_attn
        img = img + gate_mlp[:, None] * self.ff(self.norm2(img) * (1 + scale_mlp[:, None]) + shift_mlp[:, None],
                                                lora_scale)
        txt = txt + c_gate_msa[:, None] * txt_attn
        txt_ff = self.ff_context(self.norm2_context(txt) * (1 + c_scale_mlp[:, None]) + c_shift_mlp[:, None],
                                 lora_scale)
        txt = txt + c_gate_mlp[:, None] * txt_ff
        if txt.dtype == torch.float16:
            txt = txt.clamp(-65504, 65504)
        return img, txt


class SingleStreamBlock(nn.Module):
    """`single_transformer_blocks.N`: one stream over [text, image], parallel attention and MLP."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        dim, r, a = cfg.inner_dim, cfg.lora_rank, cfg.lora_alpha
        hidden = int(dim * cfg.mlp_ratio)
        self.norm = AdaLayerNormZero(dim, chunks=3)
        self.proj_mlp = nn.Linear(dim, hidden)
        self.attn = JointAttention(dim, cfg.num_attention_heads, cfg.attention_head_dim, r, a, joint=False)
        self.proj_out = nn.Linear(dim + hidden, dim)

    def forward(self, x, temb, cos, sin, lora_scale):
        x_n, gate = self.norm(x, temb)
        mlp = F.gelu(self.proj_mlp(x_n), approximate="tanh")
        attn = self.attn(x_n, None, cos, sin, lora_scale)
        out = x + gate[:, None] * self.proj_out(torch.cat([attn, mlp], dim=2))
        if out.dtype == torch.float16:
            out = out.clamp(-65504, 65504)
        return out


class AdaLayerNormOut(nn.Module):
    """`norm_out`: LN(x) * (1 + scale) + shift with (scale, shift) = Linear(SiLU(temb)) in that order."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)
        self.norm = PlainLayerNorm(dim)

    def forward(self, x, temb):
        scale, shift = self.linear(F.silu(temb)).chunk(2, dim=1)
        return self.norm(x) * (1 + scale[:, None]) + shift[:, None]


class KontextTransformer(nn.Module):
    """FLUX.1 Kontext transformer; returns the velocity for ALL tokens (the runtime slices the targets).

    Inputs: hidden_states [B,N,in], encoder_hidden_states [B,S,joint], pooled_projections [B,pooled],
    timestep [B] (sigma, scaled by 1000 inside), guidance [B], img_ids [N,3], txt_ids [S,3],
    modulation [B, 2*inner] or None, lora_scale [1] or None (None: the LoRA is off).
    """

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.config = cfg
        dim = cfg.inner_dim
        self.x_embedder = nn.Linear(cfg.in_channels, dim)
        self.context_embedder = nn.Linear(cfg.joint_attention_dim, dim)
        self.time_text_embed = TimeTextEmbed(dim, cfg.pooled_projection_dim, cfg.guidance_embeds)
        self.transformer_blocks = nn.ModuleList([DoubleStreamBlock(cfg) for _ in range(cfg.num_layers)])
        self.single_transformer_blocks = nn.ModuleList([SingleStreamBlock(cfg) for _ in range(cfg.num_single_layers)])
        self.norm_out = AdaLayerNormOut(dim)
        self.proj_out = nn.Linear(dim, cfg.out_channels)
        if cfg.reference_residual:
            self.reference_embedder = nn.Linear(cfg.in_channels, dim)
            nn.init.zeros_(self.reference_embedder.weight)
            nn.init.zeros_(self.reference_embedder.bias)
        if cfg.zero_init_gates:
            self._zero_init_gates()

    def _zero_init_gates(self) -> None:
        """adaLN-Zero: every block starts as the identity and the output as zero velocity."""
        mods = [b.norm1.linear for b in self.transformer_blocks] + [b.norm1_context.linear for b in self.transformer_blocks]
        mods += [b.norm.linear for b in self.single_transformer_blocks] + [self.norm_out.linear, self.proj_out]
        for m in mods:
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def lora_parameters(self):
        """The LoRA A/B parameters (stage-2 training trains these and the projector only)."""
        return [p for n, p in self.named_parameters() if ".lora_A." in n or ".lora_B." in n]

    def base_parameters(self):
        return [p for n, p in self.named_parameters() if ".lora_A." not in n and ".lora_B." not in n]

    def _reference_residual(self, raw: torch.Tensor, img_ids: torch.Tensor) -> torch.Tensor:
        """For each target token i, the projection of reference token i + n_target (same grid position).

        Reference tokens are those with img_ids[:,0] == 1, placed after the targets on a grid of the same size;
        when the counts differ (no reference, or another size) the residual is zero. Control-flow free so
        the ONNX graph keeps N dynamic.
        """
        proj = self.reference_embedder(raw)                              # [B, N, inner]
        is_ref = (img_ids[:, 0] > 0.5).to(proj.dtype)                    # [N]
        # Counts as tensors (not Python ints) so tracing keeps them dynamic in the ONNX graph.
        position = torch.cumsum(torch.ones_like(is_ref), dim=0) - 1      # 0..N-1
        n_total = position[-1:] + 1
        n_ref = is_ref.sum()
        n_tgt = n_total - n_ref
        same_grid = (n_ref == n_tgt).to(proj.dtype)
        idx = torch.minimum(position + n_tgt, n_total - 1).to(torch.int64)
        gathered = proj.index_select(1, idx)
        weight = (1 - is_ref) * same_grid
        return gathered * weight[None, :, None]

    def forward(self, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor,
                pooled_projections: torch.Tensor, timestep: torch.Tensor, guidance: Optional[torch.Tensor],
                img_ids: torch.Tensor, txt_ids: torch.Tensor, modulation: Optional[torch.Tensor] = None,
                lora_scale: Optional[torch.Tensor] = None) -> torch.Tensor:
        cfg = self.config
        img = self.x_embedder(hidden_states)
        if cfg.reference_residual:
            img = img + self._reference_residual(hidden_states, img_ids)
        temb = self.time_text_embed(timestep * 1000, None if guidance is None else guidance * 1000,
                                    pooled_projections)
        txt = self.context_embedder(encoder_hidden_states)
        if lora_scale is not None:
            lora_scale = lora_scale.reshape(-1)[:1]
        cos, sin = rope_cos_sin(torch.cat([txt_ids, img_ids], dim=0), cfg.axes_dims_rope, cfg.rope_theta)
        for block in self.transformer_blocks:
            img, txt = block(img, txt, temb, cos, sin, modulation, lora_scale)
        x = torch.cat([txt, img], dim=1)
        for block in self.single_transformer_blocks:
            x = block(x, temb, cos, sin, lora_scale)
        img = x[:, txt.shape[1]:]
        return self.proj_out(self.norm_out(img, temb))


def load_transformer_state(model: KontextTransformer, state: dict, allow_missing_lora: bool = True) -> None:
    """Loads a state dict by diffusers names; LoRA keys may be absent (a stage-1 or plain Kontext checkpoint).

    Raises KeyError naming missing or unexpected keys otherwise.
    """
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys
               if not (allow_missing_lora and (".lora_A." in k or ".lora_B." in k))]
    if missing or result.unexpected_keys:
        raise KeyError(f"transformer state does not match the model: missing {missing[:8]}"
                       f"{' ...' if len(missing) > 8 else ''}, unexpected {list(result.unexpected_keys)[:8]}")
