"""Carrying out a service's reload plan: sync, exec, restart, rebuild."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devenv import engine, health
from devenv.errors import EngineError
from devenv.models import Phase, ServiceProgress, Verdict
from devenv.watch.events import ActionDone
from devenv.watch.plan import ServicePlan
from devenv.watch.rules import ExecSpec

if TYPE_CHECKING:
    from devenv.stack import Stack


class Reloader:
    """Applies plans to one stack's containers and returns one event per action.

    ContainerGone and EngineUnavailable propagate, so the caller can keep the
    changes and retry. Any other engine failure becomes a failed event, and
    for a restart or rebuild that event has `retry_pending` set.
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
        """Restart the service's containers, then the dependents Compose restarts.

        It restarts by container through the engine, so it works while a file
        of the profile is broken, which `compose restart` would reject.
        Raises ContainerGone when the service has no container.
        """
        started = self.clock()
        restarted = []
        try:
            for service in restart_order(self.stack.rendered.services, plan.service):
                containers = self.containers(service)
                if service == plan.service and not containers:
                    raise engine.ContainerGone("no container exists")
                for container in containers:
                    _restart_container(container)
                if containers:
                    restarted.append(service)
        except engine.ContainerGone:
            raise
        except EngineError as error:
            return self._failed(plan, "restart", started, error, retry_pending=True)
        ok, reason = self.wait_ready(restarted)
        return self._done(plan, "restart", started, reason, ok)

    def rebuild(self, plan: ServicePlan, before: str) -> ActionDone:
        """Build the service's image, recreate the container if it changed, and wait.

        Raises ContainerGone when the service has no container, so a rebuild
        never starts a service that `devenv up` has not started.
        """
        started = self.clock()
        if not self.containers(plan.service):
            raise engine.ContainerGone("no container exists")
        target = self.stack.rendered.target
        try:
            engine.compose_build(target, [plan.service])
            engine.compose_up_no_deps(target, [plan.service])
        except EngineError as error:
            return self._failed(plan, "rebuild", started, error, retry_pending=True)
        ok, reason = self.wait_ready([plan.service])
        after = self.stack.states().get(plan.service)
        recreated = after is not None and after.container_id != before
        outcome = (
            "container recreated" if recreated else "image unchanged, container kept"
        )
        return self._done(plan, "rebuild", started, f"{outcome}, {reason}", ok)

    def containers(self, service: str) -> list[str]:
        """List the ids of the service's containers, stopped ones included."""
        labels = {
            engine.PROJECT_LABEL: self.stack.project,
            engine.SERVICE_LABEL: service,
            engine.ONEOFF_LABEL: "False",
        }
        return engine.list_container_ids(labels)

    def wait_ready(self, services: Sequence[str]) -> tuple[bool, str]:
        """Wait for services as `up` does; return (all ready, the reason to show).

        The reason describes the first service, and names the others only
        when one of them is not ready.
        """
        specs = self.stack.rendered.specs()
        timeout = self.stack.profile.wait_timeout
        waiting = health.wait_for_services(
            {name: specs[name] for name in services},
            self.stack.states,
            timeout,
            compose_state=lambda: "done",
        )
        outcome, verdicts = _run_to_end(waiting)
        if outcome == ():
            others = ", ".join(services[1:])
            also = f"; also restarted {others}" if others else ""
            return True, _reason(verdicts, services[0]) + also
        not_ready = [
            name
            for name in services
            if name not in verdicts or verdicts[name].phase is not Phase.READY
        ]
        failed = list(outcome) if outcome is not None else not_ready
        if failed == [services[0]]:
            reasons = _reason(verdicts, services[0])
        else:
            reasons = "; ".join(f"{name}: {_reason(verdicts, name)}" for name in failed)
        if outcome is None:
            return False, f"not ready after {timeout:.0f}s: {reasons}"
        return False, reasons

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
        self,
        plan: ServicePlan,
        action: str,
        started: float,
        error: EngineError,
        retry_pending: bool = False,
    ) -> ActionDone:
        done = self._done(plan, action, started, str(error), ok=False)
        return replace(done, retry_pending=retry_pending)

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
) -> tuple[tuple[str, ...] | None, dict[str, Verdict]]:
    """Drive a health wait to its end; return its outcome and each last verdict."""
    verdicts: dict[str, Verdict] = {}
    while True:
        try:
            progress = next(waiting)
        except StopIteration as finished:
            return finished.value, verdicts
        verdicts[progress.service] = progress.verdict


def _reason(verdicts: dict[str, Verdict], service: str) -> str:
    verdict = verdicts.get(service)
    return verdict.reason if verdict is not None else "ready"


def restart_order(services: Mapping[str, Mapping[str, Any]], first: str) -> list[str]:
    """List `first`, then every service that depends on it with `restart: true`.

    Dependents of dependents follow, as `docker compose restart` includes
    them too (checked with Compose 2.40).
    """
    order = [first]
    index = 0
    while index < len(order):
        for name, definition in services.items():
            options = (definition.get("depends_on") or {}).get(order[index]) or {}
            if options.get("restart") and name not in order:
                order.append(name)
        index += 1
    return order


def _restart_container(container: str) -> None:
    """Run `docker restart`, which keeps the container's own stop timeout."""
    try:
        engine.container_action("restart", container)
    except EngineError as error:
        if "No such container" in error.stderr:
            raise engine.ContainerGone(
                f"container {container[:12]} no longer exists"
            ) from error
        raise


def _sync_detail(copied: int, deleted: int, through_bind: int) -> str:
    parts = []
    if copied:
        parts.append(f"{copied} copied")
    if deleted:
        parts.append(f"{deleted} deleted")
    if through_bind:
        parts.append(f"{through_bind} already visible through a bind mount")
    return ", ".join(parts) or "nothing to copy"
