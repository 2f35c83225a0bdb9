"""Who may write into the pipeline (coaching/access.py): the workspace's own people; guests
when the workspace allows them; never people from another workspace, nor bots."""

from __future__ import annotations

import pytest

from coaching.access import Person, guests_allowed, is_outsider, may_contribute

OURS = "T0001"


@pytest.mark.parametrize(
    ("person", "allow_guests", "expected"),
    [
        (Person(OURS), False, True),
        (Person(None), False, True),  # the workspace not known: the payload said ours
        (Person("T0EXT"), False, False),
        (Person("T0EXT"), True, False),  # allowing guests lets in no other organisation
        (Person(OURS, guest=True), False, False),
        (Person(OURS, guest=True), True, True),
        (Person(OURS, bot=True), True, False),
    ],
)
def test_may_contribute(person: Person, allow_guests: bool, expected: bool) -> None:
    assert may_contribute(person, OURS, allow_guests=allow_guests) is expected


def test_is_outsider() -> None:
    assert is_outsider("T0EXT", OURS) and not is_outsider(OURS, OURS)
    assert not is_outsider(None, OURS)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), ("no", False), ("yes", True), (" YES ", True)]
)
def test_guests_allowed(value: str | None, expected: bool) -> None:
    settings = {} if value is None else {"allow_guests": value}
    assert guests_allowed(settings) is expected


@pytest.mark.parametrize("value", ["", "true", "1", "maybe"])
def test_guests_allowed_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError, match="allow_guests must be yes or no"):
        guests_allowed({"allow_guests": value})
