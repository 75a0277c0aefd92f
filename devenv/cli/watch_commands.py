"""`devenv watch`: apply file changes to a running profile until Ctrl-C."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import click

from devenv.cli.common import open_workspace

if TYPE_CHECKING:
    from devenv.stack import Stack
    from devenv.watch import ActionDone, InputsApplied, WatchEvent

# How many changed paths a line names before it only counts the rest.
NAMED_PATHS = 3


@click.command(name="watch")
@click.argument("profile")
@click.option(
    "--poll",
    is_flag=True,
    help="Scan the watched folders every 0.2 s instead of waiting for file system "
    "events (for network shares and VM folders that send none).",
)
@click.pass_obj
def watch_command(root: str | None, profile: str, poll: bool) -> None:
    """Sync, restart or rebuild PROFILE's services as files change, until Ctrl-C.

    Rules come from the fragments' `develop.watch` entries, as for `docker
    compose watch`, and also work for services without `build:` and on bind
    mounted paths. Edits to the profile, its fragments and env files are
    checked first and applied with `up -d` only when the checks pass, and
    only to the services that run, so a stopped stack stays stopped. While
    those files fail the checks, rebuilds wait and restarts still run.

    Synced files belong to root in the container, as with `docker cp`, and
    cannot reach tmpfs mounts. `initial_sync` copies every file but deletes
    none.
    """
    from devenv import engine
    from devenv.stack import Stack

    stack = Stack(open_workspace(root), profile)
    _ = stack.profile  # a broken profile is bad input (exit 2), engine or not
    engine.require_engine()
    follow_changes(stack, poll)


def follow_changes(stack: Stack, poll: bool = False) -> None:
    """Print one line per watch event until Ctrl-C; `up --watch` calls it too."""
    from devenv.watch import watch_stack

    stop = threading.Event()
    events = watch_stack(stack, stop, poll)
    try:
        for event in events:
            click.echo(render_event(event))
    except KeyboardInterrupt:
        stop.set()
    finally:
        events.close()
    click.echo("Stopped watching.")


def render_event(event: WatchEvent) -> str:
    """Format one watch event as the line (or lines) the terminal shows."""
    from devenv import watch

    if isinstance(event, watch.ActionDone):
        return _render_action(event)
    if isinstance(event, watch.InputsApplied):
        return _render_applied(event)
    if isinstance(event, watch.InputsChecked):
        return (
            f"✔ {summarize_paths(event.changed)} passed the checks; nothing was "
            f"applied because no service of {event.profile} is running "
            f"(`devenv up {event.profile}` starts them)."
        )
    if isinstance(event, watch.InputsRejected):
        changed = summarize_paths(event.changed)
        lines = [
            f"✖ {changed} failed the checks; the running stack is unchanged.",
            f"  {event.message}",
        ]
        return "\n".join(lines + [f"  {finding}" for finding in event.findings])
    if isinstance(event, watch.WatchNotice):
        return ("! " if event.level == "warning" else "· ") + event.message
    return _render_start(event)


def _render_action(event: ActionDone) -> str:
    mark = "✔" if event.ok else "✖"
    changed = summarize_paths(event.changed)
    line = (
        f"{mark} {event.service} {event.action}: {changed}: {event.detail} "
        f"({event.seconds:.2f}s)"
    )
    if event.retry_pending:
        line += (
            f"\n  The {event.action} is retried after the next change to the "
            "profile, its fragments or env files that passes the checks."
        )
    return line


def _render_applied(event: InputsApplied) -> str:
    changed = summarize_paths(event.changed)
    if event.compose_failed:
        head = f"✖ applying {changed} failed: "
    elif event.ok:
        head = f"✔ applied {changed}: "
    else:
        head = f"✖ applied {changed}, but "
    stopped = ""
    if event.left_stopped:
        stopped = f"; left stopped: {', '.join(event.left_stopped)}"
        if event.profile:
            stopped += f" (`devenv up {event.profile}` starts them)"
    return f"{head}{event.detail}{stopped} ({event.seconds:.1f}s)"


def _render_start(event: WatchEvent) -> str:
    services = {rule.service for rule in event.rules}
    lines = [
        (
            f"Watching {event.profile}: {len(event.rules)} rule(s) for "
            f"{len(services)} service(s), and {event.input_files} input file(s). "
            "Press Ctrl-C to stop."
        )
    ]
    for rule in event.rules:
        target = f" -> {rule.target}" if rule.target else ""
        lines.append(f"  {rule.service}: {rule.action} {rule.path}{target}")
    if event.stack_stopped:
        lines.append(
            f"  not running: {', '.join(event.stopped_services)}; changes wait until "
            "they run, and edits to the profile's files are checked but not "
            f"applied (`devenv up {event.profile}` starts them)."
        )
    elif event.stopped_services:
        lines.append(
            f"  not running: {', '.join(event.stopped_services)}; changes for them "
            f"wait until they run (`devenv up {event.profile}`)."
        )
    return "\n".join(lines)


def summarize_paths(paths: tuple[str, ...]) -> str:
    named = ", ".join(paths[:NAMED_PATHS])
    rest = len(paths) - NAMED_PATHS
    return f"{named} (+{rest} more)" if rest > 0 else named
