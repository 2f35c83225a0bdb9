"""The coaching prompt library: short questions and habits, each aimed at one gap in a deal.

A rep improves by practising one concrete thing at a time, so the coach picks a few prompts for
the gap a deal has and avoids any the rep has already seen. The prompts are data, not code:
every language is one file, `prompts/<language>.json` (`en.json` and `ar.json` today, the same
ids in each), written and reviewed by people who coach, without touching this module. A language
with no file of its own falls back to English.

The files are validated when they load, so a typo in a translation fails at start with the file
and the problem named, instead of sending a rep a broken prompt weeks later. Prompt ids are
stored with what each rep has seen, so they must stay stable once shipped.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GAPS: tuple[str, ...] = ("timeline", "authority", "next_step", "discovery", "review")
KINDS: tuple[str, ...] = ("question", "habit")

PROMPTS_DIR = Path(__file__).parent / "prompts"
FALLBACK_LANGUAGE = "en"
MAX_TEXT = 200
MAX_WHY = 200

_FIELDS: tuple[str, ...] = ("id", "gap", "kind", "text", "why")
# "<gap>-<slug>", the slug in lowercase words joined by hyphens: safe to store and to log.
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A language code such as "en", "ar" or "pt_BR"; anything else has no file and falls back.
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
# The question marks a question may end with: Latin, Arabic, full-width.
_QUESTION_MARKS: tuple[str, ...] = ("?", "\u061f", "\uff1f")


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str  # "<gap>-<slug>", stable: stored to avoid showing a rep the same prompt twice
    gap: str  # one of GAPS
    kind: str  # "question" (to ask a buyer) or "habit" (to practise)
    text: str
    why: str  # one sentence on why it works


class PromptLibraryError(ValueError):
    """A prompt file that cannot be used; the message is one line naming the file."""


def load_prompts(language: str = "en", directory: Path | None = None) -> tuple[Prompt, ...]:
    """Every prompt of `language`, in file order, from `directory` (the shipped library by
    default); English when that language has no file. Cached, since the files do not change
    while the app runs. Raises PromptLibraryError when the file breaks a rule."""
    return _load(language, PROMPTS_DIR if directory is None else directory)


def pick_prompts(
    prompts: Sequence[Prompt], gap: str, exclude_ids: Collection[str], count: int, seed: int
) -> list[Prompt]:
    """Up to `count` prompts for `gap` that are not in `exclude_ids`, never a repeat.

    The same prompts, seed and exclusions always give the same list, so a digest can be rebuilt
    or tested; fewer than `count` (possibly none) when the gap is nearly exhausted.
    """
    if gap not in GAPS:
        raise ValueError(f"unknown gap {gap!r}, expected one of {', '.join(GAPS)}")
    if count < 0:
        raise ValueError(f"count must be at least 0, got {count}")
    excluded = set(exclude_ids)
    eligible = sorted(
        {p.id: p for p in prompts if p.gap == gap and p.id not in excluded}.values(),
        key=lambda p: p.id,
    )
    return random.Random(seed).sample(eligible, min(count, len(eligible)))


@cache
def _load(language: str, directory: Path) -> tuple[Prompt, ...]:
    path = directory / f"{language}.json"
    if not (_LANGUAGE.fullmatch(language) and path.is_file()):
        path = directory / f"{FALLBACK_LANGUAGE}.json"
    return _read(path)


def _read(path: Path) -> tuple[Prompt, ...]:
    def fail(problem: str) -> PromptLibraryError:
        return PromptLibraryError(f"{path}: {problem}")

    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise fail("file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot be read: {_one_line(error)}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise fail(
            f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(data, dict) or set(data) != {"language", "prompts"}:
        raise fail('the top level must be an object with exactly "language" and "prompts"')
    if data["language"] != path.stem:
        raise fail(f'"language" is {data["language"]!r} but the file is for {path.stem!r}')
    entries = data["prompts"]
    if not isinstance(entries, list):
        raise fail('"prompts" must be a list')

    prompts: list[Prompt] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        try:
            prompt = _prompt(entry)
        except _Invalid as problem:
            raise fail(f"prompt {number}: {problem}") from None
        if prompt.id in seen:
            raise fail(f"prompt {number}: duplicate id {prompt.id!r}")
        seen.add(prompt.id)
        prompts.append(prompt)
    return tuple(prompts)


class _Invalid(Exception):
    """What is wrong with one prompt; `_read` adds the file and the prompt's position."""


def _prompt(entry: object) -> Prompt:
    if not isinstance(entry, dict) or set(entry) != set(_FIELDS):
        raise _Invalid(f"must be an object with exactly {', '.join(_FIELDS)}")
    values: dict[str, str] = {}
    for field in _FIELDS:
        value = entry[field]
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(f"{field} must be a non-empty string")
        if value != value.strip() or len(value.splitlines()) != 1:
            raise _Invalid(f"{field} must be one line without surrounding spaces")
        values[field] = value
    prompt = Prompt(**values)
    label = f"{prompt.id!r}"
    if prompt.gap not in GAPS:
        raise _Invalid(f"{label} has unknown gap {prompt.gap!r}, expected one of {', '.join(GAPS)}")
    if prompt.kind not in KINDS:
        raise _Invalid(f"{label} has unknown kind {prompt.kind!r}, expected question or habit")
    prefix = f"{prompt.gap}-"
    if not (prompt.id.startswith(prefix) and _SLUG.fullmatch(prompt.id.removeprefix(prefix))):
        raise _Invalid(f"{label} must be {prefix}<slug> in lowercase letters, digits and hyphens")
    if len(prompt.text) > MAX_TEXT:
        raise _Invalid(f"{label} text is {len(prompt.text)} characters, the limit is {MAX_TEXT}")
    if len(prompt.why) > MAX_WHY:
        raise _Invalid(f"{label} why is {len(prompt.why)} characters, the limit is {MAX_WHY}")
    is_question = prompt.text.endswith(_QUESTION_MARKS)
    if prompt.kind == "question" and not is_question:
        raise _Invalid(f"{label} is a question but its text does not end with a question mark")
    if prompt.kind == "habit" and is_question:
        raise _Invalid(f"{label} is a habit but its text ends with a question mark")
    return prompt


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
