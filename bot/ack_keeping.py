"""An acknowledgement stays given when the listener fails after it.

Bolt runs a listener on a thread of its own and has the request's thread look for its ack()
every 10 ms. When the listener raises after acknowledging, Bolt's runner reports the error and
then clears the acknowledgement it had recorded (slack_bolt.listener.thread_runner, 1.x). A
request thread that had not looked yet (the failure came within those 10 ms: a Web API call
refused at once, say) finds no acknowledgement, waits out the 3 seconds, and answers 404: the
person sees Slack's "dispatch_failed" although the work was acknowledged. Here the listener
is wrapped so that a failure after its ack() is logged as Bolt's error handler would, and the
acknowledgement is kept; a failure before it is left to Bolt (a 500, as before).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.listener import Listener
from slack_bolt.listener.thread_runner import ThreadListenerRunner

log = logging.getLogger(__name__)


class _KeepsAck:
    """`listener` (Bolt's), whose failures after its ack() do not reach Bolt's runner."""

    def __init__(self, listener: Listener) -> None:
        self._listener = listener

    def __getattr__(self, name: str) -> Any:
        return getattr(self._listener, name)

    def run_ack_function(self, *, request: BoltRequest, response: BoltResponse) -> Any:
        try:
            return self._listener.run_ack_function(request=request, response=response)
        except Exception as error:
            if request.context.ack.response is None:
                raise  # not acknowledged: Bolt answers with its error (500)
            body = request.body if isinstance(request.body, dict) else {}
            log.error("listener failed", exc_info=error, extra={"type": body.get("type")})
            return None


class AckKeepingRunner(ThreadListenerRunner):
    def run(
        self,
        request: BoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: Listener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        kept: Any = _KeepsAck(listener)
        return super().run(request, response, listener_name, kept, starting_time)


def keep_acks(app: App) -> None:
    """Give `app` the runner above, built from the one Bolt made (call before `@app.error`,
    which sets the runner's error handler)."""
    runner = app.listener_runner
    app._listener_runner = AckKeepingRunner(
        logger=runner.logger,
        process_before_response=runner.process_before_response,
        listener_error_handler=runner.listener_error_handler,
        listener_start_handler=runner.listener_start_handler,
        listener_completion_handler=runner.listener_completion_handler,
        listener_executor=runner.listener_executor,
        lazy_listener_runner=runner.lazy_listener_runner,
    )
