"""The shipped prompt library, the rules every prompt file must keep, and how prompts are picked."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from coaching.prompts import (
    GAPS,
    PROMPTS_DIR,
    Prompt,
    PromptLibraryError,
    load_prompts,
    pick_prompts,
)


def entry(gap: str = "timeline", slug: str = "one", **changes: str) -> dict[str, str]:
    values = {
        "id": f"{gap}-{slug}",
        "gap": gap,
        "kind": "question",
        "text": "What date are you working back from?",
        "why": "A date to work back from shows whether the close is realistic.",
    }
    values.update(changes)
    return values


def write(directory: Path, prompts: list[Any], language: str = "en") -> Path:
    path = directory / f"{language}.json"
    path.write_text(json.dumps({"language": language, "prompts": prompts}), encoding="utf-8")
    return path


def rejected(path: Path) -> str:
    """The message load_prompts raises for `path`, checked to be one line naming the file."""
    with pytest.raises(PromptLibraryError) as raised:
        load_prompts(path.stem, path.parent)
    message = str(raised.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def library(per_gap: int = 5) -> list[Prompt]:
    return [
        Prompt(f"{gap}-p{i}", gap, "habit", f"Practise habit {i}.", "It works.")
        for gap in GAPS
        for i in range(per_gap)
    ]


# The shipped library


def test_the_shipped_library_loads_with_enough_prompts_for_every_gap() -> None:
    prompts = load_prompts()
    assert len(prompts) >= 45
    per_gap = Counter(p.gap for p in prompts)
    assert set(per_gap) == set(GAPS)
    assert all(per_gap[gap] >= 8 for gap in GAPS), per_gap


def test_the_shipped_ids_are_unique_and_start_with_their_gap() -> None:
    prompts = load_prompts()
    ids = [p.id for p in prompts]
    assert len(ids) == len(set(ids))
    assert all(p.id.startswith(f"{p.gap}-") for p in prompts)


def test_the_shipped_library_has_both_kinds_for_every_gap() -> None:
    prompts = load_prompts()
    for gap in GAPS:
        assert {p.kind for p in prompts if p.gap == gap} == {"question", "habit"}, gap


def test_the_shipped_text_is_plain_ascii_in_single_sentences() -> None:
    for p in load_prompts():
        assert p.text.isascii() and p.why.isascii(), p.id
        assert p.why.endswith(".") and p.why.count(". ") == 0, p.id
        assert p.text.endswith("?" if p.kind == "question" else "."), p.id


def test_load_prompts_is_cached() -> None:
    assert load_prompts() is load_prompts("en")
    assert load_prompts() is load_prompts("en", PROMPTS_DIR)


# Language fallback


def test_a_language_without_a_file_falls_back_to_english(tmp_path: Path) -> None:
    write(tmp_path, [entry()])
    assert [p.id for p in load_prompts("fr", tmp_path)] == ["timeline-one"]
    assert load_prompts("xx") == load_prompts("en")


def test_a_language_with_its_own_file_uses_it(tmp_path: Path) -> None:
    write(tmp_path, [entry()])
    write(tmp_path, [entry(slug="ar", text="متى تحتاجون إلى الحل؟")], language="ar")
    assert [p.id for p in load_prompts("ar", tmp_path)] == ["timeline-ar"]


def test_a_language_code_that_is_not_one_never_reaches_outside_the_directory(
    tmp_path: Path,
) -> None:
    library_dir = tmp_path / "library"
    library_dir.mkdir()
    write(library_dir, [entry()])
    write(tmp_path, [entry(slug="outside")], language="xx")
    assert [p.id for p in load_prompts("../xx", library_dir)] == ["timeline-one"]


def test_a_missing_english_file_is_an_error_naming_it(tmp_path: Path) -> None:
    message = rejected(tmp_path / "en.json")
    assert "not found" in message


# Malformed files


def test_an_unknown_gap_is_rejected(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, [entry(), entry(gap="pricing")]))
    assert "prompt 2" in message and "unknown gap 'pricing'" in message


def test_an_unknown_kind_is_rejected(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, [entry(kind="tip")]))
    assert "unknown kind 'tip'" in message


def test_a_duplicate_id_is_rejected(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, [entry(), entry(text="And why then?")]))
    assert "prompt 2" in message and "duplicate id 'timeline-one'" in message


def test_a_question_without_a_question_mark_is_rejected(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, [entry(text="Ask for the date.")]))
    assert "question mark" in message


def test_a_habit_worded_as_a_question_is_rejected(tmp_path: Path) -> None:
    message = rejected(write(tmp_path, [entry(kind="habit", text="Did you ask for the date?")]))
    assert "habit" in message


@pytest.mark.parametrize("field", ["text", "why"])
def test_text_or_why_over_200_characters_is_rejected(tmp_path: Path, field: str) -> None:
    at_limit = "When " + "x" * 194 + "?"
    assert len(at_limit) == 200
    write(tmp_path, [entry(**{field: at_limit})])
    assert len(load_prompts("en", tmp_path)) == 1
    message = rejected(write(tmp_path, [entry(**{field: "W" + at_limit})], language="fr"))
    assert f"{field} is 201 characters" in message


def test_bad_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "en.json"
    path.write_text('{"language": "en", "prompts": [', encoding="utf-8")
    assert "not valid JSON" in rejected(path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ([], "top level"),
        ({"language": "en"}, "top level"),
        ({"language": "fr", "prompts": []}, "'fr'"),
        ({"language": "en", "prompts": {}}, "must be a list"),
        ({"language": "en", "prompts": ["timeline-one"]}, "exactly id, gap, kind, text, why"),
        ({"language": "en", "prompts": [entry(extra="x")]}, "exactly id, gap, kind, text, why"),
        ({"language": "en", "prompts": [entry(why="")]}, "why must be a non-empty string"),
        ({"language": "en", "prompts": [entry(text=" Why?")]}, "one line"),
        ({"language": "en", "prompts": [entry(text="Why\nnow?")]}, "one line"),
        ({"language": "en", "prompts": [entry(id="authority-one")]}, "timeline-<slug>"),
        ({"language": "en", "prompts": [entry(slug="Bad Slug")]}, "timeline-<slug>"),
    ],
)
def test_other_malformed_files_are_rejected(tmp_path: Path, content: object, problem: str) -> None:
    path = tmp_path / "en.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    assert problem in rejected(path)


def test_a_field_that_is_not_a_string_is_rejected(tmp_path: Path) -> None:
    bad: dict[str, object] = {**entry(), "text": 7}
    assert "text must be a non-empty string" in rejected(write(tmp_path, [bad]))


# Picking


def test_pick_prompts_is_deterministic_for_a_seed() -> None:
    prompts = library(per_gap=10)
    first = pick_prompts(prompts, "authority", set(), 3, seed=42)
    assert first == pick_prompts(prompts, "authority", set(), 3, seed=42)
    assert first == pick_prompts(list(reversed(prompts)), "authority", [], 3, seed=42)
    others = {tuple(p.id for p in pick_prompts(prompts, "authority", (), 3, s)) for s in range(20)}
    assert len(others) > 1


def test_pick_prompts_keeps_to_the_gap_and_the_count() -> None:
    picked = pick_prompts(library(), "review", set(), 2, seed=1)
    assert len(picked) == 2
    assert all(p.gap == "review" for p in picked)
    assert len({p.id for p in picked}) == 2
    assert pick_prompts(library(), "review", set(), 0, seed=1) == []


def test_pick_prompts_never_returns_an_excluded_prompt() -> None:
    prompts = library(per_gap=5)
    seen = {"discovery-p0", "discovery-p2", "timeline-p1"}
    for seed in range(50):
        picked = pick_prompts(prompts, "discovery", seen, 3, seed)
        assert {p.id for p in picked} == {"discovery-p1", "discovery-p3", "discovery-p4"}


def test_pick_prompts_returns_fewer_when_the_gap_is_nearly_exhausted() -> None:
    prompts = library(per_gap=3)
    picked = pick_prompts(prompts, "next_step", {"next_step-p0", "next_step-p1"}, 3, seed=7)
    assert [p.id for p in picked] == ["next_step-p2"]
    every_id = {p.id for p in prompts}
    assert pick_prompts(prompts, "next_step", every_id, 3, seed=7) == []


def test_pick_prompts_works_on_the_shipped_library() -> None:
    prompts = load_prompts()
    shown: set[str] = set()
    for seed in range(10):
        for p in pick_prompts(prompts, "timeline", shown, 2, seed):
            assert p.id not in shown
            shown.add(p.id)
    assert shown == {p.id for p in prompts if p.gap == "timeline"}


def test_pick_prompts_rejects_an_unknown_gap_or_a_negative_count() -> None:
    with pytest.raises(ValueError, match="unknown gap"):
        pick_prompts(library(), "pricing", set(), 1, seed=0)
    with pytest.raises(ValueError, match="count"):
        pick_prompts(library(), "review", set(), -1, seed=0)
