"""Waiting for a stack to come up, as pure logic over states read from the engine."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timezone
from typing import Any

from devenv.compose import ServiceSpec
from devenv.models import (
    Phase,
    Probe,
    ServiceProgress,
    ServiceState,
    Verdict,
    WaitResult,
)

POLL_INTERVAL = 0.2
# A service without a health check counts as ready only after running this
# long, so one that exits right after starting is reported, not passed.
SETTLE_SECONDS = 0.3
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")


def state_from_inspect(service: str, data: dict[str, Any]) -> ServiceState:
    """Build a ServiceState from one `docker inspect` record."""
    state = data.get("State") or {}
    health = state.get("Health") or {}
    config = data.get("Config") or {}
    settings = data.get("NetworkSettings") or {}
    return ServiceState(
        service=service,
        container_id=data.get("Id", ""),
        container_name=str(data.get("Name", "")).lstrip("/"),
        status=state.get("Status", "unknown"),
        exit_code=state.get("ExitCode"),
        health=health.get("Status") or None,
        started_at=state.get("StartedAt", ""),
        finished_at=state.get("FinishedAt", ""),
        created=data.get("Created", ""),
        restart_count=int(data.get("RestartCount") or 0),
        oom_killed=bool(state.get("OOMKilled")),
        error=state.get("Error", ""),
        image=config.get("Image", ""),
        probes=tuple(
            Probe(
                start=entry.get("Start", ""),
                end=entry.get("End", ""),
                exit_code=int(entry.get("ExitCode", -1)),
                output=str(entry.get("Output", "")).strip(),
            )
            for entry in health.get("Log") or []
        ),
        ports=_ports(settings.get("Ports") or {}),
        environment=tuple(config.get("Env") or ()),
        mounts=tuple(
            f"{m.get('Name') or m.get('Source')}:{m.get('Destination')}"
            for m in data.get("Mounts") or []
        ),
        networks=tuple(settings.get("Networks") or {}),
        profile=(config.get("Labels") or {}).get("dev.devenv.profile", ""),
    )


def _ports(bindings: dict[str, Any]) -> tuple[str, ...]:
    ports = []
    for container_port, hosts in sorted(bindings.items()):
        for host in hosts or []:
            ports.append(f"{host.get('HostIp')}:{host.get('HostPort')}->{container_port}")
    return tuple(ports)


def probes_since_start(state: ServiceState) -> tuple[Probe, ...]:
    """Probes of the container's current run; a restart keeps the old ones in Log."""
    started = parse_timestamp(state.started_at)
    if started is None:
        return state.probes
    return tuple(
        p for p in state.probes if (parse_timestamp(p.start) or started) >= started
    )


def parse_timestamp(text: str) -> datetime | None:
    """Parse the engine's RFC 3339 times, which carry up to nanoseconds."""
    match = _TIMESTAMP.match(text or "")
    if not match or text.startswith("0001-"):
        return None
    head, fraction, zone = match.groups()
    zone = "+00:00" if zone in ("Z", "") else zone
    micros = (fraction or "").ljust(6, "0")[:6]
    return datetime.fromisoformat(f"{head}.{micros}{zone}")


def assess(
    spec: ServiceSpec,
    state: ServiceState,
    restarts_before: int = 0,
    now: datetime | None = None,
) -> Verdict:
    """Judge one service: ready, still waiting, or failed, with the reason."""
    status = state.status
    if status == "missing":
        return Verdict(Phase.WAITING, "not created yet")
    if status == "created":
        return Verdict(Phase.WAITING, "created, not started")
    if status in ("dead", "removing"):
        return Verdict(Phase.FAILED, f"container is {status}")
    if state.oom_killed:
        return Verdict(Phase.FAILED, "killed: out of memory")
    if status == "restarting" or state.restart_count > restarts_before:
        return Verdict(
            Phase.FAILED,
            f"crash-looping: restarted {state.restart_count - restarts_before} "
            f"time(s), last exit code {state.exit_code}",
        )
    if status == "exited":
        return _assess_exited(spec, state)
    if status == "paused":
        return Verdict(Phase.FAILED, "container is paused")
    return _assess_running(spec, state, now)


def _assess_exited(spec: ServiceSpec, state: ServiceState) -> Verdict:
    if state.exit_code == 0 and spec.restart in ("no", ""):
        return Verdict(Phase.READY, "exited 0")
    if state.exit_code == 0:
        return Verdict(
            Phase.FAILED, f"exited 0 but has restart policy {spec.restart!r}"
        )
    detail = f": {state.error}" if state.error else ""
    return Verdict(Phase.FAILED, f"exited with code {state.exit_code}{detail}")


def _assess_running(
    spec: ServiceSpec, state: ServiceState, now: datetime | None
) -> Verdict:
    if spec.one_shot:
        return Verdict(Phase.WAITING, "running to completion")
    if not spec.has_healthcheck:
        started = parse_timestamp(state.started_at)
        if now and started and (now - started).total_seconds() < SETTLE_SECONDS:
            return Verdict(Phase.WAITING, "started, settling")
        return Verdict(Phase.READY, "running")
    probes = probes_since_start(state)
    if state.health == "healthy" and probes:
        return Verdict(Phase.READY, "healthy")
    if state.health == "unhealthy" and probes:
        last = probes[-1]
        return Verdict(
            Phase.FAILED,
            f"unhealthy: last probe exited {last.exit_code}",
        )
    failing = sum(1 for p in probes if p.exit_code != 0)
    if failing:
        return Verdict(Phase.WAITING, f"starting: {failing} probe(s) failed so far")
    return Verdict(Phase.WAITING, "starting: waiting for the first probe")


def blocked_behind(failed: str, specs: Mapping[str, ServiceSpec]) -> list[str]:
    """Services that depend, directly or through others, on a failed one."""
    blocked: list[str] = []
    frontier = [failed]
    while frontier:
        current = frontier.pop()
        for spec in specs.values():
            if current in spec.depends_on and spec.name not in blocked:
                blocked.append(spec.name)
                frontier.append(spec.name)
    return sorted(blocked)


def waiting_on(spec: ServiceSpec, verdicts: Mapping[str, Verdict]) -> list[str]:
    return [
        dependency
        for dependency in spec.depends_on
        if dependency in verdicts and verdicts[dependency].phase is not Phase.READY
    ]


def wait_for_services(
    specs: Mapping[str, ServiceSpec],
    read_states: Callable[[], Mapping[str, ServiceState]],
    timeout: float,
    compose_state: Callable[[], str],
    before: Mapping[str, ServiceState] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Generator[ServiceProgress, None, tuple[str, ...] | None]:
    """Poll states until every service is ready, one fails, or time runs out.

    `compose_state` returns "running", "done" or "failed" for the `compose up`
    that runs meanwhile, and `before` contains the containers that existed when
    it started. Yields a ServiceProgress for every change of verdict and
    returns the failed services, () when all are ready, or None on timeout.
    After a failed `compose up` it returns the services not ready, which may
    be none, so the caller must check Compose's own result as well.
    """
    before = before or {}
    started = clock()
    verdicts: dict[str, Verdict] = {}
    while True:
        compose = compose_state()
        states = read_states()
        for name, spec in specs.items():
            state = states.get(name, ServiceState(service=name))
            verdict = _judge(spec, state, before.get(name), compose, wall_clock())
            verdict = _with_dependencies(spec, verdict, verdicts)
            if verdicts.get(name) != verdict:
                verdicts[name] = verdict
                yield ServiceProgress(name, verdict, clock() - started)
        failed = tuple(n for n, v in verdicts.items() if v.phase is Phase.FAILED)
        if failed:
            return failed
        if compose == "failed":
            return _not_started(verdicts, states)
        all_ready = all(v.phase is Phase.READY for v in verdicts.values())
        if all_ready and compose == "done":
            return ()
        if clock() - started >= timeout:
            return None
        sleep(POLL_INTERVAL)


def _judge(
    spec: ServiceSpec,
    state: ServiceState,
    earlier: ServiceState | None,
    compose: str,
    now: datetime,
) -> Verdict:
    """Assess a service, without blaming it for a run that predates this `up`.

    A container that failed before `up` started is recreated or restarted by
    Compose, so its old failure counts only once Compose has finished.
    """
    same_container = earlier is not None and earlier.container_id == state.container_id
    restarts_before = earlier.restart_count if same_container else 0
    verdict = assess(spec, state, restarts_before, now)
    unchanged = same_container and earlier.started_at == state.started_at
    if unchanged and compose == "running" and verdict.phase is Phase.FAILED:
        return Verdict(Phase.WAITING, "earlier run failed; waiting for Compose")
    return verdict


def _not_started(
    verdicts: Mapping[str, Verdict], states: Mapping[str, ServiceState]
) -> tuple[str, ...]:
    """Blame the services Compose left created or absent when it gave up."""
    pending = [n for n, v in verdicts.items() if v.phase is not Phase.READY]
    created = [n for n in pending if states.get(n, ServiceState(n)).status == "created"]
    return tuple(created or pending)


def _with_dependencies(
    spec: ServiceSpec, verdict: Verdict, verdicts: Mapping[str, Verdict]
) -> Verdict:
    waiting_to_start = verdict.reason in ("not created yet", "created, not started")
    if verdict.phase is not Phase.WAITING or not waiting_to_start:
        return verdict
    pending = waiting_on(spec, verdicts)
    if pending:
        return Verdict(Phase.WAITING, f"waiting for {', '.join(pending)}")
    return verdict


def summarize(result: WaitResult) -> str:
    if result.ok:
        return f"ready in {result.elapsed:.1f}s"
    if result.timed_out:
        return f"timed out after {result.elapsed:.0f}s"
    return "failed"
