"""A scrolling log view that renders only the visible lines (Textual's line API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from devenv.tui.logbuffer import LogLine, LogQuery
from devenv.tui.widgets.log_model import (
    PREFIX_SEPARATOR,
    LogModel,
    highlighted_segments,
)

SERVICE_COLOURS = ("cyan", "magenta", "blue", "yellow", "green", "bright_red")
# Whole lines kept rendered, a few screens' worth. Each Textual Strip carries
# seven small caches that the garbage collector must walk, so more lines here
# made its pauses longer while a busy log streamed in (bench/tui).
LINE_CACHE_SIZE = 256


@dataclass(frozen=True)
class PaneStatus:
    """State shown on the log status line: following, unseen lines, search, wrap."""

    following: bool
    unseen: int
    match: int  # 1-based position of the current match, 0 when none
    matches: int
    shown: int
    wrap: bool


class LogPane(ScrollView, can_focus=True):
    """Shows log lines with optional service prefixes, search highlights and wrapping.

    The pane follows new lines while scrolled to the end. It pauses when the
    user scrolls up or jumps to a search match, and `jump_to_end` resumes.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-pane--match",
        "log-pane--current-match",
        "log-pane--marker",
    }
    DEFAULT_CSS = """
    LogPane {
        background: $surface;
        overflow-y: scroll;
        height: 1fr;
    }
    LogPane > .log-pane--match { background: $warning 35%; }
    LogPane > .log-pane--current-match {
        background: $warning;
        color: $background;
        text-style: bold;
    }
    LogPane > .log-pane--marker { color: $accent; text-style: bold; }
    """

    wrap: reactive[bool] = reactive(False)

    class StatusChanged(Message):
        def __init__(self, status: PaneStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(self, max_lines: int, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = LogModel(max_lines)
        self.following = True
        self._unseen = 0
        self._service_styles: dict[str, Style] = {}
        self._scrolling = False
        self._cache: LRUCache[tuple[int, bool], Strip] = LRUCache(LINE_CACHE_SIZE)
        self._last_status: PaneStatus | None = None
        self._render_width = 1
        self._render_style = Style()

    @property
    def max_lines(self) -> int:
        return self.model.max_lines

    @max_lines.setter
    def max_lines(self, value: int) -> None:
        self.model.max_lines = value

    @property
    def shown_lines(self) -> Sequence[LogLine]:
        """The lines that pass the filter, oldest first."""
        return self.model.shown

    @property
    def row_count(self) -> int:
        """Screen rows the lines take: one each, or more each when wrapped."""
        return self.model.row_count

    @property
    def status(self) -> PaneStatus:
        current = self.model.matches.current
        return PaneStatus(
            following=self.following,
            unseen=self._unseen,
            match=0 if current is None else current + 1,
            matches=len(self.model.matches),
            shown=len(self.model.shown),
            wrap=self.wrap,
        )

    # --- content ------------------------------------------------------------

    def show(
        self, lines: Sequence[LogLine], prefix_services: Sequence[str] = ()
    ) -> None:
        """Replace the content. Lines get a service prefix if services are given."""
        self._service_styles = {
            service: Style(color=SERVICE_COLOURS[i % len(SERVICE_COLOURS)], bold=True)
            for i, service in enumerate(prefix_services)
        }
        prefix_width = max((len(service) for service in prefix_services), default=0)
        self.model.replace(lines, prefix_width)
        self._content_changed()
        self.jump_to_end()

    def append(self, lines: Sequence[LogLine]) -> None:
        if not lines:
            return
        added, dropped_rows = self.model.append(lines)
        self._update_virtual_size()
        if self.following:
            self._scroll_quietly(self.max_scroll_y)
        else:
            self._unseen += added
            self._scroll_quietly(max(0, self.scroll_y - dropped_rows))
        self.refresh()
        self._post_status()

    def set_filter(self, query: LogQuery | None) -> None:
        self.model.filter = query
        self._content_changed()
        if self.following:
            self.jump_to_end()

    def set_search(self, query: LogQuery | None) -> None:
        """Highlight matches and jump to the newest one at or above the bottom row."""
        self.model.search = query
        self.model.find_matches(0)
        self._cache.clear()
        matches = self.model.matches
        if matches:
            bottom = self.model.line_at_row(int(self.scroll_y) + self.size.height - 1)
            self._go_to_match(matches.newest_up_to(bottom))
        self.refresh()
        self._post_status()

    def next_match(self, step: int = 1) -> None:
        """Move to the next match (step 1) or the previous one (-1), wrapping around."""
        if self.model.matches:
            self._go_to_match(self.model.matches.stepped(step))

    def jump_to_end(self) -> None:
        self.following = True
        self._unseen = 0
        self._scroll_quietly(self.max_scroll_y)
        self._post_status()

    def watch_wrap(self, wrap: bool) -> None:
        self.model.wrap = wrap
        self._content_changed()
        if self.following:
            self.jump_to_end()

    def on_resize(self) -> None:
        """Re-wrap at the new width, and stay at the end when the pane shrinks."""
        if self.wrap:
            self._content_changed()
        if self.following:
            self.jump_to_end()

    # --- scrolling and status ------------------------------------------------------

    def _content_changed(self) -> None:
        self.model.wrap_width = self._content_width()
        self.model.rebuild()
        self._cache.clear()
        self._update_virtual_size()
        self.refresh()
        self._post_status()

    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width)

    def _update_virtual_size(self) -> None:
        width = self.model.wrap_width if self.wrap else self.model.max_width
        self.virtual_size = Size(width, self.model.row_count)

    def _go_to_match(self, position: int) -> None:
        self.model.matches.current = position
        self.following = False
        row = self.model.first_row_of(self.model.matches.lines[position])
        self._scroll_quietly(max(0, row - self.size.height // 2))
        self._cache.clear()
        self.refresh()
        self._post_status()

    def _scroll_quietly(self, y: float) -> None:
        """Scroll without counting it as the user's scroll, which decides following."""
        self._scrolling = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True)
        finally:
            self._scrolling = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._scrolling:
            return
        at_end = new_value >= self.max_scroll_y
        if at_end != self.following:
            self.following = at_end
            if at_end:
                self._unseen = 0
            self._post_status()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def _post_status(self) -> None:
        status = self.status
        if status != self._last_status:
            self._last_status = status
            self.post_message(self.StatusChanged(status))

    # --- rendering --------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Looked up once per render instead of once per line, because both are
        # costly and the pane redraws many times a second while a log is busy.
        self._render_width = self._content_width()
        self._render_style = self.rich_style
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self._render_width
        base = self._render_style
        row = scroll_y + y
        if row >= self.model.row_count:
            return Strip.blank(width, base)
        index = self.model.line_at_row(row)
        strip = self._line_strip(index, base)
        if self.wrap:
            start = (row - self.model.first_row_of(index)) * width
            return strip.crop_extend(start, start + width, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _line_strip(self, index: int, base: Style) -> Strip:
        """Build one whole, uncropped line.

        Lines are cached by `seq` because the text of a line never changes.
        """
        line = self.model.shown[index]
        is_current = self.model.matches.is_current(index)
        key = (line.seq, is_current)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        segments: list[Segment] = []
        if self.model.prefix_width:
            label = line.service.ljust(self.model.prefix_width) + PREFIX_SEPARATOR
            style = base + self._service_styles.get(line.service, Style())
            segments.append(Segment(label, style))
        segments += self._text_segments(line, index, is_current, base)
        strip = Strip(segments, self.model.line_width(line))
        self._cache[key] = strip
        return strip

    def _text_segments(
        self, line: LogLine, index: int, is_current: bool, base: Style
    ) -> list[Segment]:
        if line.is_marker:
            marker = self.get_component_rich_style("log-pane--marker")
            return [Segment(line.text, base + marker)]
        search = self.model.search
        if search is None or index not in self.model.matches:
            return [Segment(line.text, base)]
        component = "log-pane--current-match" if is_current else "log-pane--match"
        highlight = base + self.get_component_rich_style(component)
        return highlighted_segments(line.text, search.spans(line.text), base, highlight)
