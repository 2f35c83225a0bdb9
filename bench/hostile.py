"""Hostile traffic against the real server: does a stranger's flood cost memory or time?

Starts ``python -m bot serve --http --no-scheduler`` (SQLite in a scratch directory, a SlackStandIn
in this process, as bench/ack.py does), waits until it is idle, then sends at once, on loopback
only and bounded in count and time:

- oversize POSTs to /slack/events (default 16 of 1 GiB, streamed from a generator and stopped
  as soon as the server answers or closes): by turns declared with Content-Length and a forged
  signature, sent chunked with a forged signature, and declared with no signature at all;
- slow-header connections (default 200), each sending one byte of its headers a second;
- a burst of small forged requests (default 5,000 from 32 clients): a forged signature, no
  signature, or a timestamp older than five minutes;

while a signed ``/debrief`` is sent every 100 ms and ``GET /healthz`` every 250 ms. It
reports the server's peak resident memory over its idle figure (Linux's VmHWM, reset before
the flood, and a 20 ms sampler), each kind of request's answers and times, and whether the
process is alive at the end.

Targets: memory growth under 50 MiB, signed p99 under 300 ms, every forged or oversize
request refused, every /healthz answered, the process alive.

    PYTHONPATH=. .venv/bin/python bench/hostile.py                  # the full flood
    PYTHONPATH=. .venv/bin/python bench/hostile.py --oversize 4 --oversize-mib 64 \
        --slow 0 --forged 0                                          # the issue's 4 x 64 MiB

``--app-root DIR`` serves the app from another checkout (an older commit exported with
``git archive``) to measure the same traffic before a change; the clients always come from
this one.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import platform
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.ack import BOT_TOKEN, SIGNING_SECRET, free_port, percentile
from sandbox.payloads import FORM, SlackRequests, sign
from sandbox.webapi import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
MEMORY_TARGET_MIB = 50.0
P99_TARGET_MS = 300.0
SIGNED_EVERY_S = 0.1
HEALTH_EVERY_S = 0.25
FORGED_CLIENTS = 32
OVERSIZE_CHUNK = 256 * 1024
EXCHANGE_TIMEOUT_S = 10.0
START_TIMEOUT_S = 60.0
HARD_LIMIT_S = 180.0  # no part of the flood runs longer than this, whatever the server does


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def status_kib(self, key: str) -> int | None:
        """A VmRSS / VmHWM figure from /proc (Linux), in KiB; None when unreadable."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def reset_peak(self) -> bool:
        """Start VmHWM again from the current figure (Linux's clear_refs, value 5)."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(app_root: Path, fake: SlackStandIn, workdir: Path) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        DATABASE_URL=f"sqlite:///{workdir / 'hostile.db'}",
        TIMEZONE="UTC",
        LOG_LEVEL="INFO",  # as deployed: each refusal costs its log line too
        PYTHONPATH=str(app_root),
    )
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http", "--no-scheduler", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and server.alive():
        try:
            if exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0]:
                return server
        except OSError:
            time.sleep(0.1)
    tail = server.log_tail()
    server.close()
    raise RuntimeError(f"the server did not start:\n{tail}")


# --------------------------------------------------------------------------- wire helpers


def exchange(port: int, raw: bytes, timeout: float = EXCHANGE_TIMEOUT_S) -> tuple[int, bytes]:
    """One request on a new connection; the status (0 when none came) once the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return status_of(b"".join(chunks)), b"".join(chunks)


def status_of(response: bytes) -> int:
    parts = response.split(b"\r\n", 1)[0].split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def request(
    port: int,
    body: bytes,
    headers: dict[str, str],
    chunked: bool = False,
    length: int | None = None,
) -> bytes:
    lines = ["POST /slack/events HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Type: {FORM}"]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    else:
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (the server closed or reset the connection)
    ms: float
    sent: int = 0  # body bytes the server let us send
    error: str = ""


def timed(kind: str, port: int, raw: bytes) -> Sample:
    started = time.perf_counter()
    try:
        status, _ = exchange(port, raw)
    except OSError as exc:
        return Sample(kind, 0, (time.perf_counter() - started) * 1000, error=type(exc).__name__)
    return Sample(kind, status, (time.perf_counter() - started) * 1000)


# --------------------------------------------------------------------------- the attackers


def forged_headers(variant: int) -> dict[str, str]:
    """0: a forged signature; 1: no signature at all; 2: a timestamp six minutes old."""
    if variant == 0:
        return {
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        }
    if variant == 1:
        return {}
    return sign(SIGNING_SECRET, "", int(time.time()) - 6 * 60)


def body_stream(total: int) -> Iterator[bytes]:
    """`total` bytes of a form field, a chunk at a time, never all in memory."""
    block = b"x" * OVERSIZE_CHUNK
    yield b"text="
    sent = 5
    while sent < total:
        piece = block[: min(OVERSIZE_CHUNK, total - sent)]
        sent += len(piece)
        yield piece


def oversize(port: int, index: int, size: int, deadline: float) -> Sample:
    """One oversize POST, streamed until the server answers, closes, or all is sent."""
    variant = index % 3  # Content-Length + forged signature, chunked + forged, no signature
    chunked = variant == 1
    headers = forged_headers(0 if variant < 2 else 1)
    head = request(port, b"", headers, chunked=chunked, length=None if chunked else size)
    kind = ["length+forged", "chunked+forged", "length+unsigned"][variant]
    started = time.perf_counter()
    sent, response = 0, b""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=EXCHANGE_TIMEOUT_S)
    except OSError as exc:
        return Sample(kind, 0, 0.0, error=type(exc).__name__)
    with sock:
        sock.settimeout(0.5)
        try:
            sock.sendall(head)
            for piece in body_stream(size):
                data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                view = memoryview(data)
                while view and time.monotonic() < deadline:
                    if select.select([sock], [], [], 0)[0]:
                        raise EOFError  # the server answered (or closed): stop sending
                    try:
                        n = sock.send(view)
                    except TimeoutError:
                        continue
                    view = view[n:]
                    sent += n
                if view:
                    break  # out of time
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (EOFError, OSError):
            pass
        sock.settimeout(EXCHANGE_TIMEOUT_S)
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                response += chunk
                if b"\r\n\r\n" in response:
                    break
    ms = (time.perf_counter() - started) * 1000
    return Sample(kind, status_of(response), ms, sent=max(0, sent - len(head)))


@dataclass
class SlowReport:
    opened: int = 0
    refused_connect: int = 0
    closed_by_server: list[float] = field(default_factory=list)  # seconds each one lived
    still_open: int = 0


def slow_headers(port: int, count: int, until: float) -> SlowReport:
    """`count` connections sending their headers one byte a second until `until`."""
    report = SlowReport()
    opened: list[tuple[socket.socket, float]] = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            report.refused_connect += 1
            continue
        sock.setblocking(False)
        opened.append((sock, time.monotonic()))
    report.opened = len(opened)
    prefix = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: "
    position = 0
    alive = dict(opened)
    while alive and time.monotonic() < until:
        byte = prefix[position : position + 1] or b"a"
        position += 1
        for sock, since in list(alive.items()):
            try:
                if sock.recv(4096) == b"":
                    raise ConnectionResetError
            except BlockingIOError:
                pass
            except OSError:
                report.closed_by_server.append(time.monotonic() - since)
                del alive[sock]
                sock.close()
                continue
            try:
                sock.send(byte)
            except BlockingIOError:
                pass
            except OSError:
                report.closed_by_server.append(time.monotonic() - since)
                del alive[sock]
                sock.close()
        time.sleep(max(0.0, min(1.0, until - time.monotonic())))
    report.still_open = len(alive)
    for sock in alive:
        sock.close()
    return report


def forged_burst(port: int, count: int, deadline: float) -> list[Sample]:
    """`count` small forged /debrief commands from FORGED_CLIENTS threads, new connections."""
    slack = SlackRequests(f"http://127.0.0.1:{port}", SIGNING_SECRET)
    body = urlencode(slack.command_body("/debrief", "Acme")).encode()
    counter = itertools.count()
    lock = threading.Lock()
    samples: list[Sample] = []

    def client() -> None:
        mine = []
        while time.monotonic() < deadline:
            n = next(counter)
            if n >= count:
                break
            variant = n % 3
            raw = request(port, body, forged_headers(variant))
            mine.append(timed(["forged", "unsigned", "stale"][variant], port, raw))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(FORGED_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 15)
    return samples


# --------------------------------------------------------------------------- the probes


class Probes:
    """A signed /debrief every 100 ms and GET /healthz every 250 ms, and the memory sampler."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.slack = SlackRequests(f"http://127.0.0.1:{server.port}", SIGNING_SECRET)
        self.signed: list[Sample] = []
        self.health: list[Sample] = []
        self.peak_rss_kib = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._every, args=(SIGNED_EVERY_S, self._signed), daemon=True),
            threading.Thread(target=self._every, args=(HEALTH_EVERY_S, self._health), daemon=True),
            threading.Thread(target=self._every, args=(0.02, self._memory), daemon=True),
        ]

    def signed_request(self) -> bytes:
        body = urlencode(self.slack.command_body("/debrief", "Acme"))
        return request(self.server.port, body.encode(), sign(SIGNING_SECRET, body))

    def _signed(self) -> None:
        # Each in a thread of its own, so that one slow answer does not delay the next send.
        raw = self.signed_request()
        threading.Thread(
            target=lambda: self.signed.append(timed("signed", self.server.port, raw)), daemon=True
        ).start()

    def _health(self) -> None:
        raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        threading.Thread(
            target=lambda: self.health.append(timed("healthz", self.server.port, raw)),
            daemon=True,
        ).start()

    def _memory(self) -> None:
        rss = self.server.status_kib("VmRSS")
        if rss is not None:
            self.peak_rss_kib = max(self.peak_rss_kib, rss)

    def _every(self, period: float, action: object) -> None:
        assert callable(action)
        next_at = time.monotonic()
        while not self._stop.is_set():
            action()
            next_at += period
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        time.sleep(EXCHANGE_TIMEOUT_S / 4)  # let the last probes come back


# --------------------------------------------------------------------------- report


def fmt(ms: float) -> str:
    return "n/a" if math.isnan(ms) else f"{ms:.0f}"


def answer(sample: Sample) -> str:
    if sample.status:
        return str(sample.status)
    return "timeout" if sample.error == "TimeoutError" else "closed"


def statuses(samples: list[Sample]) -> str:
    counts = Counter(answer(s) for s in samples)
    return ", ".join(f"{label}: {n}" for label, n in sorted(counts.items())) or "-"


def refused(sample: Sample) -> bool:
    """A refusal: 401 or 413, or the connection closed without an answer (not a timeout)."""
    return answer(sample) in ("closed", "400", "401", "413")


def row(label: str, samples: list[Sample], extra: str = "") -> str:
    ms = [s.ms for s in samples]
    return (
        f"{label:<24}{len(samples):>7}  {statuses(samples):<28}"
        f"{fmt(percentile(ms, 0.5)):>7}{fmt(percentile(ms, 0.99)):>8}"
        f"{fmt(max(ms, default=math.nan)):>8}"
        f"  {extra}"
    )


@dataclass
class Outcome:
    idle_mib: float
    peak_mib: float
    signed: list[Sample]
    health: list[Sample]
    oversize: list[Sample]
    forged: list[Sample]
    slow: SlowReport | None
    alive: bool
    seconds: float


def report(outcome: Outcome, args: argparse.Namespace) -> bool:
    growth = outcome.peak_mib - outcome.idle_mib
    print(f"{'requests':<24}{'sent':>7}  {'answers':<28}{'p50 ms':>7}{'p99 ms':>8}{'max ms':>8}")
    print("-" * 96)
    for kind in ("length+forged", "chunked+forged", "length+unsigned"):
        group = [s for s in outcome.oversize if s.kind == kind]
        if group:
            most = max(s.sent for s in group) / MIB
            print(row(f"{args.oversize_mib} MiB {kind}", group, f"at most {most:.1f} MiB sent"))
    for kind in ("forged", "unsigned", "stale"):
        group = [s for s in outcome.forged if s.kind == kind]
        if group:
            print(row(f"small {kind}", group))
    print(row("signed /debrief", outcome.signed))
    print(row("GET /healthz", outcome.health))
    if outcome.slow is not None:
        slow = outcome.slow
        lived = sorted(slow.closed_by_server)
        print(
            f"slow headers: {slow.opened} opened ({slow.refused_connect} refused), "
            f"{len(lived)} closed by the server after "
            f"{fmt(percentile(lived, 0.5) * 1000)} ms median / "
            f"{fmt(max(lived, default=math.nan) * 1000)} ms max, {slow.still_open} still open "
            "at the end"
        )
    hostile = outcome.oversize + outcome.forged
    not_refused = [s for s in hostile if not refused(s)]
    signed_ok = [s for s in outcome.signed if s.status == 200]
    health_ok = [s for s in outcome.health if s.status == 200]
    p99 = percentile([s.ms for s in outcome.signed], 0.99)
    print(
        f"\nmemory: idle {outcome.idle_mib:.1f} MiB, peak {outcome.peak_mib:.1f} MiB, "
        f"growth {growth:.1f} MiB (target < {MEMORY_TARGET_MIB:.0f})"
    )
    print(
        f"signed /debrief: {len(signed_ok)}/{len(outcome.signed)} answered 200, p99 {fmt(p99)} ms"
        f" (target < {P99_TARGET_MS:.0f})"
    )
    print(f"GET /healthz: {len(health_ok)}/{len(outcome.health)} answered 200")
    print(
        f"every forged or oversize request refused: {'yes' if not not_refused else 'no'}"
        f" ({len(hostile) - len(not_refused)}/{len(hostile)})"
    )
    for sample in not_refused[:5]:
        print(f"  not refused: {sample}")
    print(f"process alive: {'yes' if outcome.alive else 'no'}")
    print(f"(flood lasted {outcome.seconds:.1f} s; load average now {load_average()})")
    return (
        growth < MEMORY_TARGET_MIB
        and p99 < P99_TARGET_MS
        and not not_refused
        and len(signed_ok) == len(outcome.signed)
        and len(health_ok) == len(outcome.health)
        and outcome.alive
    )


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace, server: Server) -> Outcome:
    probes = Probes(server)
    for _ in range(10):  # warm up: imports, the database, the Web API client
        timed("warm-up", server.port, probes.signed_request())
    time.sleep(1.0)
    idle_kib = server.status_kib("VmRSS") or 0
    hwm_reset = server.reset_peak()
    probes.peak_rss_kib = idle_kib
    started = time.monotonic()
    hard_deadline = started + HARD_LIMIT_S
    probes.start()
    results: dict[str, object] = {}

    def oversize_all() -> None:
        with_threads: list[Sample] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            sample = oversize(server.port, i, args.oversize_mib * MIB, hard_deadline)
            with lock:
                with_threads.append(sample)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(args.oversize)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results["oversize"] = with_threads

    parts = [
        threading.Thread(target=oversize_all),
        threading.Thread(
            target=lambda: results.__setitem__(
                "forged", forged_burst(server.port, args.forged, hard_deadline)
            )
        ),
    ]
    if args.slow:
        until = min(hard_deadline, started + args.slow_seconds)
        parts.append(
            threading.Thread(
                target=lambda: results.__setitem__(
                    "slow", slow_headers(server.port, args.slow, until)
                )
            )
        )
    for part in parts:
        part.start()
    for part in parts:
        part.join()
    remaining = args.min_seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    seconds = time.monotonic() - started
    probes.stop()
    hwm = server.status_kib("VmHWM") if hwm_reset else None
    peak_kib = max(probes.peak_rss_kib, hwm or 0)
    slow = results.get("slow")
    return Outcome(
        idle_mib=idle_kib / 1024,
        peak_mib=peak_kib / 1024,
        signed=probes.signed,
        health=probes.health,
        oversize=list(results.get("oversize", [])),  # type: ignore[call-overload]
        forged=list(results.get("forged", [])),  # type: ignore[call-overload]
        slow=slow if isinstance(slow, SlowReport) else None,
        alive=server.alive(),
        seconds=seconds,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--oversize", type=int, default=16, help="oversize POSTs (default 16)")
    parser.add_argument("--oversize-mib", type=int, default=1024, help="each (default 1024)")
    parser.add_argument("--slow", type=int, default=200, help="slow-header connections")
    parser.add_argument(
        "--slow-seconds", type=float, default=25.0, help="how long they trickle (default 25)"
    )
    parser.add_argument("--forged", type=int, default=5000, help="small forged requests")
    parser.add_argument(
        "--min-seconds", type=float, default=0.0, help="probe at least this long (default 0)"
    )
    parser.add_argument("--app-root", type=Path, default=ROOT, help="where the server runs from")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not (0 <= args.oversize <= 64 and 1 <= args.oversize_mib <= 1024):
        parser.error("--oversize must be 0-64 and --oversize-mib 1-1024")
    if not (0 <= args.slow <= 1000 and 0 <= args.forged <= 100_000):
        parser.error("--slow must be 0-1000 and --forged 0-100000")
    if not 0 < args.slow_seconds <= HARD_LIMIT_S:
        parser.error(f"--slow-seconds must be above 0 and at most {HARD_LIMIT_S:.0f}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}, "
        f"Python {platform.python_version()}, load average {load_average()}"
    )
    print(
        f"flood: {args.oversize} x {args.oversize_mib} MiB oversize POSTs, {args.slow} "
        f"slow-header connections ({args.slow_seconds:.0f} s), {args.forged} small forged "
        f"requests; a signed /debrief every {SIGNED_EVERY_S * 1000:.0f} ms, /healthz every "
        f"{HEALTH_EVERY_S * 1000:.0f} ms\n"
    )
    with SlackStandIn() as fake, tempfile.TemporaryDirectory(prefix="dealcoach-hostile-") as tmp:
        server = start(args.app_root.resolve(), fake, Path(tmp))
        try:
            outcome = run(args, server)
        finally:
            server.close()
        met = report(outcome, args)
        if not outcome.alive:
            print(f"server log ends:\n{server.log_tail()}")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
