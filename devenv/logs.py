"""Reading and following service logs, across restarts and recreation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from devenv import engine
from devenv.errors import DevenvError
from devenv.health import parse_timestamp
from devenv.models import ServiceState

LogSink = Callable[[str, str], None]
"""Receives (service, line) for every log line, without the engine's timestamp."""

RECHECK_INTERVAL = 0.5


def split_timestamp(line: str) -> tuple[datetime | None, str]:
    head, sep, rest = line.partition(" ")
    stamp = parse_timestamp(head) if sep else None
    return (stamp, rest) if stamp else (None, line)


def read_logs(
    states: dict[str, ServiceState],
    services: Sequence[str],
    tail: int | None,
    since: str | None,
) -> list[tuple[str, str]]:
    """Return (service, line) pairs of all services, merged in time order."""
    stamped: list[tuple[datetime, int, str, str]] = []
    for order, service in enumerate(services):
        state = states.get(service)
        if state is None or not state.container_id:
            continue
        text = engine.container_logs(state.container_id, tail=tail, since=since)
        for line in text.splitlines():
            stamp, content = split_timestamp(line)
            stamped.append((stamp or datetime.min, order, service, content))
    stamped.sort(key=lambda item: (_sortable(item[0]), item[1]))
    return [(service, content) for _, _, service, content in stamped]


def _sortable(stamp: datetime) -> float:
    return stamp.timestamp() if stamp.tzinfo else 0.0


class ServiceFollower(threading.Thread):
    """Follows one service's log and picks up its next container after a restart.

    `docker logs -f` ends when its container stops, and Compose's own
    `logs -f` drops a service whose container is recreated. This thread waits
    for the service's next run (a new start time or a new container) and
    resumes from the last line it printed, so nothing is shown twice.
    """

    def __init__(
        self,
        service: str,
        read_state: Callable[[], ServiceState | None],
        sink: LogSink,
        stop: threading.Event,
        tail: int | None,
        since: str | None,
    ) -> None:
        super().__init__(name=f"logs-{service}", daemon=True)
        self.service = service
        self._read_state = read_state
        self._sink = sink
        # Not `_stop`: threading.Thread has a method of that name that join() calls.
        self._stop_event = stop
        self._tail = tail
        self._since = since
        self._last: tuple[datetime | None, str] = (None, "")
        self._followed_run: tuple[str, str] | None = None

    def run(self) -> None:
        while not self._stop_event.is_set():
            state = self._read_state()
            run = (state.container_id, state.started_at) if state else None
            if state is None or not state.container_id or run == self._followed_run:
                self._stop_event.wait(RECHECK_INTERVAL)
                continue
            if self._followed_run is not None:
                self._sink(self.service, f"--- {self.service} restarted ---")
            self._followed_run = run
            self._follow(state.container_id)

    def _follow(self, container_id: str) -> None:
        since = self._last_stamp_text() or self._since
        tail = self._tail if self._last[0] is None else None
        process = engine.follow_logs_process(container_id, since=since, tail=tail)
        watcher = threading.Thread(target=self._end_on_stop, args=(process,), daemon=True)
        watcher.start()
        assert process.stdout is not None
        for raw in process.stdout:
            self._emit(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        process.wait()

    def _end_on_stop(self, process) -> None:
        while process.poll() is None:
            if self._stop_event.wait(0.2):
                process.terminate()
                return

    def _emit(self, line: str) -> None:
        stamp, content = split_timestamp(line)
        last_stamp, last_content = self._last
        if stamp and last_stamp:
            if stamp < last_stamp or (stamp == last_stamp and content == last_content):
                return
        self._last = (stamp or last_stamp, content)
        self._sink(self.service, content)

    def _last_stamp_text(self) -> str | None:
        stamp = self._last[0]
        return stamp.isoformat() if stamp else None


def follow_logs(
    read_states: Callable[[], dict[str, ServiceState]],
    services: Sequence[str],
    sink: LogSink,
    stop: threading.Event,
    tail: int | None = None,
    since: str | None = None,
) -> list[ServiceFollower]:
    """Start one follower thread per service; they end when `stop` is set."""
    cache = _StateCache(read_states)
    followers = [
        ServiceFollower(
            service, lambda s=service: cache.get(s), sink, stop, tail, since
        )
        for service in services
    ]
    for follower in followers:
        follower.start()
    return followers


class _StateCache:
    """Shares one engine read among all followers, at most one per interval."""

    def __init__(self, read_states: Callable[[], dict[str, ServiceState]]) -> None:
        self._read_states = read_states
        self._lock = threading.Lock()
        self._read_at = 0.0
        self._states: dict[str, ServiceState] = {}

    def get(self, service: str) -> ServiceState | None:
        with self._lock:
            if time.monotonic() - self._read_at >= RECHECK_INTERVAL:
                try:
                    self._states = self._read_states()
                except DevenvError:  # the engine may be restarting; read again later
                    self._states = {}
                self._read_at = time.monotonic()
            return self._states.get(service)
