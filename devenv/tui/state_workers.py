"""The app's engine reads, run in worker threads: loading, events, refreshes.

A mixin of DevenvApp. Its methods run in threads, so they reach the app only
through thread-safe calls (post_message, call_from_thread) and through the
set that `_requested_lock` guards. The UI thread applies the results.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from devenv.errors import DevenvError
from devenv.tui.events import ContainerEvent
from devenv.tui.messages import ProfileLoaded, ProfileSeen, StatesChanged

if TYPE_CHECKING:
    from devenv.tui.app import DevenvApp

log = logging.getLogger("devenv")

Worker = TypeVar("Worker", bound=Callable[..., None])


def report_crash(worker: Worker) -> Worker:
    """Turn an unexpected exception in a worker into a toast and a logged traceback.

    Textual stops the whole app when a worker raises. DevenvError is handled
    inside each worker; anything else is a bug, which the user should see
    without losing the screen.
    """

    @functools.wraps(worker)
    def guarded(self: DevenvApp, *args: object) -> None:
        try:
            worker(self, *args)
        except Exception as error:
            log.exception("TUI worker %s failed", worker.__name__)
            self._post_failure("Unexpected error", f"{type(error).__name__}: {error}.")

    return guarded  # type: ignore[return-value]


class StateWorkers:
    """Background reads of DevenvApp; each method runs in a worker thread."""

    @report_crash
    def _load_initial_profiles(self: DevenvApp) -> None:
        try:
            profiles = self.backend.initial_profiles()
        except DevenvError as error:
            self._post_failure("Cannot list profiles", str(error))
            return
        if not profiles:
            self.call_from_thread(self._report_no_profiles)
        for profile in profiles:
            self._load_profile(profile)

    @report_crash
    def _load_profile(self: DevenvApp, profile: str) -> None:
        try:
            services = self.backend.services(profile)
            masker = self.backend.masker(profile)
            statuses = self.backend.status(profile)
        except DevenvError as error:
            self._post_failure(f"Cannot load {profile}", str(error))
            return
        self.post_message(ProfileLoaded(profile, services, statuses, masker))

    @report_crash
    def _watch_events(self: DevenvApp) -> None:
        try:
            self.backend.watch_events(
                self._on_engine_event, self._request_all, self._stop
            )
        except DevenvError as error:
            self._post_failure("Live updates stopped", str(error))

    def _on_engine_event(self: DevenvApp, event: ContainerEvent) -> None:
        """Runs in the events thread: schedule a refresh, or load a new profile."""
        with self._requested_lock:
            known = event.profile in self._requested
            new = not known and event.changes_state
            if new and self.backend.accepts_profile(event.profile):
                self._requested.add(event.profile)
                self.post_message(ProfileSeen(event.profile))
        if known:
            self._scheduler.request(event.profile, probe=event.is_probe)

    def _request_all(self: DevenvApp) -> None:
        with self._requested_lock:
            profiles = sorted(self._requested)
        for profile in profiles:
            self._scheduler.request(profile)

    @report_crash
    def _refresh_states(self: DevenvApp) -> None:
        failing: set[str] = set()
        while not self._stop.is_set():
            for profile in self._scheduler.wait_for_due(self._stop):
                try:
                    statuses = self.backend.status(profile)
                except Exception as error:  # noqa: BLE001 - the loop must go on
                    if profile not in failing:  # one report per outage, not per event
                        failing.add(profile)
                        self._report_refresh_failure(profile, error)
                    continue
                failing.discard(profile)
                self.post_message(StatesChanged(profile, statuses))

    def _report_refresh_failure(
        self: DevenvApp, profile: str, error: Exception
    ) -> None:
        if not isinstance(error, DevenvError):
            log.error("re-reading %s failed", profile, exc_info=error)
        self._post_failure(f"Cannot refresh {profile}", str(error))
