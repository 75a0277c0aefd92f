"""The main screen: service list on top, logs, details and activity in tabs below."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, RichLog, TabbedContent, TabPane

from devenv.errors import InputError
from devenv.tui.logbuffer import LogLine, LogQuery, parse_query
from devenv.tui.rows import ServiceRow
from devenv.tui.widgets.bars import ActivityBar, LogStatusLine, QueryBar
from devenv.tui.widgets.details import (
    NO_SELECTION,
    DetailsPane,
    profile_details,
    service_details,
)
from devenv.tui.widgets.log_pane import LogPane, PaneStatus
from devenv.tui.widgets.service_table import Selection, ServiceTable

if TYPE_CHECKING:
    from devenv.tui.app import DevenvApp

TABS = ("logs", "details", "activity")


class MainScreen(Screen):
    """Routes selection, log lines and queries between the widgets."""

    DEFAULT_CSS = """
    #services { border-bottom: solid $primary-darken-2; }
    #tabs { height: 1fr; }
    #tabs > ContentSwitcher { height: 1fr; }
    #tabs TabPane { padding: 0; height: 1fr; }
    #activity-log { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
        Binding("f", "filter", "Filter"),
        Binding("w", "toggle_wrap", "Wrap", show=False),
        Binding("G", "follow", "Follow", show=False),
        Binding("a", "toggle_all", "All logs", show=False),
        Binding("l", "show_tab('logs')", "Logs", show=False),
        Binding("i", "show_tab('details')", "Details"),
        Binding("t", "next_tab", "Next tab", show=False),
        Binding("escape", "clear_query", "Clear search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_all = False
        self.search: LogQuery | None = None
        self.filter: LogQuery | None = None
        self._pane_status: PaneStatus | None = None
        self._focus_before_query: Widget | None = None
        self._shown_source: tuple[str, str | None] | None = None

    @property
    def devenv(self) -> DevenvApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ServiceTable(id="services")
        with TabbedContent(id="tabs", initial="logs"):
            with TabPane("Logs", id="logs"):
                yield LogStatusLine(id="log-status")
                yield LogPane(self.devenv.logs.max_lines, id="log-pane")
                yield QueryBar(id="query")
            with TabPane("Details", id="details"):
                yield DetailsPane(id="details-pane")
            with TabPane("Activity", id="activity"):
                yield RichLog(
                    id="activity-log", wrap=True, markup=False, max_lines=2000
                )
        yield ActivityBar(id="activity-bar")
        # The palette key stays (ctrl+p) but leaves its footer space to the
        # actions, so every shown key fits in 80 columns.
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ServiceTable).focus()
        self._update_status_line()

    # --- what the app feeds in ---------------------------------------------------

    @property
    def selection(self) -> Selection | None:
        return self.query_one(ServiceTable).selection

    def set_profile_rows(
        self, profile: str, rows: list[ServiceRow], summary: str
    ) -> None:
        self.query_one(ServiceTable).set_profile(profile, rows, summary)
        selection = self.selection
        if selection is not None and selection.profile == profile:
            self._refresh_visible_details()

    def set_uptimes(self, uptimes: dict[tuple[str, str], str]) -> None:
        self.query_one(ServiceTable).set_uptimes(uptimes)

    def append_logs(self, lines: list[LogLine]) -> None:
        source = self._shown_source
        if source is None:
            return
        profile, service = source
        mine = [
            line
            for line in lines
            if line.profile == profile and (service is None or line.service == service)
        ]
        self.query_one(LogPane).append(mine)

    def write_activity(self, text: Text) -> None:
        self.query_one("#activity-log", RichLog).write(text)

    @property
    def activity_bar(self) -> ActivityBar:
        return self.query_one(ActivityBar)

    # --- selection -----------------------------------------------------------------

    def log_source(self) -> tuple[str, str | None] | None:
        """Return (profile, service) whose logs show; service None means all."""
        selection = self.selection
        if selection is None:
            return None
        if self.show_all or selection.service is None:
            return (selection.profile, None)
        return (selection.profile, selection.service)

    def on_service_table_selection_changed(
        self, event: ServiceTable.SelectionChanged
    ) -> None:
        self.reload_logs()
        self._refresh_visible_details()
        self._report_probe_interest()

    def reload_logs(self) -> None:
        pane = self.query_one(LogPane)
        source = self._shown_source = self.log_source()
        if source is None:
            pane.show([])
        else:
            profile, service = source
            logs = self.devenv.logs
            prefixes = self.devenv.services.get(profile, []) if service is None else []
            pane.max_lines = logs.max_lines * max(1, len(prefixes))
            pane.show(logs.lines(profile, service), prefixes)
        self._update_status_line()

    def _refresh_visible_details(self) -> None:
        """Rebuild the details only while their tab shows; activating it rebuilds too."""
        if self.query_one(TabbedContent).active == "details":
            self.refresh_details()

    def refresh_details(self) -> None:
        details = self.query_one(DetailsPane)
        selection = self.selection
        statuses = self.devenv.statuses.get(selection.profile, []) if selection else []
        if selection is None:
            details.show(NO_SELECTION)
        elif selection.service is None:
            description = self.devenv.profile_description(selection.profile)
            details.show(profile_details(selection.profile, description, statuses))
        else:
            status = next(
                (s for s in statuses if s.state.service == selection.service), None
            )
            masker = self.devenv.maskers[selection.profile]
            details.show(
                service_details(selection.profile, status, masker)
                if status
                else NO_SELECTION
            )

    def _report_probe_interest(self) -> None:
        """Tell the app whose probe events matter: the profile whose details show."""
        selection = self.selection
        showing = self.query_one(TabbedContent).active == "details"
        profiles = (
            frozenset({selection.profile}) if selection and showing else frozenset()
        )
        self.devenv.set_probe_interest(profiles)

    def on_tabbed_content_tab_activated(
        self, event: TabbedContent.TabActivated
    ) -> None:
        if event.pane.id == "details":
            self.refresh_details()
        self._report_probe_interest()

    # --- log view actions ------------------------------------------------------------

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.reload_logs()

    def action_search(self) -> None:
        self._open_query("search", self.search)

    def action_filter(self) -> None:
        self._open_query("filter", self.filter)

    def _open_query(self, mode: str, current: LogQuery | None) -> None:
        self.query_one(TabbedContent).active = "logs"
        self._focus_before_query = self.focused
        self.query_one(QueryBar).open(mode, current.text if current else "")

    def on_query_bar_closed(self, event: QueryBar.Closed) -> None:
        if self._focus_before_query is not None:
            self._focus_before_query.focus()
        if event.text is None:
            return
        try:
            query = parse_query(event.text)
        except InputError as error:
            self.notify(
                str(error), title="Invalid query", severity="error", markup=False
            )
            return
        pane = self.query_one(LogPane)
        if event.mode == "search":
            self.search = query
            pane.set_search(query)
        else:
            self.filter = query
            pane.set_filter(query)
            pane.set_search(self.search)
        self._update_status_line()

    def action_next_match(self) -> None:
        self.query_one(LogPane).next_match(1)

    def action_previous_match(self) -> None:
        self.query_one(LogPane).next_match(-1)

    def action_clear_query(self) -> None:
        """Clear the search first, then the filter on a second press."""
        pane = self.query_one(LogPane)
        if self.search is not None:
            self.search = None
            pane.set_search(None)
        elif self.filter is not None:
            self.filter = None
            pane.set_filter(None)
        self._update_status_line()

    def action_toggle_wrap(self) -> None:
        pane = self.query_one(LogPane)
        pane.wrap = not pane.wrap

    def action_follow(self) -> None:
        self.query_one(LogPane).jump_to_end()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + 1) % len(TABS)]

    def on_log_pane_status_changed(self, event: LogPane.StatusChanged) -> None:
        self._pane_status = event.status
        self._update_status_line()

    def _update_status_line(self) -> None:
        source = self.log_source()
        if source is None:
            label = "no service selected"
        elif source[1] is None:
            label = f"all services of {source[0]}"
        else:
            label = f"{source[1]} ({source[0]})"
        self.query_one(LogStatusLine).show_status(
            label,
            self.filter.text if self.filter else "",
            self.search.text if self.search else "",
            self._pane_status,
        )
