"""The TUI against a real engine: pilot-driven tests and a tmux smoke test.

One module-wide fixture brings the sample's `live` profile up (web healthy,
ticker printing numbered lines, broken with a probe that always fails, app
waiting on broken) and takes it down with its volumes at the end.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from devenv import engine
from devenv.stack import Stack
from devenv.tui.app import DevenvApp, build_app
from devenv.tui.screens.confirm import ConfirmScreen
from devenv.tui.widgets.log_pane import LogPane
from devenv.workspace import Workspace

pytestmark = pytest.mark.engine

SAMPLE = Path(__file__).parent / "samples" / "tui"
PROBE_OUTPUT = "probe: database connection refused on port 5432"
NEEDLE = "needle: the ticker finished counting"
WAIT_LIMIT = 60.0  # seconds before a wait gives up; never a speed check


def copy_sample(folder: Path) -> Path:
    root = folder / "tui"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("recording.json"))
    shutil.copy(root / ".env.example", root / ".env")
    (root / ".env").chmod(0o600)
    return root


@pytest.fixture(scope="module")
def live_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_sample(tmp_path_factory.mktemp("tui-engine"))
    stack = Stack(Workspace(root), "live")
    for _ in stack.up():  # ends failed: broken never becomes healthy
        pass
    yield root
    stack.down(volumes=True)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"gave up waiting for {what}; toasts: {toasts(pilot.app)}"
            )
        await pilot.pause(0.1)


def pane_texts(app: DevenvApp) -> list[str]:
    return [line.text for line in app.main.query_one(LogPane).shown_lines]


def details_text(app: DevenvApp) -> str:
    console = Console(width=120, file=io.StringIO(), record=True)
    console.print(app.main.query_one("#details-body", Static).content)
    return console.export_text()


def toasts(app: DevenvApp) -> list[tuple[str, str]]:
    # App._notifications contains every toast, also in headless runs that draw none.
    return [(note.title, note.message) for note in app._notifications]


async def select(pilot: Pilot, service: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: "live" in app.statuses, "the live profile")
    order = [status.state.service for status in app.statuses["live"]]
    await pilot.press(*["down"] * (order.index(service) + 1))
    await pilot.pause()


def run(app: DevenvApp, scenario: Callable[[DevenvApp, Pilot], object]) -> None:
    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await scenario(app, pilot)

    asyncio.run(main())


def test_selecting_service_shows_its_logs(live_root: Path) -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")
        await wait_until(pilot, lambda: NEEDLE in pane_texts(app), "the ticker's log")

        lines = app.main.query_one(LogPane).shown_lines
        assert {line.service for line in lines} == {"ticker"}
        assert "tick 1 of 40" in pane_texts(app)
        assert "ticker using token ******" in pane_texts(app)

    run(build_app(Workspace(live_root), "live"), scenario)


def test_restart_restarts_container(live_root: Path) -> None:
    stack = Stack(Workspace(live_root), "live")
    before = stack.states()["web"].started_at
    marker = "--- web restarted ---"

    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "web")
        await wait_until(
            pilot, lambda: "web listening on 8080" in pane_texts(app), "log"
        )
        await pilot.press("r")
        await wait_until(
            pilot, lambda: ("Restart web", "Restarted web.") in toasts(app), "toast"
        )

        assert stack.states()["web"].started_at != before
        await wait_until(pilot, lambda: marker in pane_texts(app), "the restart marker")
        await wait_until(
            pilot,
            lambda: pane_texts(app).count("web listening on 8080") == 2,
            "the second run's first line",
        )
        texts = pane_texts(app)
        starts = [i for i, text in enumerate(texts) if text == "web listening on 8080"]
        assert starts[0] < texts.index(marker) < starts[1]

    run(build_app(Workspace(live_root), "live"), scenario)


def test_failing_probe_output_in_details(live_root: Path) -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "broken")
        await pilot.press("i")
        await wait_until(
            pilot, lambda: PROBE_OUTPUT in details_text(app), "probe output"
        )

        assert "unhealthy: last probe exited 1" in details_text(app)

    run(build_app(Workspace(live_root), "live"), scenario)


def test_search_finds_line(live_root: Path) -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")
        await wait_until(pilot, lambda: NEEDLE in pane_texts(app), "the ticker's log")
        await pilot.press("slash", *"re:finished count", "enter")
        await pilot.pause()
        pane = app.main.query_one(LogPane)

        status = pane.status
        assert status.matches >= 1
        top = int(pane.scroll_y)
        assert NEEDLE in pane_texts(app)[top : top + pane.size.height]

    run(build_app(Workspace(live_root), "live"), scenario)


def test_stop_then_start_follows_events(live_root: Path) -> None:
    def ticker_status(app: DevenvApp) -> str:
        states = {s.state.service: s.state for s in app.statuses.get("live", [])}
        return states["ticker"].status if "ticker" in states else ""

    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "ticker")
        await pilot.press("s")
        await wait_until(
            pilot, lambda: ticker_status(app) == "exited", "ticker to stop"
        )

        await pilot.press("s")
        await wait_until(
            pilot, lambda: ticker_status(app) == "running", "ticker to start"
        )
        started = ("Start ticker", "Started ticker.")
        await wait_until(pilot, lambda: started in toasts(app), "the start toast")

    run(build_app(Workspace(live_root), "live"), scenario)


def test_without_profile_lists_running_ones(live_root: Path) -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await wait_until(pilot, lambda: "live" in app.statuses, "the live profile")

        assert "vault" not in app.statuses  # never brought up here
        services = {status.state.service for status in app.statuses["live"]}
        assert services == {"app", "broken", "ticker", "web"}

    run(build_app(Workspace(live_root)), scenario)


def test_down_volumes_after_confirmation_then_up(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    stack = Stack(Workspace(root), "vault")
    for _ in stack.up():
        pass
    volumes = {engine.PROJECT_LABEL: stack.project}

    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await wait_until(pilot, lambda: "vault" in app.statuses, "the vault profile")
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert engine.volume_names(volumes), "cancelling must keep the volume"

        await pilot.press("D", "y")
        done = (
            "Down vault and remove volumes",
            "vault is down; named volumes removed.",
        )
        await wait_until(pilot, lambda: done in toasts(app), "down to finish")
        assert engine.volume_names(volumes) == []

        await pilot.press("u")

        def up_messages() -> list[str]:
            return [message for title, message in toasts(app) if title == "Up vault"]

        await wait_until(pilot, up_messages, "up to finish")
        assert up_messages()[0].startswith("vault is ready after")

    try:
        run(build_app(Workspace(root), "vault"), scenario)
    finally:
        stack.down(volumes=True)


# --- a real terminal ------------------------------------------------------------------


class Tmux:
    """A tmux server of its own running one command, read with capture-pane.

    A private server (-L) without a config file keeps other sessions and
    user settings out. COLUMNS and LINES are left out of its environment
    because panes started from pytest had them at 80 and 24, and Textual,
    like shutil, prefers them to the terminal's real size.
    """

    COLUMNS, ROWS = 100, 30

    def __init__(self, command: str, cwd: Path) -> None:
        self.socket = f"devenv-tui-{uuid.uuid4().hex[:8]}"
        self.environment = {
            name: value
            for name, value in os.environ.items()
            if name not in ("COLUMNS", "LINES")
        }
        size = ["-x", str(self.COLUMNS), "-y", str(self.ROWS)]
        self.tmux("new-session", "-d", "-s", "tui", *size, "-c", str(cwd), command)

    def tmux(self, *args: str) -> str:
        command = ["tmux", "-L", self.socket, "-f", "/dev/null", *args]
        completed = subprocess.run(
            command, check=True, capture_output=True, text=True, env=self.environment
        )
        return completed.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tui", *keys)

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(
            f"{text!r} never appeared; the screen shows:\n{self.screen()}"
        )

    def close(self) -> None:
        """Stop the server and remove its socket file, which tmux 3.3 leaves behind."""
        base = ["tmux", "-L", self.socket, "-f", "/dev/null"]
        shown = subprocess.run(
            [*base, "display-message", "-p", "#{socket_path}"],
            check=False,
            capture_output=True,
            text=True,
        )
        subprocess.run([*base, "kill-server"], check=False, capture_output=True)
        if shown.returncode == 0:
            Path(shown.stdout.strip()).unlink(missing_ok=True)


def test_runs_in_a_real_terminal(live_root: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("needs tmux (apt-get install tmux)")
    command = f"{sys.executable} -m devenv tui live; echo devenv-exit=$?; sleep 30"
    tmux = Tmux(command, live_root)
    try:
        tmux.wait_for("unhealthy")
        tmux.wait_for("waiting on broken")

        tmux.send("?")
        tmux.wait_for("key bindings")
        tmux.send("Escape")
        for _ in range(3):
            tmux.send("Down")
        tmux.wait_for("ticker (live)")

        tmux.send("e")
        tmux.wait_for("/ #")
        tmux.send("echo marker-$((6*7))", "Enter")
        tmux.wait_for("marker-42")
        tmux.send("exit", "Enter")
        tmux.wait_for("ticker (live)")

        tmux.send("q")
        tmux.wait_for("devenv-exit=0")
    finally:
        tmux.close()


def test_rebuild_recreates_from_changed_dockerfile(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    stack = Stack(Workspace(root), "forge")
    for _ in stack.up():  # the first up builds the image
        pass
    dockerfile = root / "compose" / "forge" / "Dockerfile"
    first_id = stack.states()["forge"].container_id

    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await wait_until(pilot, lambda: "forge" in app.statuses, "the forge profile")
        await pilot.press("down")
        await wait_until(pilot, lambda: "forge build one" in pane_texts(app), "log")

        dockerfile.write_text(dockerfile.read_text().replace("one", "two"))
        await pilot.press("b")
        await wait_until(pilot, lambda: "forge build two" in pane_texts(app), "new log")

        assert stack.states()["forge"].container_id != first_id

        def rebuilt() -> list[str]:
            return [
                message for title, message in toasts(app) if title == "Rebuild forge"
            ]

        await wait_until(pilot, rebuilt, "the rebuild toast")
        assert rebuilt()[0].startswith("forge is ready after")

    try:
        run(build_app(Workspace(root), "forge"), scenario)
    finally:
        stack.down(volumes=True)
        image = f"{stack.project}-forge"
        subprocess.run(
            ["docker", "image", "rm", "-f", image], check=False, capture_output=True
        )


def test_rebuild_without_build_section_is_rejected(live_root: Path) -> None:
    async def scenario(app: DevenvApp, pilot: Pilot) -> None:
        await select(pilot, "web")
        await pilot.press("b")
        await wait_until(pilot, lambda: toasts(app), "a toast")

        title, message = toasts(app)[0]
        assert title == "Rebuild web failed"
        assert message.startswith("Service web has no build section")

    run(build_app(Workspace(live_root), "live"), scenario)
