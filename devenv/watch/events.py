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
    # True when no service runs, so edits to the inputs are checked only.
    stack_stopped: bool = False


@dataclass(frozen=True)
class ActionDone:
    """Event: one action ran for one service after a batch of changes.

    `action` is one of sync, initial sync, exec, restart, rebuild. `changed`
    contains the host paths behind it, relative to the workspace root, and
    `seconds` is the wall time of the action including any health wait.
    `retry_pending` is true for a restart or rebuild that the engine could
    not carry out. The watcher defers its changes and runs them again after
    the next change to the inputs that passes the checks.
    """

    service: str
    action: str
    changed: tuple[str, ...]
    seconds: float
    ok: bool = True
    detail: str = ""
    retry_pending: bool = False


@dataclass(frozen=True)
class InputsApplied:
    """Event: devenv's own inputs changed, passed the checks, and `up -d` ran.

    `ok` is true only when Compose succeeded and every service it applied to
    is ready. `compose_failed` is true when Compose itself failed, so the
    change may not be applied at all. `left_stopped` lists the services of
    `profile` that were not running and were left alone.
    """

    changed: tuple[str, ...]
    seconds: float
    ok: bool
    detail: str
    compose_failed: bool = False
    left_stopped: tuple[str, ...] = ()
    profile: str = ""


@dataclass(frozen=True)
class InputsChecked:
    """Event: devenv's own inputs changed and passed the checks, but nothing runs.

    No service of the profile was running, so nothing was applied or started.
    """

    changed: tuple[str, ...]
    profile: str


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


WatchEvent = (
    WatchStarted
    | ActionDone
    | InputsApplied
    | InputsChecked
    | InputsRejected
    | WatchNotice
)
