"""The app's real HTTP server (waitress) on a loopback port, started and stopped cleanly.

Closing waitress's sockets from another thread races its select loop (EBADF), so stopping
hands the closing to the loop itself through waitress's trigger, then waits for the loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from waitress.server import create_server


def start_server(wsgi: Callable[..., Any], threads: int = 8) -> tuple[str, Callable[[], None]]:
    server: Any = create_server(wsgi, host="127.0.0.1", port=0, threads=threads)
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
