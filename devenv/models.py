"""Frozen records shared by the core, the CLI and the TUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class Probe:
    """One health probe run, as the engine recorded it."""

    start: str
    end: str
    exit_code: int
    output: str


@dataclass(frozen=True)
class ServiceState:
    """One service's container as the engine reports it; status 'missing' if none."""

    service: str
    container_id: str = ""
    container_name: str = ""
    status: str = "missing"
    exit_code: int | None = None
    health: str | None = None
    started_at: str = ""
    finished_at: str = ""
    created: str = ""
    restart_count: int = 0
    oom_killed: bool = False
    error: str = ""
    image: str = ""
    probes: tuple[Probe, ...] = ()
    ports: tuple[str, ...] = ()
    environment: tuple[str, ...] = ()
    mounts: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    profile: str = ""


class Phase(str, Enum):
    WAITING = "waiting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    """The state of one service while waiting, with a short human reason."""

    phase: Phase
    reason: str


@dataclass(frozen=True)
class ServiceProgress:
    """Event: a service's verdict changed while waiting."""

    service: str
    verdict: Verdict
    elapsed: float


@dataclass(frozen=True)
class Diagnosis:
    """Why one service failed: enough to act on without running another command."""

    service: str
    reason: str
    state: ServiceState
    probes: tuple[Probe, ...] = ()
    log_tail: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaitResult:
    """Event: waiting ended, in success or with the services that failed."""

    ok: bool
    elapsed: float
    timed_out: bool = False
    diagnoses: tuple[Diagnosis, ...] = ()
    compose_error: str = ""
    next_steps: tuple[str, ...] = field(default_factory=tuple)
    waited: bool = True
