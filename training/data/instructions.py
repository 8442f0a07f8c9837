"""Instruction phrasings for every synthetic edit, with slot words and the held-out phrasings.

Each edit has several phrasings; the ones in HELDOUT are never used for training samples, only for the
held-out split, so evaluation can tell whether the model follows an instruction it never read verbatim.
Slots in braces are filled from the scene ({object}, {new_color}, ...). Every word that can appear is in
training/data/vocabulary.py (a test checks it), so the tokenizer built from that list never sees an unknown word.
"""
from __future__ import annotations

import re

COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black", "gray", "brown")

# Shape names a scene can hold, each with the nouns an instruction may use for it (the first is the canonical one).
SHAPE_NOUNS = {
    "circle": ("circle", "ball", "disc", "round shape"),
    "square": ("square", "box", "block"),
    "triangle": ("triangle", "three sided shape"),
    "star": ("star", "five pointed star"),
    "hexagon": ("hexagon", "six sided shape"),
    "diamond": ("diamond", "rhombus"),
    "pentagon": ("pentagon", "five sided shape"),
    "flower": ("flower", "blossom"),
}

MATERIALS = ("wood", "metal", "gold", "glass", "marble", "stone")

# Background names used by the background edit, as they read inside a sentence.
BACKGROUND_PHRASES = {
    "sky": ("a blue sky", "the sky"),
    "grass": ("green grass", "a meadow"),
    "sand": ("sand", "a sandy desert"),
    "water": ("water", "the sea"),
    "bricks": ("a brick wall", "bricks"),
    "checker": ("a checkerboard", "a checkered pattern"),
    "stripes": ("stripes", "a striped pattern"),
    "dots": ("polka dots", "a dotted pattern"),
}

DIRECTIONS = {"left": "the left", "right": "the right", "top": "above", "bottom": "below"}

# edit name -> (training phrasings, held-out phrasings). Keep the word set small: see vocabulary.py.
PHRASINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # appearance_change
    "recolor": (("make the {object} {new_color}", "turn the {object} {new_color}", "paint the {object} {new_color}",
                 "change the color of the {object} to {new_color}"),
                ("color the {object} {new_color}", "give the {object} a {new_color} color")),
    "warm_tone": (("make the colors warmer", "give it a warm tone", "make the image warmer"),
                  ("warm up the colors",)),
    "cool_tone": (("make the colors cooler", "give it a cold blue tone", "make the image cooler"),
                  ("cool down the colors",)),
    "hue_shift": (("shift the colors", "change all the colors", "shift the hues of the image"),
                  ("rotate the hues",)),
    # attribute_change
    "brighten_object": (("make the {object} brighter", "brighten the {object}", "make the {object} lighter"),
                        ("increase the brightness of the {object}",)),
    "darken_object": (("make the {object} darker", "darken the {object}", "make the {object} a darker shade"),
                      ("dim the {object}",)),
    "desaturate_object": (("remove the color from the {object}", "desaturate the {object}", "make the {object} pale"),
                          ("fade the colors of the {object}",)),
    "saturate_object": (("make the {object} more colorful", "boost the colors of the {object}",
                         "make the {object} more saturated"),
                        ("make the {object} vivid",)),
    "contrast": (("increase the contrast", "boost the contrast", "make it more contrasted"),
                 ("add more contrast",)),
    "saturate": (("make it more colorful", "boost the saturation", "make the colors more vivid"),
                 ("increase the saturation",)),
    # material_change
    "material": (("make the {object} out of {material}", "turn the {object} into {material}",
                  "make the {object} look like {material}"),
                 ("give the {object} a {material} texture", "render the {object} in {material}")),
    # object_morphing
    "morph_shape": (("turn the {object} into a {new_shape}", "change the {object} into a {new_shape}",
                     "make the {object} a {new_shape}"),
                    ("morph the {object} into a {new_shape}", "transform the {object} into a {new_shape}")),
    "grow": (("make the {object} bigger", "enlarge the {object}", "make the {object} larger"),
             ("increase the size of the {object}", "scale up the {object}")),
    "shrink": (("make the {object} smaller", "shrink the {object}", "make the {object} tiny"),
               ("reduce the size of the {object}", "scale down the {object}")),
    # environment_change (background change lives here: it changes the setting, not the subject)
    "background": (("change the background to {background}", "replace the background with {background}",
                    "put {background} behind the {object}"),
                   ("swap the background for {background}", "use {background} as the background")),
    "night": (("make it night", "turn day into night", "make it look like night time"),
              ("show the scene at night",)),
    "sunset": (("make it sunset", "add a sunset glow", "make it look like golden hour"),
               ("bathe the scene in sunset light",)),
    "fog": (("add fog", "make it foggy", "cover the scene in mist"),
            ("add a thick haze",)),
    "snow": (("make it snow", "add falling snow", "make it a snowy day"),
             ("add snowflakes",)),
    "relight": (("light it from {direction}", "add light from {direction}", "make the light come from {direction}"),
                ("illuminate it from {direction}",)),
    # stylization
    "posterize": (("posterize the image", "make it look like a poster", "reduce the number of colors"),
                  ("give it a flat poster look",)),
    "sketch": (("turn it into a pencil sketch", "make it a sketch", "make it look like a drawing"),
               ("draw it as a pencil sketch",)),
    "oil_paint": (("make it look like an oil painting", "turn it into a painting", "paint it in an oil painting style"),
                  ("give it a painterly style",)),
    "pixelate": (("pixelate the image", "make it pixel art", "turn it into pixel art"),
                 ("make it look like an old video game",)),
    "sepia": (("make it sepia", "give it a sepia tone", "make it look like an old photo"),
              ("apply a vintage sepia filter",)),
    "grayscale": (("make it black and white", "convert it to grayscale", "remove all color"),
                  ("turn it into a black and white photo",)),
    "watercolor": (("make it a watercolor painting", "turn it into a watercolor", "paint it as a watercolor"),
                   ("paint it with watercolors",)),
    "cartoon": (("make it look like a cartoon", "turn it into a comic", "draw it in a cartoon style"),
                ("give it a comic book style",)),
    # reimagining
    "mosaic": (("turn it into a mosaic", "make it a tile mosaic", "make it out of small tiles"),
               ("recreate it as a mosaic",)),
    "thermal": (("show it as a thermal image", "make it look like a thermal camera image", "turn it into a heat map"),
                ("render it in infrared",)),
    "halftone": (("make it a halftone print", "turn it into a newspaper print", "make it out of dots"),
                 ("print it with halftone dots",)),
    "neon": (("turn it into neon lights", "make it glow like neon", "draw it with neon lines"),
             ("recreate it in neon",)),
}

_SLOT = re.compile(r"\{(\w+)\}")


def phrasings_for(edit_name: str, heldout: bool) -> tuple[str, ...]:
    """The templates of one edit: the training ones, or the held-out ones. Throws KeyError for an unknown edit."""
    train, held = PHRASINGS[edit_name]
    return held if heldout else train


def slots_of(template: str) -> list[str]:
    """The slot names a template uses, in order."""
    return _SLOT.findall(template)


def fill(template: str, slots: dict[str, str]) -> str:
    """The instruction text: the template with its slots filled. Throws KeyError naming a missing slot."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in slots:
            raise KeyError(f"instruction template {template!r} needs slot {name!r}; given {sorted(slots)}")
        return slots[name]
    return _SLOT.sub(replace, template)


def words_of(text: str) -> list[str]:
    """Lower-case words of an instruction, the way the tokenizer splits them (letters only)."""
    return re.findall(r"[a-z]+", text.lower())


def all_slot_values() -> list[str]:
    """Every phrase a slot can be filled with (used to build the vocabulary)."""
    values: list[str] = list(COLORS) + list(MATERIALS) + list(DIRECTIONS.values())
    for nouns in SHAPE_NOUNS.values():
        values.extend(nouns)
    for phrases in BACKGROUND_PHRASES.values():
        values.extend(phrases)
    return values
