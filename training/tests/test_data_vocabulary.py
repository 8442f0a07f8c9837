"""The vocabulary contract: every instruction the generator can write uses only words in WORDS."""
import itertools

from training.data import instructions, vocabulary


def test_every_template_and_slot_word_is_in_the_vocabulary():
    missing = set()
    for name, (train, held) in instructions.PHRASINGS.items():
        for template in train + held:
            text = instructions._SLOT.sub(" ", template)
            missing.update(vocabulary.unknown_words(text))
    for value in instructions.all_slot_values():
        missing.update(vocabulary.unknown_words(value))
    assert not missing, f"words missing from training/data/vocabulary.py: {sorted(missing)}"


def test_vocabulary_is_small_sorted_and_unique():
    words = vocabulary.WORDS
    assert len(words) <= 400
    assert list(words) == sorted(set(words))
    assert all(word.isalpha() and word.islower() for word in words)


def test_every_edit_has_training_and_heldout_phrasings_that_differ():
    for name, (train, held) in instructions.PHRASINGS.items():
        assert len(train) >= 3 and len(held) >= 1, name
        assert not set(train) & set(held), name


def test_fill_names_a_missing_slot():
    assert instructions.fill("make the {object} {new_color}", {"object": "ball", "new_color": "red"}) == "make the ball red"
    try:
        instructions.fill("make the {object} red", {})
    except KeyError as error:
        assert "object" in str(error)
    else:
        raise AssertionError("a missing slot must raise")


def test_unknown_words_reports_words_outside_the_list():
    assert vocabulary.unknown_words("make the ball red") == []
    assert vocabulary.unknown_words("make the zebra red") == ["zebra"]
    assert list(itertools.islice(vocabulary.tokenize_words("Make it SNOW!"), 3)) == ["make", "it", "snow"]
