"""The log pane widget on its own, in a small app: wrapping, bounds, following."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.app import App, ComposeResult

from devenv.tui.logbuffer import LogBuffer, LogLine, parse_query
from devenv.tui.widgets.log_pane import LogPane


class PaneApp(App[None]):
    """Hosts one LogPane that fills the screen."""

    def __init__(self, max_lines: int) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield LogPane(self.max_lines)


def make_lines(
    buffer: LogBuffer, texts: list[str], service: str = "web"
) -> list[LogLine]:
    return [buffer.append("live", service, text) for text in texts]


def run(scenario: Callable[[LogPane, LogBuffer], object], max_lines: int = 100) -> None:
    async def main() -> None:
        app = PaneApp(max_lines)
        async with app.run_test(size=(40, 10)) as pilot:
            pane = app.query_one(LogPane)
            await pilot.pause()
            await scenario(pane, LogBuffer(max_lines=1000))

    asyncio.run(main())


def test_wrap_splits_long_lines_into_rows() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        width = pane.scrollable_content_region.width
        pane.show(make_lines(buffer, ["x" * (width * 2 + 1), "short"]))
        assert pane.row_count == 2

        pane.wrap = True
        assert pane.row_count == 4  # three rows for the long line, one for "short"
        assert pane.status.wrap

    run(scenario)


def test_pane_keeps_newest_max_lines() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        pane.show(make_lines(buffer, [f"line {n}" for n in range(3)]))
        pane.append(make_lines(buffer, [f"line {n}" for n in range(3, 8)]))

        assert [line.text for line in pane.shown_lines] == [
            "line 3",
            "line 4",
            "line 5",
            "line 6",
            "line 7",
        ]

    run(scenario, max_lines=5)


def test_wrapped_rows_follow_trimming() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        width = pane.scrollable_content_region.width
        pane.wrap = True
        pane.show(make_lines(buffer, ["y" * (width + 1)] * 3))  # two rows each
        pane.append(make_lines(buffer, ["z"] * 2))

        assert [line.text[0] for line in pane.shown_lines] == ["y", "z", "z"]
        assert pane.row_count == 4

    run(scenario, max_lines=3)


def test_paused_view_stays_on_its_lines() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        pane.show(make_lines(buffer, [f"line {n}" for n in range(50)]))
        pane.scroll_to(y=10, animate=False, immediate=True)  # as a user's scroll
        assert not pane.following

        pane.append(make_lines(buffer, [f"new {n}" for n in range(5)]))

        assert pane.scroll_y == 10
        assert pane.status.unseen == 5
        pane.jump_to_end()
        assert pane.following
        assert pane.status.unseen == 0

    run(scenario)


def test_following_view_moves_to_new_lines() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        pane.show(make_lines(buffer, [f"line {n}" for n in range(50)]))
        pane.append(make_lines(buffer, [f"new {n}" for n in range(5)]))

        assert pane.following
        assert pane.scroll_y == pane.max_scroll_y
        assert pane.max_scroll_y > 0

    run(scenario)


def test_search_counts_new_matching_lines() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        pane.show(make_lines(buffer, ["error one", "fine", "error two"]))
        pane.set_search(parse_query("error"))
        assert pane.status.matches == 2
        assert pane.status.match == 2  # the newest match at or above the bottom

        pane.append(make_lines(buffer, ["another error"]))
        assert pane.status.matches == 3
        pane.next_match(-1)
        assert pane.status.match == 1

    run(scenario)


def test_filter_applies_to_appended_lines() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        pane.show(make_lines(buffer, ["GET /", "POST /login"]))
        pane.set_filter(parse_query("re:^POST"))
        pane.append(make_lines(buffer, ["GET /about", "POST /logout"]))

        assert [line.text for line in pane.shown_lines] == [
            "POST /login",
            "POST /logout",
        ]

        pane.set_filter(None)
        assert len(pane.shown_lines) == 4

    run(scenario)


def test_prefixes_widen_lines_by_service_label() -> None:
    async def scenario(pane: LogPane, buffer: LogBuffer) -> None:
        lines = make_lines(buffer, ["a"], service="web") + make_lines(
            buffer, ["b"], service="database"
        )
        pane.show(lines, prefix_services=["web", "database"])

        assert pane.virtual_size.width == len("database") + len(" │ ") + 1

    run(scenario)
