"""kontext-tiny's word-level tokenizer: a pure-Python encoder and the `tokenizer.json` that JS loads.

@huggingface/tokenizers (JS) has no WordLevel model, so the file is a WordPiece model whose vocabulary holds
whole words only and no `##` continuations: a word is either in the vocabulary or becomes [UNK], exactly
word-level. Normalizer: Lowercase. Pre-tokenizer: BertPreTokenizer (split on whitespace, and every punctuation
character is its own token). `WordTokenizer.encode` reproduces that pipeline id for id.
"""
import json
import re
import unicodedata
from typing import Dict, Iterable, List, Optional, Sequence

from .config import TINY_BOS_ID, TINY_EOS_ID, TINY_PAD_ID, TINY_UNK_ID, TokenizerSpec

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[BOS]", "[EOS]"]
assert [TINY_PAD_ID, TINY_UNK_ID, TINY_BOS_ID, TINY_EOS_ID] == [0, 1, 2, 3]
MAX_WORD_CHARS = 100

# Words every tiny vocabulary holds, so held-out phrasings built from common words still encode.
BASE_WORDS = ("a an the this that it its to of in on at with into from as and or but make turn change "
              "give add remove replace put set let render convert transform paint style look like more less "
              "very slightly bit much image photo picture scene background foreground object objects "
              "color colour colors bright dark light lighting sky day night evening morning sunset "
              "please now all same keep").split()


def is_punctuation(ch: str) -> bool:
    """Matches JS BertPreTokenizer's class: Unicode P* categories plus every ASCII symbol."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


_JS_SPACE = re.compile(r"\s")


def pre_tokenize(text: str) -> List[str]:
    """Lower-cases, then splits on whitespace and punctuation (each punctuation char is a token)."""
    words: List[str] = []
    current: List[str] = []
    for ch in text.lower().strip():
        if _JS_SPACE.match(ch):
            if current:
                words.append("".join(current))
                current = []
        elif is_punctuation(ch):
            if current:
                words.append("".join(current))
                current = []
            words.append(ch)
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


def build_vocab(texts: Iterable[str], extra_words: Sequence[str] = BASE_WORDS,
                max_size: Optional[int] = None) -> List[str]:
    """Vocabulary (specials first, then words by first appearance) from instruction phrasings.

    Raises ValueError when the words do not fit in `max_size` (the text encoders' embedding size).
    """
    vocab = list(SPECIAL_TOKENS)
    seen = set(vocab)
    for word in list(extra_words) + [w for t in texts for w in pre_tokenize(t)]:
        if word not in seen and len(word) <= MAX_WORD_CHARS:
            seen.add(word)
            vocab.append(word)
    if max_size is not None and len(vocab) > max_size:
        raise ValueError(f"vocabulary has {len(vocab)} tokens but the text encoders hold {max_size}; "
                         f"raise vocab_size in the config")
    return vocab


class WordTokenizer:
    """Word-level encoder matching the exported tokenizer.json, plus the manifest's special-token rule."""

    def __init__(self, vocab: Sequence[str]):
        if list(vocab[:4]) != SPECIAL_TOKENS:
            raise ValueError(f"vocabulary must start with {SPECIAL_TOKENS}, got {list(vocab[:4])}")
        self.vocab = list(vocab)
        self.ids: Dict[str, int] = {w: i for i, w in enumerate(self.vocab)}

    def encode_plain(self, text: str) -> List[int]:
        """Ids without special tokens (what JS `tokenizer.encode(text, {add_special_tokens: false})` gives)."""
        return [self.ids.get(w, TINY_UNK_ID) for w in pre_tokenize(text)]

    def encode(self, text: str, spec: TokenizerSpec) -> List[int]:
        """BUNDLE_FORMAT rule: optional bos, truncate, eos, pad to max_length."""
        return apply_spec(self.encode_plain(text), spec)

    def to_json(self) -> dict:
        return tokenizer_json(self.vocab)

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False, indent=None, separators=(",", ":"))


def apply_spec(ids: List[int], spec: TokenizerSpec) -> List[int]:
    """Applies the manifest's tokenisation rule to ids encoded without special tokens."""
    bos = [] if spec.bos_id is None else [spec.bos_id]
    keep = spec.max_length - 1 - len(bos)
    out = bos + list(ids[:keep]) + [spec.eos_id]
    return out + [spec.pad_id] * (spec.max_length - len(out))


def tokenizer_json(vocab: Sequence[str]) -> dict:
    """A tokenizer.json (HF format) for a whole-word vocabulary, loadable by @huggingface/tokenizers."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": MAX_WORD_CHARS,
            "vocab": {w: i for i, w in enumerate(vocab)},
        },
    }


def load_vocab_from_json(path: str) -> List[str]:
    """Reads the vocabulary back from a tokenizer.json written by `tokenizer_json`."""
    with open(path, encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    return [w for w, _ in sorted(vocab.items(), key=lambda kv: kv[1])]


def tiny_vocab() -> List[str]:
    """kontext-tiny's vocabulary: specials, then the sorted union of BASE_WORDS and the data set's word list
    (training/data/vocabulary.py WORDS, every word any generated instruction can contain)."""
    try:
        from ..data.vocabulary import WORDS  # the data helper's contract list
    except ImportError:  # the data package is optional for the model code
        WORDS = ()
    return list(SPECIAL_TOKENS) + sorted(set(BASE_WORDS) | set(WORDS))
