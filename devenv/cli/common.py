"""Helpers the command modules share: opening the workspace, rows, log printing."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from devenv.stack import Stack
    from devenv.workspace import Workspace


def open_workspace(root: str | None) -> Workspace:
    from devenv.workspace import find_workspace

    if root:
        return find_workspace(environ={"DEVENV_ROOT": str(Path(root).resolve())})
    return find_workspace(environ={})


def open_stack(root: str | None, profile: str) -> Stack:
    from devenv import engine
    from devenv.stack import Stack

    workspace = open_workspace(root)
    stack = Stack(workspace, profile)
    engine.require_engine()
    return stack


def status_rows(stack: Stack) -> list[dict[str, Any]]:
    rows = []
    for item in stack.status():
        state = item.state
        rows.append(
            {
                "service": state.service,
                "phase": item.verdict.phase.value,
                "reason": item.verdict.reason,
                "state": state.status,
                "health": state.health,
                "exit_code": state.exit_code if state.status == "exited" else None,
                "restart_count": state.restart_count,
                "ports": list(state.ports),
                "container": state.container_name,
                "started_at": state.started_at,
                "waiting_on": list(item.waiting_on),
            }
        )
    return rows


def status_table(rows: list[dict[str, Any]]) -> str:
    from devenv import output
    from devenv.models import Phase

    table_rows = []
    for row in rows:
        symbol = output.SYMBOLS[Phase(row["phase"])]
        table_rows.append(
            (
                f"{symbol} {row['service']}",
                row["state"],
                row["health"] or "-",
                row["reason"],
                ", ".join(row["ports"]) or "-",
            )
        )
    return output.table(table_rows, ("SERVICE", "STATE", "HEALTH", "DETAIL", "PORTS"))


def profile_rows(workspace: Workspace) -> list[dict[str, Any]]:
    from devenv import engine
    from devenv.errors import DevenvError
    from devenv.profiles import load_profile_file
    from devenv.stack import running_profiles

    try:
        engine.require_engine()
        running = running_profiles(workspace)
    except DevenvError:
        running = None
    rows = []
    for name in workspace.profile_names():
        try:
            description = load_profile_file(workspace, name).description
        except DevenvError as error:
            description = f"(invalid: {error})"
        if running is None:
            state = "unknown"
        elif running.get(name, 0):
            state = f"{running[name]} running"
        else:
            state = "no"
        rows.append({"profile": name, "description": description, "running": state})
    return rows


def print_logs(
    stack: Stack,
    services: list[str] | None,
    follow: bool,
    since: str | None,
    tail: int | None,
) -> None:
    from devenv import output
    from devenv.logs import follow_logs, read_logs

    names = services or list(stack.rendered.services)
    stack.check_services(names)
    width = max(len(n) for n in names)
    colour = sys.stdout.isatty()
    index = {name: i for i, name in enumerate(names)}
    lock = threading.Lock()

    def sink(service: str, line: str) -> None:
        prefix = output.log_prefix(service, index[service], width, colour)
        with lock:
            click.echo(prefix + stack.masker.text(line))

    if not follow:
        for service, line in read_logs(stack.states(), names, tail, since):
            sink(service, line)
        return
    stop = threading.Event()
    followers = follow_logs(stack.states, names, sink, stop, tail=tail, since=since)
    try:
        while any(f.is_alive() for f in followers):
            followers[0].join(0.5)
    except KeyboardInterrupt:
        stop.set()
