"""The words a post-call message is read by, other than a framework's criteria: the first
line's keyword, the built-in fields' names and the answers yes and no, in every language the
product speaks.

A rep may type in any of them whatever language their Slack is in (many Arabic-speaking teams
write field names in English), so a message is read with all of them at once. Words are
compared folded (`fold`): case, Arabic's spelling variants (hamza on alef, taa marbuta and
haa, alef maqsura and yaa), its short vowels and tatweel, and invisible direction marks do not
matter; what the rep typed is still stored as typed.
"""

from __future__ import annotations

import re

# The first non-empty line starts with one of these, then the deal's name.
HEADER_WORDS: tuple[str, ...] = ("debrief", "ملخص")

# The built-in fields by language; a framework adds its criteria's keywords to these.
FIELD_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "call_date": {"en": ("call date",), "ar": ("تاريخ المكالمة",)},
    "next_step": {"en": ("next step",), "ar": ("الخطوة التالية",)},
    "next_step_date": {"en": ("next step date",), "ar": ("تاريخ الخطوة التالية",)},
    "went_well": {"en": ("went well",), "ar": ("ما نجح",)},
    "improve": {"en": ("improve",), "ar": ("للتحسين", "ما يحتاج إلى تحسين")},
}

YES_WORDS: dict[str, tuple[str, ...]] = {"en": ("yes", "y"), "ar": ("نعم",)}
NO_WORDS: dict[str, tuple[str, ...]] = {"en": ("no", "n"), "ar": ("لا",)}

# Left-to-right and right-to-left marks, embeddings, overrides and isolates: invisible, and
# put in by some keyboards and by copying from a right-to-left page.
BIDI_CONTROLS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
# Arabic short vowels and other marks above or below a letter, and the tatweel (kashida).
_ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_SEPARATORS = re.compile(r"[ \t_-]+")
# Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits, as ASCII.
_DIGITS = str.maketrans(
    {chr(0x0660 + d): str(d) for d in range(10)} | {chr(0x06F0 + d): str(d) for d in range(10)}
)


def without_bidi_controls(text: str) -> str:
    return _BIDI.sub("", text)


def fold(word: str) -> str:
    """A word or a field name as it is compared: "Next_Step" and "next step" are one,
    "الخطوه التاليه" and "الخطوة التالية" too."""
    text = _ARABIC_MARKS.sub("", without_bidi_controls(word)).translate(_ARABIC_LETTERS)
    return _SEPARATORS.sub(" ", text.casefold()).strip()


def ascii_digits(text: str) -> str:
    """Eastern Arabic digits as ASCII ones, for reading a date typed on an Arabic keyboard."""
    return text.translate(_DIGITS)
