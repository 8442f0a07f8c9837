"""Configuration dataclasses for every component of a Kontinuous Kontext bundle.

One model definition serves three sizes: `flux_kontext` (the real FLUX.1 Kontext + Kontinuous projector),
`tiny` (kontext-tiny, trained by this project on 2 CPU cores) and `fixture` (random weights, for fast tests).
Sizes that the ONNX contract exposes (sequence lengths, widths) live here too, so the exporter writes the
manifest's `dims` from the same numbers the modules are built from.
"""
from dataclasses import dataclass, field, asdict
from typing import Optional, Tuple, List, Dict, Any

# FLUX.1 Kontext's preferred resolutions (width, height); the transposes are added in `preferred_resolutions`.
KONTEXT_PREFERRED = [(672, 1568), (688, 1504), (720, 1456), (752, 1392), (800, 1328), (832, 1248),
                     (880, 1184), (944, 1104), (1024, 1024)]

# The paper's LoRA target modules (suffixes of module paths; to_q/k/v also match the single blocks).
PAPER_LORA_TARGETS = ("attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0", "attn.add_q_proj",
                      "attn.add_k_proj", "attn.add_v_proj", "attn.to_add_out", "ff.net.0.proj", "ff.net.2",
                      "ff_context.net.0.proj", "ff_context.net.2")


@dataclass
class TransformerConfig:
    in_channels: int = 64
    out_channels: int = 64
    num_layers: int = 19                 # double-stream blocks
    num_single_layers: int = 38
    attention_head_dim: int = 128
    num_attention_heads: int = 24
    joint_attention_dim: int = 4096
    pooled_projection_dim: int = 768
    guidance_embeds: bool = True
    axes_dims_rope: Tuple[int, int, int] = (16, 56, 56)
    rope_theta: float = 10000.0
    mlp_ratio: float = 4.0
    # Unmerged LoRA on PAPER_LORA_TARGETS; rank 0 means no LoRA modules at all.
    lora_rank: int = 0
    lora_alpha: float = 0.0
    # kontext-tiny only: add a learned (zero-initialised) projection of each reference token to the target
    # token at the same grid position. Measured: without it a tiny model did not learn to copy the source.
    reference_residual: bool = False
    # DiT-style zero init of the AdaLN modulation linears and the output projection (training from scratch).
    zero_init_gates: bool = False

    @property
    def inner_dim(self) -> int:
        return self.attention_head_dim * self.num_attention_heads

    @property
    def modulation_dim(self) -> int:
        return 2 * self.inner_dim


@dataclass
class ProjectorConfig:
    pooled_dim: int = 768
    hidden_dim: int = 6144
    out_dim: int = 6144                  # 2 x transformer inner width
    # Knots [[s, projector input], ...] from [0, 0] to [1, 1] of a piecewise-linear map applied to the user's
    # strength before the projector (training/eval/calibrate.py measures it); None feeds s as it is.
    strength_curve: Optional[List[List[float]]] = None


@dataclass
class VAEConfig:
    in_channels: int = 3
    out_channels: int = 3
    latent_channels: int = 16
    block_out_channels: Tuple[int, ...] = (128, 256, 512, 512)
    layers_per_block: int = 2
    norm_num_groups: int = 32
    mid_block_attention: bool = True
    scaling_factor: float = 0.3611
    shift_factor: float = 0.1159

    @property
    def downscale(self) -> int:
        return 2 ** (len(self.block_out_channels) - 1)


@dataclass
class ClipTextConfig:
    """CLIP text transformer (CLIP role: ids -> pooled at the first EOS)."""
    vocab_size: int = 49408
    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    max_position_embeddings: int = 77
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    eos_token_id: int = 49407
    causal: bool = True


@dataclass
class T5Config:
    """T5 v1.1 encoder (T5 role: ids -> sequence)."""
    vocab_size: int = 32128
    d_model: int = 4096
    d_kv: int = 64
    d_ff: int = 10240
    num_layers: int = 24
    num_heads: int = 64
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    layer_norm_epsilon: float = 1e-6
    gated_gelu: bool = True


@dataclass
class TokenizerSpec:
    max_length: int
    bos_id: Optional[int]
    eos_id: int
    pad_id: int
    lowercase: bool

    def manifest(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class KontextConfig:
    """Everything a bundle needs: component configs plus the runtime constants the manifest records."""
    name: str
    display_name: str
    description: str
    transformer: TransformerConfig
    projector: ProjectorConfig
    vae: VAEConfig
    clip: ClipTextConfig
    t5: T5Config
    clip_tokenizer: TokenizerSpec
    t5_tokenizer: TokenizerSpec
    native_resolution: Tuple[int, int] = (1024, 1024)
    preferred: List[Tuple[int, int]] = field(default_factory=lambda: list(KONTEXT_PREFERRED))
    multiple_of: int = 16
    default_steps: int = 28
    default_guidance: float = 2.5
    default_seed: int = 64
    scheduler_base_seq_len: int = 256
    scheduler_max_seq_len: int = 4096
    scheduler_base_shift: float = 0.5
    scheduler_max_shift: float = 1.15
    license: str = "MIT (weights trained by this project)"

    def preferred_resolutions(self) -> List[List[int]]:
        """The preferred (width, height) list with transposes, de-duplicated, in a stable order."""
        out: List[List[int]] = []
        for w, h in self.preferred:
            for pair in ([w, h], [h, w]):
                if pair not in out:
                    out.append(pair)
        return out

    def dims(self) -> Dict[str, int]:
        t = self.transformer
        return {
            "clip_seq_len": self.clip_tokenizer.max_length,
            "pooled_dim": t.pooled_projection_dim,
            "t5_seq_len": self.t5_tokenizer.max_length,
            "joint_dim": t.joint_attention_dim,
            "latent_channels": self.vae.latent_channels,
            "packed_channels": t.in_channels,
            "inner_dim": t.inner_dim,
            "modulation_dim": t.modulation_dim,
        }

    def check(self) -> None:
        """Raises ValueError when component sizes disagree (e.g. T5 width != joint_attention_dim)."""
        t = self.transformer
        problems = []
        if sum(t.axes_dims_rope) != t.attention_head_dim:
            problems.append(f"axes_dims_rope {t.axes_dims_rope} must sum to attention_head_dim {t.attention_head_dim}")
        if any(d % 2 for d in t.axes_dims_rope):
            problems.append(f"every RoPE axis width must be even, got {t.axes_dims_rope}")
        if t.in_channels != 4 * self.vae.latent_channels:
            problems.append(f"transformer in_channels {t.in_channels} != 4 x VAE latent_channels {self.vae.latent_channels}")
        if self.t5.d_model != t.joint_attention_dim:
            problems.append(f"T5 d_model {self.t5.d_model} != joint_attention_dim {t.joint_attention_dim}")
        if self.clip.hidden_size != t.pooled_projection_dim:
            problems.append(f"CLIP hidden_size {self.clip.hidden_size} != pooled_projection_dim {t.pooled_projection_dim}")
        if self.projector.pooled_dim != t.pooled_projection_dim or self.projector.out_dim != t.modulation_dim:
            problems.append("projector widths must be pooled_projection_dim -> 2 x inner_dim")
        if self.clip_tokenizer.max_length > self.clip.max_position_embeddings:
            problems.append("CLIP tokenizer max_length exceeds max_position_embeddings")
        if problems:
            raise ValueError(f"config {self.name!r} is inconsistent: " + "; ".join(problems))


def flux_kontext() -> KontextConfig:
    """FLUX.1 Kontext [dev] with the Kontinuous projector and rank-4 LoRA (the paper's release)."""
    return KontextConfig(
        name="flux-kontext-kontinuous",
        display_name="FLUX.1 Kontext + Kontinuous",
        description="FLUX.1 Kontext [dev] with the Kontinuous Kontext strength projector and LoRA.",
        transformer=TransformerConfig(lora_rank=4, lora_alpha=4.0),
        projector=ProjectorConfig(),
        vae=VAEConfig(),
        clip=ClipTextConfig(),
        t5=T5Config(),
        clip_tokenizer=TokenizerSpec(max_length=77, bos_id=49406, eos_id=49407, pad_id=49407, lowercase=True),
        t5_tokenizer=TokenizerSpec(max_length=512, bos_id=None, eos_id=1, pad_id=0, lowercase=False),
        license="FLUX.1 [dev] Non-Commercial License (transformer, VAE); Kontinuous Kontext weights under their "
                "authors' licence; CLIP-L MIT; T5 Apache-2.0",
    )


# Word-level vocabulary layout shared by the tiny tokenizers (see tokenizer.py).
TINY_PAD_ID, TINY_UNK_ID, TINY_BOS_ID, TINY_EOS_ID = 0, 1, 2, 3


def tiny(vocab_size: int = 512) -> KontextConfig:
    """kontext-tiny: ~3M-parameter transformer at 128x128 (16x16x16 latent, 64 target tokens)."""
    inner_heads, head_dim = 4, 32
    joint, pooled, seq = 64, 64, 32
    return KontextConfig(
        name="kontext-tiny",
        display_name="Kontext Tiny",
        description="A small instruction-based image editor with continuous strength, trained by this project "
                    "on procedural scenes and public-domain photographs (128x128).",
        transformer=TransformerConfig(
            num_layers=2, num_single_layers=4, attention_head_dim=head_dim, num_attention_heads=inner_heads,
            joint_attention_dim=joint, pooled_projection_dim=pooled, axes_dims_rope=(4, 14, 14),
            lora_rank=4, lora_alpha=4.0, reference_residual=True, zero_init_gates=True),
        projector=ProjectorConfig(pooled_dim=pooled, hidden_dim=256, out_dim=2 * inner_heads * head_dim),
        vae=VAEConfig(block_out_channels=(32, 64, 64, 64), layers_per_block=1, norm_num_groups=8,
                      mid_block_attention=False, scaling_factor=1.0, shift_factor=0.0),
        clip=ClipTextConfig(vocab_size=vocab_size, hidden_size=pooled, intermediate_size=2 * pooled,
                            num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=seq,
                            hidden_act="gelu", eos_token_id=TINY_EOS_ID, causal=False),
        t5=T5Config(vocab_size=vocab_size, d_model=joint, d_kv=16, d_ff=2 * joint, num_layers=2, num_heads=4,
                    relative_attention_max_distance=32),
        clip_tokenizer=TokenizerSpec(max_length=seq, bos_id=TINY_BOS_ID, eos_id=TINY_EOS_ID, pad_id=TINY_PAD_ID,
                                     lowercase=True),
        t5_tokenizer=TokenizerSpec(max_length=seq, bos_id=None, eos_id=TINY_EOS_ID, pad_id=TINY_PAD_ID,
                                   lowercase=True),
        native_resolution=(128, 128),
        preferred=[(128, 128), (96, 160), (112, 144)],
        # 2: through the product on the 300 held-out pairs, 2 steps gave smoother sweeps (KL 0.092 against 0.108)
        # and steadier instruction-following (89% against 82%) than 8, for a slightly weaker full edit (s = 1 PSNR
        # 18.90 against 19.12 dB), in a quarter of the denoise time (models/kontext-tiny/MODEL_CARD.md, "Defaults").
        default_steps=2,
        default_guidance=2.5,
        scheduler_base_seq_len=64,
        scheduler_max_seq_len=256,
    )


def fixture(vocab_size: int = 128) -> KontextConfig:
    """Random-weight test bundle: the smallest config that still exercises every code path."""
    cfg = tiny(vocab_size)
    cfg.name, cfg.display_name = "kontext-fixture", "Kontext Fixture (random weights)"
    cfg.description = "Random weights for fast tests; outputs are noise."
    cfg.transformer = TransformerConfig(
        num_layers=1, num_single_layers=1, attention_head_dim=16, num_attention_heads=2,
        joint_attention_dim=16, pooled_projection_dim=16, axes_dims_rope=(4, 6, 6),
        lora_rank=2, lora_alpha=2.0, reference_residual=True, zero_init_gates=False)
    cfg.projector = ProjectorConfig(pooled_dim=16, hidden_dim=32, out_dim=64)
    cfg.vae = VAEConfig(block_out_channels=(8, 8, 16, 16), layers_per_block=1, norm_num_groups=4,
                        mid_block_attention=True, scaling_factor=1.0, shift_factor=0.0)
    cfg.clip = ClipTextConfig(vocab_size=vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                              num_attention_heads=2, max_position_embeddings=8, hidden_act="gelu",
                              eos_token_id=TINY_EOS_ID, causal=False)
    cfg.t5 = T5Config(vocab_size=vocab_size, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
                      relative_attention_max_distance=16)
    cfg.clip_tokenizer = TokenizerSpec(max_length=8, bos_id=TINY_BOS_ID, eos_id=TINY_EOS_ID, pad_id=TINY_PAD_ID,
                                       lowercase=True)
    cfg.t5_tokenizer = TokenizerSpec(max_length=8, bos_id=None, eos_id=TINY_EOS_ID, pad_id=TINY_PAD_ID,
                                     lowercase=True)
    cfg.native_resolution = (32, 32)
    cfg.preferred = [(32, 32), (32, 48)]
    cfg.default_steps = 4
    cfg.scheduler_base_seq_len, cfg.scheduler_max_seq_len = 16, 64
    cfg.license = "MIT (random weights, test fixture)"
    return cfg


CONFIGS = {"tiny": tiny, "fixture": fixture, "flux_kontext": flux_kontext}


def get_config(name: str, **kwargs) -> KontextConfig:
    """Returns the named config; raises KeyError naming the known configs."""
    if name not in CONFIGS:
        raise KeyError(f"unknown config {name!r}; known: {', '.join(sorted(CONFIGS))}")
    cfg = CONFIGS[name](**kwargs)
    cfg.check()
    return cfg
