"""The message catalog: the template is current, and a language is one .po file, no code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from coaching import i18n
from coaching.debrief import DebriefInput
from coaching.gaps import Gap
from handlers.views.debrief_messages import confirmation
from tests.conftest import repo_root

KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None, "NP_": (1, 2)}


def _in_code() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers", "coaching", "storage", "scheduling"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            repo_root() / package, keywords=KEYWORDS, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_template_lists_every_message_in_the_code() -> None:
    with (repo_root() / "coaching" / "locale" / "dealcoach.pot").open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    missing = _in_code() - template
    assert not missing, "regenerate the template with the command in README.md (Development)"


def test_a_language_is_one_po_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "dealcoach.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Buying timeline not qualified"\nmsgstr "XX timeline XX"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    i18n.set_language("xx")
    try:
        message = confirmation(
            DebriefInput(deal="Acme", call_date=date(2026, 11, 30)),
            "Acme",
            [Gap.TIMELINE],
            corrected=False,
        )
        assert "XX timeline XX" in str(message.blocks)
    finally:
        i18n.set_language("en")
        i18n.translations.cache_clear()
