"""Linting profiles: load, render, run every rule, apply suppressions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devenv.errors import InputError
from devenv.lint.dockerfile import parse_dockerfile
from devenv.lint.dockerfile_rules import check_dockerfile
from devenv.lint.findings import Finding, LintReport, finding
from devenv.lint.fragments import Locator, load_fragments
from devenv.lint.image_rules import declares_healthcheck
from devenv.lint.model_rules import check_model
from devenv.lint.render import render_model
from devenv.lint.suppression import (
    Suppression,
    apply_suppressions,
    dockerfile_suppressions,
    suppression_findings,
    yaml_suppressions,
)
from devenv.lint.written_rules import check_fragments
from devenv.profiles import resolve_profile
from devenv.workspace import Workspace


class _Collected:
    """Findings and suppressions gathered over several profiles, without repeats."""

    def __init__(self) -> None:
        self.findings: set[Finding] = set()
        self.suppressions: dict[Path, list[Suppression]] = {}

    def add(self, findings: Sequence[Finding]) -> None:
        self.findings.update(findings)

    def report(self, workspace: Workspace, names: Sequence[str]) -> LintReport:
        suppressions = [s for items in self.suppressions.values() for s in items]
        remaining = apply_suppressions(self.findings, suppressions)
        remaining += suppression_findings(suppressions)
        findings = tuple(sorted(set(remaining)))
        return LintReport(workspace.root, tuple(names), findings)


def lint_profiles(workspace: Workspace, names: Sequence[str]) -> LintReport:
    """Lint each named profile; a fragment shared by several is reported once."""
    collected = _Collected()
    for name in names:
        _lint_profile(workspace, name, collected)
    return collected.report(workspace, names)


def _lint_profile(workspace: Workspace, name: str, collected: _Collected) -> None:
    try:
        profile = resolve_profile(workspace, name)
        fragments = load_fragments(profile.fragment_paths)
    except InputError as error:
        collected.add([finding("DV100", workspace.profile_path(name), 1, str(error))])
        return
    for fragment in fragments:
        collected.suppressions[fragment.path] = yaml_suppressions(fragment.path)
    collected.add(check_fragments(fragments, workspace.env_example))
    try:
        model = render_model(workspace, profile, fragments)
    except InputError as error:
        message = f"Compose cannot render profile {name}: {error}"
        collected.add([finding("DV100", profile.path, 1, message)])
        return
    image_healthchecks = _lint_dockerfiles(model, collected)
    collected.add(check_model(model, Locator(fragments), image_healthchecks))


def _lint_dockerfiles(model: dict[str, Any], collected: _Collected) -> set[str]:
    """Lint each Dockerfile; return the services whose image has a HEALTHCHECK."""
    with_healthcheck: set[str] = set()
    for path, services in dockerfiles_of(model).items():
        try:
            dockerfile = parse_dockerfile(path)
        except InputError as error:
            collected.add([finding("DV100", path, 1, str(error))])
            continue
        collected.suppressions[path] = dockerfile_suppressions(dockerfile)
        collected.add(check_dockerfile(dockerfile))
        if declares_healthcheck(dockerfile):
            with_healthcheck.update(services)
    return with_healthcheck


def dockerfiles_of(model: dict[str, Any]) -> dict[Path, list[str]]:
    """Map each local Dockerfile of the model to the services built from it.

    NOTE: `dockerfile_inline` and remote build contexts (git or HTTP URLs)
    are skipped, because there is no local file to report lines in.
    """
    found: dict[Path, list[str]] = {}
    for name, service in (model.get("services") or {}).items():
        build = service.get("build")
        if not isinstance(build, dict) or "dockerfile_inline" in build:
            continue
        context = str(build.get("context") or ".")
        if "://" in context or context.startswith("git@"):
            continue
        path = Path(context) / str(build.get("dockerfile") or "Dockerfile")
        found.setdefault(path, []).append(name)
    return found
