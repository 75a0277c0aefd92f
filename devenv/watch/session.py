"""The watch loop: batches of changes in, reload actions out, surviving faults."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from devenv import engine
from devenv.errors import DevenvError, EngineUnavailable
from devenv.stack import Stack
from devenv.watch import inputs
from devenv.watch.actions import Reloader
from devenv.watch.deferred import ChangesByService, merge_into, track_deferred
from devenv.watch.events import (
    ActionDone,
    InputsChecked,
    WatchEvent,
    WatchNotice,
    WatchStarted,
)
from devenv.watch.files import FileWatcher
from devenv.watch.notices import rule_notices, started_event
from devenv.watch.plan import Changes, Planner, ServicePlan
from devenv.watch.rules import (
    bind_mounts,
    build_contexts,
    rules_from_model,
    watch_folders,
)

log = logging.getLogger("devenv")

# Seconds between recovery checks (engine back, container back) while idle.
TICK = 1.0
# A batch this large is probably the start of a burst such as a `git
# checkout`, so it is held until the files have been quiet for BURST_QUIET
# seconds. A single save, usually one to three paths counting an editor's
# temporary file, stays below it and is applied at once. A loaded machine
# can pause a writer for over 0.1 s in the middle of a burst, hence 0.2 s.
BURST_SIZE = 10
BURST_QUIET = 0.2
# Changes that lead to a restart or rebuild are held until the files have been
# quiet this long, so one burst costs at most one restart per service.
RESTART_QUIET = 0.25
# Maximum hold in seconds, so a steady stream of writes is still applied.
SETTLE_LIMIT = 5.0
RESTARTING = frozenset({"restart", "sync+restart", "rebuild"})


class WatchSession:
    """Watches one stack's rules and inputs; iterate `run()` for its events."""

    def __init__(self, stack: Stack, stop: threading.Event, poll: bool = False):
        self.stop = stop
        self.files = FileWatcher(poll)
        self.inputs = inputs.InputTracker(stack.workspace)
        self.containers: dict[str, str] = {}
        self.initial_synced: dict[str, str] = {}
        self.pending: ChangesByService = {}
        # Changes whose restart or rebuild failed or waited for broken inputs,
        # so they run again after the next input change that passes the checks.
        self.deferred: ChangesByService = {}
        self.pending_inputs: list[Path] = []
        self.engine_down = False
        self._load(stack)

    def _load(self, stack: Stack) -> None:
        self.stack = stack
        model = stack.rendered.model
        self.rules = rules_from_model(model)
        self.planner = Planner(self.rules, bind_mounts(model), build_contexts(model))
        self.reloader = Reloader(stack)
        self.inputs.track(stack)

    def run(self) -> Iterator[WatchEvent]:
        try:
            self._arm()
            self._refresh_containers()
            yield self._started()
            yield from self._rule_notices()
            yield from self._guarded(self._initial_syncs)
            while not self.stop.is_set():
                batch = self.files.next_batch(TICK)
                yield from self._watcher_errors()
                if batch is None:
                    yield from self._guarded(self._recover)
                else:
                    yield from self._guarded(partial(self._handle, batch))
        finally:
            self.files.close()

    def _guarded(
        self, step: Callable[[], Iterator[WatchEvent]]
    ) -> Iterator[WatchEvent]:
        """Run one step of the loop, reporting a fault instead of stopping."""
        try:
            yield from step()
        except EngineUnavailable as error:
            log.debug("watch step failed, engine unreachable: %s", error)
            self.engine_down = True
            yield WatchNotice(f"{error} Watching goes on; retrying every {TICK:.0f}s.")
        except DevenvError as error:
            log.debug("watch step failed: %s", error)
            yield WatchNotice(f"{self.stack.masker.text(str(error))} Watching goes on.")

    def _handle(self, batch: Changes) -> Iterator[WatchEvent]:
        quiet = self._settling_time(batch)
        if quiet:
            batch = self.files.settle(dict(batch), quiet, SETTLE_LIMIT)
        # Re-arm first, so a folder created in this batch is watched before it
        # is walked and nothing written into it meanwhile is missed.
        self._arm()
        changed_inputs = self.inputs.changed(batch)
        if changed_inputs:
            yield from self._apply_inputs(changed_inputs)
        plans = self.planner.plan(batch)
        for service, plan in sorted(plans.items()):
            yield from self._run_plan(plan, _subset(batch, plan))

    def _settling_time(self, batch: Changes) -> float:
        """Return how long the files must be quiet before this batch is applied."""
        restarting = self.inputs.changed(batch) or any(
            rule.action in RESTARTING and rule.relative(path) is not None
            for rule in self.rules
            for path in batch
        )
        if restarting:
            return RESTART_QUIET
        return BURST_QUIET if len(batch) >= BURST_SIZE else 0.0

    def _run_plan(self, plan: ServicePlan, changes: Changes) -> Iterator[WatchEvent]:
        if self.engine_down:
            merge_into(self.pending, plan.service, changes)
            return
        try:
            yield from self._actions(plan, changes)
        except engine.ContainerGone as error:
            if self._replaced(plan.service):
                yield from self._initial_syncs()
                yield from self._run_plan(plan, changes)
                return
            merge_into(self.pending, plan.service, changes)
            count = len(self.pending[plan.service])
            yield WatchNotice(
                f"{plan.service}: {error}; {count} changed path(s) kept and applied "
                "once it runs again.",
                service=plan.service,
            )
        except EngineUnavailable as error:
            self.engine_down = True
            merge_into(self.pending, plan.service, changes)
            yield WatchNotice(f"{error} Changes are kept until it is reachable again.")

    def _actions(self, plan: ServicePlan, changes: Changes) -> Iterator[WatchEvent]:
        if plan.rebuild:
            yield from self._rebuild(plan, changes)
            return
        container = self._container(plan.service)
        if plan.syncs or plan.through_bind:
            yield self.reloader.sync(plan, container)
        for spec in plan.execs:
            yield self.reloader.run_exec(plan, spec, container)
        if plan.restart:
            yield self._track_deferred(self.reloader.restart(plan), changes)

    def _rebuild(self, plan: ServicePlan, changes: Changes) -> Iterator[WatchEvent]:
        if self.inputs.failing:
            # Compose would reject the broken files, so the build waits for them.
            merge_into(self.deferred, plan.service, changes)
            paths = ", ".join(self.reloader.display(plan.changed))
            yield WatchNotice(
                f"{plan.service}: the rebuild for {paths} waits until the profile's "
                "files pass the checks again, and runs once they do.",
                service=plan.service,
            )
            return
        before = self.containers.get(plan.service, "")
        yield self._track_deferred(self.reloader.rebuild(plan, before), changes)
        self._refresh_containers()
        yield from self._initial_syncs()

    def _track_deferred(self, done: ActionDone, changes: Changes) -> ActionDone:
        track_deferred(self.deferred, done, changes, self.planner)
        return done

    def _container(self, service: str) -> str:
        """Return the service's container, reading the engine when it is unknown."""
        if service not in self.containers:
            self._refresh_containers()
        if service not in self.containers:
            raise engine.ContainerGone(f"{service} has no running container")
        return self.containers[service]

    def _replaced(self, service: str) -> bool:
        """Tell whether the service runs in a new container since it was last read."""
        before = self.containers.get(service)
        self._refresh_containers()
        return self.containers.get(service) not in (None, before)

    def _refresh_containers(self) -> None:
        states = self.stack.states()
        self.containers = {
            name: state.container_id
            for name, state in states.items()
            if state.status == "running" and name in self.stack.rendered.services
        }

    def _initial_syncs(self) -> Iterator[WatchEvent]:
        """Copy every `initial_sync` rule's files into containers not synced yet.

        A container that vanished meanwhile is left out and synced once the
        service runs again.
        """
        vanished = set()
        for rule in self.rules:
            container = self.containers.get(rule.service)
            if not (rule.initial_sync and rule.syncs and rule.target and container):
                continue
            if self.initial_synced.get(rule.service) == container:
                continue
            plan = self.planner.initial_plan(rule)
            plan.changed.add(rule.path)
            try:
                yield self.reloader.sync(plan, container, action="initial sync")
            except engine.ContainerGone:
                vanished.add(rule.service)
        for service, container in self.containers.items():
            if service not in vanished:
                self.initial_synced[service] = container

    def _apply_inputs(self, changed: list[Path]) -> Iterator[WatchEvent]:
        names = self.reloader.display(changed)
        try:
            stack = inputs.recheck(self.stack.workspace, self.stack.profile.name)
            known = self.stack.rendered.services
            services, stopped = inputs.services_to_apply(stack, known, self.deferred)
            if services:
                outcome: WatchEvent = inputs.apply(stack, names, services, stopped)
            else:
                outcome = InputsChecked(names, stack.profile.name)
        except EngineUnavailable as error:
            self.engine_down = True
            self.pending_inputs = changed
            yield WatchNotice(f"{error} The change is applied once it is reachable.")
            return
        except DevenvError as error:
            self.inputs.failing = True
            root = self.stack.workspace.root
            yield inputs.rejected(error, names, self.stack.masker, root)
            return
        self._load(stack)
        self._arm()
        yield outcome
        self._refresh_containers()
        yield from self._rule_notices()
        yield from self._initial_syncs()
        yield from self._run_deferred()

    def _run_deferred(self) -> Iterator[WatchEvent]:
        """Run the deferred restarts and rebuilds again, now that the inputs passed."""
        deferred, self.deferred = self.deferred, {}
        for service, changes in sorted(deferred.items()):
            plan = self.planner.plan(changes).get(service)
            if plan is not None:
                yield from self._run_plan(plan, changes)

    def _recover(self) -> Iterator[WatchEvent]:
        """Retry what a fault held back, once the engine and containers are back."""
        if self.engine_down:
            try:
                engine.require_engine()
            except EngineUnavailable:
                return
            self.engine_down = False
            yield WatchNotice("The Docker engine is reachable again; resuming.", "info")
        self._arm()
        if self.pending_inputs:
            changed, self.pending_inputs = self.pending_inputs, []
            yield from self._apply_inputs(changed)
        if not self.pending:
            return
        self._refresh_containers()
        yield from self._initial_syncs()
        for service in sorted(self.pending):
            if service in self.containers and not self.engine_down:
                changes = self.pending.pop(service)
                plan = self.planner.plan(changes).get(service)
                if plan is not None:
                    yield from self._run_plan(plan, changes)

    def _arm(self) -> None:
        recursive, flat = watch_folders(self.rules, self.inputs.folders())
        self.files.arm(recursive, flat)

    def _watcher_errors(self) -> Iterator[WatchEvent]:
        while self.files.errors:
            message = self.files.errors.pop(0)
            yield WatchNotice(f"{message}; watching again on the next change.")

    def _started(self) -> WatchStarted:
        services = self.stack.rendered.services
        return started_event(
            self.stack.profile.name,
            self.rules,
            self._display,
            len(self.inputs.files),
            [name for name in services if name not in self.containers],
            stack_stopped=not self.containers,
        )

    def _rule_notices(self) -> Iterator[WatchEvent]:
        services = self.stack.rendered.services
        yield from rule_notices(self.rules, services, self._display)

    def _display(self, path: Path) -> str:
        return self.reloader.display([path])[0]


def _subset(batch: Changes, plan: ServicePlan) -> dict[Path, frozenset[str]]:
    return {path: kinds for path, kinds in batch.items() if path in plan.changed}


def watch_stack(
    stack: Stack, stop: threading.Event, poll: bool = False
) -> Iterator[WatchEvent]:
    """Watch a profile's rules and inputs until `stop` is set, yielding events."""
    return WatchSession(stack, stop, poll).run()
