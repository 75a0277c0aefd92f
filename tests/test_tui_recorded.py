"""The TUI driven by its pilot over a recording of real containers, with snapshots.

tests/samples/tui/recording.json contains `docker inspect` records and log lines
captured from the sample's `live` and `vault` profiles, with ids, paths and
times replaced by fixed values. The recording replaces the engine so that
screens are deterministic. Tests against a real engine are in test_tui_engine.py.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from devenv.tui.app import DevenvApp, build_app
from devenv.tui.backend import READ_ONLY
from devenv.tui.screens.confirm import ConfirmScreen
from devenv.tui.screens.help import HelpScreen
from devenv.tui.widgets.bars import LogStatusLine
from devenv.tui.widgets.log_pane import LogPane
from devenv.workspace import Workspace

SAMPLE = Path(__file__).parent / "samples" / "tui"
RECORDING = SAMPLE / "recording.json"
TOKEN = "tui-sample-token-1234"  # API_TOKEN in the sample's .env.example
WAIT_LIMIT = 10.0  # seconds before a wait gives up; never a speed check


def recorded_app(buffer_lines: int = 10_000) -> DevenvApp:
    return build_app(Workspace(SAMPLE), buffer_lines=buffer_lines, recording=RECORDING)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition`, then let the screen catch up with it."""
    for _ in range(int(WAIT_LIMIT / 0.05)):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}; toasts: {toasts(pilot.app)}")


async def loaded(pilot: Pilot) -> None:
    """Wait until both recorded profiles are listed and their logs are on screen."""
    app = pilot.app
    await wait_until(pilot, lambda: {"live", "vault"} <= set(app.statuses), "profiles")
    pane = app.main.query_one(LogPane)
    status_line = app.main.query_one(LogStatusLine)

    def settled() -> bool:
        shown = len(pane.shown_lines)
        in_status_line = f"  {shown} lines" in str(status_line.content)
        at_end = pane.scroll_y == pane.max_scroll_y
        return shown > 0 and in_status_line and at_end and pane.size.height > 0

    await wait_until(pilot, settled, "the log pane to settle")
    await pilot.pause()


async def select(pilot: Pilot, service: str) -> None:
    """Move the cursor down to a service row of the `live` profile."""
    order = ["app", "broken", "ticker", "web"]
    await pilot.press(*["down"] * (order.index(service) + 1))
    await pilot.pause()


def toasts(app: DevenvApp) -> list[tuple[str, str]]:
    # App._notifications contains every toast, also in headless runs that draw none.
    return [(note.title, note.message) for note in app._notifications]


def details_text(app: DevenvApp) -> str:
    """Render the Details tab's content as plain text, at 120 columns."""
    body = app.main.query_one("#details-body", Static)
    console = Console(width=120, file=io.StringIO(), record=True)
    console.print(body.content)
    return console.export_text()


def pane_texts(app: DevenvApp) -> list[str]:
    return [line.text for line in app.main.query_one(LogPane).shown_lines]


def run(
    scenario: Callable[[DevenvApp, Pilot], object], app: DevenvApp | None = None
) -> None:
    app = app or recorded_app()

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(pilot)
            await scenario(app, pilot)

    asyncio.run(main())


# --- behaviour ----------------------------------------------------------------------


def test_selecting_service_shows_only_its_logs() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")

        pane = app.main.query_one(LogPane)
        assert {line.service for line in pane.shown_lines} == {"ticker"}
        assert pane_texts(app)[-1] == "needle: the ticker finished counting"

    run(scenario)


def test_header_row_shows_all_services_interleaved() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        services = {line.service for line in app.main.query_one(LogPane).shown_lines}

        assert services == {"broken", "ticker", "web"}  # app never started: no log

    run(scenario)


def test_restart_marker_kept_in_log_view() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")

        texts = pane_texts(app)
        marker = texts.index("--- ticker restarted ---")
        assert texts[marker + 1] == "ticker using token ******"
        assert texts.count("needle: the ticker finished counting") == 2

    run(scenario)


def test_search_finds_and_cycles_matches() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")
        await pilot.press("slash", *"tick 4", "enter")
        await pilot.pause()
        pane = app.main.query_one(LogPane)

        status = pane.status
        assert status.matches == 4  # "tick 4 of 40" and "tick 40 of 40", two runs
        first = status.match
        await pilot.press("n")
        assert pane.status.match == first % 4 + 1
        assert not pane.following  # a search jump pauses following

    run(scenario)


def test_search_match_is_scrolled_into_view() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")
        await pilot.press("slash", *"re:^tick 3 of", "enter")
        await pilot.pause()
        pane = app.main.query_one(LogPane)

        top = int(pane.scroll_y)
        visible = pane_texts(app)[top : top + pane.size.height]
        assert "tick 3 of 40" in visible

    run(scenario)


def test_invalid_regex_search_shows_toast() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await pilot.press("slash", *"re:(", "enter")
        await pilot.pause()

        message = (
            "Invalid regular expression '(': missing ), "
            "unterminated subpattern at position 0."
        )
        assert ("Invalid query", message) in toasts(app)

    run(scenario)


def test_filter_keeps_matching_lines_and_markers() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await pilot.press("f", *"needle", "enter")
        await pilot.pause()

        assert pane_texts(app) == [
            "needle: the ticker finished counting",
            "--- ticker restarted ---",
            "needle: the ticker finished counting",
        ]
        await pilot.press("f", "ctrl+u", "enter")  # an empty filter shows all again
        await pilot.pause()
        assert len(pane_texts(app)) == 87

    run(scenario)


def test_scrolling_up_pauses_and_G_follows() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        pane = app.main.query_one(LogPane)
        pane.focus()
        await pilot.pause()
        assert pane.following

        await pilot.press("pageup")
        assert not pane.following
        await pilot.press("G")
        assert pane.following
        assert pane.scroll_y == pane.max_scroll_y

    run(scenario)


def test_buffer_lines_bounds_each_service() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")

        assert len(app.logs.lines("live", "ticker")) == 10
        assert pane_texts(app)[-1] == "needle: the ticker finished counting"
        assert len(pane_texts(app)) == 10

    run(scenario, recorded_app(buffer_lines=10))


def test_secret_masked_in_logs_and_details() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")
        await pilot.press("i")
        await pilot.pause()

        assert "ticker using token ******" in pane_texts(app)
        assert "API_TOKEN=******" in details_text(app)
        assert TOKEN not in details_text(app)
        assert TOKEN not in app.export_screenshot()
        assert all(TOKEN not in line.text for line in app.logs.lines("live", None))

    run(scenario)


def test_failing_probe_output_in_details() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "broken")
        await pilot.press("i")
        await pilot.pause()

        text = details_text(app)
        assert "probe: database connection refused on port 5432" in text
        assert "unhealthy: last probe exited 1" in text

    run(scenario)


def test_actions_rejected_in_recording_show_toast() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "web")
        await pilot.press("r")
        await wait_until(pilot, lambda: toasts(app), "a toast")

        assert toasts(app) == [("Restart web failed", READ_ONLY)]

    run(scenario)


def test_service_action_on_profile_row_is_rejected() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await pilot.press("s")  # the cursor starts on the profile's header row
        await pilot.pause()

        assert toasts(app) == [
            ("Select a service", "This action works on one service row.")
        ]

    run(scenario)


def test_down_volumes_asks_first() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)

        await pilot.press("enter")  # the focused button is Cancel
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert toasts(app) == []

        await pilot.press("D", "y")
        await wait_until(pilot, lambda: toasts(app), "a toast")
        assert toasts(app) == [("Down live and remove volumes failed", READ_ONLY)]

    run(scenario)


def test_help_screen_opens_and_closes() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)

        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    run(scenario)


def test_clicking_a_row_selects_it() -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        # Line 0 of the table is the column header, 1 the profile `live`, 2 `app`.
        await pilot.click("#services", offset=(5, 3))
        await pilot.pause()

        assert app.main.selection.service == "broken"
        assert {line.service for line in app.main.query_one(LogPane).shown_lines} == {
            "broken"
        }

    run(scenario)


# --- snapshots ----------------------------------------------------------------------


def test_main_screen_snapshot(snap_compare) -> None:
    assert snap_compare(recorded_app(), run_before=loaded, terminal_size=(80, 24))


def test_wide_main_screen_snapshot(snap_compare) -> None:
    assert snap_compare(recorded_app(), run_before=loaded, terminal_size=(120, 36))


def test_search_snapshot(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await loaded(pilot)
        await select(pilot, "ticker")
        await pilot.press("slash", *"re:tick 3\\d", "enter", "G")
        pane = pilot.app.main.query_one(LogPane)
        await wait_until(pilot, lambda: pane.status.matches == 20, "search matches")
        await wait_until(pilot, lambda: pane.following, "the pane to follow again")

    assert snap_compare(recorded_app(), run_before=before, terminal_size=(80, 24))


def test_filter_snapshot(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("f", *"re:listening|needle|ready", "enter")
        await wait_until(pilot, lambda: len(pane_texts(pilot.app)) == 4, "the filter")

    assert snap_compare(recorded_app(), run_before=before, terminal_size=(80, 24))


def test_details_snapshot(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await loaded(pilot)
        await select(pilot, "broken")
        await pilot.press("i")
        probe = "probe: database connection refused"
        await wait_until(pilot, lambda: probe in details_text(pilot.app), "details")

    assert snap_compare(recorded_app(), run_before=before, terminal_size=(100, 34))


def test_help_snapshot(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, HelpScreen), "help"
        )

    assert snap_compare(recorded_app(), run_before=before, terminal_size=(80, 24))


def test_confirm_snapshot(snap_compare) -> None:
    async def before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("D")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the modal"
        )

    assert snap_compare(recorded_app(), run_before=before, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
def test_layout_fits_small_terminals(size: tuple[int, int]) -> None:
    async def scenario() -> None:
        app = recorded_app()
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            pane = app.main.query_one(LogPane)

            assert pane.region.bottom <= size[1] - 1  # the footer keeps the last row
            assert pane.size.height >= 5
            assert app.main.query_one("#services").region.height >= 4

    asyncio.run(scenario())
