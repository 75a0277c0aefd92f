"""Commands over one profile's stack: up, down, status, logs, restart, ls, config."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from devenv.cli.common import open_stack, open_workspace


def register(group: click.Group) -> None:
    for command in (up, down, status, logs, restart, ls, config):
        group.add_command(command)


@click.command()
@click.argument("profile")
@click.option("--no-wait", is_flag=True, help="Return once Compose has started the containers.")
@click.option("--timeout", type=float, help="Seconds to wait for health (default: the profile's wait_timeout).")
@click.option("--build", is_flag=True, help="Build images before starting.")
@click.option("--watch", is_flag=True, help="Once up, apply file changes as `devenv watch` does, until Ctrl-C.")
@click.pass_obj
def up(root: str | None, profile: str, no_wait: bool, timeout: float | None, build: bool, watch: bool) -> None:
    """Bring PROFILE up and wait until every service is ready."""
    from devenv import output
    from devenv.models import WaitResult

    stack = open_stack(root, profile)
    view = output.ProgressView(list(stack.rendered.services))
    for event in stack.up(build=build, wait=not no_wait, timeout=timeout):
        if isinstance(event, WaitResult):
            click.echo(output.render_result(event, profile))
            if event.ok and watch:
                from devenv.cli.watch_commands import follow_changes

                follow_changes(stack)
            sys.exit(0 if event.ok else 1)
        view.update(event)


@click.command()
@click.argument("profile")
@click.option("--volumes", is_flag=True, help="Also remove the profile's named volumes (their data is lost).")
@click.option("--yes", is_flag=True, help="Do not ask before removing volumes.")
@click.pass_obj
def down(root: str | None, profile: str, volumes: bool, yes: bool) -> None:
    """Stop and remove PROFILE's containers and network; named volumes are kept."""
    stack = open_stack(root, profile)
    if volumes and not yes:
        click.confirm(
            f"Remove the named volumes of {profile} ({stack.project}) and all their data?",
            abort=True,
        )
    stack.down(volumes=volumes)
    kept = "removed" if volumes else "kept"
    click.echo(f"✔ {profile} is down; named volumes {kept}.")


@click.command()
@click.argument("profile")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def status(root: str | None, profile: str, as_json: bool) -> None:
    """Show each service of PROFILE: state, health, ports, and what it waits on."""
    from devenv.cli.common import status_rows, status_table

    stack = open_stack(root, profile)
    rows = status_rows(stack)
    if as_json:
        click.echo(json.dumps(stack.masker.data(rows), indent=2))
    else:
        click.echo(status_table(rows))


@click.command()
@click.argument("profile")
@click.argument("services", nargs=-1)
@click.option("-f", "--follow", is_flag=True, help="Keep following, across restarts and recreation.")
@click.option("--since", help="Only lines since this time (2026-01-02T15:04:05, or 10m, 1h).")
@click.option("--tail", type=int, help="Lines from the end of each service's log.")
@click.pass_obj
def logs(root: str | None, profile: str, services: tuple[str, ...], follow: bool, since: str | None, tail: int | None) -> None:
    """Show the logs of PROFILE's services (all of them unless SERVICES are named)."""
    from devenv.cli.common import print_logs

    stack = open_stack(root, profile)
    print_logs(stack, list(services) or None, follow, since, tail)


@click.command()
@click.argument("profile")
@click.argument("services", nargs=-1)
@click.pass_obj
def restart(root: str | None, profile: str, services: tuple[str, ...]) -> None:
    """Restart PROFILE's services (all of them unless SERVICES are named)."""
    stack = open_stack(root, profile)
    stack.restart(list(services) or None)
    click.echo(f"✔ restarted {', '.join(services) or 'all services'} of {profile}.")


@click.command(name="ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def ls(root: str | None, as_json: bool) -> None:
    """List the workspace's profiles, their descriptions and whether they run."""
    from devenv.cli.common import profile_rows
    from devenv import output

    rows = profile_rows(open_workspace(root))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(
        output.table(
            [(r["profile"], r["running"], r["description"]) for r in rows],
            ("PROFILE", "RUNNING", "DESCRIPTION"),
        )
    )


@click.command()
@click.argument("profile")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.pass_obj
def config(root: str | None, profile: str, fmt: str) -> None:
    """Print PROFILE's model as Compose renders it, with secrets masked."""
    from devenv.yaml_io import dump_yaml

    model = open_stack(root, profile).masked_config()
    click.echo(json.dumps(model, indent=2) if fmt == "json" else dump_yaml(model))
