"""The façade the CLI and the TUI share: one profile's stack in one workspace."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from devenv import engine, health, ports
from devenv.compose import RenderedProfile, render, project_name
from devenv.errors import DevenvError, InputError
from devenv.models import (
    Diagnosis,
    Phase,
    ServiceProgress,
    ServiceState,
    Verdict,
    WaitResult,
)
from devenv.profiles import Profile, resolve_profile
from devenv.secrets import Masker
from devenv.workspace import Workspace, check_name

log = logging.getLogger("devenv")

LOG_TAIL_LINES = 20
PROBES_SHOWN = 3
COMPOSE_GRACE_SECONDS = 20.0


class EnvCheckFailed(DevenvError):
    """`.env` has errors, so nothing was started; carries the report to print."""

    exit_code = 1

    def __init__(self, report, profile: str) -> None:
        count = sum(1 for f in report.findings if f.severity == "error")
        super().__init__(
            f"{report.env_path}: {count} error(s) in the environment, listed above; "
            f"nothing was started. Fix them (`devenv env check --profile {profile}` "
            "shows warnings too, `devenv env init` adds missing keys), then run the "
            "command again."
        )
        self.report = report


@dataclass(frozen=True)
class ServiceStatus:
    """A service of the profile with its container state and verdict."""

    state: ServiceState
    verdict: Verdict
    waiting_on: tuple[str, ...]


class Stack:
    """One profile of one workspace: render, bring up, wait, inspect, tear down."""

    def __init__(self, workspace: Workspace, profile_name: str) -> None:
        check_name(profile_name, "profile")
        self.workspace = workspace
        self.name = profile_name
        self.project = project_name(workspace, profile_name)

    @cached_property
    def profile(self) -> Profile:
        """The resolved profile; resolving late lets `down` work on a broken one."""
        return resolve_profile(self.workspace, self.name)

    @cached_property
    def rendered(self) -> RenderedProfile:
        return render(self.workspace, self.profile)

    @cached_property
    def masker(self) -> Masker:
        from devenv.envfile import load_masker

        try:
            profile = self.profile
        except InputError:
            return load_masker(self.workspace)
        return load_masker(self.workspace, profile)

    def check_environment(self) -> None:
        """Raise EnvCheckFailed when `.env` has errors; warnings pass."""
        from devenv.envfile import check_environment

        # Compose's own reading of `.env` only yields warnings, which `up` does
        # not print; `devenv env check` and `devenv doctor` show them.
        report = check_environment(
            self.workspace, self.profile, compare_with_compose=False
        )
        if report.has_errors:
            raise EnvCheckFailed(report, self.name)

    def states(self) -> dict[str, ServiceState]:
        """Read the newest container of each service of the project."""
        ids = engine.list_container_ids({engine.PROJECT_LABEL: self.project})
        newest: dict[str, tuple[str, ServiceState]] = {}
        for data in engine.inspect_containers(ids):
            labels = (data.get("Config") or {}).get("Labels") or {}
            if labels.get(engine.ONEOFF_LABEL) == "True":
                continue
            service = labels.get(engine.SERVICE_LABEL, "")
            created = data.get("Created", "")
            if service and (service not in newest or newest[service][0] < created):
                newest[service] = (created, health.state_from_inspect(service, data))
        states = {name: pair[1] for name, pair in newest.items()}
        self._learn_secrets(states.values())
        return states

    def _learn_secrets(self, states: Iterable[ServiceState]) -> None:
        """Mask secrets as the containers hold them, which may differ from `.env`.

        A container keeps the value it was created with after `.env` changes,
        and a variable exported in the shell overrides `.env` for Compose.
        """
        environment = {}
        for state in states:
            for entry in state.environment:
                key, _, value = entry.partition("=")
                environment[key] = value
        self.masker.add_from_environment(environment, self._declared_secrets)

    @cached_property
    def _declared_secrets(self) -> frozenset[str]:
        from devenv.envfile import secret_keys

        return secret_keys(self.workspace)

    def status(self) -> list[ServiceStatus]:
        specs = self.rendered.specs()
        states = self.states()
        verdicts = {
            name: health.assess(spec, states.get(name, ServiceState(service=name)))
            for name, spec in specs.items()
        }
        return [
            ServiceStatus(
                state=states.get(name, ServiceState(service=name)),
                verdict=verdicts[name],
                waiting_on=tuple(health.waiting_on(spec, verdicts)),
            )
            for name, spec in specs.items()
        ]

    def is_running(self) -> bool:
        return any(s.status == "running" for s in self.states().values())

    def up(
        self,
        build: bool = False,
        wait: bool = True,
        timeout: float | None = None,
        services: Sequence[str] | None = None,
    ) -> Iterator[ServiceProgress | WaitResult]:
        """Apply the profile with `compose up -d`, then wait while yielding progress."""
        rendering = threading.Thread(target=self._render_quietly, name="render")
        rendering.start()
        self.check_environment()
        rendering.join()
        ports.require_free_ports(self.rendered)
        rendered = self.rendered
        before = self.states()
        started = time.monotonic()
        waker = _EventWaker({engine.PROJECT_LABEL: self.project}) if wait else None
        runner = _ComposeUpThread(rendered.target, build, services, waker)
        runner.start()
        if waker is None:
            runner.join()
            runner.raise_error()
            yield WaitResult(ok=True, elapsed=time.monotonic() - started, waited=False)
            return

        specs = rendered.specs()
        if services is not None:
            specs = {name: specs[name] for name in services if name in specs}
        with waker:
            waiting = health.wait_for_services(
                specs,
                self.states,
                timeout or self.profile.wait_timeout,
                compose_state=runner.state,
                before=before,
                sleep=waker.sleep,
            )
            outcome = yield from waiting
        elapsed = time.monotonic() - started
        yield self._result(outcome, elapsed, runner)

    def wait(
        self, services: Sequence[str] | None = None, timeout: float | None = None
    ) -> Iterator[ServiceProgress | WaitResult]:
        """Wait until the services (all when None) are ready, without changing them."""
        specs = self.rendered.specs()
        if services is not None:
            specs = {name: specs[name] for name in services if name in specs}
        started = time.monotonic()
        with _EventWaker({engine.PROJECT_LABEL: self.project}) as waker:
            outcome = yield from health.wait_for_services(
                specs,
                self.states,
                timeout or self.profile.wait_timeout,
                compose_state=lambda: "done",
                sleep=waker.sleep,
            )
        elapsed = time.monotonic() - started
        if outcome == ():
            yield WaitResult(ok=True, elapsed=elapsed)
            return
        names = list(outcome) if outcome is not None else list(specs)
        states = self.states()
        yield WaitResult(
            ok=False,
            elapsed=elapsed,
            timed_out=outcome is None,
            diagnoses=tuple(self.diagnose(name, states) for name in names),
            next_steps=self.next_steps(names),
        )

    def _render_quietly(self) -> None:
        """Render ahead in a thread; an error is raised again on the main thread."""
        try:
            self.rendered
        except DevenvError:
            pass

    def _result(
        self, outcome: tuple[str, ...] | None, elapsed: float, runner: _ComposeUpThread
    ) -> WaitResult:
        if outcome == () and runner.error is None:
            return WaitResult(ok=True, elapsed=elapsed)
        # Let Compose finish what it started, so it is not cut off mid-build
        # or mid-start when devenv exits; its error then joins the report.
        runner.join(COMPOSE_GRACE_SECONDS)
        specs = self.rendered.specs()
        states = self.states()
        if outcome is None:
            names = [
                s.state.service for s in self.status() if s.verdict.phase is not Phase.READY
            ]
        else:
            names = list(outcome)
        diagnoses = tuple(self.diagnose(name, states, specs) for name in names)
        return WaitResult(
            ok=False,
            elapsed=elapsed,
            timed_out=outcome is None,
            diagnoses=diagnoses,
            compose_error=self.masker.text(runner.error_text()),
            next_steps=self.next_steps(names),
        )

    def diagnose(self, service: str, states=None, specs=None) -> Diagnosis:
        """Collect state, probe output and log tail of one service."""
        states = states if states is not None else self.states()
        specs = specs if specs is not None else self.rendered.specs()
        state = states.get(service, ServiceState(service=service))
        spec = specs[service]
        verdict = health.assess(spec, state)
        tail: tuple[str, ...] = ()
        if state.container_id:
            text = engine.container_logs(state.container_id, tail=LOG_TAIL_LINES)
            tail = tuple(
                self.masker.text(_strip_timestamp(line)) for line in text.splitlines()
            )
        probes = health.probes_since_start(state)[-PROBES_SHOWN:]
        return Diagnosis(
            service=service,
            reason=verdict.reason,
            state=state,
            probes=tuple(
                type(p)(p.start, p.end, p.exit_code, self.masker.text(p.output))
                for p in probes
            ),
            log_tail=tail,
            blocked=tuple(health.blocked_behind(service, specs)),
        )

    def next_steps(self, services: Sequence[str]) -> tuple[str, ...]:
        profile = self.profile.name
        steps = [f"devenv status {profile}"]
        steps += [f"devenv logs {profile} {name} --tail 100" for name in services]
        steps.append(f"devenv down {profile}   # when done inspecting")
        return tuple(steps)

    def down(self, volumes: bool = False) -> None:
        engine.compose_down(self._down_target(), volumes=volumes)

    def _down_target(self) -> engine.ComposeTarget:
        """Target for `down`: the rendered files when they still render.

        `down` must work even after the profile or a fragment was broken or
        deleted, so while the project still has containers it falls back to
        the project name alone, which Compose accepts for down.
        """
        try:
            return self.rendered.target
        except InputError:
            if not engine.list_container_ids({engine.PROJECT_LABEL: self.project}):
                raise
            log.warning("%s does not render; removing project %s by name", self.name, self.project)
            return engine.ComposeTarget(
                project=self.project,
                files=(),
                env_file=None,
                project_directory=self.workspace.compose_dir,
            )

    def restart(self, services: Sequence[str] | None) -> None:
        self.check_services(services)
        engine.compose_restart(self.rendered.target, services)

    def build(self, services: Sequence[str]) -> None:
        engine.compose_build(self.rendered.target, services)

    def masked_config(self) -> dict:
        return self.masker.data(self.rendered.model)

    def check_services(self, services: Sequence[str] | None) -> None:
        known = sorted(self.rendered.services)
        for name in services or ():
            if name not in known:
                raise InputError(
                    f"Service {name!r} is not part of profile {self.profile.name!r}. "
                    f"Services: {', '.join(known)}."
                )


class _EventWaker:
    """Wakes the wait loop on every engine event of the project, instead of a full poll.

    Waiting still polls as a fallback, so a missed event only costs one interval.
    """

    def __init__(self, labels: dict[str, str]) -> None:
        self._event = threading.Event()
        self._process = engine.events_process(labels)
        self._reader = threading.Thread(target=self._read, name="events", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for _ in engine.iter_events(self._process):
            self._event.set()

    def sleep(self, seconds: float) -> None:
        self._event.wait(seconds)
        self._event.clear()

    def wake(self) -> None:
        self._event.set()

    def __enter__(self) -> _EventWaker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._process.terminate()
        self._process.wait()


class _ComposeUpThread(threading.Thread):
    """Runs `compose up -d` beside the wait loop, which reports progress meanwhile."""

    def __init__(
        self,
        target: engine.ComposeTarget,
        build: bool,
        services: Sequence[str] | None,
        waker: _EventWaker | None = None,
    ) -> None:
        super().__init__(name="compose-up", daemon=True)
        self._target = target
        self._build = build
        self._services = services
        self._waker = waker
        self.error: DevenvError | None = None

    def run(self) -> None:
        try:
            engine.compose_up(self._target, self._services, build=self._build)
        except DevenvError as error:
            self.error = error
        finally:
            # Compose's exit is no engine event, so wake the wait loop directly.
            if self._waker is not None:
                self._waker.wake()

    def state(self) -> str:
        if self.is_alive():
            return "running"
        return "failed" if self.error is not None else "done"

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def error_text(self) -> str:
        return str(self.error) if self.error else ""


def _strip_timestamp(line: str) -> str:
    head, sep, rest = line.partition(" ")
    if sep and len(head) >= 20 and head[4] == "-" and "T" in head:
        return rest
    return line


def running_profiles(workspace: Workspace) -> dict[str, int]:
    """Count running containers per profile of this workspace."""
    ids = engine.list_container_ids(
        {engine.WORKSPACE_LABEL: str(workspace.root)}, include_stopped=False
    )
    counts: dict[str, int] = {}
    for data in engine.inspect_containers(ids):
        labels = (data.get("Config") or {}).get("Labels") or {}
        profile = labels.get(engine.PROFILE_LABEL, "")
        counts[profile] = counts.get(profile, 0) + 1
    return counts
