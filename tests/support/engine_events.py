"""What a test sees a database engine do: statements run, transactions committed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from storage.db import Database


@contextmanager
def seen(db: Database, name: str) -> Iterator[list[tuple[Any, ...]]]:
    """Each time the engine fires event `name` ("before_cursor_execute", "commit", ...) in the
    block, its arguments are appended to the list yielded."""
    fired: list[tuple[Any, ...]] = []

    def record(*args: Any) -> None:
        fired.append(args)

    event.listen(db.engine, name, record)
    try:
        yield fired
    finally:
        event.remove(db.engine, name, record)
