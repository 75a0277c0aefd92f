"""Bounded per-service log buffers, line cleaning, and search or filter queries."""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from devenv.errors import InputError

DEFAULT_BUFFER_LINES = 10_000
REGEX_PREFIX = "re:"

# CSI sequences (colours, cursor moves), then other two-byte escapes, then the
# remaining C0 control characters and DEL. Tabs are expanded before this runs.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x1f\x7f]")


class LogLine(NamedTuple):
    """One log line of one service; `seq` orders lines of all services by arrival.

    A named tuple rather than a frozen dataclass: the TUI creates thousands of
    these a second, and a tuple is several times cheaper to build.
    """

    seq: int
    profile: str
    service: str
    text: str
    is_marker: bool = False


def clean_line(text: str) -> str:
    """Remove terminal escape sequences and control characters from a log line.

    A service's ANSI colours would otherwise move the cursor or recolour the
    TUI, so they are dropped rather than interpreted.
    """
    if text.isprintable():
        return text
    return _ESCAPES.sub("", text.expandtabs(4))


def restart_marker(service: str) -> str:
    """Return the line devenv.logs emits when a service's container runs again."""
    return f"--- {service} restarted ---"


class LogBuffer:
    """Keeps the newest `max_lines` lines of every service; not thread-safe."""

    def __init__(self, max_lines: int = DEFAULT_BUFFER_LINES) -> None:
        if max_lines < 1:
            raise InputError(f"The log buffer needs at least 1 line, got {max_lines}.")
        self.max_lines = max_lines
        self._lines: dict[tuple[str, str], deque[LogLine]] = {}
        self._counter = itertools.count()

    def append(self, profile: str, service: str, text: str) -> LogLine:
        is_marker = text.startswith("--- ") and text == restart_marker(service)
        line = LogLine(next(self._counter), profile, service, text, is_marker)
        queue = self._lines.get((profile, service))
        if queue is None:
            queue = self._lines[(profile, service)] = deque(maxlen=self.max_lines)
        queue.append(line)
        return line

    def lines(self, profile: str, service: str | None) -> list[LogLine]:
        """Return one service's lines, or all services of a profile interleaved."""
        if service is not None:
            return list(self._lines.get((profile, service), ()))
        queues = [q for (p, _), q in self._lines.items() if p == profile]
        return list(heapq.merge(*queues, key=lambda line: line.seq))

    def services(self, profile: str) -> list[str]:
        return sorted(service for p, service in self._lines if p == profile)

    def line_count(self) -> int:
        return sum(len(queue) for queue in self._lines.values())


@dataclass(frozen=True)
class LogQuery:
    """A search or filter: plain text (case-insensitive) or a regular expression."""

    text: str
    pattern: re.Pattern[str]

    @property
    def is_regex(self) -> bool:
        return self.text.startswith(REGEX_PREFIX)

    def matches(self, line: LogLine) -> bool:
        return self.pattern.search(line.text) is not None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return (start, end) of every non-empty match in `text`."""
        return [m.span() for m in self.pattern.finditer(text) if m.end() > m.start()]


def parse_query(text: str) -> LogQuery | None:
    """Parse what the user typed; '' clears the query.

    Text that starts with `re:` is a Python regular expression, matched as
    written. Anything else is matched literally and case-insensitively.
    """
    if not text:
        return None
    if text.startswith(REGEX_PREFIX):
        source = text[len(REGEX_PREFIX) :]
        if not source:
            raise InputError("The regular expression after 're:' is empty.")
        try:
            return LogQuery(text, re.compile(source))
        except re.error as error:
            raise InputError(
                f"Invalid regular expression {source!r}: {error}."
            ) from None
    return LogQuery(text, re.compile(re.escape(text), re.IGNORECASE))


def filter_lines(lines: Iterable[LogLine], query: LogQuery | None) -> list[LogLine]:
    """Keep the lines that match; restart markers always stay visible."""
    if query is None:
        return list(lines)
    return [line for line in lines if line.is_marker or query.matches(line)]
