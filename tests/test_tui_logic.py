"""Pure logic behind the TUI: log buffers, queries, rows, events, action helpers."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest

from devenv.cli.tui_command import DEFAULT_BUFFER_LINES as CLI_DEFAULT_BUFFER_LINES
from devenv.errors import InputError, StackFailed
from devenv.models import Diagnosis, Phase, ServiceState, Verdict, WaitResult
from devenv.stack import ServiceStatus
from devenv.tui.actions import first_sentence, wait_summary
from devenv.tui.events import PROBE_REFRESH_INTERVAL, RefreshScheduler, parse_event
from devenv.tui.jobs import JobCancelled, run_detached
from devenv.tui.logbuffer import (
    DEFAULT_BUFFER_LINES,
    LogBuffer,
    clean_line,
    filter_lines,
    parse_query,
)
from devenv.tui.rows import format_ports, format_uptime, profile_summary, service_row
from devenv.tui.state_workers import report_crash
from devenv.tui.widgets.log_model import LogModel, MatchIndex

NOW = datetime(2025, 1, 6, 9, 0, 0, tzinfo=timezone.utc)


# --- log buffer and queries -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain text", "plain text"),  # printable text is returned as is
        ("\x1b[31mred\x1b[0m", "red"),  # colour codes are dropped
        ("a\tb", "a   b"),  # tabs expand to 4-column stops
        ("bell\x07 and cursor\x1b[2K", "bell and cursor"),  # control codes go
        ("caf\u00e9 \u2713", "caf\u00e9 \u2713"),  # printable non-ASCII stays
    ],
)
def test_clean_line(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


def test_buffer_keeps_newest_lines_per_service() -> None:
    buffer = LogBuffer(max_lines=3)
    for number in range(5):
        buffer.append("live", "web", f"web {number}")
    buffer.append("live", "db", "db 0")

    assert [line.text for line in buffer.lines("live", "web")] == [
        "web 2",
        "web 3",
        "web 4",
    ]
    assert [line.text for line in buffer.lines("live", "db")] == ["db 0"]


def test_buffer_interleaves_services_in_arrival_order() -> None:
    buffer = LogBuffer(max_lines=10)
    buffer.append("live", "web", "first")
    buffer.append("live", "db", "second")
    buffer.append("other", "web", "elsewhere")
    buffer.append("live", "web", "third")

    lines = buffer.lines("live", None)

    assert [line.text for line in lines] == ["first", "second", "third"]
    assert [line.service for line in lines] == ["web", "db", "web"]


def test_buffer_marks_restart_lines() -> None:
    buffer = LogBuffer(max_lines=10)
    marker = buffer.append("live", "web", "--- web restarted ---")
    other = buffer.append("live", "web", "--- db restarted ---")

    assert marker.is_marker
    assert not other.is_marker


def test_buffer_rejects_zero_lines() -> None:
    with pytest.raises(InputError, match="at least 1 line"):
        LogBuffer(max_lines=0)


def test_plain_query_is_literal_and_case_insensitive() -> None:
    query = parse_query("A.B")

    assert query is not None
    assert query.spans("xa.by aXb") == [(1, 4)]
    assert not query.is_regex


def test_regex_query_matches_as_written() -> None:
    query = parse_query("re:^tick [0-9]+$")

    assert query is not None
    assert query.is_regex
    assert query.spans("tick 12") == [(0, 7)]
    assert query.spans("Tick 12") == []


@pytest.mark.parametrize("text", ["re:(", "re:"])
def test_invalid_regex_query_is_rejected(text: str) -> None:
    with pytest.raises(InputError, match="regular expression"):
        parse_query(text)


def test_empty_query_clears() -> None:
    assert parse_query("") is None


def test_filter_keeps_matches_and_restart_markers() -> None:
    buffer = LogBuffer(max_lines=10)
    for text in (
        "error: disk full",
        "all good",
        "--- web restarted ---",
        "ERROR again",
    ):
        buffer.append("live", "web", text)

    kept = filter_lines(buffer.lines("live", "web"), parse_query("error"))

    assert [line.text for line in kept] == [
        "error: disk full",
        "--- web restarted ---",
        "ERROR again",
    ]


# --- service rows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ((), "-"),  # nothing published
        (("0.0.0.0:8080->80/tcp", ":::8080->80/tcp"), "8080->80"),  # IPv4 and IPv6 once
        (("127.0.0.1:5353->53/udp",), "5353->53/udp"),  # non-TCP keeps its protocol
        (("0.0.0.0:1->2/tcp", "0.0.0.0:3->4/tcp"), "1->2, 3->4"),  # several bindings
    ],
)
def test_format_ports(ports: tuple[str, ...], expected: str) -> None:
    assert format_ports(ports) == expected


@pytest.mark.parametrize(
    ("started", "expected"),
    [
        ("2025-01-06T08:59:15.5Z", "44s"),
        ("2025-01-06T08:47:55Z", "12m05s"),
        ("2025-01-06T05:56:00Z", "3h04m"),
        ("2025-01-04T04:00:00Z", "2d05h"),
        ("0001-01-01T00:00:00Z", "-"),  # the engine's zero time: never started
        ("2025-01-06T09:00:05Z", "0s"),  # a clock slightly behind the engine's
    ],
)
def test_format_uptime(started: str, expected: str) -> None:
    assert format_uptime(started, NOW) == expected


def _status(
    service: str, status: str, phase: Phase, reason: str, waiting=()
) -> ServiceStatus:
    state = ServiceState(
        service=service, status=status, started_at="2025-01-06T08:59:00Z"
    )
    return ServiceStatus(state, Verdict(phase, reason), tuple(waiting))


def test_waiting_row_names_what_it_waits_on() -> None:
    row = service_row(
        "live", _status("app", "created", Phase.WAITING, "x", ["db", "cache"]), NOW
    )

    assert row.detail == "waiting on db, cache"
    assert row.symbol == "…"
    assert row.uptime == "-"


def test_failed_row_carries_symbol_and_reason() -> None:
    row = service_row("live", _status("db", "running", Phase.FAILED, "unhealthy"), NOW)

    assert row.symbol == "✖"
    assert row.style == "red"
    assert row.detail == "unhealthy"
    assert row.uptime == "1m00s"


def test_missing_container_row_says_not_created() -> None:
    row = service_row(
        "live", _status("db", "missing", Phase.WAITING, "not created yet"), NOW
    )

    assert row.state == "not created"
    assert row.symbol == "○"


def test_profile_summary_counts_phases() -> None:
    statuses = [
        _status("a", "running", Phase.READY, "ok"),
        _status("b", "running", Phase.READY, "ok"),
        _status("c", "running", Phase.FAILED, "unhealthy"),
    ]

    assert profile_summary(statuses) == "3 services: 2 ready, 1 failed"


# --- engine events and the refresh scheduler --------------------------------------


def _record(action: str, profile: str = "live", oneoff: str = "False") -> dict:
    """Build a `docker events` record as the engine sends it (trimmed)."""
    return {
        "Type": "container",
        "Action": action,
        "Actor": {
            "ID": "abc123",
            "Attributes": {
                "com.docker.compose.service": "web",
                "com.docker.compose.oneoff": oneoff,
                "dev.devenv.profile": profile,
            },
        },
    }


@pytest.mark.parametrize(
    ("action", "changes_state", "is_probe"),
    [
        ("start", True, False),
        ("die", True, False),
        ("health_status: unhealthy", True, False),  # detail after the colon is dropped
        ("exec_die", False, True),  # the end of a health probe
    ],
)
def test_parse_event_kinds(action: str, changes_state: bool, is_probe: bool) -> None:
    event = parse_event(_record(action))

    assert event is not None
    assert event.profile == "live"
    assert event.service == "web"
    assert event.changes_state is changes_state
    assert event.is_probe is is_probe


@pytest.mark.parametrize(
    "record",
    [
        _record("exec_create: wget -q http://127.0.0.1/"),  # probe start: no news
        _record("attach"),  # not a state change
        _record("start", profile=""),  # not a devenv container
        _record("start", oneoff="True"),  # `compose run` containers are not services
        {"Type": "network", "Action": "connect", "Actor": {"Attributes": {}}},
    ],
)
def test_parse_event_ignores_irrelevant_records(record: dict) -> None:
    assert parse_event(record) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_scheduler_coalesces_a_burst() -> None:
    clock = FakeClock()
    scheduler = RefreshScheduler(clock)
    for _ in range(5):
        scheduler.request("live")

    assert scheduler.take_due() == []  # still inside the coalescing delay
    clock.now += 1
    assert scheduler.take_due() == ["live"]
    assert scheduler.take_due() == []


def test_scheduler_ignores_probes_of_profiles_not_shown() -> None:
    clock = FakeClock()
    scheduler = RefreshScheduler(clock)
    scheduler.request("live", probe=True)

    assert scheduler.seconds_until_due() is None


def test_scheduler_limits_probe_refreshes() -> None:
    clock = FakeClock()
    scheduler = RefreshScheduler(clock)
    scheduler.watch_probes_of(frozenset({"live"}))

    scheduler.request("live", probe=True)
    assert scheduler.take_due() == ["live"]

    scheduler.request("live", probe=True)
    assert scheduler.take_due() == []  # within PROBE_REFRESH_INTERVAL of the last
    clock.now += PROBE_REFRESH_INTERVAL
    assert scheduler.take_due() == ["live"]


def test_scheduler_wait_returns_on_stop() -> None:
    scheduler = RefreshScheduler()
    stop = threading.Event()
    threading.Timer(0.05, lambda: (stop.set(), scheduler.wake())).start()

    assert scheduler.wait_for_due(stop) == []


# --- action helpers ----------------------------------------------------------------


def test_first_sentence_cuts_after_the_first_period() -> None:
    text = "Compose failed for project live: no such image.  Fix it and retry."

    assert first_sentence(text) == "Compose failed for project live: no such image."


def test_first_sentence_shortens_long_text() -> None:
    sentence = first_sentence("x" * 500)

    assert len(sentence) == 160
    assert sentence.endswith("…")


def test_wait_summary_of_success() -> None:
    assert wait_summary("live", WaitResult(ok=True, elapsed=2.25)) == (
        "live is ready after 2.2s."
    )


def test_wait_summary_names_failed_services() -> None:
    diagnosis = Diagnosis(service="db", reason="unhealthy", state=ServiceState("db"))
    result = WaitResult(ok=False, elapsed=3.0, diagnoses=(diagnosis,))

    with pytest.raises(StackFailed, match=r"live failed after 3.0s \(db: unhealthy\)"):
        wait_summary("live", result)


def test_run_detached_returns_the_result() -> None:
    assert run_detached(lambda: 42, lambda: False) == 42


def test_run_detached_passes_errors_on() -> None:
    def fail() -> None:
        raise InputError("bad input")

    with pytest.raises(InputError, match="bad input"):
        run_detached(fail, lambda: False)


def test_run_detached_stops_waiting_when_cancelled() -> None:
    release = threading.Event()

    with pytest.raises(JobCancelled):
        run_detached(lambda: release.wait(30), lambda: True)
    release.set()


def test_run_detached_keeps_waiting_until_done() -> None:
    def slow() -> str:
        time.sleep(0.5)  # longer than one cancellation poll
        return "done"

    assert run_detached(slow, lambda: False) == "done"


# --- the log pane's model -------------------------------------------------------------


def test_model_trim_drops_hidden_and_shown_lines() -> None:
    buffer = LogBuffer(max_lines=100)
    model = LogModel(max_lines=4)
    model.filter = parse_query("keep")
    model.replace(
        [buffer.append("live", "web", t) for t in ("keep 1", "drop", "keep 2")], 0
    )

    added, dropped_rows = model.append(
        [buffer.append("live", "web", t) for t in ("drop", "keep 3")]
    )

    assert added == 1
    assert dropped_rows == 1  # "keep 1" fell out of the newest 4 lines
    assert [line.text for line in model.shown] == ["keep 2", "keep 3"]
    assert len(model.all) == 4


def test_model_maps_wrapped_rows_to_lines() -> None:
    buffer = LogBuffer(max_lines=100)
    model = LogModel(max_lines=100)
    model.wrap, model.wrap_width = True, 10
    model.replace(
        [buffer.append("live", "web", t) for t in ("a" * 25, "b", "c" * 10)], 0
    )

    assert model.row_count == 5  # 3 rows, 1 row, 1 row
    assert [model.line_at_row(row) for row in range(5)] == [0, 0, 0, 1, 2]
    assert model.first_row_of(2) == 4


def test_match_index_steps_and_shifts() -> None:
    matches = MatchIndex()
    for index in (2, 5, 9):
        matches.add(index)

    assert matches.stepped(1) == 0  # no current match: forward starts at the first
    assert matches.stepped(-1) == 2  # and backward at the last
    matches.current = 1
    matches.shift(3)  # lines 0-2 removed: the match on line 2 goes
    assert matches.lines == [2, 6]
    assert matches.current == 0
    assert 6 in matches


# --- the command line -------------------------------------------------------------------


def test_cli_buffer_default_matches_buffer() -> None:
    assert CLI_DEFAULT_BUFFER_LINES == DEFAULT_BUFFER_LINES


def test_cli_rejects_unknown_profile(devenv, make_workspace) -> None:
    root = make_workspace("tui")

    result = devenv("tui", "nosuch", cwd=root)

    assert result.returncode == 2
    assert "Profile 'nosuch' not found" in result.stderr
    assert "Available: forge, live, vault." in result.stderr


# --- workers ---------------------------------------------------------------------------


class FailureLog:
    """Records what a worker reports, in place of the app's toasts."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, str]] = []

    def _post_failure(self, title: str, error: str) -> None:
        self.failures.append((title, error))


def test_crashing_worker_reports_instead() -> None:
    @report_crash
    def load(app: FailureLog) -> None:
        raise ValueError("bad inspect record")

    app = FailureLog()
    load(app)

    assert app.failures == [("Unexpected error", "ValueError: bad inspect record.")]
