"""The log pane's content model, free of Textual: bounded, filtered, searched lines.

LogModel keeps the pane's lines and maps screen rows to them. The widget in
log_pane.py scrolls and draws them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from devenv.tui.logbuffer import LogLine, LogQuery, filter_lines

PREFIX_SEPARATOR = " │ "


def text_width(text: str) -> int:
    """Count the terminal cells of `text`. Every ASCII character takes one cell."""
    return len(text) if text.isascii() else cell_len(text)


class RowMap:
    """Maps screen rows to log lines when long lines wrap onto several rows.

    `_ends[i]` is the absolute row just after line i. Dropping lines from the
    front moves `_base` instead of rewriting every entry.
    """

    def __init__(self) -> None:
        self._ends: list[int] = []
        self._base = 0

    def clear(self) -> None:
        self._ends = []
        self._base = 0

    def extend(self, widths: Iterable[int], width: int) -> None:
        """Add lines of the given cell widths, wrapped at `width` cells."""
        end = self._ends[-1] if self._ends else self._base
        for line_width in widths:
            end += max(1, -(-line_width // width))
            self._ends.append(end)

    def drop_front(self, count: int) -> int:
        """Forget the first `count` lines and return the rows they took."""
        if count <= 0:
            return 0
        new_base = self._ends[count - 1]
        rows = new_base - self._base
        self._base = new_base
        del self._ends[:count]
        return rows

    @property
    def row_count(self) -> int:
        return (self._ends[-1] - self._base) if self._ends else 0

    def line_at_row(self, row: int) -> int:
        """Return the index of the line on `row`, or the line count past the end."""
        return bisect_right(self._ends, row + self._base)

    def first_row_of(self, index: int) -> int:
        return (self._ends[index - 1] if index else self._base) - self._base


def highlighted_segments(
    text: str, spans: Iterable[tuple[int, int]], base: Style, highlight: Style
) -> list[Segment]:
    """Split `text` into segments, with `highlight` on each (start, end) span."""
    segments, position = [], 0
    for start, end in spans:
        segments.append(Segment(text[position:start], base))
        segments.append(Segment(text[start:end], highlight))
        position = end
    segments.append(Segment(text[position:], base))
    return [segment for segment in segments if segment.text]


class MatchIndex:
    """Indices of the shown lines that match a search, and the current match."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self._set: set[int] = set()
        self.current: int | None = None  # a position in `lines`

    def __len__(self) -> int:
        return len(self.lines)

    def __contains__(self, index: int) -> bool:
        return index in self._set

    def clear(self) -> None:
        self.lines, self._set, self.current = [], set(), None

    def add(self, index: int) -> None:
        self.lines.append(index)
        self._set.add(index)

    def is_current(self, index: int) -> bool:
        return self.current is not None and self.lines[self.current] == index

    def newest_up_to(self, index: int) -> int:
        """Return the position of the last match at or before line `index`, else 0."""
        return max(bisect_right(self.lines, index) - 1, 0)

    def stepped(self, step: int) -> int:
        """Return the position `step` matches away from the current one, wrapping."""
        if self.current is None:
            start = len(self.lines) if step < 0 else -1
        else:
            start = self.current
        return (start + step) % len(self.lines)

    def shift(self, dropped: int) -> None:
        """Renumber after the first `dropped` shown lines were removed."""
        kept = [index - dropped for index in self.lines if index >= dropped]
        removed = len(self.lines) - len(kept)
        self.lines, self._set = kept, set(kept)
        if self.current is not None:
            current = self.current - removed
            self.current = current if current >= 0 else None


class LogModel:
    """The lines a log pane shows: bounded, filtered, searched and wrapped.

    `all` keeps the newest `max_lines` lines of the source, and `shown` is the
    subsequence that passes the filter. Row numbers count screen rows, which
    differ from line numbers only while `wrap` is on.
    """

    def __init__(self, max_lines: int) -> None:
        self.max_lines = max_lines
        self.all: list[LogLine] = []
        self.shown: list[LogLine] = []
        self.filter: LogQuery | None = None
        self.search: LogQuery | None = None
        self.matches = MatchIndex()
        self.prefix_width = 0
        self.max_width = 0
        self.wrap = False
        self.wrap_width = 1
        self._rows = RowMap()

    def replace(self, lines: Sequence[LogLine], prefix_width: int) -> None:
        self.all = list(lines[-self.max_lines :])
        self.prefix_width = prefix_width
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute the shown lines after the lines, filter, search or wrap changed."""
        self.shown = filter_lines(self.all, self.filter)
        self.max_width = 0
        self._rows.clear()
        self._measure(0)
        self.find_matches(0)

    def append(self, lines: Sequence[LogLine]) -> tuple[int, int]:
        """Add lines; return the count shown and the rows that trimming removed."""
        self.all.extend(lines)
        start = len(self.shown)
        self.shown.extend(filter_lines(lines, self.filter))
        self._measure(start)
        self.find_matches(start)
        return len(self.shown) - start, self._trim()

    def line_width(self, line: LogLine) -> int:
        prefix = self.prefix_width + len(PREFIX_SEPARATOR) if self.prefix_width else 0
        return prefix + text_width(line.text)

    def find_matches(self, start: int) -> None:
        """Record the search's matches among the shown lines from `start` on."""
        if start == 0:
            self.matches.clear()
        if self.search is None:
            return
        for index in range(start, len(self.shown)):
            line = self.shown[index]
            if not line.is_marker and self.search.matches(line):
                self.matches.add(index)

    @property
    def row_count(self) -> int:
        return self._rows.row_count if self.wrap else len(self.shown)

    def line_at_row(self, row: int) -> int:
        index = self._rows.line_at_row(row) if self.wrap else row
        return min(index, len(self.shown) - 1)

    def first_row_of(self, index: int) -> int:
        return self._rows.first_row_of(index) if self.wrap else index

    def _measure(self, start: int) -> None:
        widths = [self.line_width(line) for line in self.shown[start:]]
        self.max_width = max(self.max_width, *widths, 0)
        if self.wrap:
            self._rows.extend(widths, self.wrap_width)

    def _trim(self) -> int:
        """Drop the oldest lines beyond max_lines and return the rows they took."""
        excess = len(self.all) - self.max_lines
        if excess <= 0:
            return 0
        cutoff = self.all[excess].seq
        del self.all[:excess]
        dropped = bisect_left(self.shown, cutoff, key=lambda line: line.seq)
        rows = self._rows.drop_front(dropped) if self.wrap else dropped
        del self.shown[:dropped]
        self.matches.shift(dropped)
        return rows
