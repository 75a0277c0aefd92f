"""Logging set-up shared by the server and the migration job."""

from __future__ import annotations

import logging
import os

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def configure_logging() -> None:
    """Log to stderr, at the level that LOG_LEVEL names (INFO by default)."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise SystemExit(
            f"invalid LOG_LEVEL {level!r}: use one of {', '.join(LOG_LEVELS)}"
        )
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
