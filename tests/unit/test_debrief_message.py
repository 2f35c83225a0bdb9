"""Unit tests for coaching.debrief_message: the post-call message parser."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from coaching.debrief_message import (
    DebriefParseError,
    ParsedDebrief,
    is_debrief_message,
    parse_debrief_message,
    slack_text_as_typed,
)


def _empty(deal: str) -> ParsedDebrief:
    return ParsedDebrief(
        deal=deal,
        call_date=None,
        timeline_qualified=None,
        authority_reached=None,
        next_step=None,
        next_step_date=None,
        went_well=None,
        improve=None,
        notes=None,
    )


def _error(text: str) -> DebriefParseError:
    with pytest.raises(DebriefParseError) as caught:
        parse_debrief_message(text)
    return caught.value


# --- detection ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "debrief Acme",
        "Debrief Acme",
        "DEBRIEF Acme",
        "dEbRiEf Acme",
        "debrief: Acme",
        "debrief:Acme",
        "debrief : Acme",
        "debrief - Acme",
        "debrief-Acme",
        "debrief \u2014 Acme",
        "debrief\u2014Acme",
        "debrief \u2013 Acme",
        "debrief\tAcme",
        "debrief",
        "debrief:",
        "   debrief Acme   ",
        "\n\n  \ndebrief Acme",
        "\r\n\r\ndebrief Acme\r\ntimeline: yes",
        "debrief Acme\nsomething else",
    ],
)
def test_is_debrief_message_true(text: str) -> None:
    assert is_debrief_message(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\n",
        "debriefing Acme",
        "Debriefing: Acme",
        "debriefed Acme",
        "debriefs Acme",
        "debrief_Acme",
        "debrief2 Acme",
        "debrief's notes",
        "predebrief Acme",
        "a debrief Acme",
        "let's debrief Acme",
        "hello\ndebrief Acme",
        "> debrief Acme",
        "*debrief* Acme",
        "timeline: yes",
        "de brief Acme",
    ],
)
def test_is_debrief_message_false(text: str) -> None:
    assert not is_debrief_message(text)


@pytest.mark.parametrize("text", ["", "hello", "debriefing Acme", "hi\ndebrief Acme"])
def test_not_a_debrief_raises(text: str) -> None:
    error = _error(text)
    assert error.code == "not_a_debrief"
    assert error.field is None
    assert error.value is None


# --- deal name ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "deal"),
    [
        ("Debrief: Acme Corp", "Acme Corp"),
        ("debrief Acme Corp", "Acme Corp"),
        ("DEBRIEF - Acme Corp", "Acme Corp"),
        ("debrief \u2014 Acme Corp", "Acme Corp"),
        ("debrief:Acme Corp", "Acme Corp"),
        ("debrief    Acme Corp   ", "Acme Corp"),
        ("debrief Acme   Corp", "Acme   Corp"),
        ("debrief Acme\tCorp", "Acme\tCorp"),
        ("debrief acme corp", "acme corp"),
        ("debrief: - Acme", "- Acme"),
        ("debrief :: Acme", ": Acme"),
        ("debrief Acme: renewal", "Acme: renewal"),
        ("debrief Acme - renewal", "Acme - renewal"),
        ("debrief Acme timeline: yes", "Acme timeline: yes"),
        ("debrief Acme &amp; Sons", "Acme & Sons"),
        ("debrief &lt;Acme&gt;", "<Acme>"),
        ("debrief شركة الأفق", "شركة الأفق"),
        ("debrief 🚀 Rocket Co 🔥", "🚀 Rocket Co 🔥"),
        ('debrief "O\'Brien" Ltd', '"O\'Brien" Ltd'),
        ("debrief Robert'); DROP TABLE deals;--", "Robert'); DROP TABLE deals;--"),
        ("debrief <@U123ABC>", "<@U123ABC>"),
        ("\n  \ndebrief Acme", "Acme"),
        ("debrief Acme\r\n", "Acme"),
    ],
)
def test_deal_name(text: str, deal: str) -> None:
    assert parse_debrief_message(text).deal == deal


@pytest.mark.parametrize(
    "text",
    [
        "debrief",
        "Debrief:",
        "DEBRIEF -",
        "debrief \u2014",
        "debrief   ",
        "debrief :   ",
        "debrief\nAcme",
        "debrief:\r\ntimeline: yes",
    ],
)
def test_no_deal(text: str) -> None:
    error = _error(text)
    assert error.code == "no_deal"
    assert error.field == "deal"
    assert error.value is None


def test_header_only_gives_all_fields_none() -> None:
    assert parse_debrief_message("debrief Acme") == _empty("Acme")


# --- yes / no fields --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("Yes", True),
        ("YES", True),
        ("y", True),
        ("Y", True),
        ("yes.", True),
        ("Y.", True),
        ("  yes  ", True),
        ("no", False),
        ("No", False),
        ("NO", False),
        ("n", False),
        ("N", False),
        ("no.", False),
        ("n.", False),
        ("", None),
        ("   ", None),
    ],
)
@pytest.mark.parametrize(
    ("key", "attribute"),
    [("timeline", "timeline_qualified"), ("authority", "authority_reached")],
)
def test_yes_no_fields(key: str, attribute: str, value: str, expected: bool | None) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{key}: {value}")
    assert getattr(parsed, attribute) is expected


@pytest.mark.parametrize(
    "value",
    ["maybe", "yes!", "yes..", "yep", "nope", "true", "1", "no way", "y es", ".", "\u2705"],
)
@pytest.mark.parametrize("key", ["timeline", "authority"])
def test_bad_yes_no(key: str, value: str) -> None:
    error = _error(f"debrief Acme\n{key}: {value}")
    assert error.code == "bad_yes_no"
    assert error.field == key
    assert error.value == value


def test_bad_yes_no_value_is_stripped() -> None:
    error = _error("debrief Acme\ntimeline:   maybe later   ")
    assert error.value == "maybe later"


# --- date fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "attribute"),
    [
        ("call date", "call_date"),
        ("call_date", "call_date"),
        ("call-date", "call_date"),
        ("next step date", "next_step_date"),
        ("next_step_date", "next_step_date"),
        ("next-step-date", "next_step_date"),
        ("Next Step Date", "next_step_date"),
    ],
)
def test_date_fields(key: str, attribute: str) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{key}: 2024-02-29")
    assert getattr(parsed, attribute) == date(2024, 2, 29)


@pytest.mark.parametrize("key", ["call date", "next step date"])
def test_empty_date_is_none(key: str) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{key}:   ")
    assert parsed.call_date is None
    assert parsed.next_step_date is None


@pytest.mark.parametrize(
    "value",
    [
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "2024-1-5",
        "24-01-05",
        "20240105",
        "2024/01/05",
        "05/01/2024",
        "2024-01-05.",
        "2024-01-05T10:00",
        "2024-01-05 10:00",
        "2024-W01-1",
        "next Friday",
        "tomorrow",
        "\u0662\u0660\u0662\u0663-\u0660\u0662-\u0662\u0669",  # 2023-02-29, in Arabic digits
        "\uff12\uff10\uff12\uff14-01-05",
    ],
)
@pytest.mark.parametrize(
    ("key", "field"), [("call date", "call_date"), ("next step date", "next_step_date")]
)
def test_bad_date(key: str, field: str, value: str) -> None:
    error = _error(f"debrief Acme\n{key}: {value}")
    assert error.code == "bad_date"
    assert error.field == field
    assert error.value == value


def test_dates_are_not_checked_against_today_or_each_other() -> None:
    parsed = parse_debrief_message(
        "debrief Acme\ncall date: 2999-12-31\nnext step date: 1900-01-01"
    )
    assert parsed.call_date == date(2999, 12, 31)
    assert parsed.next_step_date == date(1900, 1, 1)


# --- text fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "attribute"),
    [
        ("next step", "next_step"),
        ("next_step", "next_step"),
        ("next-step", "next_step"),
        ("Next Step", "next_step"),
        ("NEXT_STEP", "next_step"),
        ("next  step", "next_step"),
        ("went well", "went_well"),
        ("went_well", "went_well"),
        ("Went-Well", "went_well"),
        ("improve", "improve"),
        ("IMPROVE", "improve"),
    ],
)
def test_text_fields(key: str, attribute: str) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{key}: Demo on Friday, 3pm!")
    assert getattr(parsed, attribute) == "Demo on Friday, 3pm!"


@pytest.mark.parametrize("key", ["next step", "went well", "improve"])
@pytest.mark.parametrize("value", ["", " ", "\t  "])
def test_empty_text_field_is_none(key: str, value: str) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{key}:{value}")
    assert parsed == _empty("Acme")


def test_text_value_is_stripped_but_keeps_inner_spacing() -> None:
    parsed = parse_debrief_message("debrief Acme\nimprove:    ask   about budget   ")
    assert parsed.improve == "ask   about budget"


def test_value_may_contain_colons() -> None:
    parsed = parse_debrief_message("debrief Acme\nnext step: call CFO at 10:30: bring deck")
    assert parsed.next_step == "call CFO at 10:30: bring deck"


def test_next_step_with_date_like_text_is_just_text() -> None:
    parsed = parse_debrief_message("debrief Acme\nnext step: demo on Friday 2024-05-10")
    assert parsed.next_step == "demo on Friday 2024-05-10"
    assert parsed.next_step_date is None


def test_next_step_date_key_is_not_read_as_next_step() -> None:
    parsed = parse_debrief_message("debrief Acme\nnext step: date: tbd")
    assert parsed.next_step == "date: tbd"
    assert parsed.next_step_date is None


# --- key spelling and spacing ---------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "timeline: yes",
        "Timeline: yes",
        "TIMELINE: yes",
        "timeline : yes",
        "timeline   :yes",
        "   timeline: yes",
        "\ttimeline:\tyes\t",
        "timeline:yes",
        "  TimeLine  :  Y.  ",
    ],
)
def test_key_case_and_spacing(line: str) -> None:
    assert parse_debrief_message(f"debrief Acme\n{line}").timeline_qualified is True


@pytest.mark.parametrize(
    "line",
    [
        "timeline yes",
        "timeline = yes",
        "timelines: yes",
        "my timeline: yes",
        "- timeline: yes",
        "* timeline: yes",
        "*timeline*: yes",
        "nextstep: demo",
        "next step is: demo",
        "deal: Other",
        "notes: hello",
    ],
)
def test_lines_that_are_not_fields_become_notes(line: str) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{line}")
    assert dataclasses.replace(parsed, notes=None) == _empty("Acme")
    assert parsed.notes == line


# --- full message -----------------------------------------------------------


def test_full_message() -> None:
    text = (
        "Debrief: Acme Corp\n"
        "call date: 2024-05-02\n"
        "timeline: yes\n"
        "authority: n.\n"
        "next step: demo on Friday\n"
        "next step date: 2024-05-10\n"
        "went well: they loved the pricing page\n"
        "improve: ask about budget earlier\n"
    )
    assert parse_debrief_message(text) == ParsedDebrief(
        deal="Acme Corp",
        call_date=date(2024, 5, 2),
        timeline_qualified=True,
        authority_reached=False,
        next_step="demo on Friday",
        next_step_date=date(2024, 5, 10),
        went_well="they loved the pricing page",
        improve="ask about budget earlier",
        notes=None,
    )


def test_fields_in_any_order() -> None:
    text = (
        "debrief Acme\n"
        "improve: listen more\n"
        "next step date: 2024-05-10\n"
        "authority: yes\n"
        "went well: rapport\n"
        "timeline: no\n"
        "next step: send proposal\n"
        "call date: 2024-05-01"
    )
    parsed = parse_debrief_message(text)
    assert parsed.improve == "listen more"
    assert parsed.next_step_date == date(2024, 5, 10)
    assert parsed.authority_reached is True
    assert parsed.went_well == "rapport"
    assert parsed.timeline_qualified is False
    assert parsed.next_step == "send proposal"
    assert parsed.call_date == date(2024, 5, 1)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(newline: str) -> None:
    lines = ["", "debrief Acme Corp", "timeline: yes", "first note", "", "second note", ""]
    parsed = parse_debrief_message(newline.join(lines))
    assert parsed.deal == "Acme Corp"
    assert parsed.timeline_qualified is True
    assert parsed.notes == "first note\n\nsecond note"


def test_windows_line_endings_leave_no_carriage_returns() -> None:
    parsed = parse_debrief_message("debrief Acme\r\nimprove: pace\r\nnote one\r\nnote two\r\n")
    assert parsed.improve == "pace"
    assert parsed.notes == "note one\nnote two"
    assert parsed.deal == "Acme"


def test_parsed_debrief_is_frozen() -> None:
    parsed = parse_debrief_message("debrief Acme")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.deal = "Other"  # type: ignore[misc]


# --- notes ------------------------------------------------------------------


def test_notes_keep_order_around_fields() -> None:
    text = "debrief Acme\nfirst\ntimeline: yes\nsecond\nimprove: pace\nthird"
    parsed = parse_debrief_message(text)
    assert parsed.notes == "first\nsecond\nthird"
    assert parsed.timeline_qualified is True
    assert parsed.improve == "pace"


@pytest.mark.parametrize(
    ("body", "notes"),
    [
        ("", None),
        ("\n\n", None),
        ("   \n\t\n", None),
        ("\n\nhello\n\n", "hello"),
        ("  \nhello\n  \t", "hello"),
        ("a\n\nb", "a\n\nb"),
        ("a\n   \nb", "a\n   \nb"),
        ("  indented note", "  indented note"),
        ("trailing space   ", "trailing space   "),
        ("- bullet one\n- bullet two", "- bullet one\n- bullet two"),
    ],
)
def test_notes_blank_lines(body: str, notes: str | None) -> None:
    assert parse_debrief_message(f"debrief Acme\n{body}").notes == notes


def test_blank_lines_before_header_are_not_notes() -> None:
    parsed = parse_debrief_message("\n\n\ndebrief Acme\nnote")
    assert parsed.notes == "note"


def test_only_fields_gives_no_notes() -> None:
    parsed = parse_debrief_message("debrief Acme\ntimeline: y\n\nauthority: n\n")
    assert parsed.notes is None


def test_a_second_debrief_line_is_a_note() -> None:
    parsed = parse_debrief_message("debrief Acme\ndebrief Other")
    assert parsed.deal == "Acme"
    assert parsed.notes == "debrief Other"


# --- duplicates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "field", "value"),
    [
        ("timeline: yes", "timeline: no", "timeline", "no"),
        ("timeline: yes", "Timeline : yes", "timeline", "yes"),
        ("authority: y", "AUTHORITY: n", "authority", "n"),
        ("call date: 2024-01-01", "call_date: 2024-01-02", "call_date", "2024-01-02"),
        ("next step: a", "next_step: b", "next_step", "b"),
        ("next-step: a", "next step: a", "next_step", "a"),
        ("next step date: 2024-01-01", "next-step-date: x", "next_step_date", "x"),
        ("went well: a", "went_well:  b ", "went_well", "b"),
        ("improve: a", "improve:", "improve", ""),
        ("improve:", "improve: a", "improve", "a"),
    ],
)
def test_duplicate_field(first: str, second: str, field: str, value: str) -> None:
    error = _error(f"debrief Acme\n{first}\nnote\n{second}")
    assert error.code == "duplicate_field"
    assert error.field == field
    assert error.value == value


def test_duplicate_wins_over_bad_value() -> None:
    error = _error("debrief Acme\ntimeline: maybe\ntimeline: perhaps")
    assert error.code == "duplicate_field"


def test_next_step_and_next_step_date_are_different_fields() -> None:
    parsed = parse_debrief_message("debrief Acme\nnext step: demo\nnext step date: 2024-05-10")
    assert parsed.next_step == "demo"
    assert parsed.next_step_date == date(2024, 5, 10)


# --- Slack escapes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("a &amp; b", "a & b"),
        ("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>"),
        ("&amp;lt;", "&lt;"),
        ("&amp;gt;", "&gt;"),
        ("&amp;amp;", "&amp;"),
        ("&amp;&amp;", "&&"),
        ("x &lt; y &gt; z", "x < y > z"),
        ("&quot;quoted&quot; &#39;x&#39;", "&quot;quoted&quot; &#39;x&#39;"),
        ("&nbsp;", "&nbsp;"),
        ("&", "&"),
        ("no escapes", "no escapes"),
        ("", ""),
    ],
)
def test_slack_text_as_typed(escaped: str, plain: str) -> None:
    assert slack_text_as_typed(escaped) == plain


@pytest.mark.parametrize(
    ("key", "attribute"),
    [("next step", "next_step"), ("went well", "went_well"), ("improve", "improve")],
)
def test_escapes_undone_in_text_fields(key: str, attribute: str) -> None:
    parsed = parse_debrief_message(f"debrief Acme\n{key}: R&amp;D &lt;3 &amp;lt;tag&amp;gt;")
    assert getattr(parsed, attribute) == "R&D <3 &lt;tag&gt;"


def test_escapes_undone_in_notes_and_deal() -> None:
    parsed = parse_debrief_message("debrief AT&amp;T\nprice &gt; budget\n&amp;lt;not a tag")
    assert parsed.deal == "AT&T"
    assert parsed.notes == "price > budget\n&lt;not a tag"


def test_escapes_undone_in_error_values() -> None:
    error = _error("debrief Acme\ntimeline: &lt;yes&gt;")
    assert error.value == "<yes>"


# --- pass-through of arbitrary text ---------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "العميل مهتم جدا",
        "مرحبا Acme ١٢٣",
        "🚀🔥 great call 👍🏽",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 family emoji",
        ":tada: :white_check_mark:",
        "\u201csmart quotes\u201d and \u2018single\u2019",
        "\"double\" and 'single' quotes",
        "<script>alert('x')</script>",
        '<b>bold</b> <a href="https://x.test">link</a>',
        "Robert'); DROP TABLE students;--",
        "1' OR '1'='1",
        "SELECT * FROM deals WHERE name = 'Acme' -- comment",
        "%s %(name)s {deal} ${HOME} \\n \\x00",
        "<@U123> <#C123|general>",  # mentions stay as Slack writes them; links: see below
        "caf\u00e9 na\u00efve \u4e2d\u6587 \u0420\u0443\u0441\u0441\u043a\u0438\u0439",
    ],
)
def test_text_passes_through_unchanged(value: str) -> None:
    text = f"debrief Acme\nnext step: {value}\nwent well: {value}\nimprove: {value}\n{value}"
    parsed = parse_debrief_message(text)
    assert parsed.next_step == value
    assert parsed.went_well == value
    assert parsed.improve == value
    assert parsed.notes == value


def test_arabic_message_with_english_keys() -> None:
    text = "debrief شركة النور\ntimeline: yes\nwent well: العميل سعيد 😊\nملاحظة"
    parsed = parse_debrief_message(text)
    assert parsed.deal == "شركة النور"
    assert parsed.timeline_qualified is True
    assert parsed.went_well == "العميل سعيد 😊"
    assert parsed.notes == "ملاحظة"


# --- error type -------------------------------------------------------------


def test_error_is_a_value_error_with_attributes() -> None:
    error = DebriefParseError("bad_date", "call_date", "2024-13-01")
    assert isinstance(error, ValueError)
    assert (error.code, error.field, error.value) == ("bad_date", "call_date", "2024-13-01")
    assert "bad_date" in str(error)
    assert "call_date" in str(error)


def test_error_defaults() -> None:
    error = DebriefParseError("not_a_debrief")
    assert (error.code, error.field, error.value) == ("not_a_debrief", None, None)
    assert str(error) == "not_a_debrief"


def test_slack_auto_links_are_read_back_as_typed() -> None:
    assert slack_text_as_typed("<http://acme.io|acme.io>") == "acme.io"
    assert slack_text_as_typed("mail <mailto:bob@acme.io|bob@acme.io> &amp; co") == (
        "mail bob@acme.io & co"
    )
    assert slack_text_as_typed("<https://acme.io/pricing>") == "https://acme.io/pricing"
    assert slack_text_as_typed("ask <@U123> &lt;soon&gt;") == "ask <@U123> <soon>"


def test_a_linked_deal_name_is_the_name_typed() -> None:
    parsed = parse_debrief_message(
        "debrief <http://acme.io|acme.io>\nnext step: send <https://acme.io/p|the pricing page>"
    )
    assert parsed.deal == "acme.io" and parsed.next_step == "send the pricing page"
