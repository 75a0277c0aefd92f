"""`check_environment`: every check of `.env`, gathered into one report."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from devenv.envfile.compose_comparison import _compose_findings
from devenv.envfile.dotenv_io import _read_if_exists, expand_values
from devenv.envfile.file_checks import _file_findings, _outside_workspace_finding
from devenv.envfile.key_checks import (
    _duplicate_findings,
    _missing_findings,
    _short_secret_findings,
    _syntax_findings,
    _unknown_findings,
    _value_findings,
)
from devenv.envfile.masking import _has_secret_value, _secret_keys, _secret_values
from devenv.envfile.records import (
    ERROR,
    WARNING,
    EnvFile,
    EnvFinding,
    EnvReport,
    KeySpec,
    env_path_for,
)
from devenv.envfile.references import _fragment_variable_findings
from devenv.envfile.specs import read_specs
from devenv.profiles import Profile
from devenv.workspace import Workspace


def check_environment(
    workspace: Workspace,
    profile: Profile | None,
    *,
    environ: Mapping[str, str] = os.environ,
    compare_with_compose: bool = True,
) -> EnvReport:
    """Check `.env` against `.env.example` and the fragments' `${VAR}` references.

    Without a profile, every fragment in compose/ is checked. `environ` is the
    environment Compose would see. Raise InputError when a file cannot be read.
    """
    env_path = env_path_for(workspace, profile)
    example = _read_if_exists(workspace.env_example)
    env = _read_if_exists(env_path)
    specs, findings = _example_findings(example, workspace.env_example)
    outside = _outside_workspace_finding(workspace, profile)
    if outside is not None:
        findings.append(outside)

    values: Mapping[str, str | None] = {}
    if env is None:
        findings += _absent_env(env_path, specs)
    else:
        values = expand_values(env.entries, environ)
        has_secrets = _has_secret_value(values, specs)
        findings += _env_findings(env, example, specs, values)
        findings += _file_findings(env_path, has_secrets)
    if example is not None:
        findings += _fragment_variable_findings(
            workspace, profile, specs, env, environ, values
        )

    compose_findings, skip_reason = _compose_comparison(
        env, env_path, specs, compare_with_compose
    )
    findings += compose_findings

    def secret_values() -> frozenset[str]:
        return _secret_values(
            [example, env], _secret_keys([example, env], specs), environ
        )

    return EnvReport(
        env_path=env_path,
        example_path=workspace.env_example,
        findings=tuple(sorted(findings, key=lambda f: (str(f.file), f.line))),
        compose_status="skipped" if skip_reason else "compared",
        compose_skip_reason=skip_reason,
        secret_values=secret_values,
    )


def _compose_comparison(
    env: EnvFile | None, env_path: Path, specs: Mapping[str, KeySpec], requested: bool
) -> tuple[list[EnvFinding], str]:
    """Run the Compose comparison when it is requested and `.env` exists.

    Return its findings and, when it did not run, the reason.
    """
    if env is None:
        return [], f"{env_path.name} not found"
    if not requested:
        return [], "not requested"
    return _compose_findings(env, specs)


def _example_findings(
    example: EnvFile | None, path: Path
) -> tuple[dict[str, KeySpec], list[EnvFinding]]:
    if example is None:
        message = f"{path.name} not found, so nothing documents the variables"
        fix = f"create {path.name} with every variable the fragments use"
        return {}, [EnvFinding(path, 0, "", WARNING, "no-example", message, fix)]
    specs, findings = read_specs(example)
    findings += _syntax_findings(example, WARNING)
    findings += _duplicate_findings(example, is_example=True)
    return specs, findings


def _absent_env(env_path: Path, specs: Mapping[str, KeySpec]) -> list[EnvFinding]:
    if not specs:
        return []
    message = f"{env_path.name} not found"
    fix = "run `devenv env init` to create it from .env.example"
    return [EnvFinding(env_path, 0, "", ERROR, "no-env", message, fix)]


def _env_findings(
    env: EnvFile,
    example: EnvFile | None,
    specs: Mapping[str, KeySpec],
    values: Mapping[str, str | None],
) -> list[EnvFinding]:
    findings = _syntax_findings(env, ERROR) + _duplicate_findings(env, is_example=False)
    findings += _short_secret_findings(env, specs, values)
    if example is None:
        return findings
    findings += _missing_findings(env, example, specs)
    findings += _unknown_findings(env, example, specs)
    findings += _value_findings(env, specs, values)
    return findings
