"""Linting profiles: load, render, run every rule, apply suppressions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devenv.errors import InputError
from devenv.lint.dockerfile import parse_dockerfile
from devenv.lint.dockerfile_rules import check_dockerfile
from devenv.lint.error_location import (
    compose_reason,
    locate_compose_error,
    split_location,
)
from devenv.lint.findings import Finding, LintReport, finding
from devenv.lint.fragments import Fragment, Locator, load_fragments
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
from devenv.profiles import Profile, resolve_profile
from devenv.workspace import Workspace, check_name, did_you_mean


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
    """Lint each named profile; a fragment shared by several is reported once.

    Raises InputError, before any rendering, when a name is invalid or has no
    profile file, because there is no file to report a finding in.
    """
    require_profiles(workspace, names)
    collected = _Collected()
    for name in names:
        _lint_profile(workspace, name, collected)
    return collected.report(workspace, names)


def require_profiles(workspace: Workspace, names: Sequence[str]) -> None:
    """Raise InputError, with a did-you-mean, for a name with no profile file."""
    for name in names:
        check_name(name, "profile")
        if not workspace.profile_path(name).is_file():
            raise InputError(
                f"Profile {name!r} not found in {workspace.profiles_dir}."
                + did_you_mean(name, workspace.profile_names())
            )


def _lint_profile(workspace: Workspace, name: str, collected: _Collected) -> None:
    try:
        profile = resolve_profile(workspace, name)
        fragments = load_fragments(profile.fragment_paths)
    except InputError as error:
        collected.add([_input_finding(error, workspace.profile_path(name))])
        return
    for fragment in fragments:
        collected.suppressions[fragment.path] = yaml_suppressions(fragment.path)
    collected.add(check_fragments(fragments, workspace.env_example))
    try:
        model = render_model(workspace, profile, fragments)
    except InputError as error:
        collected.add([_render_finding(workspace, profile, fragments, error)])
        return
    image_healthchecks = _lint_dockerfiles(model, collected)
    collected.add(check_model(model, Locator(fragments), image_healthchecks))


def _input_finding(error: InputError, default: Path) -> Finding:
    """DV100 at the file and line the error names, else at line 1 of `default`."""
    located = split_location(str(error))
    if located is None:
        return finding("DV100", default, 1, str(error))
    path, line, message = located
    return finding("DV100", path, line, message)


def _render_finding(
    workspace: Workspace,
    profile: Profile,
    fragments: tuple[Fragment, ...],
    error: InputError,
) -> Finding:
    """DV100 at the fragment line Compose's error is about.

    When Compose's message names no file, service or key, each fragment is
    rendered alone: the one that fails with the same message is reported, at
    its first line. The profile's first line is the last resort.
    """
    reason = compose_reason(str(error))
    message = f"Compose cannot render profile {profile.name}: {reason}"
    place = locate_compose_error(reason, fragments)
    if place is None:
        place = _failing_fragment(workspace, profile, fragments, reason)
    path, line = place or (profile.path, 1)
    return finding("DV100", path, line, message)


def _failing_fragment(
    workspace: Workspace,
    profile: Profile,
    fragments: tuple[Fragment, ...],
    reason: str,
) -> tuple[Path, int] | None:
    if len(fragments) < 2:
        return (fragments[0].path, 1) if fragments else None
    for fragment in fragments:
        try:
            render_model(workspace, profile, (fragment,))
        except InputError as error:
            if compose_reason(str(error)) == reason:
                return fragment.path, 1
    return None


def _lint_dockerfiles(model: dict[str, Any], collected: _Collected) -> set[str]:
    """Lint each Dockerfile; return the services whose image has a HEALTHCHECK."""
    with_healthcheck: set[str] = set()
    for path, services in dockerfiles_of(model).items():
        try:
            dockerfile = parse_dockerfile(path)
        except InputError as error:
            collected.add([_input_finding(error, path)])
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
