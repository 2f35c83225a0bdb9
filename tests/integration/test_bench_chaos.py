"""bench/chaos.py stays runnable: its short version (2 web, 2 clock, 2 worker processes, one
of each killed and restarted, no PostgreSQL restart) runs end to end and prints its table.
Its figures are not judged here; the full run's are (see the README)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.conftest import repo_root
from tests.postgres_server import admin_engine, server_url


@pytest.mark.timeout(300)
def test_the_chaos_benchmark_runs_end_to_end() -> None:
    url = make_url(server_url()).set(database=f"dealcoach_test_chaos_{os.getpid()}")
    shown = url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(repo_root())}
    try:
        result = subprocess.run(
            [sys.executable, "bench/chaos.py", "--short", "--postgres-url", shown],
            cwd=repo_root(),
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        admin = admin_engine(server_url())
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for line in (
        "submissions acknowledged as saved",
        "managers with exactly 1 digest",
        "messages lost",
        "messages sent twice",
        "throughput, 2 workers",
        "SIGKILL web",
        "SIGKILL clock",
        "SIGKILL worker",
    ):
        assert line in result.stdout, result.stdout
