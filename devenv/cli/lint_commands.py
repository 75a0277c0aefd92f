"""`devenv lint` and `devenv doctor`."""

from __future__ import annotations

import json
import sys

import click

from devenv.cli.common import open_workspace

_LINT_EPILOG = """\b
Rules DV1xx check the Compose fragments, DV2xx the Dockerfiles that build
the profile's images. To keep an intended finding, put
    # devenv: ignore[DV107] reason
on its line or the line above; a suppression without a reason is itself
an error. Lint renders with .env.example, never your .env, so it reports
the same on every machine (variables exported in your shell still win, as
in Compose). Exit code 1 when any error is found, 2 when PROFILE is not
found.
"""

_STATUS_MARKS = {"pass": "✔", "warn": "!", "fail": "✖"}


@click.command(name="lint", epilog=_LINT_EPILOG)
@click.argument("profile", required=False)
@click.option("--all", "all_profiles", is_flag=True, help="Lint every profile.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown writes a report for a pull request.",
)
@click.pass_obj
def lint_command(
    root: str | None, profile: str | None, all_profiles: bool, fmt: str
) -> None:
    """Check PROFILE's fragments and Dockerfiles against devenv's rules."""
    from devenv.errors import InputError
    from devenv.lint import format_report, lint_profiles

    if bool(profile) == all_profiles:
        raise InputError("Name one PROFILE or pass --all, not both or neither.")
    workspace = open_workspace(root)
    names = workspace.profile_names() if all_profiles else [profile]
    report = lint_profiles(workspace, names)
    click.echo(format_report(report, fmt))
    sys.exit(1 if report.has_errors else 0)


@click.command(name="doctor")
@click.argument("profile", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def doctor_command(root: str | None, profile: str | None, as_json: bool) -> None:
    """Check Docker, Compose, disk, memory, and PROFILE's ports, .env and lint."""
    from devenv.doctor import run_doctor
    from devenv.errors import InputError

    try:
        workspace = open_workspace(root)
    except InputError:
        if profile:
            raise
        workspace = None
    report = run_doctor(workspace, profile)
    if as_json:
        checks = [check.__dict__ for check in report.checks]
        click.echo(json.dumps({"ok": not report.failed, "checks": checks}, indent=2))
    else:
        click.echo(_doctor_text(report))
    sys.exit(1 if report.failed else 0)


def _doctor_text(report) -> str:
    width = max(len(check.name) for check in report.checks)
    lines = []
    for check in report.checks:
        mark = _STATUS_MARKS[check.status]
        lines.append(f"{mark} {check.name:<{width}}  {check.detail}")
        if check.fix and check.status != "pass":
            lines.append(f"  {'':<{width}}  fix: {check.fix}")
    failed = sum(1 for check in report.checks if check.status == "fail")
    lines.append(f"{failed} check(s) failed, {report.warnings} warning(s).")
    return "\n".join(lines)
