"""The sandbox's Slack stand-in in a process of its own, made unreliable for bench/chaos.py.

On top of SlackStandIn's one-message-per-second-per-channel limit it answers a share of calls
with 429 (Retry-After 1) or 500 before doing anything, slows every answer a little (the slow
mode), and loses the answer of a few chat.postMessage calls after posting them (it answers
only after the client has given up): the case where only the conversation's history can tell.

    python -m bench.chaos_slack --p429 0.02 --p500 0.02 --slow 0.03 --lose 5

prints `url http://127.0.0.1:PORT/api/` once serving. `GET /_chaos/messages` answers every
message it keeps (channel, ts, the outbox key in its metadata), `GET /_chaos/counts` the
calls by method and answer, `POST /_chaos/set?lose=N&...` changes the settings while running.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.webapi import Answer, SlackStandIn

FAULTY = ("chat.postMessage", "conversations.history", "users.info", "files.completeUploadExternal")


class ChaoticStandIn(SlackStandIn):
    def __init__(self, *, p429: float, p500: float, slow: float, lose: int, seed: int) -> None:
        super().__init__(validate_blocks=False)
        self.p429, self.p500, self.slow, self.lose = p429, p500, slow, lose
        self.lost_delay = 35.0  # past the Web API clients' 30-second timeout
        self._random = random.Random(seed)
        self._chaos_lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def _roll(self) -> float:
        with self._chaos_lock:
            return self._random.random()

    def dispatch(self, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(raw_path)
        if parts.path.startswith("/_chaos/"):
            return self._control(parts.path, parts.query)
        method = parts.path[len("/api/") :].strip("/") if parts.path.startswith("/api/") else ""
        if method in FAULTY:
            roll = self._roll()
            if roll < self.p429:
                self.counts[f"{method} 429"] += 1
                data = json.dumps({"ok": False, "error": "ratelimited"}).encode()
                return Answer(429, data, "application/json", {"Retry-After": "1"}, self.slow)
            if roll < self.p429 + self.p500:
                self.counts[f"{method} 500"] += 1
                data = json.dumps({"ok": False, "error": "internal_error"}).encode()
                return Answer(500, data, "application/json", {}, self.slow)
        answer = super().dispatch(raw_path, headers, body)
        self.counts[f"{method} {answer.status}"] += 1
        delay = self.slow * (0.5 + self._roll())
        if method == "chat.postMessage" and answer.status == 200:
            with self._chaos_lock:
                losing = self.lose > 0
                if losing:
                    self.lose -= 1
            if losing:  # posted, and the answer comes too late for anyone to read it
                self.counts["chat.postMessage answer lost"] += 1
                delay = self.lost_delay
        answer.delay += delay
        return answer

    def _control(self, path: str, query: str) -> Answer:
        if path == "/_chaos/set":
            for name, values in parse_qs(query).items():
                if name in ("p429", "p500", "slow"):
                    setattr(self, name, float(values[-1]))
                elif name == "lose":
                    with self._chaos_lock:
                        self.lose = int(values[-1])
            body: Any = {"ok": True}
        elif path == "/_chaos/counts":
            body = dict(self.counts)
        elif path == "/_chaos/messages":
            with self._cond:
                kept = list(self._messages.items())
            body = [
                {
                    "channel": channel,
                    "ts": ts,
                    "thread_ts": message.get("thread_ts"),
                    "key": ((message.get("metadata") or {}).get("event_payload") or {}).get("key"),
                    "file": bool(message.get("files")),
                }
                for (channel, ts), message in kept
                if message.get("bot_id")
            ]
        else:
            return Answer(404, b"{}", "application/json", {}, 0.0)
        return Answer(200, json.dumps(body).encode(), "application/json", {}, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--p429", type=float, default=0.02)
    parser.add_argument("--p500", type=float, default=0.02)
    parser.add_argument("--slow", type=float, default=0.03, help="seconds added to answers")
    parser.add_argument("--lose", type=int, default=0, help="postMessage answers to lose")
    parser.add_argument("--rate-limit", type=float, default=1.0, help="seconds per channel")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    fake = ChaoticStandIn(
        p429=args.p429, p500=args.p500, slow=args.slow, lose=args.lose, seed=args.seed
    )
    fake.rate_limit_per_channel(args.rate_limit)
    fake.start()
    print(f"url {fake.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    fake.stop()
    time.sleep(0.1)
    sys.exit(0)


if __name__ == "__main__":
    main()
