"""CLIP's BPE tokenizer as a tokenizer.json, built from the slow tokenizer's vocab.json + merges.txt.

diffusers' FLUX folders ship CLIP's tokenizer as vocab.json/merges.txt only. The pipeline written here is CLIP's
published one: NFC, whitespace runs -> one space, lower-case; split into letters runs / single digits / other
non-space runs (plus the 's 't 're 've 'm 'll 'd contractions), byte-level mapping without a prefix space; BPE with
the `</w>` end-of-word suffix; <|startoftext|>/<|endoftext|> as special tokens.
"""
import json
from typing import Any, Dict, List

CLIP_SPLIT = (r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+")


def read_merges(path: str) -> List[str]:
    """merges.txt lines ("a b"), skipping the '#version' header and blank lines."""
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    return [line for line in lines if line and not line.startswith("#version")]


def clip_tokenizer_json(vocab_path: str, merges_path: str) -> Dict[str, Any]:
    with open(vocab_path, encoding="utf-8") as f:
        vocab: Dict[str, int] = json.load(f)
    merges = read_merges(merges_path)
    specials = [t for t in ("<|startoftext|>", "<|endoftext|>") if t in vocab]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": True, "special": True} for t in specials],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                  "merges": merges},
    }
