"""Engine events for the TUI: which profile changed, and when to re-read it.

Every container event of the workspace could trigger a re-read of the
profile's states (`docker ps` and `docker inspect`). Each health probe alone
sends three events (exec_create, exec_start and exec_die on Docker 20.10).
So the scheduler coalesces requests, and it re-reads a profile for probe
events only while its details are on screen, at most once per
PROBE_REFRESH_INTERVAL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devenv import engine

# Seconds to wait after a state change for more events of the same burst:
# `compose up` of one service sends create, start and often health_status.
COALESCE_DELAY = 0.15
PROBE_REFRESH_INTERVAL = 1.0

# Container actions that change what the service list or details show.
STATE_ACTIONS = frozenset(
    {
        "create",
        "start",
        "restart",
        "stop",
        "die",
        "kill",
        "oom",
        "pause",
        "unpause",
        "destroy",
        "rename",
        "update",
        "health_status",
    }
)
PROBE_ACTION = "exec_die"


@dataclass(frozen=True)
class ContainerEvent:
    """One `docker events` record of a devenv container."""

    profile: str
    service: str
    action: str
    container_id: str

    @property
    def changes_state(self) -> bool:
        return self.action in STATE_ACTIONS

    @property
    def is_probe(self) -> bool:
        return self.action == PROBE_ACTION


def parse_event(record: dict[str, Any]) -> ContainerEvent | None:
    """Read a `docker events --format '{{json .}}'` record; None if not relevant."""
    actor = record.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    profile = attributes.get(engine.PROFILE_LABEL, "")
    if record.get("Type") != "container" or not profile:
        return None
    if attributes.get(engine.ONEOFF_LABEL) == "True":
        return None
    # "health_status: healthy" and "exec_create: CMD" carry details after a colon.
    action = str(record.get("Action") or record.get("status") or "")
    action = action.split(":", 1)[0].strip()
    event = ContainerEvent(
        profile=profile,
        service=attributes.get(engine.SERVICE_LABEL, ""),
        action=action,
        container_id=str(actor.get("ID") or record.get("id") or ""),
    )
    return event if event.changes_state or event.is_probe else None


class RefreshScheduler:
    """Collects refresh requests from the event thread and hands out due profiles.

    `request` and `take_due` are pure bookkeeping over an injected clock;
    `wait_for_due` adds the blocking wait for the refresh thread.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._due: dict[str, float] = {}
        self._last_refresh: dict[str, float] = {}
        self._probe_profiles: frozenset[str] = frozenset()
        self._changed = threading.Condition()

    def watch_probes_of(self, profiles: frozenset[str]) -> None:
        """Set the profiles whose probe events should refresh their states."""
        with self._changed:
            self._probe_profiles = profiles

    def request(
        self, profile: str, probe: bool = False, delay: float = COALESCE_DELAY
    ) -> None:
        now = self._clock()
        with self._changed:
            if probe:
                if profile not in self._probe_profiles:
                    return
                last = self._last_refresh.get(profile, float("-inf"))
                due = max(now, last + PROBE_REFRESH_INTERVAL)
            else:
                due = now + delay
            self._due[profile] = min(self._due.get(profile, due), due)
            self._changed.notify()

    def take_due(self) -> list[str]:
        """Remove and return the profiles whose refresh is due now."""
        now = self._clock()
        with self._changed:
            due = sorted(p for p, at in self._due.items() if at <= now)
            for profile in due:
                del self._due[profile]
                self._last_refresh[profile] = now
            return due

    def seconds_until_due(self) -> float | None:
        with self._changed:
            if not self._due:
                return None
            return max(0.0, min(self._due.values()) - self._clock())

    def wait_for_due(self, stop: threading.Event, poll: float = 0.5) -> list[str]:
        """Block until some profile is due or `stop` is set, then take the due ones.

        The condition's lock is re-entrant, so the check and the wait happen
        under one hold and a request cannot slip in between them unnoticed.
        """
        with self._changed:
            while not stop.is_set():
                due = self.take_due()
                if due:
                    return due
                wait = self.seconds_until_due()
                self._changed.wait(poll if wait is None else min(wait, poll))
        return []

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()
