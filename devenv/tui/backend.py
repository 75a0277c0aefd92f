"""Sources of states, events and logs for the TUI: the engine, or a recording.

LiveBackend drives the real core (Stack, engine, devenv.logs). RecordedBackend
replays `docker inspect` records and log lines saved in a JSON file, so that
screens can be tested against fixed data. It rejects every action.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devenv import engine, health
from devenv.compose import RenderedProfile
from devenv.errors import DevenvError, InputError
from devenv.logs import LogSink, ServiceFollower, follow_logs
from devenv.models import ServiceProgress, ServiceState, WaitResult
from devenv.profiles import resolve_profile
from devenv.secrets import Masker
from devenv.stack import ServiceStatus, Stack, running_profiles
from devenv.tui.events import ContainerEvent, parse_event
from devenv.workspace import Workspace

if TYPE_CHECKING:
    import subprocess

EventSink = Callable[[ContainerEvent], None]
StateReader = Callable[[], dict[str, ServiceState]]
Progress = Iterator[ServiceProgress | WaitResult]

RECONNECT_DELAY = 1.0


class LiveBackend:
    """Engine access through the core. Any method may block, so workers call them."""

    is_live = True

    def __init__(self, workspace: Workspace, profile: str | None = None) -> None:
        self.workspace = workspace
        self._profile = profile
        self._stacks: dict[str, Stack] = {}
        self._lock = threading.Lock()
        self._events: subprocess.Popen[bytes] | None = None

    def stack(self, profile: str) -> Stack:
        """Return the profile's Stack; resolving it reads files, not the engine."""
        with self._lock:
            if profile not in self._stacks:
                self._stacks[profile] = Stack(self.workspace, profile)
            return self._stacks[profile]

    def check_profile(self, profile: str) -> None:
        """Raise InputError unless the profile's files exist and resolve."""
        resolve_profile(self.workspace, profile)

    def initial_profiles(self) -> list[str]:
        if self._profile is not None:
            return [self._profile]
        return sorted(name for name in running_profiles(self.workspace) if name)

    def accepts_profile(self, profile: str) -> bool:
        """Tell whether events of `profile` belong on screen."""
        return self._profile is None or profile == self._profile

    def services(self, profile: str) -> list[str]:
        return list(self.stack(profile).rendered.services)

    def status(self, profile: str) -> list[ServiceStatus]:
        return self.stack(profile).status()

    def masker(self, profile: str) -> Masker:
        return self.stack(profile).masker

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def watch_events(
        self, sink: EventSink, on_connect: Callable[[], None], stop: threading.Event
    ) -> None:
        """Pass the workspace's container events to `sink` until `stop` is set.

        The `docker events` process ends when the engine restarts. It is then
        started again and `on_connect` runs, because events were missed.
        """
        labels = {engine.WORKSPACE_LABEL: str(self.workspace.root)}
        while not stop.is_set():
            process = engine.events_process(labels)
            self._events = process
            if stop.is_set():  # stop_watching ran before the line above
                process.terminate()
            on_connect()
            for record in engine.iter_events(process):
                event = parse_event(record)
                if event is not None:
                    sink(event)
            process.wait()
            stop.wait(RECONNECT_DELAY)

    def stop_watching(self) -> None:
        process = self._events
        if process is not None and process.poll() is None:
            process.terminate()

    def follow_logs(
        self,
        profile: str,
        read_states: StateReader,
        sink: LogSink,
        stop: threading.Event,
        tail: int,
    ) -> list[ServiceFollower]:
        """Start one follower thread per service; `read_states` serves cached states.

        The followers re-read states while a container is stopped. Passing the
        TUI's event-driven cache keeps them from polling the engine.
        """
        return follow_logs(read_states, self.services(profile), sink, stop, tail=tail)

    def restart(self, profile: str, service: str) -> None:
        self.stack(profile).restart([service])

    def stop_container(self, container_id: str) -> None:
        engine.container_action("stop", container_id)

    def start_container(self, container_id: str) -> None:
        engine.container_action("start", container_id)

    def rebuild(self, profile: str, service: str) -> Progress:
        """Build the service's image and recreate its container, yielding progress."""
        stack = self.stack(profile)
        if not stack.rendered.services.get(service, {}).get("build"):
            raise InputError(
                f"Service {service} has no build section, so there is nothing to "
                "rebuild; press r to restart it instead."
            )
        return stack.up(build=True, services=[service])

    def up(self, profile: str) -> Progress:
        return self.stack(profile).up()

    def down(self, profile: str, volumes: bool) -> None:
        self.stack(profile).down(volumes=volumes)

    def open_shell(self, container_id: str) -> int:
        return engine.interactive_shell(container_id)


READ_ONLY = "This session replays a recording, so there is no engine to act on."


@dataclass(frozen=True)
class RecordedProfile:
    """One profile of a recording: the rendered model, containers and log lines."""

    model: dict[str, Any]
    containers: tuple[dict[str, Any], ...]
    logs: tuple[tuple[str, str], ...]


class RecordedStack(Stack):
    """A Stack whose model and containers come from a recording, not the engine."""

    def __init__(
        self, workspace: Workspace, name: str, recorded: RecordedProfile
    ) -> None:
        super().__init__(workspace, name)
        self._recorded = recorded

    @property
    def rendered(self) -> RenderedProfile:  # type: ignore[override]
        target = engine.ComposeTarget(
            self.project, (), None, self.workspace.compose_dir
        )
        model = self._recorded.model
        return RenderedProfile(
            self.profile, self.workspace, self.project, model, target
        )

    def states(self) -> dict[str, ServiceState]:
        states: dict[str, ServiceState] = {}
        for data in self._recorded.containers:
            labels = (data.get("Config") or {}).get("Labels") or {}
            service = labels.get(engine.SERVICE_LABEL, "")
            states[service] = health.state_from_inspect(service, data)
        return states


class RecordedBackend:
    """Replays a recording; no method touches the engine."""

    is_live = False

    def __init__(self, workspace: Workspace, path: Path) -> None:
        self.workspace = workspace
        data = json.loads(path.read_text())
        self._now = health.parse_timestamp(data["now"]) or datetime.now(timezone.utc)
        self._profiles = {
            name: RecordedProfile(
                model=entry["model"],
                containers=tuple(entry["containers"]),
                logs=tuple((service, line) for service, line in entry["logs"]),
            )
            for name, entry in data["profiles"].items()
        }
        self._stacks = {
            name: RecordedStack(workspace, name, recorded)
            for name, recorded in self._profiles.items()
        }

    def stack(self, profile: str) -> Stack:
        return self._stacks[profile]

    def initial_profiles(self) -> list[str]:
        return list(self._profiles)

    def accepts_profile(self, profile: str) -> bool:
        return profile in self._profiles

    def services(self, profile: str) -> list[str]:
        return list(self._profiles[profile].model.get("services", {}))

    def status(self, profile: str) -> list[ServiceStatus]:
        return self._stacks[profile].status()

    def masker(self, profile: str) -> Masker:
        masker = Masker()
        for state in self._stacks[profile].states().values():
            masker.add_from_environment(environment_map(state.environment))
        return masker

    def now(self) -> datetime:
        return self._now

    def watch_events(
        self, sink: EventSink, on_connect: Callable[[], None], stop: threading.Event
    ) -> None:
        """Return at once: a recording has no events."""

    def stop_watching(self) -> None:
        """Nothing to stop: no events process runs."""

    def follow_logs(
        self,
        profile: str,
        read_states: StateReader,
        sink: LogSink,
        stop: threading.Event,
        tail: int,
    ) -> list[ServiceFollower]:
        """Hand the profile's recorded lines to `sink` before returning; no threads."""
        for service, line in self._profiles[profile].logs:
            sink(service, line)
        return []

    def _reject(self, *args: object) -> Any:
        raise DevenvError(READ_ONLY)

    restart = stop_container = start_container = rebuild = up = down = _reject
    open_shell = _reject


def environment_map(environment: Sequence[str]) -> Mapping[str, str]:
    """Turn `NAME=value` entries of a container's Config.Env into a mapping."""
    pairs = (entry.partition("=") for entry in environment)
    return {name: value for name, sep, value in pairs if sep}
