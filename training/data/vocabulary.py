"""The instruction vocabulary of the synthetic data set: every word any instruction can contain.

The model's tokenizers are built from WORDS (sorted, lower-case, letters only), so this list is a contract:
append words only when an edit phrasing needs them, and rebuild the tokenizers then. A test checks that every
template and slot word of training/data/instructions.py is in it, so a phrasing cannot bring in an unknown word.
"""
from __future__ import annotations

import re

WORDS: tuple[str, ...] = (
    'a', 'above', 'add', 'all', 'an', 'and', 'apply', 'art', 'as', 'at', 'background', 'ball', 'bathe', 'behind',
    'below', 'bigger', 'black', 'block', 'blossom', 'blue', 'book', 'boost', 'box', 'brick', 'bricks', 'brighten',
    'brighter', 'brightness', 'brown', 'camera', 'cartoon', 'change', 'checkerboard', 'checkered', 'circle',
    'cold', 'color', 'colorful', 'colors', 'come', 'comic', 'contrast', 'contrasted', 'convert', 'cool', 'cooler',
    'cover', 'darken', 'darker', 'day', 'desaturate', 'desert', 'diamond', 'dim', 'disc', 'dots', 'dotted', 'down',
    'draw', 'drawing', 'enlarge', 'fade', 'falling', 'filter', 'five', 'flat', 'flower', 'fog', 'foggy', 'for',
    'from', 'game', 'give', 'glass', 'glow', 'gold', 'golden', 'grass', 'gray', 'grayscale', 'green', 'halftone',
    'haze', 'heat', 'hexagon', 'hour', 'hues', 'illuminate', 'image', 'in', 'increase', 'infrared', 'into', 'it',
    'larger', 'left', 'light', 'lighter', 'lights', 'like', 'lines', 'look', 'make', 'map', 'marble', 'meadow',
    'metal', 'mist', 'more', 'morph', 'mosaic', 'neon', 'newspaper', 'night', 'number', 'of', 'oil', 'old',
    'orange', 'out', 'paint', 'painterly', 'painting', 'pale', 'pattern', 'pencil', 'pentagon', 'photo', 'pink',
    'pixel', 'pixelate', 'pointed', 'polka', 'poster', 'posterize', 'print', 'purple', 'put', 'recreate', 'red',
    'reduce', 'remove', 'render', 'replace', 'rhombus', 'right', 'rotate', 'round', 'sand', 'sandy', 'saturated',
    'saturation', 'scale', 'scene', 'sea', 'sepia', 'shade', 'shape', 'shift', 'show', 'shrink', 'sided', 'six',
    'size', 'sketch', 'sky', 'small', 'smaller', 'snow', 'snowflakes', 'snowy', 'square', 'star', 'stone',
    'striped', 'stripes', 'style', 'sunset', 'swap', 'texture', 'the', 'thermal', 'thick', 'three', 'tile',
    'tiles', 'time', 'tiny', 'to', 'tone', 'transform', 'triangle', 'turn', 'up', 'use', 'video', 'vintage',
    'vivid', 'wall', 'warm', 'warmer', 'water', 'watercolor', 'watercolors', 'white', 'with', 'wood', 'yellow',
)

_WORD = re.compile(r"[a-z]+")


def tokenize_words(text: str) -> list[str]:
    """Lower-case words of an instruction, letters only, in order (how the tokenizers pre-split text)."""
    return _WORD.findall(text.lower())


def unknown_words(text: str) -> list[str]:
    """The words of `text` that are not in WORDS (empty for every generated instruction)."""
    known = set(WORDS)
    return [word for word in tokenize_words(text) if word not in known]
