"""Event records the watcher yields; the CLI prints one line per event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSummary:
    """One watch rule as the start-up message lists it."""

    service: str
    action: str
    path: str
    target: str


@dataclass(frozen=True)
class WatchStarted:
    """Event: the watcher is armed and waiting for changes."""

    profile: str
    rules: tuple[RuleSummary, ...]
    input_files: int
    stopped_services: tuple[str, ...]


@dataclass(frozen=True)
class ActionDone:
    """Event: one action ran for one service after a batch of changes.

    `action` is one of sync, initial sync, exec, restart, rebuild. `changed`
    contains the host paths behind it, relative to the workspace root, and
    `seconds` is the wall time of the action including any health wait.
    """

    service: str
    action: str
    changed: tuple[str, ...]
    seconds: float
    ok: bool = True
    detail: str = ""


@dataclass(frozen=True)
class InputsApplied:
    """Event: devenv's own inputs changed, passed the checks and were applied."""

    changed: tuple[str, ...]
    seconds: float
    ok: bool
    detail: str


@dataclass(frozen=True)
class InputsRejected:
    """Event: devenv's own inputs changed but failed a check; nothing was applied."""

    changed: tuple[str, ...]
    message: str
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchNotice:
    """Event: a fault the watcher survived, or a rule it cannot apply.

    `level` is "warning" for a problem that loses or delays work, and "info"
    for news that needs no action, such as a recovery.
    """

    message: str
    level: str = "warning"
    service: str = ""


WatchEvent = WatchStarted | ActionDone | InputsApplied | InputsRejected | WatchNotice
