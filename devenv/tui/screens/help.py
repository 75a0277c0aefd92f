"""The help screen: every key binding, and the limits a user should know."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("Services", None),
    (
        "up / down, click",
        "select a service; a profile's header row shows all its services",
    ),
    ("r", "restart the selected service"),
    ("s", "stop the selected service, or start it when it is not running"),
    ("b", "rebuild the service's image and recreate its container"),
    ("e", "open a shell (sh) in the service's container; exit the shell to return"),
    ("Profiles", None),
    ("u", "bring the selected profile up and wait until it is ready"),
    ("d", "bring the selected profile down; named volumes are kept"),
    ("D", "bring the profile down and remove its named volumes (asks first)"),
    ("Logs", None),
    ("a", "switch between the selected service and all services of its profile"),
    ("/", "search; n and N go to the next and previous match, Esc clears it"),
    ("f", "filter: show only matching lines; an empty filter shows all"),
    ("w", "wrap long lines"),
    ("G, End", "jump to the newest line and follow again"),
    ("View", None),
    ("l, i, t", "show the Logs tab, the Details tab, or the next tab"),
    ("?", "show this help"),
    ("ctrl+p", "open the command palette (themes, screenshots, and more)"),
    ("q", "quit; services keep running"),
)

NOTES = (
    (
        "Searches and filters match text case-insensitively; start them with re: "
        "to use a Python regular expression, matched as written."
    ),
    "The service list updates from Docker's events, not by polling.",
    "Each service keeps its newest {buffer_lines} log lines (--buffer-lines).",
    "Secrets from .env and secret-named variables are masked in logs and details.",
    "ANSI colours and control characters in service output are removed.",
    "The shell needs `sh` in the container's image.",
)


class HelpScreen(ModalScreen[None]):
    """Lists the key bindings; any of Esc, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 100;
        height: 90%;
        border: thick $accent;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, buffer_lines: int) -> None:
        super().__init__()
        self.buffer_lines = buffer_lines

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "devenv tui: key bindings"
            yield Static(_keys_table())
            notes = [
                f"• {note.format(buffer_lines=self.buffer_lines)}" for note in NOTES
            ]
            yield Static(Text("\n".join(notes)), id="help-notes")

    def action_dismiss(self) -> None:
        self.dismiss(None)


def _keys_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, description in KEYS:
        if description is None:
            table.add_row(Text(key, style="bold underline"), "")
        else:
            table.add_row(key, description)
    table.add_row("", "")
    return table
