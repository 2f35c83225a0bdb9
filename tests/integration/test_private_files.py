"""What is stored stays private on disk: the SQLite database and its -wal and -shm files, and
every new export file, are readable by their owner only whatever the umask; a `.env` (or a
database file) that other users can read gets a one-line warning at start."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade
from tests.integration.test_cli import run_cli


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o277])
def test_the_sqlite_database_and_its_wal_and_shm_are_private(tmp_path: Path, mask: int) -> None:
    path = tmp_path / "dealcoach.db"
    with umask(mask):
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        with db.engine.connect() as conn:  # an open connection keeps -wal and -shm in place
            conn.execute(
                text("INSERT INTO workspace_settings VALUES ('T1', 'k', 'v', '2026-01-01')")
            )
            conn.commit()
            files = {p.name: mode(p) for p in tmp_path.iterdir()}
        db.dispose()
    assert files == {
        "dealcoach.db": 0o600,
        "dealcoach.db-wal": 0o600,
        "dealcoach.db-shm": 0o600,
    }


def test_an_existing_database_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch()
    path.chmod(0o640)
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    assert mode(path) == 0o640


def test_a_new_export_file_is_private_whatever_the_umask(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "debriefs.csv"
    result = run_cli(
        "export", "debriefs", "--output", str(out), env={"DATABASE_URL": db.url}, umask=0
    )
    assert result.returncode == 0, result.stderr
    assert mode(out) == 0o600


def warnings(stderr: str) -> list[str]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line["msg"] for line in lines if line["level"] == "warning"]


def test_an_env_file_others_can_read_is_named_with_the_fix(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'x.db'}\n")
    env_file.chmod(0o644)
    result = run_cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert warnings(result.stderr) == [".env is readable by other users: run `chmod 600 .env`"]

    env_file.chmod(0o600)
    result = run_cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0 and warnings(result.stderr) == []


def test_a_database_file_others_can_read_is_named_with_the_fix(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path).returncode == 0
    assert mode(tmp_path / "dealcoach.db") == 0o600
    (tmp_path / "dealcoach.db").chmod(0o644)
    result = run_cli("db", "upgrade", cwd=tmp_path)
    assert warnings(result.stderr) == [
        "dealcoach.db is readable by other users: run `chmod 600 dealcoach.db*` "
        "(the database and its -wal and -shm files)"
    ]
