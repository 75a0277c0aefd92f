"""The TUI's actions, as plain functions that a worker thread can run.

Each builder returns an ActionSpec whose `run` blocks on the engine, reports
steps through its `report` argument, and returns a one-sentence summary. A
failure raises a DevenvError, which the app turns into a toast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from devenv.errors import InputError, StackFailed
from devenv.models import ServiceProgress, ServiceState, WaitResult
from devenv.tui.backend import LiveBackend, RecordedBackend

Backend = LiveBackend | RecordedBackend
Report = Callable[[str], None]

# Toasts show the first sentence of an error, cut to this many characters;
# the Activity tab keeps the whole text.
TOAST_MAX_CHARS = 160


@dataclass(frozen=True)
class ActionSpec:
    """A titled action; `run(report)` does the work and returns a summary."""

    title: str
    run: Callable[[Report], str]


def restart(backend: Backend, profile: str, service: str) -> ActionSpec:
    def run(report: Report) -> str:
        report(f"restarting {service}")
        backend.restart(profile, service)
        return f"Restarted {service}."

    return ActionSpec(f"Restart {service}", run)


def stop_or_start(backend: Backend, state: ServiceState) -> ActionSpec:
    """Stop a running container, or start a stopped one."""
    service, container_id = state.service, state.container_id
    if not container_id:
        raise InputError(
            f"{service} has no container yet; press u to bring its profile up."
        )
    if state.status == "running":

        def stop(report: Report) -> str:
            backend.stop_container(container_id)
            return f"Stopped {service}."

        return ActionSpec(f"Stop {service}", stop)

    def start(report: Report) -> str:
        backend.start_container(container_id)
        return f"Started {service}."

    return ActionSpec(f"Start {service}", start)


def rebuild(backend: Backend, profile: str, service: str) -> ActionSpec:
    def run(report: Report) -> str:
        report(f"building {service}")
        result = follow_progress(backend.rebuild(profile, service), report)
        return wait_summary(f"{service}", result)

    return ActionSpec(f"Rebuild {service}", run)


def up(backend: Backend, profile: str) -> ActionSpec:
    def run(report: Report) -> str:
        report("starting containers")
        return wait_summary(profile, follow_progress(backend.up(profile), report))

    return ActionSpec(f"Up {profile}", run)


def down(backend: Backend, profile: str, volumes: bool) -> ActionSpec:
    def run(report: Report) -> str:
        report("stopping and removing containers")
        backend.down(profile, volumes)
        kept = "removed" if volumes else "kept"
        return f"{profile} is down; named volumes {kept}."

    title = f"Down {profile}" + (" and remove volumes" if volumes else "")
    return ActionSpec(title, run)


def follow_progress(
    events: Iterator[ServiceProgress | WaitResult], report: Report
) -> WaitResult:
    """Report each service's new verdict and return the final WaitResult."""
    for event in events:
        if isinstance(event, WaitResult):
            return event
        report(f"{event.service} {event.verdict.reason} ({event.elapsed:.0f}s)")
    raise StackFailed("Waiting ended without a result; run `devenv status` to check.")


def wait_summary(subject: str, result: WaitResult) -> str:
    """Summarise a WaitResult in one sentence, or raise StackFailed naming the cause."""
    if result.ok:
        return f"{subject} is ready after {result.elapsed:.1f}s."
    causes = "; ".join(f"{d.service}: {d.reason}" for d in result.diagnoses)
    if result.timed_out:
        raise StackFailed(
            f"{subject} timed out after {result.elapsed:.0f}s ({causes})."
        )
    detail = causes or result.compose_error or "no service reported why"
    raise StackFailed(f"{subject} failed after {result.elapsed:.1f}s ({detail}).")


def first_sentence(text: str) -> str:
    """Cut an error message to its first sentence, for a toast."""
    text = " ".join(text.split())
    end = text.find(". ")
    sentence = text if end < 0 else text[: end + 1]
    if len(sentence) > TOAST_MAX_CHARS:
        sentence = sentence[: TOAST_MAX_CHARS - 1].rstrip() + "…"
    return sentence
