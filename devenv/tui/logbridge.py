"""Routes devenv's log records to the TUI while it runs, never to the terminal.

The CLI's handler writes to stderr, which would draw over the TUI's screen,
so the bridge replaces it for the app's lifetime and restores it afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

LOGGER_NAME = "devenv"


class RecordForwarder(logging.Handler):
    """Hands each formatted record to a callback that must be thread-safe."""

    def __init__(self, forward: Callable[[str, str], None]) -> None:
        super().__init__()
        self._forward = forward
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._forward(record.levelname, self.format(record))
        except Exception:  # noqa: BLE001 - a handler must never raise into the caller
            self.handleError(record)


class LogBridge:
    """Installs a RecordForwarder on devenv's logger and stops propagation to root."""

    def __init__(self, forward: Callable[[str, str], None]) -> None:
        self._handler = RecordForwarder(forward)
        self._logger = logging.getLogger(LOGGER_NAME)
        self._propagate = self._logger.propagate

    def install(self) -> None:
        self._logger.addHandler(self._handler)
        self._logger.propagate = False

    def remove(self) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.propagate = self._propagate
