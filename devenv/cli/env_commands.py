"""`devenv env check` and `devenv env init`: the `.env` file Compose reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from devenv.cli.common import open_workspace

if TYPE_CHECKING:
    from devenv.envfile import EnvFinding, EnvReport, InitResult, KeySpec
    from devenv.profiles import Profile
    from devenv.secrets import Masker
    from devenv.workspace import Workspace


@click.group("env")
def env_group() -> None:
    """Check `.env` against `.env.example`, or create it from the example."""


@env_group.command("check")
@click.option(
    "-p",
    "--profile",
    help="Check this profile's env file and fragments "
    "(default: .env and every fragment in compose/).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def check_command(ctx: click.Context, profile: str | None, as_json: bool) -> None:
    """Check .env against .env.example and the fragments' ${VAR} references.

    Also reads .env with Compose's own parser (`docker compose config`) and warns
    where it reads a key differently from python-dotenv. Without docker and its
    Compose plugin that comparison is skipped. Secret values are never printed.

    Exit status: 0 no errors (warnings allowed), 1 errors, 2 unreadable input.
    """
    from devenv.envfile import check_environment

    workspace = open_workspace(ctx.obj)
    report = check_environment(workspace, _resolve(workspace, profile))
    root = workspace.root
    masker = report.masker()
    if as_json:
        click.echo(json.dumps(report_data(report, root, masker), indent=2))
    else:
        click.echo(masker.text(report_text(report, root)))
    ctx.exit(1 if report.has_errors else 0)


@env_group.command("init")
@click.option(
    "--non-interactive",
    is_flag=True,
    help="Never prompt: exit 1 and list the required keys that need a value.",
)
@click.option("-p", "--profile", help="Write this profile's env file (default: .env).")
@click.pass_context
def init_command(
    ctx: click.Context, non_interactive: bool, profile: str | None
) -> None:
    """Create .env from .env.example, or add the keys .env lacks.

    Keeps the example's comments and order, and never changes a value already in
    .env. Prompts for each required key whose example value is empty or a
    placeholder, and reads secret values without echo. A new file gets mode 0600.
    """
    from devenv.envfile import init_env_file

    workspace = open_workspace(ctx.obj)
    ask = None if non_interactive else _prompt_for_value
    result = init_env_file(workspace, _resolve(workspace, profile), ask=ask)
    if result.missing:
        click.echo(_missing_text(result), err=True)
        ctx.exit(1)
    click.echo(_init_summary(result, workspace.root))


def _resolve(workspace: Workspace, profile: str | None) -> Profile | None:
    from devenv.profiles import resolve_profile

    return resolve_profile(workspace, profile) if profile else None


def finding_line(finding: EnvFinding, root: Path) -> str:
    """Format one finding as `FILE:LINE: severity: KEY: message (fix: ...)`.

    A finding about the whole file (line 0) shows no line, and one without a key
    shows no key.
    """
    from devenv.envfile import display_path

    location = display_path(finding.file, root)
    if finding.line:
        location += f":{finding.line}"
    key = f"{finding.key}: " if finding.key else ""
    return (
        f"{location}: {finding.severity}: {key}{finding.message} (fix: {finding.fix})"
    )


def report_text(report: EnvReport, root: Path) -> str:
    lines = [finding_line(finding, root) for finding in report.findings]
    lines.append(_summary(report, root))
    return "\n".join(lines)


def _summary(report: EnvReport, root: Path) -> str:
    from devenv.envfile import display_path

    name = display_path(report.env_path, root)
    errors = _plural(report.error_count, "error")
    warnings = _plural(report.warning_count, "warning")
    text = f"{name}: {errors}, {warnings}"
    if report.compose_status == "skipped":
        text += f"; comparison with Compose skipped ({report.compose_skip_reason})"
    return text + "."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def report_data(report: EnvReport, root: Path, masker: Masker) -> dict[str, Any]:
    """Build the `--json` document, with every string passed through the masker."""
    from devenv.envfile import display_path

    findings = [
        {
            name: masker.text(value) if isinstance(value, str) else value
            for name, value in finding.as_dict(root).items()
        }
        for finding in report.findings
    ]
    return {
        "env_file": display_path(report.env_path, root),
        "example": display_path(report.example_path, root),
        "ok": not report.has_errors,
        "errors": report.error_count,
        "warnings": report.warning_count,
        "compose_comparison": {
            "status": report.compose_status,
            "reason": masker.text(report.compose_skip_reason),
        },
        "findings": findings,
    }


def _prompt_for_value(spec: KeySpec) -> str:
    """Prompt until the value is valid, and print why after each invalid one."""
    label = spec.key + (f" ({spec.description})" if spec.description else "")
    while True:
        # With a default, click returns an empty input instead of prompting again
        # silently, so the error for it can be printed here.
        value = click.prompt(
            label, default="", show_default=False, hide_input=spec.is_secret
        )
        problem = _answer_problem(spec, value)
        if problem is None:
            return value
        click.echo(f"Error: {problem}", err=True)


def _answer_problem(spec: KeySpec, value: str) -> str | None:
    """Return why `env init` cannot write `value` for `spec`, never showing it."""
    from devenv.envfile import unwritable_reason, validate_value

    if not value:
        return f"a value is required, because .env.example marks {spec.key} required."
    problem = validate_value(spec, value)
    if problem is not None:
        return f"invalid value for {spec.key}: {problem}."
    return unwritable_reason(value)


def _missing_text(result: InitResult) -> str:
    keys = "\n".join(f"  {key}" for key in result.missing)
    return (
        f"{result.path.name}: not written; these required keys need a value:\n{keys}\n"
        "Run `devenv env init` on a terminal to be prompted for them, or add them to "
        f"{result.path.name} yourself."
    )


def _init_summary(result: InitResult, root: Path) -> str:
    from devenv.envfile import display_path

    name = display_path(result.path, root)
    if result.created:
        return f"Created {name} (mode 0600) with {_plural(len(result.added), 'key')}."
    if not result.added:
        return f"{name} already has every key of .env.example; nothing to add."
    return (
        f"Added {_plural(len(result.added), 'key')} to {name}: "
        + ", ".join(result.added)
        + "."
    )
