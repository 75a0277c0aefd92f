"""The Textual app: owns the backend, the cached states and the log buffer.

Engine work runs in thread workers: one loads profiles, one reads `docker
events`, one re-reads states when events ask for it, and one per action.
Widgets never call the engine; the app hands them plain records.
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType

from devenv.errors import DevenvError
from devenv.logs import ServiceFollower
from devenv.models import ServiceState
from devenv.secrets import Masker
from devenv.stack import ServiceStatus
from devenv.tui.action_handlers import ActionHandlers
from devenv.tui.backend import LiveBackend, RecordedBackend, environment_map
from devenv.tui.events import RefreshScheduler
from devenv.tui.logbridge import LogBridge
from devenv.tui.logbuffer import DEFAULT_BUFFER_LINES, LogBuffer, clean_line
from devenv.tui.messages import (
    BackgroundFailed,
    ProfileLoaded,
    ProfileSeen,
    RecordLogged,
    StatesChanged,
    skip_when_closing,
)
from devenv.tui.rows import profile_summary, service_row
from devenv.tui.screens.main import MainScreen
from devenv.tui.state_workers import StateWorkers
from devenv.workspace import Workspace

Backend = LiveBackend | RecordedBackend

# Seconds between moves of log lines from follower threads to the screen;
# batching keeps a fast log from costing one screen update per line.
DRAIN_INTERVAL = 0.1
# Seconds to wait at exit for `docker logs -f` processes to be terminated.
FOLLOWER_EXIT_WAIT = 1.0


def build_app(
    workspace: Workspace,
    profile: str | None = None,
    buffer_lines: int = DEFAULT_BUFFER_LINES,
    recording: Path | None = None,
) -> DevenvApp:
    """Build the TUI for the CLI and the tests alike.

    With `recording`, states and logs come from that JSON file, and actions
    are rejected. Otherwise they come from the engine, for `profile`, or for
    every running profile of the workspace when `profile` is None.
    """
    if recording is not None:
        return DevenvApp(RecordedBackend(workspace, recording), buffer_lines)
    backend = LiveBackend(workspace, profile)
    if profile is not None:
        backend.check_profile(profile)
    return DevenvApp(backend, buffer_lines)


class DevenvApp(ActionHandlers, StateWorkers, App[None]):
    """Live health, logs and actions for a workspace's running profiles."""

    TITLE = "devenv"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("r", "restart", "Restart"),
        Binding("s", "stop_start", "Stop/Start"),
        Binding("b", "rebuild", "Rebuild", show=False),
        Binding("e", "shell", "Shell"),
        Binding("u", "up", "Up", show=False),
        Binding("d", "down", "Down", show=False),
        Binding("D", "down_volumes", "Down + volumes", show=False),
    ]

    def __init__(
        self, backend: Backend, buffer_lines: int = DEFAULT_BUFFER_LINES
    ) -> None:
        super().__init__()
        self.backend = backend
        self.logs = LogBuffer(buffer_lines)
        self.statuses: dict[str, list[ServiceStatus]] = {}
        self.services: dict[str, list[str]] = {}
        self.maskers: dict[str, Masker] = {}
        self._states: dict[str, dict[str, ServiceState]] = {}
        self._environments: dict[str, set[str]] = {}
        self._inbox: deque[tuple[str, str, str]] = deque()
        self._stop = threading.Event()
        self._scheduler = RefreshScheduler()
        self._requested: set[str] = set()  # shared with the events thread
        self._requested_lock = threading.Lock()
        self._followers: list[ServiceFollower] = []
        self._bridge = LogBridge(
            lambda level, text: self.post_message(RecordLogged(level, text))
        )
        self.main = MainScreen()

    def get_default_screen(self) -> MainScreen:
        return self.main

    def on_mount(self) -> None:
        self.sub_title = self.backend.workspace.root.name
        self._bridge.install()

    def on_ready(self) -> None:
        """Start the workers once the main screen's widgets exist to receive results."""
        # Keep the objects built so far (widgets, styles) out of the cyclic garbage
        # collector. Its full passes over them paused the screen for up to 70 ms
        # while a busy log streamed in (bench/tui). Frozen objects are still freed
        # by reference counting; collecting first keeps today's garbage out.
        gc.collect()
        gc.freeze()
        self.run_worker(self._load_initial_profiles, thread=True, name="load-profiles")
        self.run_worker(self._watch_events, thread=True, name="engine-events")
        self.run_worker(self._refresh_states, thread=True, name="refresh-states")
        self.set_interval(DRAIN_INTERVAL, self.drain_logs)
        if self.backend.is_live:
            self.set_interval(1.0, self._show_uptimes)

    def on_unmount(self) -> None:
        gc.unfreeze()
        self._stop.set()
        self.backend.stop_watching()
        self._scheduler.wake()
        for follower in self._followers:
            follower.join(FOLLOWER_EXIT_WAIT / max(1, len(self._followers)))
        self._bridge.remove()

    # --- applying results (UI thread) ------------------------------------------------

    def set_probe_interest(self, profiles: frozenset[str]) -> None:
        """Re-read these profiles after health probes, for their details on screen."""
        self._scheduler.watch_probes_of(profiles)

    def on_profile_seen(self, message: ProfileSeen) -> None:
        self.run_worker(partial(self._load_profile, message.profile), thread=True)

    @skip_when_closing
    def on_profile_loaded(self, message: ProfileLoaded) -> None:
        profile = message.profile
        first_load = profile not in self.services
        with self._requested_lock:
            self._requested.add(profile)
        self.maskers.setdefault(profile, message.masker)
        self.services[profile] = message.services
        self._apply_statuses(profile, message.statuses)
        if first_load:
            self._follow_logs(profile)

    @skip_when_closing
    def on_states_changed(self, message: StatesChanged) -> None:
        if message.profile in self.services:
            self._apply_statuses(message.profile, message.statuses)

    def _apply_statuses(self, profile: str, statuses: list[ServiceStatus]) -> None:
        self.statuses[profile] = statuses
        self._states[profile] = {s.state.service: s.state for s in statuses}
        self._mask_container_secrets(profile, statuses)
        now = self.backend.now()
        rows = [service_row(profile, status, now) for status in statuses]
        self.main.set_profile_rows(profile, rows, profile_summary(statuses))

    def _mask_container_secrets(
        self, profile: str, statuses: list[ServiceStatus]
    ) -> None:
        """Also mask secret-named variables set in fragments rather than in .env."""
        seen = self._environments.setdefault(profile, set())
        for status in statuses:
            new = set(status.state.environment) - seen
            if new:
                seen.update(new)
                self.maskers[profile].add_from_environment(environment_map(sorted(new)))

    def _follow_logs(self, profile: str) -> None:
        masker = self.maskers[profile]

        def sink(service: str, line: str) -> None:  # runs in follower threads
            self._inbox.append((profile, service, masker.text(clean_line(line))))

        followers = self.backend.follow_logs(
            profile,
            lambda: self._states.get(profile, {}),
            sink,
            self._stop,
            self.logs.max_lines,
        )
        self._followers += followers
        self.drain_logs()

    @skip_when_closing
    def drain_logs(self) -> None:
        """Move lines from the follower threads into the buffer and the log pane."""
        if not self._inbox:
            return
        batch = []
        while self._inbox:
            profile, service, text = self._inbox.popleft()
            batch.append(self.logs.append(profile, service, text))
        self.main.append_logs(batch)

    @skip_when_closing
    def _show_uptimes(self) -> None:
        now = self.backend.now()
        uptimes = {
            (profile, status.state.service): service_row(profile, status, now).uptime
            for profile, statuses in self.statuses.items()
            for status in statuses
        }
        self.main.set_uptimes(uptimes)

    def profile_description(self, profile: str) -> str:
        try:
            return self.backend.stack(profile).profile.description
        except (DevenvError, KeyError):
            return ""

    def _report_no_profiles(self) -> None:
        self.notify(
            "Start one with `devenv up PROFILE` or open one with `devenv tui PROFILE`.",
            title="No running profile",
            markup=False,
        )

    def _post_failure(self, title: str, error: str) -> None:
        self.post_message(BackgroundFailed(title, error))

    @skip_when_closing
    def on_background_failed(self, message: BackgroundFailed) -> None:
        self.record_activity(f"{message.title}: {message.error}", "red")
        self._toast_error(message.title, message.error)

    @skip_when_closing
    def on_record_logged(self, message: RecordLogged) -> None:
        style = "red" if message.level in ("ERROR", "CRITICAL") else ""
        self.record_activity(f"{message.level.lower()}: {message.text}", style)

    def record_activity(self, text: str, style: str = "") -> None:
        """Add a line to the Activity tab, with secrets masked."""
        self.main.write_activity(Text(self.mask(text), style=style))

    def mask(self, text: str) -> str:
        """Mask the secrets of every loaded profile in text shown outside the logs."""
        for masker in self.maskers.values():
            text = masker.text(text)
        return text
