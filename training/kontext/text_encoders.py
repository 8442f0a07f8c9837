"""Text encoders in FLUX's two roles, with Hugging Face transformers' key names.

CLIP role (`text_model.*`): ids [B,L] -> pooled [B,hidden], the final-layer-normed state at the first EOS.
T5 role (`shared`, `encoder.*`): ids [B,L] -> sequence [B,L,d_model], no attention mask (as FLUX uses it).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ClipTextConfig, T5Config
from .layers import as_dtype, attention, gelu_tanh, merge_heads, split_heads


def _act(name: str, x: torch.Tensor) -> torch.Tensor:
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return F.gelu(x)
    if name in ("gelu_new", "gelu_tanh"):
        return gelu_tanh(x)
    raise ValueError(f"unsupported activation {name!r}")


class ClipAttention(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        h = cfg.hidden_size
        self.heads = cfg.num_attention_heads
        self.head_dim = h // cfg.num_attention_heads     # a Python number: a scale read from q's shape exports as ops
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(h, h) for _ in range(4))

    def forward(self, x, mask):
        q, k, v = (split_heads(p(x), self.heads) for p in (self.q_proj, self.k_proj, self.v_proj))
        return self.out_proj(merge_heads(attention(q, k, v, mask, scale=self.head_dim ** -0.5)))


class ClipMLP(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.act = cfg.hidden_act
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        return self.fc2(_act(self.act, self.fc1(x)))


class ClipLayer(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.self_attn = ClipAttention(cfg)
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.mlp = ClipMLP(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class ClipEmbeddings(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embedding = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        return self.token_embedding(ids) + self.position_embedding(pos)[None]


class ClipEncoderLayers(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.layers = nn.ModuleList([ClipLayer(cfg) for _ in range(cfg.num_hidden_layers)])


class ClipTextTransformer(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.embeddings = ClipEmbeddings(cfg)
        self.encoder = ClipEncoderLayers(cfg)
        self.final_layer_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)


class ClipTextEncoder(nn.Module):
    """CLIP role. Keys: `text_model.embeddings.*`, `text_model.encoder.layers.N.*`, `text_model.final_layer_norm`."""

    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.config = cfg
        self.text_model = ClipTextTransformer(cfg)

    def hidden_states(self, input_ids: torch.Tensor) -> torch.Tensor:
        tm = self.text_model
        x = tm.embeddings(input_ids)
        mask = None
        if self.config.causal:
            n = input_ids.shape[1]
            future = torch.triu(torch.ones(n, n, device=x.device), diagonal=1)
            mask = as_dtype(future * -1e9, x.dtype)[None, None]
        for layer in tm.encoder.layers:
            x = layer(x, mask)
        return tm.final_layer_norm(x)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.hidden_states(input_ids)
        # Pool at the FIRST eos (argmax returns the first maximum); a row without eos pools token 0.
        first_eos = torch.argmax((input_ids == self.config.eos_token_id).to(torch.int32), dim=1)
        index = first_eos[:, None, None].expand(-1, 1, x.shape[2])
        return torch.gather(x, 1, index)[:, 0]


class T5LayerNorm(nn.Module):
    """RMS norm without mean subtraction or bias (T5's)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.variance_epsilon = eps

    def forward(self, x):
        xf = as_dtype(x, torch.float32)
        var = xf.pow(2).mean(-1, keepdim=True)
        return as_dtype(xf * torch.rsqrt(var + self.variance_epsilon), self.weight.dtype) * self.weight


class T5SelfAttention(nn.Module):
    def __init__(self, cfg: T5Config, has_bias: bool):
        super().__init__()
        inner = cfg.num_heads * cfg.d_kv
        self.heads = cfg.num_heads
        self.q = nn.Linear(cfg.d_model, inner, bias=False)
        self.k = nn.Linear(cfg.d_model, inner, bias=False)
        self.v = nn.Linear(cfg.d_model, inner, bias=False)
        self.o = nn.Linear(inner, cfg.d_model, bias=False)
        if has_bias:
            self.relative_attention_bias = nn.Embedding(cfg.relative_attention_num_buckets, cfg.num_heads)

    def forward(self, x, bias):
        q, k, v = (split_heads(p(x), self.heads) for p in (self.q, self.k, self.v))
        return self.o(merge_heads(attention(q, k, v, bias, scale=1.0)))  # T5 does not scale scores


class T5AttentionLayer(nn.Module):
    def __init__(self, cfg: T5Config, has_bias: bool):
        super().__init__()
        self.SelfAttention = T5SelfAttention(cfg, has_bias)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)


class T5DenseGated(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.wi_0 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wi_1 = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x):
        return self.wo(gelu_tanh(self.wi_0(x)) * self.wi_1(x))


class T5FFLayer(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.DenseReluDense = T5DenseGated(cfg)
        self.layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)


class T5Block(nn.Module):
    def __init__(self, cfg: T5Config, has_bias: bool):
        super().__init__()
        self.layer = nn.ModuleList([T5AttentionLayer(cfg, has_bias), T5FFLayer(cfg)])

    def forward(self, x, bias):
        att, ff = self.layer[0], self.layer[1]
        x = _clamp_fp16(x + att.SelfAttention(att.layer_norm(x), bias))
        return _clamp_fp16(x + ff.DenseReluDense(ff.layer_norm(x)))


def _clamp_fp16(x):
    # fp16 T5 activations overflow; keep them finite as the reference implementation does.
    if x.dtype == torch.float16:
        return x.clamp(-64504.0, 64504.0)
    return x


class T5Stack(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.block = nn.ModuleList([T5Block(cfg, i == 0) for i in range(cfg.num_layers)])
        self.final_layer_norm = T5LayerNorm(cfg.d_model, cfg.layer_norm_epsilon)


class T5Encoder(nn.Module):
    """T5 role. Keys: `shared.weight`, `encoder.block.N.layer.{0,1}.*`, `encoder.final_layer_norm.weight`."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.config = cfg
        self.shared = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.encoder = T5Stack(cfg)

    def _buckets(self, n: int, device) -> torch.Tensor:
        """Bidirectional relative-position buckets [n, n] (half per sign; log-spaced beyond max_exact)."""
        cfg = self.config
        pos = torch.arange(n, device=device)
        rel = pos[None, :] - pos[:, None]                       # memory - query
        nb = cfg.relative_attention_num_buckets // 2
        buckets = (rel > 0).to(torch.int64) * nb
        rel = rel.abs()
        max_exact = nb // 2
        is_small = rel < max_exact
        large = max_exact + (torch.log(rel.float().clamp(min=1.0) / max_exact)
                             / math.log(cfg.relative_attention_max_distance / max_exact)
                             * (nb - max_exact)).to(torch.int64)
        large = torch.clamp(large, max=nb - 1)
        return buckets + torch.where(is_small, rel, large)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.shared(input_ids)
        n = input_ids.shape[1]
        rel_bias = self.encoder.block[0].layer[0].SelfAttention.relative_attention_bias
        bias = as_dtype(rel_bias(self._buckets(n, x.device)).permute(2, 0, 1)[None], x.dtype)   # [1,H,n,n]
        for block in self.encoder.block:
            x = block(x, bias)
        return self.encoder.final_layer_norm(x)
