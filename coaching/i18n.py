"""The message catalog: every sentence a person reads goes through `_()`.

English is the source language (the msgids), so it needs no catalog. Another language is one
file, `locale/<lang>/LC_MESSAGES/dealcoach.po`, read at start with Babel: no compile step and
no code change. `locale/dealcoach.pot` is the template translators start from
(`pybabel extract -F babel.cfg -o coaching/locale/dealcoach.pot .`).
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "dealcoach"
_language = "en"


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


def set_language(language: str) -> None:
    global _language
    _language = language


def _(message: str) -> str:
    return translations(_language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language).ngettext(singular, plural, n)
