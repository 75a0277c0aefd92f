"""Plain-text cells of the service list: symbols, health, ports, uptime, detail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from devenv.health import parse_timestamp
from devenv.models import Phase
from devenv.stack import ServiceStatus

# Symbols carry the phase without colour; colours only repeat it.
SYMBOLS = {Phase.READY: "✔", Phase.WAITING: "…", Phase.FAILED: "✖"}
NOT_CREATED_SYMBOL = "○"
PHASE_STYLES = {Phase.READY: "green", Phase.WAITING: "yellow", Phase.FAILED: "red"}
NOT_CREATED_STYLE = "dim"

# One binding as health.state_from_inspect writes it: "0.0.0.0:49153->8080/tcp".
_PORT = re.compile(r"^(?P<ip>.*):(?P<host>\d+)->(?P<target>\d+)/(?P<proto>\w+)$")


@dataclass(frozen=True)
class ServiceRow:
    """The cells of one service in the service list."""

    profile: str
    service: str
    symbol: str
    style: str
    state: str
    health: str
    ports: str
    uptime: str
    restarts: str
    detail: str


def service_row(profile: str, status: ServiceStatus, now: datetime) -> ServiceRow:
    state = status.state
    missing = state.status == "missing"
    return ServiceRow(
        profile=profile,
        service=state.service,
        symbol=NOT_CREATED_SYMBOL if missing else SYMBOLS[status.verdict.phase],
        style=NOT_CREATED_STYLE if missing else PHASE_STYLES[status.verdict.phase],
        state="not created" if missing else state.status,
        health=state.health or "-",
        ports=format_ports(state.ports),
        uptime=format_uptime(state.started_at, now)
        if state.status == "running"
        else "-",
        restarts=str(state.restart_count),
        detail=service_detail(status),
    )


def service_detail(status: ServiceStatus) -> str:
    """Say what a waiting service waits on, else the verdict's reason."""
    if status.waiting_on and status.verdict.phase is Phase.WAITING:
        return f"waiting on {', '.join(status.waiting_on)}"
    return status.verdict.reason


def format_ports(ports: tuple[str, ...]) -> str:
    """Shorten bindings to `HOST->CONTAINER`, once per port even when IPv4 and IPv6."""
    shown: list[str] = []
    for binding in ports:
        match = _PORT.match(binding)
        if match is None:
            text = binding
        else:
            suffix = "" if match["proto"] == "tcp" else f"/{match['proto']}"
            text = f"{match['host']}->{match['target']}{suffix}"
        if text not in shown:
            shown.append(text)
    return ", ".join(shown) or "-"


def format_uptime(started_at: str, now: datetime) -> str:
    """Format the time since `started_at` as 45s, 12m05s, 3h04m or 2d05h."""
    started = parse_timestamp(started_at)
    if started is None:
        return "-"
    seconds = max(0, int((now - started).total_seconds()))
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return f"{days}d{hour:02d}h"
    if hours:
        return f"{hours}h{minute:02d}m"
    if minutes:
        return f"{minutes}m{second:02d}s"
    return f"{second}s"


def profile_summary(statuses: list[ServiceStatus]) -> str:
    """Count a profile's services per phase, e.g. '3 services: 2 ready, 1 failed'."""
    counts = {phase: 0 for phase in Phase}
    for status in statuses:
        counts[status.verdict.phase] += 1
    parts = [f"{counts[phase]} {phase.value}" for phase in Phase if counts[phase]]
    noun = "service" if len(statuses) == 1 else "services"
    return f"{len(statuses)} {noun}: {', '.join(parts)}" if parts else f"0 {noun}"
