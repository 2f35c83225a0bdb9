"""The app's real HTTP server (waitress) on a loopback port, started and stopped cleanly.

Closing waitress's sockets from another thread races its select loop (EBADF), so stopping
hands the closing to the loop itself through waitress's trigger, then waits for the loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bot.server import Limits, create_server


def start_server(
    wsgi: Callable[..., Any], threads: int = 8, limits: Limits | None = None
) -> tuple[str, Callable[[], None]]:
    """The app behind the server `python -m bot serve` runs (bot/server.py), with its limits
    (`limits`, or the defaults with `threads` worker threads)."""
    server: Any = create_server(wsgi, "127.0.0.1", 0, limits or Limits(threads=threads))
    thread = threading.Thread(target=server.run, daemon=True, name="waitress")
    thread.start()

    def close_everything() -> None:
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    def stop() -> None:
        server.trigger.pull_trigger(close_everything)
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()

    return f"http://127.0.0.1:{server.effective_port}", stop
