"""The message catalog: every sentence a person reads goes through `_()`, in the reader's
language.

English is the source language (the msgids), so it needs no catalog. Another language is one
file, `locale/<lang>/LC_MESSAGES/dealcoach.po`, read at start with Babel: no compile step and
no code change. `locale/dealcoach.pot` is the template translators start from (the command is
in README.md, Development). Plural forms follow the language's own rules (Babel's, from
CLDR): Arabic has six.

The language is per reader, so it is held in a context variable, not a global: the threads
that serve two people at once each speak to their own. `use_language` sets it for a block of
code (a request, one recipient's message in a job); `in_language` wraps one call. What is set
may be a function that finds the language, called the first time a sentence is translated
(and then remembered), so that a request that never says anything never looks it up.

Right-to-left languages need care where a sentence embeds text of another direction (a deal
named in Latin letters in an Arabic sentence): `isolate` wraps it in Unicode's first-strong
isolate, so the bidirectional algorithm lays it out on its own and leaves the sentence's
punctuation where it belongs. `join` builds a list with the language's own conjunction (from
CLDR), so no list is glued together from translated pieces.
"""

from __future__ import annotations

import gettext
import io
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "dealcoach"
SOURCE_LANGUAGE = "en"
# Languages that read right to left; their messages isolate embedded names.
RTL_LANGUAGES = frozenset({"ar"})
# U+2068 FIRST STRONG ISOLATE, U+2067 RIGHT-TO-LEFT ISOLATE ... U+2069 POP DIRECTIONAL ISOLATE.
FSI, RLI, PDI = "\u2068", "\u2067", "\u2069"
# Letters of the right-to-left scripts (Hebrew, Arabic and their presentation forms).
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

P = ParamSpec("P")
T = TypeVar("T")


class _Found:
    """A language to find on first use, then remembered (shared by the threads of a request,
    which copy the context that holds it)."""

    def __init__(self, find: Callable[[], str]) -> None:
        self._find: Callable[[], str] | None = find
        self._language = SOURCE_LANGUAGE
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if self._find is not None:
                find, self._find = self._find, None
                try:
                    self._language = find()
                except Exception:
                    self._language = SOURCE_LANGUAGE
                    raise
            return self._language


_current: ContextVar[str | _Found] = ContextVar("dealcoach_language", default=SOURCE_LANGUAGE)


@cache
def available_languages() -> tuple[str, ...]:
    """English and every language with a catalog, in that order."""
    found = sorted(
        folder.name
        for folder in LOCALE_DIR.iterdir()
        if (folder / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    )
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


def language_setting(values: Mapping[str, str]) -> str:
    """The language a workspace's settings choose for whoever's Slack locale we do not speak
    (`language`), English when unset. Raises ValueError naming the choices."""
    language = (values.get("language") or SOURCE_LANGUAGE).strip()
    if language not in available_languages():
        choices = ", ".join(available_languages())
        raise ValueError(f"language must be one of {choices}, got {language!r}")
    return language


def language_of_locale(locale: str | None) -> str | None:
    """The language we speak for a Slack locale ("ar-AE" -> "ar", "en-US" -> "en"); None when
    we have no catalog for it."""
    if not locale:
        return None
    code = locale.replace("_", "-").split("-")[0].lower()
    return code if code in available_languages() else None


@cache
def translations(language: str) -> gettext.NullTranslations:
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.is_file():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_language() -> str:
    value = _current.get()
    return value if isinstance(value, str) else value.get()


def set_language(language: str) -> None:
    """Speak `language` in this context from now on (tests; code uses `use_language`)."""
    _current.set(language)


@contextmanager
def use_language(language: str | Callable[[], str]) -> Iterator[None]:
    """Speak `language` inside the block; a function is called to find it when the block first
    translates a sentence."""
    token = _current.set(language if isinstance(language, str) else _Found(language))
    try:
        yield
    finally:
        _current.reset(token)


def in_language(language: str, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call `function` speaking `language`: for rendering one recipient's message."""
    with use_language(language):
        return function(*args, **kwargs)


def _(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def local(text: Mapping[str, str]) -> str:
    """A text given in several languages (a framework's question), in the current language:
    its own translation, else the catalog's translation of its English, else the English."""
    language = current_language()
    return text.get(language) or translations(language).gettext(text[SOURCE_LANGUAGE])


def is_rtl() -> bool:
    return current_language() in RTL_LANGUAGES


def isolate(text: str) -> str:
    """Text embedded in a sentence (a deal's or a team's name, a rep's words, a date), laid
    out on its own when the sentence reads right to left; unchanged otherwise. Text with any
    right-to-left letter in it reads right to left ("Demo للمدير المالي." as its Arabic-speaking
    author typed it), any other by its first letter ("Acme (EMEA)" left to right; a date or a
    figure, which has none, left to right too)."""
    if not text or not is_rtl():
        return text
    return f"{RLI if _RTL_LETTER.search(text) else FSI}{text}{PDI}"


def join(items: Sequence[str], *, either: bool = False) -> str:
    """Items as a list in the current language: "a, b, c" in English ("a, b, or c" with
    `either`), "a وb وc" in Arabic."""
    style: Any = "or" if either else "standard-narrow"  # CLDR's style; Babel's hints omit it
    return format_list(list(items), style=style, locale=current_language())
