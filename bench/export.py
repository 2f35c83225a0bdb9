"""`export debriefs` in constant memory: peak memory of the export process at 100,000 and at
1,000,000 debriefs should be about the same, since rows are streamed (yield_per on a
server-side cursor) straight into the CSV writer.

Each export runs as its own `python -m bot export debriefs --output FILE` process, and its
peak resident memory is read from the operating system (getrusage of the finished child).

    PYTHONPATH=. .venv/bin/python bench/export.py [--sizes 10000,100000] [--backends ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.scratch import fresh_postgres, fresh_sqlite, postgres_url
from bench.seed import Spec, seed


def export(url: str, out: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MiB and rows of one export in a child process."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(Path(__file__).parent.parent)}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "export", "debriefs", "--output", str(out)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, usage = os.wait4(child.pid, 0)[1:]
    elapsed = time.perf_counter() - started
    stderr = child.stderr.read() if child.stderr else ""
    if not out.exists():
        raise SystemExit(f"export failed: {stderr.strip()}")
    with out.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1  # header; no multi-line cells in seeded data
    return elapsed, usage.ru_maxrss / 1024, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000", help="open deals; 10 debriefs each")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=postgres_url("export"))
    args = parser.parse_args(argv)
    print(f"{'backend':<11}{'debriefs':>11}{'seconds':>9}{'rows/s':>10}{'peak MiB':>10}")
    for backend in args.backends.split(","):
        peaks = []
        for size in (int(s) for s in args.sizes.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                db = (
                    fresh_sqlite(Path(tmp))
                    if backend == "sqlite"
                    else fresh_postgres(args.postgres_url)
                )
                seed(db, Spec(open_deals=size, other_workspace_deals=0))
                db.dispose()
                seconds, peak, rows = export(db.url, Path(tmp) / "debriefs.csv")
            peaks.append(peak)
            print(f"{backend:<11}{rows:>11,}{seconds:>9.1f}{rows / seconds:>10,.0f}{peak:>10.1f}")
        if len(peaks) > 1:
            print(
                f"{backend:<11}peak memory grew {peaks[-1] / peaks[0]:.2f}x for "
                f"{int(args.sizes.split(',')[-1]) // int(args.sizes.split(',')[0])}x the rows"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
