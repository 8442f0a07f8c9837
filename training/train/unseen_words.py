"""Words no training instruction holds, read as the unknown token, and the unknown token read as padding.

Why: the vocabulary is built from every phrasing, held-out ones included, plus common words, so some words have
embeddings that training never updated: the text encoders read them as their random initial vectors, noise that
pulls the edit off course. The padding embedding, by contrast, was trained in every sequence as "no word here".
After this step such words tokenize to [UNK], whose embedding is the padding's, so the model ignores them, and
the product's Encode Text names them as words the model does not know.
"""
import re
from typing import Dict, List, Set

import torch

from training.data import instructions
from training.kontext.tokenizer import SPECIAL_TOKENS, TINY_PAD_ID, TINY_UNK_ID, pre_tokenize

EMBEDDINGS = {"clip": "text_model.embeddings.token_embedding.weight", "t5": "shared.weight"}


def trained_words() -> Set[str]:
    """Every word a training instruction can hold: the training phrasings' own words and every slot value's."""
    words: Set[str] = set()
    for train, _held in instructions.PHRASINGS.values():
        for template in train:
            words |= set(pre_tokenize(re.sub(r"\{\w+\}", " ", template)))
    for value in instructions.all_slot_values():
        words |= set(pre_tokenize(value))
    return words


def placeholder(index: int) -> str:
    """What stands at an unseen word's id, so every other word keeps its id (and its embedding row)."""
    return f"[UNUSED{index}]"


def unseen_as_unknown(payload: Dict) -> Dict:
    """The payload with its unseen words replaced by placeholders and the [UNK] and unseen rows of both text
    encoders' embeddings set to the [PAD] row; records the words in the provenance."""
    keep = trained_words() | set(SPECIAL_TOKENS)
    vocab: List[str] = list(payload["vocab"])
    unseen = [i for i, word in enumerate(vocab) if word not in keep and not word.startswith("[UNUSED")]
    out = dict(payload)
    dropped = set(unseen)
    out["vocab"] = [placeholder(i) if i in dropped else word for i, word in enumerate(vocab)]
    for component, key in EMBEDDINGS.items():
        table = payload[component][key].clone()
        table[[TINY_UNK_ID] + unseen] = table[TINY_PAD_ID].clone()
        out[component] = dict(payload[component], **{key: table})
    provenance = dict(out.get("provenance") or {})
    provenance["unseen_words"] = {"read_as": "[UNK], embedded as [PAD]", "words": [vocab[i] for i in unseen]}
    out["provenance"] = provenance
    return out
