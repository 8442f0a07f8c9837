"""Words no training instruction holds become [UNK], embedded as [PAD], with every other id and row kept."""
import torch

from training.kontext.tokenizer import TINY_PAD_ID, TINY_UNK_ID, WordTokenizer, build_vocab
from training.train import ckpt
from training.train.parts import new_models
from training.train.unseen_words import EMBEDDINGS, trained_words, unseen_as_unknown


def test_training_words_hold_training_phrasings_and_slot_values_but_not_held_out_only_words():
    words = trained_words()
    assert {"make", "it", "night", "sepia", "orange", "triangle"} <= words
    assert "dim" not in words and "infrared" not in words      # held-out phrasings only


def test_unseen_words_read_as_unknown_and_unknown_reads_as_padding():
    vocab = build_vocab(["make it sepia", "dim the sky", "zzz"], extra_words=())
    payload = ckpt.payload_of(new_models("fixture", vocab=vocab, seed=3))
    out = unseen_as_unknown(payload)
    unseen = [vocab.index("dim"), vocab.index("zzz")]
    assert [out["vocab"][i] for i in unseen] == [f"[UNUSED{i}]" for i in unseen]
    kept = [i for i in range(len(vocab)) if i not in unseen]
    assert [out["vocab"][i] for i in kept] == [vocab[i] for i in kept], "every other word keeps its id"
    for component, key in EMBEDDINGS.items():
        before, after = payload[component][key], out[component][key]
        for i in [TINY_UNK_ID] + unseen:
            assert torch.equal(after[i], before[TINY_PAD_ID])
        others = [i for i in kept if i != TINY_UNK_ID]
        assert torch.equal(after[others], before[others])
        assert not torch.equal(before[unseen[0]], before[TINY_PAD_ID]), "the rows did change"
    assert WordTokenizer(out["vocab"]).encode_plain("dim the sepia") == [TINY_UNK_ID, vocab.index("the"), vocab.index("sepia")]
    assert out["provenance"]["unseen_words"]["words"] == ["dim", "zzz"]
    ckpt.models_from(out)  # still loads strictly
