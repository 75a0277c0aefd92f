"""One-line widgets: the search and filter input, the log status, running actions."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input, Static

from devenv.tui.widgets.log_pane import PaneStatus

QUERY_HINT = "text (case-insensitive), or re:PATTERN for a regular expression"


class QueryBar(Input):
    """Input for a search or a filter. Enter applies it and Escape cancels."""

    DEFAULT_CSS = """
    QueryBar { dock: bottom; display: none; border: tall $accent; }
    QueryBar.-open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False)
    ]

    class Closed(Message):
        """The bar closed; `text` is None when the user cancelled."""

        def __init__(self, mode: str, text: str | None) -> None:
            super().__init__()
            self.mode = mode
            self.text = text

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = "search"

    def open(self, mode: str, current: str) -> None:
        self.mode = mode
        self.placeholder = QUERY_HINT
        self.border_title = "Search" if mode == "search" else "Filter"
        self.value = current
        self.add_class("-open")
        # Focus at once, not after a refresh as focus() does, so that keys typed
        # right after the one that opened the bar land in it.
        self.screen.set_focus(self)

    def action_cancel(self) -> None:
        self._close(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._close(self.value)

    def _close(self, text: str | None) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed(self.mode, text))


class LogStatusLine(Static):
    """Names the log source and shows filter, search, wrap and follow state."""

    DEFAULT_CSS = """
    LogStatusLine { height: 1; background: $panel; padding: 0 1; }
    """

    def show_status(
        self, source: str, filter_text: str, search_text: str, status: PaneStatus | None
    ) -> None:
        text = Text(source, style="bold")
        if status is not None:
            noun = "line" if status.shown == 1 else "lines"
            text.append(f"  {status.shown} {noun}")
        if filter_text:
            text.append(f"  filter '{filter_text}'", style="cyan")
        if search_text:
            found = f"{status.match}/{status.matches}" if status else "0/0"
            text.append(f"  search '{search_text}' {found}", style="cyan")
        if status is not None and status.wrap:
            text.append("  wrap")
        if status is not None and not status.following:
            text.append(
                f"  PAUSED ({status.unseen} new, G follows)", style="bold yellow"
            )
        self.update(text, layout=False)  # the status line is always one row high


class ActivityBar(Static):
    """Shows the actions that are running and their latest step."""

    DEFAULT_CSS = """
    ActivityBar {
        height: auto;
        max-height: 3;
        display: none;
        background: $boost;
        padding: 0 1;
    }
    ActivityBar.-busy { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._actions: dict[int, tuple[str, str]] = {}

    def started(self, action_id: int, title: str) -> None:
        self._actions[action_id] = (title, "")
        self._redraw()

    def progressed(self, action_id: int, step: str) -> None:
        if action_id in self._actions:
            self._actions[action_id] = (self._actions[action_id][0], step)
            self._redraw()

    def finished(self, action_id: int) -> None:
        self._actions.pop(action_id, None)
        self._redraw()

    def _redraw(self) -> None:
        lines = [
            f"⟳ {title}" + (f": {step}" if step else "…")
            for title, step in self._actions.values()
        ]
        self.update(Text("\n".join(lines)))
        self.set_class(bool(self._actions), "-busy")
