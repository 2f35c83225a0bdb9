"""The test suite's own set-up: no database to create by hand, and one line saying what to set
when there is no PostgreSQL to run on."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import _scratch_postgres, repo_root
from tests.postgres_server import ENV, admin_engine, server_url

NOWHERE = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/test"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV: NOWHERE, "PYTHONPATH": str(repo_root())}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root(),
        timeout=120,
    )


def test_a_named_database_that_does_not_exist_is_not_needed() -> None:
    missing = (
        make_url(server_url())
        .set(database="dealcoach_nobody_made_this")
        .render_as_string(hide_password=False)
    )
    engine = admin_engine(missing)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT current_database()")) == "postgres"
    engine.dispose()
    db, drop = _scratch_postgres(missing)
    try:
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT 1")) == 1
    finally:
        drop()


def test_no_postgres_is_one_line_naming_the_variable() -> None:
    result = run("-m", "tests.postgres_server")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert ENV in line and "127.0.0.1:1" in line and "refused" in line.lower()
    assert "hunter2" not in line  # the password is masked


def test_pytest_without_postgres_stops_with_that_line() -> None:
    result = run(
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "tests/integration/test_http_surface.py",
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert output.count(ENV) == 1 and "Traceback" not in output
    assert "passed" not in output and " error" not in output.lower().replace("errors", "")


def test_scripts_test_without_postgres_stops_with_that_line() -> None:
    root = repo_root()
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()[:16]
    if not (root / ".venv" / f".installed-{digest}-dev").exists():
        pytest.skip("scripts/test would install into .venv first: run it through scripts/test")
    env = {**os.environ, ENV: NOWHERE}
    result = subprocess.run(
        [str(root / "scripts" / "test")], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert ENV in line and "127.0.0.1:1" in line
    assert "== ruff" not in result.stderr  # stopped before the long checks
