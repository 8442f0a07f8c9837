"""An independent statement of diffusers/transformers' key names and shapes for FLUX.1 Kontext's components.

Written from the published checkpoint layouts (not from this project's model code), so tests can check that
the model code and the exporter's key mapping cover exactly these names, and can write synthetic checkpoints
in the real layout at reduced size.
"""
from typing import Dict, Tuple

Shapes = Dict[str, Tuple[int, ...]]

FLUX_TRANSFORMER = dict(in_channels=64, num_layers=19, num_single_layers=38, attention_head_dim=128,
                        num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768,
                        guidance_embeds=True, axes_dims_rope=[16, 56, 56], patch_size=1, out_channels=None)
FLUX_VAE = dict(in_channels=3, out_channels=3, latent_channels=16, block_out_channels=[128, 256, 512, 512],
                layers_per_block=2, norm_num_groups=32, scaling_factor=0.3611, shift_factor=0.1159,
                use_quant_conv=False, use_post_quant_conv=False, mid_block_add_attention=True)
CLIP_L = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
              num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
              bos_token_id=0, eos_token_id=2, pad_token_id=1)
T5_XXL = dict(vocab_size=32128, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
              relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
              feed_forward_proj="gated-gelu")
LORA_TARGETS_DOUBLE = ("attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0", "attn.add_q_proj", "attn.add_k_proj",
                       "attn.add_v_proj", "attn.to_add_out", "ff.net.0.proj", "ff.net.2", "ff_context.net.0.proj",
                       "ff_context.net.2")
LORA_TARGETS_SINGLE = ("attn.to_q", "attn.to_k", "attn.to_v")


def _linear(out: Shapes, name: str, n_out: int, n_in: int, bias: bool = True) -> None:
    out[f"{name}.weight"] = (n_out, n_in)
    if bias:
        out[f"{name}.bias"] = (n_out,)


def transformer_shapes(c: dict) -> Shapes:
    d, hd = c["num_attention_heads"] * c["attention_head_dim"], c["attention_head_dim"]
    s: Shapes = {}
    _linear(s, "x_embedder", d, c["in_channels"])
    _linear(s, "context_embedder", d, c["joint_attention_dim"])
    embedders = ["timestep_embedder", "guidance_embedder"] if c["guidance_embeds"] else ["timestep_embedder"]
    for e in embedders:
        _linear(s, f"time_text_embed.{e}.linear_1", d, 256)
        _linear(s, f"time_text_embed.{e}.linear_2", d, d)
    _linear(s, "time_text_embed.text_embedder.linear_1", d, c["pooled_projection_dim"])
    _linear(s, "time_text_embed.text_embedder.linear_2", d, d)
    for i in range(c["num_layers"]):
        p = f"transformer_blocks.{i}"
        _linear(s, f"{p}.norm1.linear", 6 * d, d)
        _linear(s, f"{p}.norm1_context.linear", 6 * d, d)
        for m in ("to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0", "to_add_out"):
            _linear(s, f"{p}.attn.{m}", d, d)
        for n in ("norm_q", "norm_k", "norm_added_q", "norm_added_k"):
            s[f"{p}.attn.{n}.weight"] = (hd,)
        for ff in ("ff", "ff_context"):
            _linear(s, f"{p}.{ff}.net.0.proj", 4 * d, d)
            _linear(s, f"{p}.{ff}.net.2", d, 4 * d)
    for i in range(c["num_single_layers"]):
        p = f"single_transformer_blocks.{i}"
        _linear(s, f"{p}.norm.linear", 3 * d, d)
        _linear(s, f"{p}.proj_mlp", 4 * d, d)
        _linear(s, f"{p}.proj_out", d, 5 * d)
        for m in ("to_q", "to_k", "to_v"):
            _linear(s, f"{p}.attn.{m}", d, d)
        s[f"{p}.attn.norm_q.weight"] = (hd,)
        s[f"{p}.attn.norm_k.weight"] = (hd,)
    _linear(s, "norm_out.linear", 2 * d, d)
    _linear(s, "proj_out", c.get("out_channels") or c["in_channels"], d)
    return s


def lora_shapes(c: dict, rank: int, prefix: str = "transformer.") -> Shapes:
    """diffusers LoRA file keys for the paper's targets."""
    d = c["num_attention_heads"] * c["attention_head_dim"]
    s: Shapes = {}
    dims = {"ff.net.0.proj": (d, 4 * d), "ff.net.2": (4 * d, d), "ff_context.net.0.proj": (d, 4 * d),
            "ff_context.net.2": (4 * d, d)}
    for blocks, n, targets in (("transformer_blocks", c["num_layers"], LORA_TARGETS_DOUBLE),
                               ("single_transformer_blocks", c["num_single_layers"], LORA_TARGETS_SINGLE)):
        for i in range(n):
            for t in targets:
                n_in, n_out = dims.get(t, (d, d))
                s[f"{prefix}{blocks}.{i}.{t}.lora_A.weight"] = (rank, n_in)
                s[f"{prefix}{blocks}.{i}.{t}.lora_B.weight"] = (n_out, rank)
    return s


def _resnet(s: Shapes, p: str, cin: int, cout: int) -> None:
    s[f"{p}.norm1.weight"] = s[f"{p}.norm1.bias"] = (cin,)
    s[f"{p}.conv1.weight"], s[f"{p}.conv1.bias"] = (cout, cin, 3, 3), (cout,)
    s[f"{p}.norm2.weight"] = s[f"{p}.norm2.bias"] = (cout,)
    s[f"{p}.conv2.weight"], s[f"{p}.conv2.bias"] = (cout, cout, 3, 3), (cout,)
    if cin != cout:
        s[f"{p}.conv_shortcut.weight"], s[f"{p}.conv_shortcut.bias"] = (cout, cin, 1, 1), (cout,)


def _mid(s: Shapes, p: str, ch: int, attention: bool) -> None:
    _resnet(s, f"{p}.mid_block.resnets.0", ch, ch)
    _resnet(s, f"{p}.mid_block.resnets.1", ch, ch)
    if attention:
        a = f"{p}.mid_block.attentions.0"
        s[f"{a}.group_norm.weight"] = s[f"{a}.group_norm.bias"] = (ch,)
        for m in ("to_q", "to_k", "to_v", "to_out.0"):
            _linear(s, f"{a}.{m}", ch, ch)


def vae_shapes(c: dict) -> Shapes:
    ch, lat, n = list(c["block_out_channels"]), c["latent_channels"], c["layers_per_block"]
    attn = c.get("mid_block_add_attention", True)
    s: Shapes = {"encoder.conv_in.weight": (ch[0], c["in_channels"], 3, 3), "encoder.conv_in.bias": (ch[0],)}
    prev = ch[0]
    for i, cout in enumerate(ch):
        for j in range(n):
            _resnet(s, f"encoder.down_blocks.{i}.resnets.{j}", prev if j == 0 else cout, cout)
        if i < len(ch) - 1:
            s[f"encoder.down_blocks.{i}.downsamplers.0.conv.weight"] = (cout, cout, 3, 3)
            s[f"encoder.down_blocks.{i}.downsamplers.0.conv.bias"] = (cout,)
        prev = cout
    _mid(s, "encoder", ch[-1], attn)
    s["encoder.conv_norm_out.weight"] = s["encoder.conv_norm_out.bias"] = (ch[-1],)
    s["encoder.conv_out.weight"], s["encoder.conv_out.bias"] = (2 * lat, ch[-1], 3, 3), (2 * lat,)
    rev = list(reversed(ch))
    s["decoder.conv_in.weight"], s["decoder.conv_in.bias"] = (rev[0], lat, 3, 3), (rev[0],)
    _mid(s, "decoder", rev[0], attn)
    prev = rev[0]
    for i, cout in enumerate(rev):
        for j in range(n + 1):
            _resnet(s, f"decoder.up_blocks.{i}.resnets.{j}", prev if j == 0 else cout, cout)
        if i < len(rev) - 1:
            s[f"decoder.up_blocks.{i}.upsamplers.0.conv.weight"] = (cout, cout, 3, 3)
            s[f"decoder.up_blocks.{i}.upsamplers.0.conv.bias"] = (cout,)
        prev = cout
    s["decoder.conv_norm_out.weight"] = s["decoder.conv_norm_out.bias"] = (rev[-1],)
    s["decoder.conv_out.weight"], s["decoder.conv_out.bias"] = (c["out_channels"], rev[-1], 3, 3), (c["out_channels"],)
    return s


def clip_shapes(c: dict) -> Shapes:
    h, i = c["hidden_size"], c["intermediate_size"]
    s: Shapes = {"text_model.embeddings.token_embedding.weight": (c["vocab_size"], h),
                 "text_model.embeddings.position_embedding.weight": (c["max_position_embeddings"], h)}
    for n in range(c["num_hidden_layers"]):
        p = f"text_model.encoder.layers.{n}"
        for m in ("q_proj", "k_proj", "v_proj", "out_proj"):
            _linear(s, f"{p}.self_attn.{m}", h, h)
        s[f"{p}.layer_norm1.weight"] = s[f"{p}.layer_norm1.bias"] = (h,)
        _linear(s, f"{p}.mlp.fc1", i, h)
        _linear(s, f"{p}.mlp.fc2", h, i)
        s[f"{p}.layer_norm2.weight"] = s[f"{p}.layer_norm2.bias"] = (h,)
    s["text_model.final_layer_norm.weight"] = s["text_model.final_layer_norm.bias"] = (h,)
    return s


def t5_shapes(c: dict) -> Shapes:
    d, inner, ff = c["d_model"], c["num_heads"] * c["d_kv"], c["d_ff"]
    s: Shapes = {"shared.weight": (c["vocab_size"], d)}
    for n in range(c["num_layers"]):
        p = f"encoder.block.{n}.layer"
        for m in ("q", "k", "v"):
            s[f"{p}.0.SelfAttention.{m}.weight"] = (inner, d)
        s[f"{p}.0.SelfAttention.o.weight"] = (d, inner)
        if n == 0:
            s[f"{p}.0.SelfAttention.relative_attention_bias.weight"] = (c["relative_attention_num_buckets"],
                                                                       c["num_heads"])
        s[f"{p}.0.layer_norm.weight"] = (d,)
        s[f"{p}.1.DenseReluDense.wi_0.weight"] = (ff, d)
        s[f"{p}.1.DenseReluDense.wi_1.weight"] = (ff, d)
        s[f"{p}.1.DenseReluDense.wo.weight"] = (d, ff)
        s[f"{p}.1.layer_norm.weight"] = (d,)
    s["encoder.final_layer_norm.weight"] = (d,)
    return s


def projector_shapes(pooled: int = 768, hidden: int = 6144, out: int = 6144) -> Shapes:
    s: Shapes = {}
    _linear(s, "pe_extender", pooled, 2)
    for i, (n_out, n_in) in zip((0, 2, 4, 6), ((hidden, 2 * pooled), (hidden, hidden), (hidden, hidden), (out, hidden))):
        _linear(s, f"projector.{i}", n_out, n_in)
    return s
