"""Health verdicts and the wait loop, as pure logic over recorded container states."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from devenv.compose import ServiceSpec, service_specs
from devenv.health import (
    assess,
    blocked_behind,
    parse_timestamp,
    probes_since_start,
    state_from_inspect,
    wait_for_services,
)
from devenv.models import Phase, Probe, ServiceState

START = "2026-12-04T10:00:00.000000000Z"
LATER = datetime(2026, 12, 4, 10, 0, 5, tzinfo=timezone.utc)


def spec(name="svc", health=False, one_shot=False, restart="no", depends=()):
    return ServiceSpec(name, health, one_shot, restart, tuple(depends), "img")


def state(status="running", health=None, exit_code=0, restarts=0, probes=(), **kw):
    return ServiceState(
        service="svc",
        container_id="c1",
        status=status,
        health=health,
        exit_code=exit_code,
        restart_count=restarts,
        started_at=START,
        probes=tuple(probes),
        **kw,
    )


PROBE_OK = Probe("2026-12-04T10:00:01.5Z", "2026-12-04T10:00:01.6Z", 0, "ok")
PROBE_BAD = Probe("2026-12-04T10:00:01.5Z", "2026-12-04T10:00:01.6Z", 1, "no")
PROBE_OLD = Probe("2026-12-04T09:59:01.5Z", "2026-12-04T09:59:01.6Z", 0, "old")


@pytest.mark.parametrize(
    ("service", "container", "phase", "reason"),
    [
        # no container yet
        (spec(), ServiceState("svc"), Phase.WAITING, "not created yet"),
        # plain service, running long enough
        (spec(), state(), Phase.READY, "running"),
        # health check passing in this run
        (spec(health=True), state(health="healthy", probes=[PROBE_OK]), Phase.READY, "healthy"),
        # healthy only by probes of an earlier run: not ready yet
        (spec(health=True), state(health="healthy", probes=[PROBE_OLD]), Phase.WAITING, "starting"),
        # unhealthy fails at once
        (spec(health=True), state(health="unhealthy", probes=[PROBE_BAD]), Phase.FAILED, "unhealthy"),
        # one-shot job still running
        (spec(one_shot=True), state(), Phase.WAITING, "running to completion"),
        # one-shot job done
        (spec(one_shot=True), state("exited", exit_code=0), Phase.READY, "exited 0"),
        # any exit with an error code fails
        (spec(), state("exited", exit_code=3), Phase.FAILED, "exited with code 3"),
        # exit 0 under restart: always is a crash loop in waiting
        (spec(restart="always"), state("exited", exit_code=0), Phase.FAILED, "restart policy"),
        # restarting means crash-looping
        (spec(restart="always"), state("restarting", exit_code=1), Phase.FAILED, "crash-looping"),
        # a restart count that grew since up started
        (spec(restart="on-failure"), state(restarts=2), Phase.FAILED, "crash-looping"),
        # out of memory
        (spec(), state("exited", exit_code=137, oom_killed=True), Phase.FAILED, "out of memory"),
        # dead container
        (spec(), state("dead"), Phase.FAILED, "dead"),
    ],
)
def test_assess(service, container, phase, reason) -> None:
    verdict = assess(service, container, now=LATER)
    assert verdict.phase is phase
    assert reason in verdict.reason


def test_just_started_service_is_settling() -> None:
    just_after = parse_timestamp(START) + timedelta(seconds=0.1)
    assert assess(spec(), state(), now=just_after).phase is Phase.WAITING


def test_probes_of_earlier_run_are_dropped() -> None:
    kept = probes_since_start(state(probes=[PROBE_OLD, PROBE_OK]))
    assert kept == (PROBE_OK,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-04T10:00:00.123456789Z", datetime(2026, 12, 4, 10, 0, 0, 123456, timezone.utc)),
        ("2026-12-04T10:00:00.5+00:00", datetime(2026, 12, 4, 10, 0, 0, 500000, timezone.utc)),
        ("2026-12-04T10:00:00Z", datetime(2026, 12, 4, 10, 0, 0, 0, timezone.utc)),
        # the engine's zero time means "never"
        ("0001-01-01T00:00:00Z", None),
        ("", None),
    ],
)
def test_parse_timestamp(text: str, expected) -> None:
    assert parse_timestamp(text) == expected


def test_blocked_behind_follows_dependants() -> None:
    specs = {
        "db": spec("db"),
        "api": spec("api", depends=["db"]),
        "web": spec("web", depends=["api"]),
        "cache": spec("cache"),
    }
    assert blocked_behind("db", specs) == ["api", "web"]


def test_specs_mark_awaited_jobs_one_shot() -> None:
    model = {
        "services": {
            "migrate": {"restart": "no"},
            "api": {
                "depends_on": {"migrate": {"condition": "service_completed_successfully"}},
                "healthcheck": {"test": ["CMD", "true"]},
            },
        }
    }
    specs = service_specs(model)
    assert specs["migrate"].one_shot
    assert not specs["api"].one_shot
    assert specs["api"].has_healthcheck
    assert specs["api"].depends_on == ("migrate",)


def run_wait(states_sequence, specs, compose="done", timeout=10.0):
    """Drive wait_for_services with a fake clock; each poll reads the next states."""
    clock = {"now": 0.0}
    reads = iter(states_sequence)
    last = {}

    def read_states():
        nonlocal last
        last = next(reads, last)
        return last

    def sleep(seconds):
        clock["now"] += seconds

    events = []
    waiting = wait_for_services(
        specs,
        read_states,
        timeout,
        compose_state=lambda: compose,
        clock=lambda: clock["now"],
        sleep=sleep,
        wall_clock=lambda: LATER,
    )
    try:
        while True:
            events.append(next(waiting))
    except StopIteration as stop:
        return events, stop.value, clock["now"]


def test_wait_ends_when_all_ready() -> None:
    specs = {"svc": spec(health=True)}
    sequence = [
        {"svc": state(health="starting")},
        {"svc": state(health="healthy", probes=[PROBE_OK])},
    ]
    events, outcome, _ = run_wait(sequence, specs)
    assert outcome == ()
    assert [e.verdict.phase for e in events] == [Phase.WAITING, Phase.READY]


def test_wait_reports_failure_at_once() -> None:
    specs = {"svc": spec()}
    events, outcome, elapsed = run_wait([{"svc": state("exited", exit_code=1)}], specs)
    assert outcome == ("svc",)
    assert elapsed == 0.0


def test_wait_times_out_with_none() -> None:
    specs = {"svc": spec(health=True)}
    _, outcome, elapsed = run_wait([{"svc": state(health="starting")}], specs, timeout=1.0)
    assert outcome is None
    assert elapsed >= 1.0


def test_wait_blames_created_services_when_compose_fails() -> None:
    specs = {"db": spec("db"), "api": spec("api")}
    sequence = [{"db": state(), "api": ServiceState("api", "c2", status="created")}]
    _, outcome, _ = run_wait(sequence, specs, compose="failed")
    assert outcome == ("api",)


def test_waiting_service_names_its_dependency() -> None:
    specs = {"db": spec("db", health=True), "api": spec("api", depends=["db"])}
    sequence = [{"db": state(health="starting")}]
    events, _, _ = run_wait(sequence, specs, timeout=0.2)
    api_reasons = [e.verdict.reason for e in events if e.service == "api"]
    assert api_reasons == ["waiting for db"]


def test_state_from_recorded_inspect() -> None:
    recorded = json.loads((Path(__file__).parent / "data" / "inspect_unhealthy.json").read_text())
    parsed = state_from_inspect("sick", recorded[0])
    assert parsed.status == "running"
    assert parsed.health == "unhealthy"
    assert parsed.probes[-1].output == "probe-says-no"
    assert parsed.probes[-1].exit_code == 1
    assert parsed.profile == "sick"


def test_failure_of_an_earlier_run_waits_for_compose() -> None:
    specs = {"svc": spec()}
    earlier = state("exited", exit_code=1)
    rerun = ServiceState(
        "svc", "c1", status="running", started_at="2026-12-04T10:00:09Z"
    )
    sequence = [{"svc": earlier}, {"svc": rerun}]
    composes = iter(["running", "running", "done"])
    clock = {"now": 0.0}
    waiting = wait_for_services(
        specs,
        lambda: sequence.pop(0) if len(sequence) > 1 else sequence[0],
        10.0,
        compose_state=lambda: next(composes, "done"),
        before={"svc": earlier},
        clock=lambda: clock["now"],
        sleep=lambda seconds: clock.update(now=clock["now"] + seconds),
        wall_clock=lambda: LATER + timedelta(seconds=10),
    )
    reasons = []
    try:
        while True:
            reasons.append(next(waiting).verdict.reason)
    except StopIteration as stop:
        outcome = stop.value
    assert reasons[0] == "earlier run failed; waiting for Compose"
    assert outcome == ()


def test_earlier_failure_counts_once_compose_is_done() -> None:
    specs = {"svc": spec()}
    earlier = state("exited", exit_code=1)
    _, outcome, _ = run_wait([{"svc": earlier}], specs, compose="done")
    assert outcome == ("svc",)
