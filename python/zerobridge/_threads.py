"""Running a long blocking loop (a worker's socket session) for asyncio code, on a daemon thread.

Not the loop's default executor: a session lives as long as the worker, and a daemon thread never
holds up the interpreter's exit nor ``asyncio.run``'s executor shutdown.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any, Callable

__all__ = ["run_in_daemon_thread", "serve_in_daemon_thread"]


def run_in_daemon_thread(function: Callable[[], Any], name: str) -> "asyncio.Future[Any]":
    """Start ``function`` on a new daemon thread; a future of the running loop for its outcome."""
    loop = asyncio.get_running_loop()
    future: "asyncio.Future[Any]" = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def target() -> None:
        report: Callable[[], None]
        try:
            report = functools.partial(future.set_result, function())
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            report = functools.partial(future.set_exception, exc)
        try:
            loop.call_soon_threadsafe(settle, report)
        except RuntimeError:  # the loop is closed: nobody awaits the outcome any more
            pass

    threading.Thread(target=target, name=name, daemon=True).start()
    return future


async def serve_in_daemon_thread(serve: Callable[[], Any], stop: threading.Event, name: str) -> None:
    """Run a blocking serving loop that ends when ``stop`` is set; cancelling the awaiting task
    sets ``stop``, waits for the loop to finish (it says goodbye to its peer) and re-raises."""
    serving = run_in_daemon_thread(serve, name)
    try:
        await asyncio.shield(serving)
    except asyncio.CancelledError:
        stop.set()
        await serving
        raise
