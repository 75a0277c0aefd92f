"""Carrying out a service's reload plan: sync, exec, restart, rebuild."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from devenv import engine, health
from devenv.errors import EngineError
from devenv.models import ServiceProgress
from devenv.watch.events import ActionDone
from devenv.watch.plan import ServicePlan
from devenv.watch.rules import ExecSpec

if TYPE_CHECKING:
    from devenv.stack import Stack


class Reloader:
    """Applies plans to one stack's containers and returns one event per action.

    ContainerGone and EngineUnavailable propagate, so the caller can keep the
    changes and retry; any other engine failure becomes a failed event.
    """

    def __init__(
        self, stack: Stack, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stack = stack
        self.clock = clock

    def sync(
        self, plan: ServicePlan, container_id: str, action: str = "sync"
    ) -> ActionDone:
        started = self.clock()
        folders: dict[str, list[tuple[Path, str]]] = {}
        for copy in plan.copies.values():
            folders.setdefault(copy.directory, []).append((copy.source, copy.name))
        deletes = plan.minimal_deletes()
        try:
            copied = sum(
                engine.copy_into_folder(container_id, folder, sorted(entries))
                for folder, entries in sorted(folders.items())
            )
            if deletes:
                engine.remove_in_container(container_id, deletes)
        except engine.ContainerGone:
            raise
        except EngineError as error:
            return self._failed(plan, action, started, error)
        detail = _sync_detail(copied, len(deletes), plan.through_bind)
        return self._done(plan, action, started, detail)

    def run_exec(
        self, plan: ServicePlan, spec: ExecSpec, container_id: str
    ) -> ActionDone:
        started = self.clock()
        completed = engine.exec_as(
            container_id,
            spec.command,
            user=spec.user,
            workdir=spec.workdir,
            environment=spec.environment,
            privileged=spec.privileged,
        )
        output = (completed.stdout + completed.stderr).decode(errors="replace")
        last = [line for line in output.splitlines() if line.strip()][-1:]
        detail = f"`{shlex.join(spec.command)}` exited {completed.returncode}"
        if last:
            detail += f": {last[0].strip()}"
        ok = completed.returncode == 0
        return self._done(plan, "exec", started, detail, ok)

    def restart(self, plan: ServicePlan) -> ActionDone:
        started = self.clock()
        try:
            engine.compose_restart(self.stack.rendered.target, [plan.service])
        except engine.ContainerGone:
            raise
        except EngineError as error:
            return self._failed(plan, "restart", started, error)
        ok, reason = self.wait_ready(plan.service)
        return self._done(plan, "restart", started, reason, ok)

    def rebuild(self, plan: ServicePlan, before: str) -> ActionDone:
        """Build the service's image, recreate the container if it changed, and wait."""
        started = self.clock()
        target = self.stack.rendered.target
        try:
            engine.compose_build(target, [plan.service])
            engine.compose_up_no_deps(target, [plan.service])
        except EngineError as error:
            return self._failed(plan, "rebuild", started, error)
        ok, reason = self.wait_ready(plan.service)
        after = self.stack.states().get(plan.service)
        recreated = after is not None and after.container_id != before
        outcome = (
            "container recreated" if recreated else "image unchanged, container kept"
        )
        return self._done(plan, "rebuild", started, f"{outcome}, {reason}", ok)

    def wait_ready(self, service: str) -> tuple[bool, str]:
        """Wait for one service as `up` does; return (ready, last verdict's reason)."""
        spec = self.stack.rendered.specs()[service]
        timeout = self.stack.profile.wait_timeout
        waiting = health.wait_for_services(
            {service: spec}, self.stack.states, timeout, compose_state=lambda: "done"
        )
        outcome, last = _run_to_end(waiting)
        reason = last.verdict.reason if last is not None else "ready"
        if outcome is None:
            return False, f"not ready after {timeout:.0f}s: {reason}"
        return outcome == (), reason

    def _done(
        self,
        plan: ServicePlan,
        action: str,
        started: float,
        detail: str,
        ok: bool = True,
    ) -> ActionDone:
        return ActionDone(
            service=plan.service,
            action=action,
            changed=self.display(plan.changed),
            seconds=self.clock() - started,
            ok=ok,
            detail=self.stack.masker.text(detail),
        )

    def _failed(
        self, plan: ServicePlan, action: str, started: float, error: EngineError
    ) -> ActionDone:
        return self._done(plan, action, started, str(error), ok=False)

    def display(self, paths: Iterable[Path]) -> tuple[str, ...]:
        """Show paths relative to the workspace root where they lie inside it."""
        root = self.stack.workspace.root
        texts = []
        for path in sorted(paths):
            try:
                texts.append(path.relative_to(root).as_posix())
            except ValueError:
                texts.append(str(path))
        return tuple(texts)


def _run_to_end(
    waiting: Generator[ServiceProgress, None, tuple[str, ...] | None],
) -> tuple[tuple[str, ...] | None, ServiceProgress | None]:
    last = None
    while True:
        try:
            last = next(waiting)
        except StopIteration as finished:
            return finished.value, last


def _sync_detail(copied: int, deleted: int, through_bind: int) -> str:
    parts = []
    if copied:
        parts.append(f"{copied} copied")
    if deleted:
        parts.append(f"{deleted} deleted")
    if through_bind:
        parts.append(f"{through_bind} already visible through a bind mount")
    return ", ".join(parts) or "nothing to copy"
