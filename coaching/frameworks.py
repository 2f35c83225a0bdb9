"""Qualification frameworks as data: what a rep is asked after each call, and what a manager is
told when an answer is missing.

Deal Coach's own framework (`default`) asks two questions, the buying timeline and the
decision authority. A team that qualifies the BANT, MEDDICC or SPICED way picks that
framework instead (`settings set framework meddicc`), or writes its own file and points the
setting at it. A framework is a YAML (or JSON) file, `frameworks/<name>.yaml` for the shipped
ones:

    name: {en: BANT, ar: BANT}
    criteria:
      - key: budget                  # stored with each answer: never rename a shipped key
        gates: true                  # a "no" flags the deal in the digest, like the timeline
        min_debriefs: 2              # optional: this criterion's own stall thresholds
        grace_days: 7                #   (the workspace's settings otherwise)
        prompts: discovery           # optional: the coaching prompts' skill that trains it
        keywords: {en: [budget], ar: [الميزانية]}     # "budget: yes" in a post-call message
        label: {en: Budget, ar: الميزانية}             # its short name
        question: {en: Is there budget set aside for this?, ar: ...}   # asked in the form
        missing: {en: Budget not confirmed, ar: ...}   # what the manager and the rep read
        ask: {en: How is a purchase like this usually funded...?, ar: ...}  # for the buyer

Every text is either one string (English) or one per language; English is required, and a
language a text lacks reads the English. Optional texts (`yes`, `no`, `answered`, `coach`,
`focus`, `moves`, `done`, `lacking`) let a sentence name the criterion in good grammar; without
them the product says it with the label. The file is checked when it loads and every mistake
is reported, each with the criterion and the field it is in.

Answers are stored per criterion key, so switching framework loses nothing: what the new one
does not ask is kept (and exported), and switching back finds it again. `timeline` and
`authority` keep their own columns and block ids, whichever framework has them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from coaching.answers import LEGACY_KEYS
from coaching.message_words import FIELD_WORDS, HEADER_WORDS, NO_WORDS, YES_WORDS, fold

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"
SHIPPED: tuple[str, ...] = ("default", "bant", "meddicc", "spiced")
DEFAULT = "default"
SOURCE_LANGUAGE = "en"
# Prompt skills in coaching/prompts/<language>.json a criterion can be trained with.
PROMPT_SKILLS: tuple[str, ...] = ("timeline", "authority", "next_step", "discovery", "review")

MAX_CRITERIA = 10  # the form stays one screen of questions, the digest readable
_KEY = re.compile(r"[a-z][a-z0-9_]{1,39}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
# Names the form, the stall reasons and the export already use.
RESERVED_KEYS = frozenset(
    {
        "deal",
        "call_date",
        "next_step",
        "next_step_date",
        "went_well",
        "improve",
        "notes",
        "coaching",
        "quiet",
        "overdue",
        "source",
        "rep",
    }
)

# Each text: is it required, its longest length (Block Kit's limits with room to spare: an
# option's text is 75 characters), and the placeholders it must contain.
_TEXTS: dict[str, tuple[bool, int, tuple[str, ...]]] = {
    "label": (True, 40, ()),
    "question": (True, 150, ()),
    "missing": (True, 80, ()),
    "ask": (True, 300, ()),
    "yes": (False, 75, ()),
    "no": (False, 75, ()),
    "answered": (False, 60, ()),
    "coach": (False, 300, ()),
    "focus": (False, 80, ()),
    "moves": (False, 80, ()),
    "done": (False, 100, ("count",)),
    "lacking": (False, 80, ()),
}
_OTHER_FIELDS = ("key", "gates", "keywords", "min_debriefs", "grace_days", "prompts")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Text = Mapping[str, str]


@dataclass(frozen=True, eq=False)
class Criterion:
    """One thing a rep is asked about a deal, answered yes or no."""

    key: str
    label: Text
    question: Text
    missing: Text
    ask: Text
    keywords: Mapping[str, tuple[str, ...]]
    gates: bool = False
    yes: Text | None = None
    no: Text | None = None
    answered: Text | None = None
    coach: Text | None = None
    focus: Text | None = None
    moves: Text | None = None
    done: Text | None = None
    lacking: Text | None = None
    min_debriefs: int | None = None
    grace_days: int | None = None
    prompts: str = "discovery"

    @property
    def all_keywords(self) -> tuple[str, ...]:
        return tuple(word for words in self.keywords.values() for word in words)


@dataclass(frozen=True, eq=False)
class Framework:
    """The criteria a workspace qualifies deals by, in the order they are asked."""

    key: str  # a shipped name, or the file's path
    name: Text
    criteria: tuple[Criterion, ...]
    _by_key: dict[str, Criterion] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {c.key: c for c in self.criteria})

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.criteria)

    @property
    def gating(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.gates)

    @property
    def extra_keys(self) -> tuple[str, ...]:
        """The criteria stored beside the debrief (not in a column of their own)."""
        return tuple(c.key for c in self.criteria if c.key not in LEGACY_KEYS)

    def criterion(self, key: str) -> Criterion | None:
        return self._by_key.get(key)

    def has(self, key: str) -> bool:
        return key in self._by_key


class FrameworkError(ValueError):
    """A framework that cannot be used: every mistake found, each naming where it is."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"framework {source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


def is_shipped(choice: str) -> bool:
    return choice in SHIPPED


def load_framework(choice: str) -> Framework:
    """A shipped framework by name, or a framework file by path (.yaml, .yml or .json).
    Raises FrameworkError, naming every mistake."""
    choice = choice.strip()
    if is_shipped(choice):
        return _shipped(choice)
    path = Path(choice).expanduser()
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise FrameworkError(
            choice,
            [f"not one of {', '.join(SHIPPED)}, nor a .yaml, .yml or .json file"],
        )
    try:
        stat = path.stat()
    except OSError as error:
        raise FrameworkError(choice, [f"cannot be read: {error.strerror or error}"]) from None
    return _from_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def default_framework() -> Framework:
    return _shipped(DEFAULT)


def framework_setting(values: Mapping[str, str]) -> Framework:
    """The framework a workspace's settings choose (`framework`: a shipped name or a file's
    path), the default one when unset. Raises FrameworkError."""
    return load_framework(values.get("framework") or DEFAULT)


@cache
def _shipped(name: str) -> Framework:
    return _read(FRAMEWORKS_DIR / f"{name}.yaml", key=name)


@cache
def _from_file(path: str, mtime_ns: int, size: int) -> Framework:
    """Cached by modification time and size, so an edited file is read again."""
    return _read(Path(path), key=path)


def _read(path: Path, key: str) -> Framework:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FrameworkError(str(path), [f"cannot be read: {error}"]) from None
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise FrameworkError(str(path), [f"not valid {kind}: {reason}"]) from None
    return parse_framework(data, key=key, source=str(path))


def parse_framework(data: Any, *, key: str, source: str = "<data>") -> Framework:
    """A framework from its decoded file; raises FrameworkError listing every mistake."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise FrameworkError(source, ["the file must hold a mapping with name and criteria"])
    for unknown in sorted(str(k) for k in data if k not in ("name", "criteria")):
        problems.append(f"unknown field {unknown!r} (expected name and criteria)")
    name = _text(data.get("name"), "name", 60, (), problems, required=True)
    entries = data.get("criteria")
    criteria: list[Criterion] = []
    if not isinstance(entries, list) or not entries:
        problems.append("criteria must be a list of at least one criterion")
    else:
        if len(entries) > MAX_CRITERIA:
            problems.append(f"{len(entries)} criteria, the most a form can ask is {MAX_CRITERIA}")
        for number, entry in enumerate(entries, start=1):
            criterion = _criterion(entry, number, problems)
            if criterion is not None:
                criteria.append(criterion)
        _check_unique(criteria, problems)
    if problems or name is None:
        raise FrameworkError(source, problems)
    return Framework(key=key, name=name, criteria=tuple(criteria))


def _criterion(entry: Any, number: int, problems: list[str]) -> Criterion | None:
    where = f"criterion {number}"
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be a mapping of fields")
        return None
    key = entry.get("key")
    if isinstance(key, str) and key:
        where = f"criterion {number} ({key})"
    found = len(problems)
    for unknown in entry:
        if isinstance(unknown, bool):  # YAML reads a bare yes: or no: as a boolean
            problems.append(f'{where}: write "yes" and "no" in quotes, YAML reads them as true')
        elif unknown not in _TEXTS and unknown not in _OTHER_FIELDS:
            problems.append(f"{where}: unknown field {unknown!r}")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        problems.append(
            f"{where}: key must be 2 to 40 lowercase letters, digits or _, starting with a letter"
        )
    elif key in RESERVED_KEYS:
        problems.append(f"{where}: key {key!r} is a name Deal Coach uses for something else")
    texts = {
        name: _text(entry.get(name), f"{where}: {name}", limit, needs, problems, required=required)
        for name, (required, limit, needs) in _TEXTS.items()
    }
    keywords = _keywords(entry.get("keywords"), where, problems)
    gates = entry.get("gates")
    if not isinstance(gates, bool):
        problems.append(f"{where}: gates must be true or false")
    min_debriefs = _whole(entry, "min_debriefs", 1, where, problems)
    grace_days = _whole(entry, "grace_days", 0, where, problems)
    prompts = entry.get("prompts", "discovery")
    if prompts not in PROMPT_SKILLS:
        problems.append(f"{where}: prompts must be one of {', '.join(PROMPT_SKILLS)}")
    if len(problems) > found:
        return None
    assert isinstance(key, str) and isinstance(gates, bool)
    label, question, missing, ask = (texts[n] for n in ("label", "question", "missing", "ask"))
    assert label is not None and question is not None and missing is not None and ask is not None
    return Criterion(
        key=key,
        label=label,
        question=question,
        missing=missing,
        ask=ask,
        keywords=keywords,
        gates=gates,
        yes=texts["yes"],
        no=texts["no"],
        answered=texts["answered"],
        coach=texts["coach"],
        focus=texts["focus"],
        moves=texts["moves"],
        done=texts["done"],
        lacking=texts["lacking"],
        min_debriefs=min_debriefs,
        grace_days=grace_days,
        prompts=str(prompts),
    )


def _text(
    value: Any,
    where: str,
    limit: int,
    needs: tuple[str, ...],
    problems: list[str],
    *,
    required: bool,
) -> Text | None:
    if value is None:
        if required:
            problems.append(f"{where} is missing")
        return None
    by_language = {SOURCE_LANGUAGE: value} if isinstance(value, str) else value
    if not isinstance(by_language, dict):
        problems.append(f"{where} must be a text, or a mapping of language to text")
        return None
    if SOURCE_LANGUAGE not in by_language:
        problems.append(f"{where} needs an English text (en)")
    ok = True
    for language, text in by_language.items():
        label = f"{where} ({language})"
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            problems.append(f"{where}: {language!r} is not a language code such as en or ar")
            ok = False
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"{label} must be a non-empty text")
            ok = False
        elif text != text.strip() or len(text.splitlines()) != 1:
            problems.append(f"{label} must be one line without surrounding spaces")
            ok = False
        elif len(text) > limit:
            problems.append(f"{label} is {len(text)} characters, the limit is {limit}")
            ok = False
        elif sorted(_PLACEHOLDER.findall(text)) != sorted(needs) or text.count("{") != len(needs):
            wanted = ", ".join("{" + n + "}" for n in needs) or "no {placeholder}"
            problems.append(f"{label} must contain {wanted}")
            ok = False
    return dict(by_language) if ok and SOURCE_LANGUAGE in by_language else None


def _keywords(value: Any, where: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    by_language = {SOURCE_LANGUAGE: value} if isinstance(value, list) else value
    if not isinstance(by_language, dict) or SOURCE_LANGUAGE not in by_language:
        problems.append(
            f"{where}: keywords must be a list of English words, or a mapping of language to "
            "words with English (en)"
        )
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for language, words in by_language.items():
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            problems.append(f"{where}: keywords: {language!r} is not a language code")
            continue
        if not isinstance(words, list) or not words:
            problems.append(f"{where}: keywords ({language}) must be a list of words")
            continue
        kept = []
        for word in words:
            if not isinstance(word, str) or not fold(word) or len(word) > 40:
                problems.append(f"{where}: keyword {word!r} must be a word of 1 to 40 characters")
            elif ":" in word or word != word.strip() or any(c.isdigit() for c in word):
                problems.append(
                    f"{where}: keyword {word!r} must not contain a colon, digits, or "
                    "surrounding spaces"
                )
            else:
                kept.append(word)
        result[language] = tuple(kept)
    return result


def _whole(
    entry: dict[str, Any], name: str, minimum: int, where: str, problems: list[str]
) -> int | None:
    value = entry.get(name)
    if value is None:
        return None
    if type(value) is not int or value < minimum:
        problems.append(f"{where}: {name} must be a whole number of at least {minimum}")
        return None
    return value


def _builtin_words() -> dict[str, str]:
    """Every word a message already gives a meaning to, folded, with what it means."""
    words = {fold(word): "the first line's keyword" for word in HEADER_WORDS}
    for field_name, by_language in FIELD_WORDS.items():
        for spelled in by_language.values():
            words.update({fold(word): f"the field {field_name}" for word in spelled})
    return words


def _check_unique(criteria: Iterable[Criterion], problems: list[str]) -> None:
    builtin = _builtin_words()
    answers = {fold(w) for words in (*YES_WORDS.values(), *NO_WORDS.values()) for w in words}
    keys: set[str] = set()
    owners: dict[str, str] = {}
    for criterion in criteria:
        if criterion.key in keys:
            problems.append(f"criterion {criterion.key!r} is listed twice")
        keys.add(criterion.key)
        for word in criterion.all_keywords:
            folded = fold(word)
            if folded in builtin:
                problems.append(
                    f"criterion {criterion.key!r}: keyword {word!r} is already {builtin[folded]}"
                )
            elif folded in answers:
                problems.append(f"criterion {criterion.key!r}: keyword {word!r} is an answer")
            elif owners.get(folded, criterion.key) != criterion.key:
                problems.append(
                    f"criterion {criterion.key!r}: keyword {word!r} is also {owners[folded]!r}'s"
                )
            owners.setdefault(folded, criterion.key)
