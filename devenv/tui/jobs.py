"""Blocking engine calls in daemon threads, so that quitting does not wait for them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

T = TypeVar("T")

CANCEL_POLL_SECONDS = 0.2


class JobCancelled(Exception):
    """The worker was cancelled while its detached call was still running."""


def run_detached(
    call: Callable[[], T],
    is_cancelled: Callable[[], bool],
    name: str = "devenv-job",
) -> T:
    """Run `call` in a daemon thread and wait for it, unless the worker is cancelled.

    Textual runs thread workers in asyncio's default executor, whose threads
    are joined when the app exits. A `compose up` that waits for health can
    take minutes, so the call itself runs in a daemon thread and the worker
    only waits. On cancellation this raises JobCancelled and leaves the call
    running; the process exit ends it.
    """
    future: Future[T] = Future()

    def target() -> None:
        try:
            future.set_result(call())
        except BaseException as error:  # noqa: BLE001 - the waiting worker re-raises it
            future.set_exception(error)

    threading.Thread(target=target, name=name, daemon=True).start()
    while True:
        try:
            return future.result(timeout=CANCEL_POLL_SECONDS)
        except FutureTimeout:
            if is_cancelled():
                raise JobCancelled(name) from None
