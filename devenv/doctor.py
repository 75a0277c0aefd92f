"""`devenv doctor`: checks of this machine and a workspace, each with its fix."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devenv import engine
from devenv.errors import DevenvError
from devenv.workspace import Workspace
from devenv.yaml_io import load_yaml

if TYPE_CHECKING:
    from devenv.ports import PortStatus

PASS = "pass"
WARN = "warn"
FAIL = "fail"

GIB = 1024**3
# Free disk below this warns. The threshold is an estimate with room to spare:
# `docker images` shows about 1.1 GiB for the payments profile's images as CI
# builds them, and build cache and volumes grow on top of that.
MIN_FREE_DISK = 5 * GIB
# Available memory below this warns; an estimate for a few services such as
# PostgreSQL, Redis and a Python API, with room for the developer's tools.
MIN_AVAILABLE_MEMORY = 2 * GIB

COMPOSE_INSTALL = "https://docs.docker.com/compose/install/linux/"
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Check:
    """One doctor check: a name, pass/warn/fail, what was found, the fixing command."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class ComposeNeed:
    """A Compose feature a fragment uses, and the first Compose version with it."""

    feature: str
    version: tuple[int, int, int]
    path: Path


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> bool:
        return any(check.status == FAIL for check in self.checks)

    @property
    def warnings(self) -> int:
        return sum(1 for check in self.checks if check.status == WARN)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """Read `2.40.3`, `v2.22.0` or `2.24.6-desktop.1` as a tuple; None if absent."""
    match = _VERSION.search(text)
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


def _dotted(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


def docker_cli_check() -> Check:
    binary = shutil.which("docker")
    if binary is None:
        return Check(
            "docker CLI",
            FAIL,
            "not found on PATH",
            "install Docker: https://docs.docker.com/get-docker/",
        )
    client = engine.versions()["client"]
    return Check("docker CLI", PASS, f"{binary}, client {client or 'version unknown'}")


def engine_check() -> Check:
    try:
        engine.require_engine()
    except DevenvError as error:
        return Check("Docker engine", FAIL, str(error), "sudo systemctl start docker")
    version = engine.versions()["engine"]
    return Check("Docker engine", PASS, f"reachable, version {version}")


def compose_check(version_text: str, needs: Iterable[ComposeNeed]) -> Check:
    """Compare the Compose version with the newest feature the fragments use."""
    version = parse_version(version_text)
    if version is None:
        return Check(
            "Compose", FAIL, "the Compose v2 plugin is missing", COMPOSE_INSTALL
        )
    if version[0] < 2:
        return Check(
            "Compose",
            FAIL,
            f"version {version_text} is not Compose v2",
            COMPOSE_INSTALL,
        )
    newest = max(needs, key=lambda need: need.version, default=None)
    if newest is None:
        return Check("Compose", PASS, f"version {_dotted(version)}")
    detail = f"{newest.feature} in {newest.path.name} needs {_dotted(newest.version)}"
    if version < newest.version:
        return Check(
            "Compose",
            FAIL,
            f"version {_dotted(version)} is too old: {detail}",
            f"update the Compose plugin to {_dotted(newest.version)} or newer: "
            + COMPOSE_INSTALL,
        )
    return Check("Compose", PASS, f"version {_dotted(version)}; {detail}")


def compose_needs(paths: Iterable[Path]) -> list[ComposeNeed]:
    """List the version-bound Compose features that the fragment files use.

    Versions are from Compose's release notes: `include` came in 2.20.0,
    `develop.watch` in 2.22.0, the `sync+restart` action in 2.23.0, and the
    `restart` and `sync+exec` actions in 2.32.0.
    """
    needs = []
    for path in paths:
        try:
            data = load_yaml(path)
        except DevenvError:
            continue  # `devenv lint` reports the broken file.
        if not isinstance(data, dict):
            continue
        if "include" in data:
            needs.append(ComposeNeed("`include`", (2, 20, 0), path))
        needs += _watch_needs(data, path)
    return needs


def _watch_needs(data: dict[str, Any], path: Path) -> list[ComposeNeed]:
    actions = {
        "sync+restart": (2, 23, 0),
        "restart": (2, 32, 0),
        "sync+exec": (2, 32, 0),
    }
    needs = []
    for service in (data.get("services") or {}).values():
        watch = ((service or {}).get("develop") or {}).get("watch") or []
        if watch:
            needs.append(ComposeNeed("develop.watch", (2, 22, 0), path))
        for rule in watch:
            action = str((rule or {}).get("action", ""))
            if action in actions:
                needs.append(
                    ComposeNeed(f"watch action {action}", actions[action], path)
                )
    return needs


def disk_check(path: Path, free: int) -> Check:
    detail = f"{free / GIB:.1f} GiB free in {path}"
    if free < MIN_FREE_DISK:
        return Check(
            "disk",
            WARN,
            f"{detail}, under {MIN_FREE_DISK // GIB} GiB",
            "docker system prune   # removes stopped containers and unused images",
        )
    return Check("disk", PASS, detail)


def memory_check(available: int | None, engine_total: int | None) -> Check:
    """Warn when this machine, or else the engine, has little memory to spare."""
    if available is None and engine_total is None:
        return Check(
            "memory", WARN, "unknown: neither /proc/meminfo nor the engine said"
        )
    amount = available if available is not None else engine_total
    assert amount is not None
    source = "available" if available is not None else "in the engine"
    detail = f"{amount / GIB:.1f} GiB {source}"
    if amount < MIN_AVAILABLE_MEMORY:
        return Check(
            "memory",
            WARN,
            f"{detail}, under {MIN_AVAILABLE_MEMORY // GIB} GiB",
            "stop other containers (`docker ps`) or give Docker more memory",
        )
    return Check("memory", PASS, detail)


def machine_checks(workspace: Workspace | None) -> list[Check]:
    info = _engine_info()
    root = Path(str(info.get("DockerRootDir") or ""))
    if not root.is_dir():
        # Docker Desktop and remote engines keep their data out of reach.
        root = workspace.root if workspace is not None else Path.cwd()
    total = info.get("MemTotal")
    return [
        disk_check(root, shutil.disk_usage(root).free),
        memory_check(_available_memory(), int(total) if total else None),
    ]


def _engine_info() -> dict[str, Any]:
    try:
        return engine.engine_info()
    except DevenvError:
        return {}


def _available_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        lines = meminfo.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == "MemAvailable":
            return int(value.split()[0]) * 1024
    return None


def port_checks(workspace: Workspace, profile_name: str) -> list[Check]:
    """Check each published port of the profile and name the holder of a used one.

    A port that two services of the profile publish fails with both named,
    because `up` could start only one of them.
    """
    from devenv.compose import fragments_target, project_name
    from devenv.ports import explain_clash, port_clashes, port_statuses
    from devenv.profiles import resolve_profile

    try:
        profile = resolve_profile(workspace, profile_name)
        model = engine.render_config(fragments_target(workspace, profile))
    except DevenvError as error:
        detail = f"not checked, because the profile does not render: {error}"
        return [Check("ports", WARN, detail, f"devenv lint {profile_name}")]
    checks = []
    clashing = set()
    for clash in port_clashes(model):
        publishers, fix = explain_clash(
            clash, profile.fragment_paths, workspace.root, profile.env_file
        )
        detail = f"{publishers}, but only one container can bind it"
        checks.append(Check(f"port {clash[0].label}", FAIL, detail, fix))
        clashing.update(clash)
    project = project_name(workspace, profile_name)
    for status in port_statuses(model, project, root=workspace.root):
        if status.port not in clashing:
            checks.append(_port_check(status))
    return checks


def _port_check(status: PortStatus) -> Check:
    name = f"port {status.port.label}"
    service = f"service {status.port.service}"
    holder = status.holder
    if holder is None:
        return Check(name, PASS, f"free for {service}")
    if holder.own:
        return Check(name, PASS, f"held by this profile's {holder.description}")
    detail = f"needed by {service}, in use by {holder.description}"
    return Check(name, FAIL, detail, holder.fix)


def env_check(workspace: Workspace, profile_name: str | None) -> Check:
    """Run devenv.envfile's check of .env, when this build has it."""
    try:
        from devenv.envfile import check_environment
    except ModuleNotFoundError:
        return Check(".env", WARN, "not checked: this build has no .env checks")
    from devenv.profiles import resolve_profile

    try:
        profile = resolve_profile(workspace, profile_name) if profile_name else None
        report = check_environment(workspace, profile)
    except DevenvError as error:
        return Check(".env", FAIL, str(error), "devenv env check")
    errors, warnings = report.error_count, report.warning_count
    if errors:
        return Check(".env", FAIL, _counts(errors, warnings), "devenv env check")
    if warnings:
        return Check(".env", WARN, _counts(errors, warnings), "devenv env check")
    return Check(".env", PASS, f"{report.env_path.name} matches .env.example")


def lint_check(workspace: Workspace, profile_name: str | None) -> Check:
    from devenv.lint import lint_profiles

    names = [profile_name] if profile_name else workspace.profile_names()
    command = f"devenv lint {profile_name}" if profile_name else "devenv lint --all"
    try:
        report = lint_profiles(workspace, names)
    except DevenvError as error:
        return Check("lint", FAIL, str(error), command)
    detail = _counts(report.errors, report.warnings)
    if report.errors:
        return Check("lint", FAIL, detail, command)
    if report.warnings:
        return Check("lint", WARN, detail, command)
    return Check("lint", PASS, f"no findings in {', '.join(names) or 'no profiles'}")


def _counts(errors: int, warnings: int) -> str:
    return f"{errors} error(s), {warnings} warning(s)"


def run_doctor(workspace: Workspace | None, profile_name: str | None) -> DoctorReport:
    """Run every check; without a workspace, only the machine's.

    Raises InputError before any check when PROFILE has no profile file.
    """
    if workspace is not None and profile_name:
        from devenv.lint import require_profiles

        require_profiles(workspace, [profile_name])
    checks = [docker_cli_check(), engine_check()]
    fragments = []
    if workspace is not None:
        fragments = [workspace.fragment_path(n) for n in workspace.fragment_names()]
    checks.append(compose_check(engine.versions()["compose"], compose_needs(fragments)))
    checks += machine_checks(workspace)
    if workspace is None:
        return DoctorReport(tuple(checks))
    if profile_name:
        checks += port_checks(workspace, profile_name)
    checks.append(env_check(workspace, profile_name))
    checks.append(lint_check(workspace, profile_name))
    return DoctorReport(tuple(checks))
