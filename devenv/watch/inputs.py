"""devenv's own inputs: profile files, fragments and env files, re-checked on change."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from devenv.errors import DevenvError, EngineError
from devenv.models import WaitResult
from devenv.secrets import Masker
from devenv.stack import Stack
from devenv.watch.events import InputsApplied, InputsRejected
from devenv.workspace import Workspace

# Container states in which the engine runs the service, or tries to.
RUNNING = frozenset({"running", "restarting", "paused"})


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


def services_to_apply(
    stack: Stack, known: Collection[str], deferred: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """Split a checked profile's services into those to apply and those left alone.

    A service takes part when its container runs, or when it has deferred
    work and a container, because a failed restart stops it. Nothing is applied
    when no service takes part, so a stopped stack stays stopped. Otherwise
    one-shot services that ran before, services the change added (not in
    `known`), and what the chosen ones depend on join, as `up` would start
    those dependencies anyway.
    """
    specs = stack.rendered.specs()
    states = stack.states()
    chosen = {
        name
        for name in specs
        if name in states and (states[name].status in RUNNING or name in deferred)
    }
    if not chosen:
        return [], list(specs)
    chosen |= {name for name, spec in specs.items() if spec.one_shot and name in states}
    chosen |= {name for name in specs if name not in known}
    unvisited = list(chosen)
    while unvisited:
        for dependency in specs[unvisited.pop()].depends_on:
            if dependency in specs and dependency not in chosen:
                chosen.add(dependency)
                unvisited.append(dependency)
    applied = [name for name in specs if name in chosen]
    return applied, [name for name in specs if name not in chosen]


def apply(
    stack: Stack,
    changed: tuple[str, ...],
    services: Sequence[str],
    left_stopped: Sequence[str] = (),
    clock: Callable[[], float] = time.monotonic,
) -> InputsApplied:
    """Apply a checked profile to `services` with `compose up -d`, and wait as `up` does."""
    started = clock()
    stopped = tuple(left_stopped)
    profile = stack.profile.name
    result = None
    try:
        for event in stack.up(wait=True, services=list(services)):
            if isinstance(event, WaitResult):
                result = event
    except EngineError as error:
        detail = stack.masker.text(str(error))
        seconds = clock() - started
        return InputsApplied(changed, seconds, False, detail, True, stopped, profile)
    assert result is not None
    # A failed `compose up` counts even when the containers it left are ready.
    compose_failed = bool(result.compose_error)
    return InputsApplied(
        changed,
        clock() - started,
        result.ok and not compose_failed,
        _outcome(result, stack, bool(stopped)),
        compose_failed,
        stopped,
        profile,
    )


def _outcome(result: WaitResult, stack: Stack, some_stopped: bool) -> str:
    if result.ok and not result.compose_error:
        return (
            "every running service is ready"
            if some_stopped
            else "every service is ready"
        )
    reasons = [f"{d.service}: {d.reason}" for d in result.diagnoses]
    if result.compose_error:
        reasons.append(f"Compose reported: {result.compose_error}")
    text = "; ".join(reasons)
    if result.timed_out:
        text = f"timed out after {result.elapsed:.0f}s: {text}"
    return stack.masker.text(text)


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
