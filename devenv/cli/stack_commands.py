"""Commands over one profile's stack: up, down, status, logs, restart, ls, config."""

from __future__ import annotations

import json
import re
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
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for health (default: the profile's wait_timeout).",
)
@click.option("--build", is_flag=True, help="Build images before starting.")
@click.option("--watch", is_flag=True, help="Once up, apply file changes as `devenv watch` does, until Ctrl-C.")
@click.pass_obj
def up(root: str | None, profile: str, no_wait: bool, timeout: float | None, build: bool, watch: bool) -> None:
    """Bring PROFILE up and wait until every service is ready.

    Checks `.env` and the published ports first and starts nothing when
    either check fails.
    """
    from devenv import output
    from devenv.models import WaitResult
    from devenv.stack import EnvCheckFailed

    stack = open_stack(root, profile)
    view = output.ProgressView()
    try:
        for event in stack.up(build=build, wait=not no_wait, timeout=timeout):
            if isinstance(event, WaitResult):
                click.echo(output.render_result(event, profile))
                if event.ok and watch:
                    from devenv.cli.watch_commands import follow_changes

                    follow_changes(stack)
                sys.exit(0 if event.ok else 1)
            view.update(event)
    except EnvCheckFailed as failure:
        click.echo(output.render_env_errors(failure.report, stack.masker), err=True)
        raise


@click.command()
@click.argument("profile")
@click.option("--volumes", is_flag=True, help="Also remove the profile's named volumes (their data is lost).")
@click.option("--yes", is_flag=True, help="Do not ask before removing volumes.")
@click.pass_obj
def down(root: str | None, profile: str, volumes: bool, yes: bool) -> None:
    """Stop and remove PROFILE's containers and network; named volumes are kept.

    Works on a profile whose files no longer render, by its project name.
    """
    stack = open_stack(root, profile)
    question = f"Remove the named volumes of {profile} ({stack.project}) and all their data?"
    if volumes and not yes and not click.confirm(question):
        click.echo("Nothing was removed.", err=True)
        sys.exit(1)
    stack.down(volumes=volumes)
    kept = "removed" if volumes else "kept"
    click.echo(f"✔ {profile} is down; named volumes {kept}.")


@click.command()
@click.argument("profile")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
def status(root: str | None, profile: str, as_json: bool) -> None:
    """Show each service of PROFILE: state, health, ports, and what it waits on.

    Exits 1 when a service has failed, so scripts can check the stack.
    """
    from devenv.cli.common import status_rows, status_table

    stack = open_stack(root, profile)
    rows = status_rows(stack)
    if as_json:
        click.echo(json.dumps(stack.masker.data(rows), indent=2))
    else:
        click.echo(status_table(rows))
    if any(row["phase"] == "failed" for row in rows):
        sys.exit(1)


@click.command()
@click.argument("profile")
@click.argument("services", nargs=-1)
@click.option("-f", "--follow", is_flag=True, help="Keep following, across restarts and recreation.")
@click.option(
    "--since",
    callback=lambda ctx, param, value: _check_since(value),
    help="Only lines since this time: 2026-01-02T15:04:05, a Unix time, or an age such as 10m or 1h30m.",
)
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
@click.option("--no-wait", is_flag=True, help="Return once the containers have restarted.")
@click.pass_obj
def restart(root: str | None, profile: str, services: tuple[str, ...], no_wait: bool) -> None:
    """Restart PROFILE's services (all of them unless SERVICES are named) and wait.

    Waits, as `up` does, until the restarted services are ready again.
    """
    from devenv import output
    from devenv.models import WaitResult

    stack = open_stack(root, profile)
    names = list(services) or None
    stack.restart(names)
    if no_wait:
        click.echo(f"✔ restarted {', '.join(services) or 'all services'} of {profile}.")
        return
    view = output.ProgressView()
    for event in stack.wait(names):
        if isinstance(event, WaitResult):
            click.echo(output.render_result(event, profile))
            sys.exit(0 if event.ok else 1)
        view.update(event)


_AGE = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")
_TIME = re.compile(r"\d+(\.\d+)?|\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?")


def _check_since(value: str | None) -> str | None:
    """Accept what `docker logs --since` accepts; reject the rest before any call."""
    if value is None or _AGE.fullmatch(value) or _TIME.fullmatch(value):
        return value
    raise click.BadParameter(
        f"{value!r} is not a time: write 2026-01-02T15:04:05, a Unix time, "
        "or an age such as 10m or 1h30m."
    )


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
