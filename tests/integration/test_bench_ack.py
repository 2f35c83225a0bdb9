"""bench/ack.py stays runnable: both apps start in their own processes, every request is
answered and every follow-up Web API call arrives. Its figures are not judged here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_acknowledgement_benchmark_runs_end_to_end() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = ["--backends", "sqlite", "--concurrency", "2", "--requests", "6"]
    result = subprocess.run(
        [sys.executable, "bench/ack.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed requests: 0" in result.stdout
    assert "sanity (Web API calls after the acks): ok" in result.stdout
    assert "ours_p99 / bare_p99" in result.stdout and "CPU ms/req" in result.stdout
    assert "not measured (no run at 32 clients)" in result.stdout
