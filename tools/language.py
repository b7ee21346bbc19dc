"""Which language a text is in: the one rule for requests, copy and catalog phrases.

Chinese is told from English by script: a Chinese product name inside an English sentence
keeps it English; Chinese characters that outnumber the Latin words make it Chinese.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from coupondesk.tools.policy.quantities import normalize_with_offsets

Language = Literal["en", "zh"]
"""The languages coupondesk reads requests in and writes copy in."""
LANGUAGES: tuple[Language, ...] = ("en", "zh")


def is_han(char: str) -> bool:
    """A Chinese character (CJK unified ideographs and extensions, compatibility ideographs)."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


@dataclass(frozen=True)
class ScriptStats:
    """How much of each script a text has; the basis of the language rule."""

    han_chars: int
    latin_letters: int
    latin_words: int
    other_letters: int


def script_stats(text: str) -> ScriptStats:
    """Count Chinese characters, Latin letters and words, and letters of any other script."""
    norm, _ = normalize_with_offsets(text)
    han = latin = other = words = 0
    in_word = False
    for char in norm:
        if is_han(char):
            han += 1
            in_word = False
        elif char.isalpha():
            if unicodedata.name(char, "").startswith("LATIN"):
                latin += 1
                if not in_word:
                    words += 1
                in_word = True
            else:
                other += 1
                in_word = False
        else:
            in_word = False
    return ScriptStats(han, latin, words, other)


def detect_language(text: str) -> Language:
    """zh when Chinese characters outnumber Latin words, else en."""
    stats = script_stats(text)
    return "zh" if stats.han_chars and stats.han_chars >= stats.latin_words else "en"


def has_chinese(text: str) -> bool:
    """True when the text contains any Chinese character (no whitespace tokens to match on)."""
    return any(is_han(char) for char in text)
