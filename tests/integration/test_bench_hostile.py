"""bench/hostile.py stays runnable: a short flood against the real `python -m bot serve`
process, every hostile request refused and the process alive. Its figures are not judged
here (the machine may be busy with other work)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_hostile_benchmark_runs_end_to_end() -> None:
    argv = ["--oversize", "3", "--oversize-mib", "4", "--slow", "5", "--slow-seconds", "2"]
    result = subprocess.run(
        [sys.executable, "bench/hostile.py", *argv, "--forged", "60"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "every forged or oversize request refused: yes (63/63)" in out, out
    assert "process alive: yes" in out, out
    assert "memory: idle" in out and "signed /debrief:" in out, out
    for kind in ("length+forged", "chunked+forged", "length+unsigned"):
        assert f"4 MiB {kind}" in out, out
