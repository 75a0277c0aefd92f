"""devenv's own inputs: profile files, fragments and env files, re-checked on change."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from devenv.errors import DevenvError, EngineError
from devenv.models import WaitResult
from devenv.secrets import Masker
from devenv.stack import Stack
from devenv.watch.events import InputsApplied, InputsRejected
from devenv.workspace import Workspace


class InputTracker:
    """Tracks which files feed the running profile, and which changes count."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.files: set[Path] = set()
        # After a failed check the profile may name files not tracked yet, so
        # any YAML file in profiles/ or compose/ counts until a check passes.
        self.failing = False

    def track(self, stack: Stack) -> None:
        self.files = input_files(stack)
        self.failing = False

    def changed(self, paths: Iterable[Path]) -> list[Path]:
        return sorted(path for path in paths if self._counts(path))

    def folders(self) -> set[Path]:
        folders = {path.parent for path in self.files}
        folders |= {self.workspace.profiles_dir, self.workspace.compose_dir}
        return {folder for folder in folders if folder.is_dir()}

    def _counts(self, path: Path) -> bool:
        if path in self.files:
            return True
        if not self.failing:
            return False
        watched = (self.workspace.profiles_dir, self.workspace.compose_dir)
        return path.parent in watched and path.suffix in (".yaml", ".yml")


def input_files(stack: Stack) -> set[Path]:
    """List the profile's own files: its `extends` chain, fragments and env files."""
    workspace = stack.workspace
    files = {workspace.profile_path(name) for name in stack.profile.chain}
    files |= set(stack.profile.fragment_paths)
    files |= {stack.profile.env_file, workspace.env_example}
    files |= set(_service_env_files(stack.rendered.model))
    return files


def _service_env_files(model: Mapping) -> Iterable[Path]:
    """Yield the `env_file` entries of every service, which Compose renders absolute."""
    for definition in (model.get("services") or {}).values():
        for entry in definition.get("env_file") or []:
            path = entry.get("path") if isinstance(entry, Mapping) else entry
            if path:
                yield Path(path)


def recheck(workspace: Workspace, profile_name: str) -> Stack:
    """Resolve, render and check the profile afresh; raise DevenvError on a problem."""
    stack = Stack(workspace, profile_name)
    _ = stack.rendered  # runs `docker compose config`, which rejects broken fragments
    stack.check_environment()
    return stack


def apply(
    stack: Stack, changed: tuple[str, ...], clock: Callable[[], float] = time.monotonic
) -> InputsApplied:
    """Apply a checked profile with `compose up -d` and wait as `devenv up` does."""
    started = clock()
    result = None
    try:
        for event in stack.up(wait=True):
            if isinstance(event, WaitResult):
                result = event
    except EngineError as error:
        detail = stack.masker.text(str(error))
        return InputsApplied(changed, clock() - started, False, detail)
    assert result is not None
    return InputsApplied(changed, clock() - started, result.ok, _outcome(result, stack))


def _outcome(result: WaitResult, stack: Stack) -> str:
    if result.ok:
        return "every service is ready"
    if result.timed_out:
        prefix = f"timed out after {result.elapsed:.0f}s"
    else:
        prefix = "failed"
    reasons = [f"{d.service}: {d.reason}" for d in result.diagnoses]
    if result.compose_error:
        reasons.append(f"Compose reported: {result.compose_error}")
    return stack.masker.text(f"{prefix}: " + "; ".join(reasons))


def rejected(
    error: DevenvError, changed: tuple[str, ...], masker: Masker, root: Path
) -> InputsRejected:
    """Describe a failed check, with each `.env` finding on its own line."""
    report = getattr(error, "report", None)
    findings = []
    for finding in getattr(report, "findings", ()):
        if str(getattr(finding, "severity", "")).lower() != "error":
            continue
        findings.append(_finding_line(finding, root))
    return InputsRejected(
        changed, masker.text(str(error)), tuple(masker.text(f) for f in findings)
    )


def _finding_line(finding: Any, root: Path) -> str:
    path = Path(finding.file)
    where = path.relative_to(root) if path.is_relative_to(root) else path
    line = f"{where}:{finding.line}: " if finding.line else f"{where}: "
    fix = f" ({finding.fix})" if getattr(finding, "fix", "") else ""
    return f"{line}{finding.message}{fix}"
