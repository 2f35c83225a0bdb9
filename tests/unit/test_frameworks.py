"""Qualification frameworks as data: the shipped ones load, and a broken file says every
mistake, each where it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coaching.frameworks import (
    MAX_CRITERIA,
    SHIPPED,
    FrameworkError,
    load_framework,
    parse_framework,
)


def criterion(key: str = "budget", **changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "key": key,
        "gates": True,
        "keywords": [key.replace("_", " ")],
        "label": key.title(),
        "question": f"Is the {key} known?",
        "missing": f"{key} unknown",
        "ask": f"What about the {key}?",
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def problems_of(data: object) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        parse_framework(data, key="test")
    return caught.value.problems


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_framework_loads_with_english_and_arabic_words(name: str) -> None:
    framework = load_framework(name)
    assert framework.criteria and framework.key == name
    for c in framework.criteria:
        for text in (c.label, c.question, c.missing, c.ask, c.yes, c.no, c.answered, c.coach):
            assert text is not None and set(text) == {"en", "ar"}, (name, c.key)
        for text in (c.focus, c.moves, c.done, c.lacking):
            assert text is not None and set(text) == {"en", "ar"}, (name, c.key)
        assert set(c.keywords) == {"en", "ar"}


def test_the_default_framework_is_timeline_then_authority_both_gating() -> None:
    framework = load_framework("default")
    assert framework.keys == ("timeline", "authority")
    assert [c.gates for c in framework.criteria] == [True, True]
    assert framework.criterion("timeline").keywords["en"] == ("timeline",)  # type: ignore[union-attr]
    assert all(c.min_debriefs is None and c.grace_days is None for c in framework.criteria)


def test_a_minimal_framework_needs_only_the_required_texts() -> None:
    framework = parse_framework({"name": "Mine", "criteria": [criterion()]}, key="mine")
    [only] = framework.criteria
    assert only.label == {"en": "Budget"} and only.yes is None and only.prompts == "discovery"


def test_every_mistake_is_reported_with_its_place() -> None:
    data = {
        "name": {"ar": "بلا إنجليزية"},
        "colour": "red",
        "criteria": [
            criterion("Budget"),
            criterion("notes"),
            criterion("need", gates="yes", done="{n} confirmed", ask=None),
            criterion("risk", min_debriefs=0, grace_days=-1, prompts="juggling"),
            criterion("scope", keywords=["next step"], question="Two\nlines"),
            criterion("size", keywords={"ar": ["الحجم"]}, label="x" * 41),
        ],
    }
    problems = problems_of(data)
    expected = [
        "unknown field 'colour'",
        "name needs an English text (en)",
        "criterion 1 (Budget): key must be 2 to 40 lowercase letters",
        "criterion 2 (notes): key 'notes' is a name Deal Coach uses",
        "criterion 3 (need): gates must be true or false",
        "criterion 3 (need): done (en) must contain {count}",
        "criterion 3 (need): ask is missing",
        "criterion 4 (risk): min_debriefs must be a whole number of at least 1",
        "criterion 4 (risk): grace_days must be a whole number of at least 0",
        "criterion 4 (risk): prompts must be one of",
        "criterion 5 (scope): question (en) must be one line",
        "criterion 6 (size): keywords must be a list of English words",
        "criterion 6 (size): label (en) is 41 characters, the limit is 40",
    ]
    for part in expected:
        assert any(part in problem for problem in problems), (part, problems)


def test_keywords_may_not_take_a_built_in_field_an_answer_or_another_criterion() -> None:
    problems = problems_of(
        {
            "name": "Clash",
            "criteria": [
                criterion("scope", keywords={"en": ["Next_Step"], "ar": ["الخطوه التاليه"]}),
                criterion("size", keywords=["yes"]),
                criterion("risk", keywords=["budget"]),
                criterion("budget"),
                criterion("budget", keywords=["money"]),
            ],
        }
    )
    assert any("'Next_Step' is already the field next_step" in p for p in problems)
    assert any("'الخطوه التاليه' is already the field next_step" in p for p in problems)
    assert any("'yes' is an answer" in p for p in problems)
    assert any("keyword 'budget' is also 'risk'" in p for p in problems)
    assert any("'budget' is listed twice" in p for p in problems)


def test_too_many_criteria_and_none_at_all() -> None:
    many = [criterion(f"c{i}", keywords=[f"word{chr(97 + i)}"]) for i in range(MAX_CRITERIA + 1)]
    assert any("the most a form can ask" in p for p in problems_of({"name": "x", "criteria": many}))
    assert any("at least one criterion" in p for p in problems_of({"name": "x", "criteria": []}))
    assert problems_of(["not", "a", "mapping"]) == [
        "the file must hold a mapping with name and criteria"
    ]


def test_a_bare_yes_in_yaml_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: Mine\ncriteria:\n  - key: budget\n    gates: true\n    keywords: [budget]\n"
        "    label: Budget\n    question: Budget?\n    missing: No budget\n    ask: Budget?\n"
        "    yes: Yes, there is one\n",
        encoding="utf-8",
    )
    with pytest.raises(FrameworkError) as caught:
        load_framework(str(path))
    assert 'write "yes" and "no" in quotes' in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_json_file_by_path_and_an_edit_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "Mine", "criteria": [criterion()]}), encoding="utf-8")
    assert load_framework(str(path)).keys == ("budget",)
    path.write_text(
        json.dumps({"name": "Mine", "criteria": [criterion(), criterion("need")]}),
        encoding="utf-8",
    )
    assert load_framework(str(path)).keys == ("budget", "need")


@pytest.mark.parametrize(
    ("choice", "problem"),
    [
        ("medic", "not one of default, bant, meddicc, spiced"),
        ("/nowhere/mine.yaml", "cannot be read"),
    ],
)
def test_an_unknown_name_or_a_missing_file_is_one_clear_line(choice: str, problem: str) -> None:
    with pytest.raises(FrameworkError) as caught:
        load_framework(choice)
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(str(path))
    assert "not valid YAML" in str(caught.value)
