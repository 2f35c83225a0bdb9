"""A debrief's answers, one yes or no per criterion key, whichever framework asked them.

The product began with two questions and kept them in fields of their own
(`timeline_qualified`, `authority_reached`, the export's contract columns); every other
criterion's answer sits in a mapping beside them (`criteria`). `answer` reads either the same
way, so rules and views speak of criteria by key alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

TIMELINE, AUTHORITY = "timeline", "authority"
LEGACY_KEYS: tuple[str, ...] = (TIMELINE, AUTHORITY)


class _Empty(Mapping[str, Any]):
    """The empty mapping, shared and hashable: the default of a frozen dataclass field."""

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"


NO_ANSWERS: Mapping[str, bool] = _Empty()
NO_COUNTS: Mapping[str, int] = _Empty()


class HasAnswers(Protocol):
    @property
    def timeline_qualified(self) -> bool | None: ...

    @property
    def authority_reached(self) -> bool | None: ...

    @property
    def criteria(self) -> Mapping[str, bool]: ...


def answer(item: HasAnswers, key: str) -> bool | None:
    """The answer to one criterion; None when it was not answered."""
    if key == TIMELINE:
        return item.timeline_qualified
    if key == AUTHORITY:
        return item.authority_reached
    return item.criteria.get(key)


def all_answers(item: HasAnswers) -> dict[str, bool]:
    """Every answer given, by criterion key."""
    answers = dict(item.criteria)
    for key in LEGACY_KEYS:
        value = answer(item, key)
        if value is not None:
            answers[key] = value
    return answers


def split_answers(
    answers: Mapping[str, bool | None],
) -> tuple[bool | None, bool | None, dict[str, bool]]:
    """(timeline, authority, the others) from answers by key; unanswered ones are left out."""
    others = {
        key: value for key, value in answers.items() if key not in LEGACY_KEYS and value is not None
    }
    return answers.get(TIMELINE), answers.get(AUTHORITY), others
