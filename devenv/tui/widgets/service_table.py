"""The service list: one header row per profile, then a row per service."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from devenv.tui.rows import ServiceRow

COLUMNS = ("SERVICE", "STATE", "HEALTH", "PORTS", "UP", "RESTARTS", "DETAIL")


@dataclass(frozen=True)
class Selection:
    """A selected service, or a whole profile when `service` is None."""

    profile: str
    service: str | None = None


class ServiceTable(DataTable):
    """Lists services grouped by profile; highlighting a row selects it."""

    DEFAULT_CSS = """
    ServiceTable {
        height: auto;
        max-height: 45%;
        overflow-x: hidden;
    }
    """

    class SelectionChanged(Message):
        def __init__(self, selection: Selection | None) -> None:
            super().__init__()
            self.selection = selection

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._rows: dict[str, list[ServiceRow]] = {}
        self._summaries: dict[str, str] = {}
        self._order: list[Selection] = []
        self._announced: Selection | None = None
        self._widths: dict[str, int] = {}

    @property
    def selection(self) -> Selection | None:
        """The row under the cursor, even before its SelectionChanged is handled."""
        if 0 <= self.cursor_row < len(self._order):
            return self._order[self.cursor_row]
        return None

    def on_mount(self) -> None:
        self._set_columns({label: len(label) for label in COLUMNS})

    def set_profile(self, profile: str, rows: list[ServiceRow], summary: str) -> None:
        """Replace one profile's rows and keep the cursor on the same selection."""
        self._rows[profile] = rows
        self._summaries[profile] = summary
        self._redraw()

    def set_uptimes(self, uptimes: dict[tuple[str, str], str]) -> None:
        """Update only the UP column, for the clock; no engine read is involved."""
        for profile, rows in self._rows.items():
            for index, row in enumerate(rows):
                uptime = uptimes.get((profile, row.service), row.uptime)
                if uptime != row.uptime:
                    rows[index] = replace(row, uptime=uptime)
                    key = _row_key(Selection(profile, row.service))
                    self.update_cell(key, "UP", uptime)

    def _redraw(self) -> None:
        previous = self.selection
        lines: list[tuple[Selection, list[Text]]] = []
        for profile in sorted(self._rows):
            lines.append(
                (Selection(profile), _header_cells(profile, self._summaries[profile]))
            )
            lines += [
                (Selection(profile, row.service), _service_cells(row))
                for row in self._rows[profile]
            ]
        widths = _column_widths([cells for _, cells in lines])
        if widths != self._widths:
            self._set_columns(widths)
        self.clear()
        self._order = []
        for selection, cells in lines:
            self._add(selection, cells)
        if not self._order:
            self._select(None)
            return
        target = previous if previous in self._order else self._order[0]
        self.move_cursor(row=self._order.index(target), animate=False)
        self._select(target)

    def _set_columns(self, widths: dict[str, int]) -> None:
        """Re-create the columns with fixed widths.

        With automatic widths, DataTable measures cells only when idle, and
        its cached header could keep the old widths after rows were replaced.
        """
        self.clear(columns=True)
        for label in COLUMNS:
            self.add_column(label, key=label, width=widths[label])
        self._widths = widths

    def _add(self, selection: Selection, cells: list[Text]) -> None:
        self.add_row(*cells, key=_row_key(selection))
        self._order.append(selection)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        # A redraw moves the cursor more than once; only the last position counts.
        if event.cursor_row != self.cursor_row:
            return
        if 0 <= event.cursor_row < len(self._order):
            self._select(self._order[event.cursor_row])

    def _select(self, selection: Selection | None) -> None:
        if selection != self._announced:
            self._announced = selection
            self.post_message(self.SelectionChanged(selection))

    def row_of(self, selection: Selection) -> ServiceRow | None:
        for row in self._rows.get(selection.profile, []):
            if row.service == selection.service:
                return row
        return None


def _column_widths(lines: list[list[Text]]) -> dict[str, int]:
    """Size each column for its label and its widest cell; UP also fits "59m59s"."""
    widths = {label: len(label) for label in COLUMNS}
    widths["UP"] = max(widths["UP"], len("59m59s"))
    for cells in lines:
        for label, cell in zip(COLUMNS, cells):
            widths[label] = max(widths[label], cell.cell_len)
    return widths


def _row_key(selection: Selection) -> str:
    return f"{selection.profile}/{selection.service or ''}"


def _header_cells(profile: str, summary: str) -> list[Text]:
    cells = [Text(f"▼ {profile}", style="bold")]
    cells += [Text("")] * (len(COLUMNS) - 2)
    cells.append(Text(summary, style="bold"))
    return cells


def _service_cells(row: ServiceRow) -> list[Text]:
    name = Text.assemble("  ", (row.symbol, row.style), " ", row.service)
    health = Text(row.health, style=row.style if row.health != "-" else "")
    return [
        name,
        Text(row.state),
        health,
        Text(row.ports),
        Text(row.uptime),
        Text(row.restarts, justify="right"),
        Text(row.detail, style=row.style),
    ]
