"""Moving a strength control (projector and LoRA) onto another base: what --strength-from and run_all's
--s2-warm rely on."""
import pytest
import torch

from training.kontext.tokenizer import build_vocab
from training.train import ckpt
from training.train.parts import new_models
from training.train.ship import is_lora, with_strength_control


VOCAB = build_vocab(["make it night"], extra_words=())


def models(**kwargs):
    return new_models("fixture", vocab=VOCAB, **kwargs)


def test_the_donors_projector_and_lora_replace_the_bases_and_nothing_else_moves():
    base = ckpt.payload_of(models(seed=1))
    donor = ckpt.payload_of(models(seed=2))
    out = with_strength_control(base, donor)
    assert all(torch.equal(out["projector"][k], donor["projector"][k]) for k in donor["projector"])
    lora = [k for k in base["transformer"] if is_lora(k)]
    assert lora and all(torch.equal(out["transformer"][k], donor["transformer"][k]) for k in lora)
    rest = [k for k in base["transformer"] if not is_lora(k)]
    # Seeds 1 and 2 draw different base weights, so an accidental copy would show.
    assert any(not torch.equal(base["transformer"][k], donor["transformer"][k]) for k in rest)
    assert all(out["transformer"][k] is base["transformer"][k] for k in rest)
    assert out["vae"] is base["vae"] and out["clip"] is base["clip"]
    loaded = ckpt.models_from(out)  # loads strictly: every key is where the model expects it
    assert torch.equal(loaded.projector.state_dict()[next(iter(donor["projector"]))], next(iter(donor["projector"].values())))


def test_a_donor_of_another_config_is_refused():
    base = ckpt.payload_of(models())
    donor = ckpt.payload_of(models(overrides={"transformer": {"lora_rank": 8}}))
    with pytest.raises(ValueError, match="different model configs"):
        with_strength_control(base, donor)
