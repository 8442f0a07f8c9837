"""Model code for Kontinuous Kontext: one definition, config-driven sizes (tiny, fixture, flux_kontext).

Typical use (training):
    from training.kontext import get_config, build_models
    cfg = get_config("tiny"); m = build_models(cfg)
    v = m.transformer(hidden, text_embeds, pooled, sigma, guidance, img_ids, txt_ids, modulation, lora_scale)
"""
from .config import (KontextConfig, TransformerConfig, ProjectorConfig, VAEConfig, ClipTextConfig, T5Config,
                     TokenizerSpec, get_config, tiny, fixture, flux_kontext, PAPER_LORA_TARGETS)
from .transformer import KontextTransformer, load_transformer_state
from .projector import StrengthProjector
from .vae import AutoencoderKL
from .text_encoders import ClipTextEncoder, T5Encoder
from .tokenizer import WordTokenizer, build_vocab, pre_tokenize, tokenizer_json, tiny_vocab
from .packing import pack_latents, unpack_latents, image_ids, text_ids, kontext_ids
from .models import KontextModels, build_models, save_checkpoint, load_checkpoint, config_to_dict, config_from_dict
