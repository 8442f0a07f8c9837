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
from .layers import (LoRALinear, as_dtype, PlainLayerNorm, RMSNorm, apply_rope_rotation, attention, gelu_tanh,
                     make_linear, merge_heads, reshape_tail, rope_cos_sin, rope_rotation, timestep_sinusoid)

# RoPE tables of one run: cos [S, H, D], sin [S, H, D] and the pair rotation [D, D] (rope_rotation).
Rope = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


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
    """LN(x) * (1 + scale) + shift with 6 modulation vectors from SiLU(temb), returned as [B, 1, D] so they
    broadcast over tokens without one Unsqueeze per use; `offset` [B, chunks * D] is added to the linear's
    output (the Kontinuous injection, see DoubleStreamBlock)."""

    def __init__(self, dim: int, chunks: int = 6):
        super().__init__()
        self.linear = nn.Linear(dim, chunks * dim)
        self.norm = PlainLayerNorm(dim)
        self.dim = dim
        self.chunks = chunks

    def forward(self, x: torch.Tensor, temb: torch.Tensor, offset: Optional[torch.Tensor] = None):
        emb = self.linear(F.silu(temb))
        if offset is not None:
            emb = emb + as_dtype(offset, emb.dtype)
        # split with sizes exports as one Split node; chunk exports as one Slice per piece.
        mods = emb[:, None].split([self.dim] * self.chunks, dim=2)
        shift, scale = mods[0], mods[1]
        return (self.norm(x) * (1 + scale) + shift,) + tuple(mods[2:])


class FeedForward(nn.Module):
    """`net.0.proj` (dim -> 4 dim, tanh-GELU) then `net.2` (4 dim -> dim)."""

    def __init__(self, dim: int, hidden: int, lora_rank: int, lora_alpha: float):
        super().__init__()
        proj = nn.Module()
        proj.proj = make_linear(dim, hidden, lora_rank, lora_alpha)
        self.net = nn.ModuleList([proj, nn.Identity(), make_linear(hidden, dim, lora_rank, lora_alpha)])

    def forward(self, x: torch.Tensor, lora_scale: Optional[torch.Tensor]) -> torch.Tensor:
        h = gelu_tanh(self.net[0].proj(x, lora_scale))
        return self.net[2](h, lora_scale)


class JointAttention(nn.Module):
    """FLUX attention: image q/k/v (+ text `add_*_proj` in double blocks), q/k RMSNorm, RoPE, one softmax."""

    def __init__(self, dim: int, heads: int, head_dim: int, lora_rank: int, lora_alpha: float, joint: bool):
        super().__init__()
        self.heads = heads
        self.head_dim = head_dim
        lin = lambda: make_linear(dim, dim, lora_rank, lora_alpha)  # noqa: E731
        self.to_q, self.to_k, self.to_v = lin(), lin(), lin()
        self.norm_q, self.norm_k = RMSNorm(head_dim), RMSNorm(head_dim)
        self.joint = joint
        if joint:
            self.add_q_proj, self.add_k_proj, self.add_v_proj = lin(), lin(), lin()
            self.norm_added_q, self.norm_added_k = RMSNorm(head_dim), RMSNorm(head_dim)
            self.to_out = nn.ModuleList([lin(), nn.Identity()])
            self.to_add_out = lin()

    def project(self, x: torch.Tensor, lora_scale: Optional[torch.Tensor], context: bool = False):
        """q, k, v as [B, S, H, D] (q and k RMS-normed) from the image (or, with `context`, the text) stream.

        [B, S, H, D]: the per-head RMSNorm and RoPE act on the last axis in this layout, so the heads move in
        front of the tokens once, after the text/image concatenation. (One product of the concatenated q/k/v
        weights measured no faster on onnxruntime's CPU provider: the split copies what the fusion saves.)
        """
        if context:
            linears = (self.add_q_proj, self.add_k_proj, self.add_v_proj)
            norm_q, norm_k = self.norm_added_q, self.norm_added_k
        else:
            linears, norm_q, norm_k = (self.to_q, self.to_k, self.to_v), self.norm_q, self.norm_k
        heads = (self.heads, self.head_dim)
        q, k, v = (reshape_tail(lin(x, lora_scale), 2, heads) for lin in linears)
        return norm_q(q), norm_k(k), v

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rope: Rope) -> torch.Tensor:
        """Rotary embedding, softmax attention and merged heads: [B, S, H, D] x 3 -> [B, S, H*D]."""
        q, k = apply_rope_rotation(q, *rope), apply_rope_rotation(k, *rope)
        # The scale as a Python float: read from q's shape it exports as Shape/Gather/Cast/Pow at run time, and
        # onnxruntime then cannot fold it into the score MatMul.
        out = attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), scale=self.head_dim ** -0.5)
        return merge_heads(out)

    def forward(self, x: torch.Tensor, context: Optional[torch.Tensor], rope: Rope,
                lora_scale: Optional[torch.Tensor]):
        q, k, v = self.project(x, lora_scale)
        if self.joint:
            cq, ck, cv = self.project(context, lora_scale, context=True)
            # Text tokens come first in the joint sequence, matching the id order cat[txt_ids, img_ids].
            q, k, v = torch.cat([cq, q], dim=1), torch.cat([ck, k], dim=1), torch.cat([cv, v], dim=1)
        out = self.attend(q, k, v, rope)
        if not self.joint:
            return out
        n_txt = context.shape[1]
        txt_out, img_out = out[:, :n_txt], out[:, n_txt:]
        return self.to_out[0](img_out, lora_scale), self.to_add_out(txt_out, lora_scale)


def modulation_offset(modulation: torch.Tensor, dim: int) -> torch.Tensor:
    """Kontinuous: the projector output [B, 2 D] as an offset on norm1_context's six modulation vectors
    (shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp): first half to c_scale_mlp, second half to
    c_shift_mlp, zeros elsewhere, so each block adds it with one Add."""
    return F.pad(torch.cat([modulation[:, dim:], modulation[:, :dim]], dim=1), (3 * dim, dim))


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

    def forward(self, img, txt, temb, rope: Rope, context_offset: Optional[torch.Tensor], lora_scale):
        """`context_offset` [B, 6 D] (modulation_offset) is added to norm1_context's modulation vectors."""
        img_n, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.norm1(img, temb)
        txt_n, c_gate_msa, c_shift_mlp, c_scale_mlp, c_gate_mlp = self.norm1_context(txt, temb, context_offset)
        img_attn, txt_attn = self.attn(img_n, txt_n, rope, lora_scale)
        img = img + gate_msa * img_attn
        img = img + gate_mlp * self.ff(self.norm2(img) * (1 + scale_mlp) + shift_mlp, lora_scale)
        txt = txt + c_gate_msa * txt_attn
        txt_ff = self.ff_context(self.norm2_context(txt) * (1 + c_scale_mlp) + c_shift_mlp, lora_scale)
        txt = txt + c_gate_mlp * txt_ff
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

    def forward(self, x, temb, rope: Rope, lora_scale):
        x_n, gate = self.norm(x, temb)
        mlp = gelu_tanh(self.proj_mlp(x_n))
        attn = self.attn(x_n, None, rope, lora_scale)
        out = x + gate * self.proj_out(torch.cat([attn, mlp], dim=2))
        if out.dtype == torch.float16:
            out = out.clamp(-65504, 65504)
        return out


class AdaLayerNormOut(nn.Module):
    """`norm_out`: LN(x) * (1 + scale) + shift with (scale, shift) = Linear(SiLU(temb)) in that order."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)
        self.norm = PlainLayerNorm(dim)
        self.dim = dim

    def forward(self, x, temb):
        scale, shift = self.linear(F.silu(temb))[:, None].split([self.dim, self.dim], dim=2)
        return self.norm(x) * (1 + scale) + shift


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
        # Everything that depends only on the ids or the modulation is computed once per run, not per block.
        ids = torch.cat([txt_ids, img_ids], dim=0)
        cos, sin = rope_cos_sin(ids, cfg.axes_dims_rope, cfg.rope_theta)
        # Expanded over the heads once per run: onnxruntime's CPU Mul broadcasting [S, 1, D] over the heads works
        # in head_dim-long pieces (22 us per RoPE Mul at batch 1 in its profile, 14 us over [S, H, D]).
        heads = (-1, cfg.num_attention_heads, cfg.attention_head_dim)
        rope = (cos[:, None].expand(heads), sin[:, None].expand(heads),
                rope_rotation(cfg.attention_head_dim, device=cos.device))
        offset = None if modulation is None else modulation_offset(modulation, cfg.inner_dim)
        for block in self.transformer_blocks:
            img, txt = block(img, txt, temb, rope, offset, lora_scale)
        x = torch.cat([txt, img], dim=1)
        for block in self.single_transformer_blocks:
            x = block(x, temb, rope, lora_scale)
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
