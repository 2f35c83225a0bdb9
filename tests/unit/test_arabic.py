"""Arabic beside English: the catalog is complete and well formed, plural forms follow Arabic's
six categories, no message is glued from translated pieces, post-call messages typed in Arabic
are read, and right-to-left text embeds names so they stay where they belong."""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from coaching.debrief import DebriefInput
from coaching.debrief_message import DebriefParseError, parse_debrief_message
from coaching.frameworks import SHIPPED, load_framework
from coaching.i18n import FSI, PDI, isolate, join, ngettext, use_language
from coaching.prompts import load_prompts
from handlers.views.debrief_messages import confirmation, parse_failed
from tests.conftest import repo_root
from tests.unit.test_golden import SCENARIOS

LOCALE = repo_root() / "coaching" / "locale"
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::[^{}]*)?\}")
PACKAGES = ("bot", "handlers", "coaching", "storage", "scheduling")


def _catalog(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


def _entries() -> list[tuple[object, object]]:
    arabic = _catalog(LOCALE / "ar" / "LC_MESSAGES" / "dealcoach.po")
    template = _catalog(LOCALE / "dealcoach.pot")
    return [(m.id, arabic.get(m.id)) for m in template if m.id]


def test_every_catalog_entry_has_an_arabic_translation() -> None:
    entries = _entries()
    assert len(entries) > 200
    for msgid, message in entries:
        assert message is not None, f"no Arabic for {msgid!r}"
        assert not message.fuzzy, msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(msgid, tuple):
            assert len(strings) == 6, f"{msgid!r}: Arabic has six plural forms"
        assert all(s and s.strip() for s in strings), f"empty Arabic for {msgid!r}"


def test_translations_keep_the_placeholders_and_mark_up() -> None:
    for msgid, message in _entries():
        assert message is not None
        source = msgid if isinstance(msgid, tuple) else (msgid,)
        wanted = set(PLACEHOLDER.findall(source[-1]))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for index, text in enumerate(strings):
            found = set(PLACEHOLDER.findall(text))
            assert found <= wanted, f"{msgid!r}: unknown placeholder in {text!r}"
            # A plural form for one or two may say the number in words; the others show it.
            may_drop = (
                {"days", "count", "open", "lacking", "calls"} if index in (0, 1, 2) else set()
            )
            assert wanted - found <= may_drop, f"{msgid!r}: {text!r} drops {wanted - found}"
            for mark in ("*", ":white_check_mark:", ":warning:", "\n", "```"):
                if mark in source[0]:
                    assert mark in text, f"{msgid!r}: {text!r} lost {mark!r}"


def test_arabic_plurals_have_six_forms_chosen_by_babels_rules() -> None:
    singular, plural = "last debrief {days} day ago", "last debrief {days} days ago"
    with use_language("ar"):
        forms = {n: ngettext(singular, plural, n).format(days=n) for n in (0, 1, 2, 3, 11, 100)}
    assert len(set(forms.values())) == 6, forms
    assert forms[2] == "آخر ملخص قبل يومين"
    assert forms[3] == "آخر ملخص قبل 3 أيام"
    assert forms[11] == "آخر ملخص قبل 11 يومًا"
    assert forms[100] == "آخر ملخص قبل 100 يوم"
    with use_language("ar"):
        assert ngettext(singular, plural, 103) == ngettext(singular, plural, 3)  # n % 100
        assert ngettext(singular, plural, 111) == ngettext(singular, plural, 11)
    with use_language("en"):
        assert ngettext(singular, plural, 0) == plural and ngettext(singular, plural, 1) == singular


def _is_translation(node: ast.AST) -> bool:
    """A call to _() or ngettext(), or a .format() of one."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("_", "ngettext"):
            return True
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return _is_translation(func.value)
    return False


def _glued(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if _is_translation(node.left) or _is_translation(node.right):
                lines.append(node.lineno)
        elif isinstance(node, ast.JoinedStr):
            if any(
                isinstance(v, ast.FormattedValue) and _is_translation(v.value) for v in node.values
            ):
                lines.append(node.lineno)
        elif _joins_on_one_line(node) and any(
            _is_translation(inner) for arg in node.args for inner in ast.walk(arg)
        ):
            lines.append(node.lineno)
    return lines


def _joins_on_one_line(node: ast.AST) -> bool:
    """A str.join call whose separator is not a line break: lines each a sentence of their
    own (a section's lines, one per field) are layout, not a sentence made of pieces."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    separator = node.func.value
    is_newline = isinstance(separator, ast.Constant) and separator.value == "\n"
    return node.func.attr == "join" and not is_newline


def test_no_message_is_glued_from_translated_fragments() -> None:
    """A sentence is one catalog entry with placeholders, never pieces joined with + or an
    f-string or str.join, which another language could not reorder. (Lists go through
    coaching.i18n.join, which uses the language's own patterns.)"""
    found = []
    for package in PACKAGES:
        for path in sorted((repo_root() / package).rglob("*.py")):
            for line in _glued(ast.parse(path.read_text(encoding="utf-8"))):
                found.append(f"{path.relative_to(repo_root())}:{line}")
    assert not found, "built from translated fragments: " + ", ".join(found)


def test_the_glue_check_finds_glue() -> None:
    source = "\n".join(
        [
            'a = _("x") + "y"',
            "b = f\"{_('x')}!\"",
            'c = ", ".join([_("x"), _("y")])',
            'd = _("{a}").format(a=1)',
            'e = "\\n".join([_("line one"), _("line two")])',
        ]
    )
    assert _glued(ast.parse(source)) == [1, 2, 3]


def test_the_default_frameworks_arabic_agrees_with_the_catalog() -> None:
    """The default framework's words are in the catalog too (the product's first sentences):
    both places say the same in Arabic."""
    arabic = _catalog(LOCALE / "ar" / "LC_MESSAGES" / "dealcoach.po")
    compared = 0
    for criterion in load_framework("default").criteria:
        for text in (criterion.label, criterion.missing, criterion.ask, criterion.coach):
            assert text is not None
            message = arabic.get(text["en"])
            if message is not None:
                assert message.string == text["ar"], text["en"]
                compared += 1
    assert compared >= 6


@pytest.mark.parametrize("name", SHIPPED)
def test_arabic_questions_are_questions(name: str) -> None:
    for criterion in load_framework(name).criteria:
        for text in (criterion.question, criterion.ask, criterion.coach):
            assert text is not None
            assert text["ar"].endswith("؟"), text["ar"]
            assert "?" not in text["ar"], text["ar"]


def test_the_arabic_prompt_library_matches_the_english_one() -> None:
    english, arabic = load_prompts("en"), load_prompts("ar")
    assert [(p.id, p.gap, p.kind) for p in english] == [(p.id, p.gap, p.kind) for p in arabic]
    assert all(re.search("[\u0600-\u06ff]", p.text + p.why) for p in arabic)


ARABIC_MESSAGE = (
    "\u200fملخص شركة الأفق\n"
    "الجدول الزمني: نعم\n"
    "صاحب القرار: لا.\n"
    "الخطوة التالية: عرض Demo للمدير المالي & فريقه\n"
    "تاريخ الخطوه التاليه: ٢٠٢٦-١٢-١٥\n"
    "ما نجح: شرحوا المشكلة بأرقامهم (ROI 20%)\n"
    "للتحسين: اسأل عن الميزانية earlier\n"
    "تاريخ المكالمة: ۲۰۲۶-۱۱-۳۰\n"
    "ملاحظة: العميل يستخدم Salesforce"
)


def test_a_post_call_message_typed_in_arabic_is_read_and_kept_as_typed() -> None:
    parsed = parse_debrief_message(ARABIC_MESSAGE)
    assert parsed.deal == "شركة الأفق"
    assert parsed.timeline_qualified is True and parsed.authority_reached is False
    assert parsed.next_step == "عرض Demo للمدير المالي & فريقه"
    assert parsed.next_step_date == date(2026, 12, 15)
    assert parsed.call_date == date(2026, 11, 30)
    assert parsed.went_well == "شرحوا المشكلة بأرقامهم (ROI 20%)"
    assert parsed.improve == "اسأل عن الميزانية earlier"
    assert parsed.notes == "ملاحظة: العميل يستخدم Salesforce"


def test_arabic_and_english_field_names_mix_in_one_message() -> None:
    parsed = parse_debrief_message("debrief Acme\ntimeline: لا\nصاحب القرار: yes\nnext step: عرض")
    assert (parsed.timeline_qualified, parsed.authority_reached) == (False, True)
    assert parsed.next_step == "عرض"
    with pytest.raises(DebriefParseError) as caught:
        parse_debrief_message("ملخص Acme\ntimeline: yes\nالجدول الزمني: لا")
    assert caught.value.code == "duplicate_field" and caught.value.field == "timeline"


def test_a_refusal_in_arabic_names_the_field_and_shows_the_arabic_form() -> None:
    with pytest.raises(DebriefParseError) as caught:
        parse_debrief_message("ملخص Acme\nالجدول الزمني: ربما")
    with use_language("ar"):
        text = str(parse_failed(caught.value).blocks)
    assert "*الجدول الزمني*" in text and "«ربما»" in text
    assert "ملخص شركة الأفق" in text and "الجدول الزمني: نعم" in text


def test_right_to_left_text_isolates_embedded_names_and_english_does_not() -> None:
    entry = DebriefInput(deal="Acme Inc.", call_date=date(2026, 11, 30), next_step="Demo (v2).")
    with use_language("ar"):
        arabic = json.dumps(
            confirmation(entry, "Acme Inc.", ["timeline"], corrected=False).blocks,
            ensure_ascii=False,
        )
        assert isolate("Acme") == f"{FSI}Acme{PDI}"
        assert join(["أ", "ب", "ج"]) == "أ وب وج"
    assert f"*{FSI}Acme Inc.{PDI}*" in arabic and f"{FSI}Demo (v2).{PDI}" in arabic
    with use_language("en"):
        blocks = confirmation(entry, "Acme Inc.", ["timeline"], corrected=False).blocks
        english = json.dumps(blocks, ensure_ascii=False)
        assert join(["a", "b", "c"]) == "a, b, c" and join(["a", "b"], either=True) == "a or b"
    assert FSI not in english and PDI not in english


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_english_line_of_the_arabic_golden_files_is_left_untranslated(name: str) -> None:
    """Every line a person reads in Arabic has Arabic in it, or is only data (names, dates,
    figures, the rep's own English words shown back)."""
    with use_language("ar"):
        text = SCENARIOS[name]()
    data = ("Acme Corp", "Umbrella", "They shared", "Ask who else", "Initech", "When you ask")
    for line in text.splitlines():
        words = re.findall(r"[A-Za-z]{4,}", re.sub(r"<[^>]*>|\[[a-z_: ]+\]|⟨[A-Z]+⟩", "", line))
        if words and not re.search("[\u0600-\u06ff]", line):
            assert any(d in line for d in data) or line.startswith(("notification", "title")), line


def test_arabic_lines_that_start_with_a_name_start_with_a_right_to_left_mark() -> None:
    """A line that begins with a deal's or a person's name would be laid out left to right
    when the name is in Latin letters (Slack lays out each line by its first letter, and does
    not skip isolates when it aligns it): the Arabic begins with U+200F instead."""
    starts = ("{deal}", "*{deal}", "• *{deal}", "{rep}", "{manager}")
    checked = 0
    for msgid, message in _entries():
        if isinstance(msgid, str) and msgid.startswith(starts):
            assert message is not None and isinstance(message.string, str)
            first = message.string[0]
            assert first == "\u200f" or re.match("[\u0600-\u06ff]", first), msgid
            checked += 1
    assert checked >= 6
