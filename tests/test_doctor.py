"""`devenv doctor`, the port holder lookup, and the port check before `devenv up`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devenv.compose import project_name
from devenv.doctor import (
    FAIL,
    GIB,
    PASS,
    WARN,
    ComposeNeed,
    compose_check,
    compose_needs,
    disk_check,
    memory_check,
    parse_version,
)
from devenv.ports import addresses_overlap, port_statuses
from devenv.procnet import listeners, socket_owners
from devenv.workspace import Workspace

PROC = Path("/proc")
needs_proc = pytest.mark.skipif(
    not (PROC / "net" / "tcp").exists(), reason="needs Linux /proc"
)
needs_docker_cli = pytest.mark.skipif(
    shutil.which("docker") is None,
    reason="needs the docker CLI to render Compose files",
)

INCLUDE = ComposeNeed("`include`", (2, 20, 0), Path("compose/a.yaml"))
WATCH = ComposeNeed("develop.watch", (2, 22, 0), Path("compose/b.yaml"))
SYNC_RESTART = ComposeNeed(
    "watch action sync+restart", (2, 23, 0), Path("compose/b.yaml")
)


@pytest.fixture
def held_port() -> Iterator[tuple[socket.socket, int]]:
    """A TCP port on 127.0.0.1 that this test process listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder, holder.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def web_model(port: int, host_ip: str = "127.0.0.1", protocol: str = "tcp") -> dict:
    """A rendered model, as `docker compose config` writes it, publishing one port."""
    published = {"host_ip": host_ip, "published": str(port), "target": 8080}
    return {"services": {"web": {"ports": [{**published, "protocol": protocol}]}}}


def use_port(root: Path, port: int) -> None:
    env = root / ".env"
    env.write_text(env.read_text().replace("WEB_PORT=18080", f"WEB_PORT={port}"))


def checks_by_name(stdout: str) -> dict[str, dict]:
    return {check["name"]: check for check in json.loads(stdout)["checks"]}


@pytest.mark.parametrize(
    ("version", "needs", "status"),
    [
        ("2.40.3", [], PASS),
        ("", [], FAIL),  # no Compose plugin at all
        ("1.29.2", [], FAIL),  # the Python docker-compose, not v2
        ("v2.19.1", [INCLUDE], FAIL),
        ("2.20.0", [INCLUDE], PASS),
        ("2.22.0", [WATCH, SYNC_RESTART], FAIL),  # sync+restart came in 2.23.0
        ("2.24.6-desktop.1", [INCLUDE, WATCH, SYNC_RESTART], PASS),
    ],
)
def test_compose_version_against_needs(version, needs, status) -> None:
    check = compose_check(version, needs)

    assert check.status == status, check.detail
    if status == FAIL:
        assert check.fix


def test_compose_check_names_newest_need() -> None:
    check = compose_check("2.22.0", [INCLUDE, SYNC_RESTART, WATCH])

    assert check.detail == (
        "version 2.22.0 is too old: watch action sync+restart in b.yaml needs 2.23.0"
    )


def test_compose_needs_read_from_fragments(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("include:\n  - other.yaml\n")
    (tmp_path / "b.yaml").write_text(
        "services:\n  api:\n    develop:\n      watch:\n"
        "        - {action: sync+restart, path: ./src, target: /src}\n"
        "        - {action: restart, path: ./conf}\n"
    )
    (tmp_path / "c.yaml").write_text("services:\n  db:\n    image: postgres:15\n")

    needs = compose_needs(sorted(tmp_path.glob("*.yaml")))

    assert [(need.feature, need.version, need.path.name) for need in needs] == [
        ("`include`", (2, 20, 0), "a.yaml"),
        ("develop.watch", (2, 22, 0), "b.yaml"),
        ("watch action sync+restart", (2, 23, 0), "b.yaml"),
        ("watch action restart", (2, 32, 0), "b.yaml"),
    ]


@pytest.mark.parametrize(
    ("text", "version"),
    [("2.40.3", (2, 40, 3)), ("v2.22.0", (2, 22, 0)), ("unknown", None)],
)
def test_parse_version(text, version) -> None:
    assert parse_version(text) == version


@pytest.mark.parametrize(
    ("free", "status"),
    [(80 * GIB, PASS), (5 * GIB, PASS), (5 * GIB - 1, WARN), (0, WARN)],
)
def test_disk_warns_under_five_gib(free, status) -> None:
    assert disk_check(Path("/var/lib/docker"), free).status == status


@pytest.mark.parametrize(
    ("available", "engine_total", "status"),
    [
        (8 * GIB, 16 * GIB, PASS),
        (1 * GIB, 16 * GIB, WARN),  # this machine's free memory decides
        (None, 8 * GIB, PASS),  # no /proc/meminfo: the engine's total decides
        (None, 1 * GIB, WARN),
        (None, None, WARN),
    ],
)
def test_memory_thresholds(available, engine_total, status) -> None:
    assert memory_check(available, engine_total).status == status


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("0.0.0.0", "127.0.0.1", True),
        ("127.0.0.1", "::", True),
        ("127.0.0.1", "127.0.0.2", False),
        ("::1", "0:0:0:0:0:0:0:1", True),
    ],
)
def test_addresses_overlap(first, second, overlap) -> None:
    assert addresses_overlap(first, second) is overlap


@needs_proc
def test_procnet_finds_listening_socket_owner(held_port) -> None:
    _, port = held_port

    found = [item for item in listeners(PROC, "tcp") if item.port == port]
    owners = socket_owners(PROC, {item.inode for item in found})

    assert [item.address for item in found] == ["127.0.0.1"]
    assert owners[found[0].inode][0] == os.getpid()


@needs_proc
def test_port_status_names_process(held_port) -> None:
    _, port = held_port

    [status] = port_statuses(web_model(port), project="nothing-runs-here")

    assert status.conflict
    assert status.holder is not None
    assert f"(pid {os.getpid()})" in status.holder.description
    assert status.holder.fix == f"kill {os.getpid()}"


def test_port_status_free_port() -> None:
    [status] = port_statuses(web_model(free_port()), project="nothing-runs-here")

    assert status.holder is None
    assert not status.conflict


def test_port_status_udp_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]

        [status] = port_statuses(web_model(port, protocol="udp"), project="none")

    assert status.conflict


def test_port_status_address_not_on_machine() -> None:
    # 203.0.113.0/24 is reserved for documentation, so no interface has it.
    [status] = port_statuses(web_model(free_port(), host_ip="203.0.113.7"), project="x")

    assert status.conflict
    assert status.holder is not None
    assert "no network interface" in status.holder.description


@needs_docker_cli
def test_doctor_names_process_holding_port(devenv, make_workspace, held_port) -> None:
    _, port = held_port
    root = make_workspace("lint_ports")
    use_port(root, port)

    result = devenv("doctor", "web", "--json", cwd=root)

    checks = checks_by_name(result.stdout)
    check = checks[f"port 127.0.0.1:{port}/tcp"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert check["status"] == FAIL
    assert f"(pid {os.getpid()})" in check["detail"]
    assert "needed by service web" in check["detail"]
    assert check["fix"] == f"kill {os.getpid()}"
    assert checks["lint"]["status"] == PASS


@pytest.mark.engine
def test_doctor_names_container_holding_port(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")
    port = free_port()
    use_port(root, port)
    name = f"devenv-test-holder-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            name,
            "-p",
            f"127.0.0.1:{port}:8080",
            "devenv-test/busybox:1",
            "sleep",
            "300",
        ],
        check=True,
        capture_output=True,
    )
    try:
        result = devenv("doctor", "web", "--json", cwd=root)
    finally:
        subprocess.run(["docker", "rm", "-f", name], check=False, capture_output=True)

    check = checks_by_name(result.stdout)[f"port 127.0.0.1:{port}/tcp"]
    assert result.returncode == 1
    assert check["status"] == FAIL
    assert f"container {name}" in check["detail"]
    assert check["fix"] == f"docker stop {name}"


@pytest.mark.engine
def test_doctor_passes_on_healthy_machine(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")
    use_port(root, free_port())

    result = devenv("doctor", "web", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "docker CLI",
        "Docker engine",
        "Compose",
        "disk",
        "memory",
        ".env",
        "lint",
    ):
        assert any(line[2:].startswith(name) for line in result.stdout.splitlines()), (
            name
        )
    assert "0 check(s) failed" in result.stdout


@pytest.mark.engine
def test_doctor_outside_workspace_checks_machine(devenv, tmp_path: Path) -> None:
    result = devenv("doctor", "--json", cwd=tmp_path)

    names = list(checks_by_name(result.stdout))
    assert result.returncode == 0, result.stdout + result.stderr
    assert names == ["docker CLI", "Docker engine", "Compose", "disk", "memory"]


@pytest.mark.engine
def test_up_stops_before_starting_when_port_taken(
    devenv, make_workspace, held_port
) -> None:
    _, port = held_port
    root = make_workspace("lint_ports")
    use_port(root, port)
    project = project_name(Workspace(root.resolve()), "web")

    result = devenv("up", "web", cwd=root)

    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"Port 127.0.0.1:{port}/tcp of service web is already in use" in result.stderr
    )
    assert f"(pid {os.getpid()})" in result.stderr
    assert "Nothing was started." in result.stderr
    label = f"label=com.docker.compose.project={project}"
    for kind in (["ps", "-aq"], ["network", "ls", "-q"]):
        listed = subprocess.run(
            ["docker", *kind, "--filter", label],
            capture_output=True,
            text=True,
            check=True,
        )
        assert listed.stdout.split() == [], kind


@pytest.mark.engine
def test_own_containers_are_no_conflict(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")
    port = free_port()
    use_port(root, port)

    first = devenv("up", "web", cwd=root)
    again = devenv("up", "web", cwd=root)
    doctor = devenv("doctor", "web", "--json", cwd=root)

    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    check = checks_by_name(doctor.stdout)[f"port 127.0.0.1:{port}/tcp"]
    assert check["status"] == PASS
    assert check["detail"].startswith("held by this profile's container ")


def test_doctor_unknown_profile_exits_two(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")

    result = devenv("doctor", "wbe", cwd=root)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""  # no check ran
    assert "Profile 'wbe' not found" in result.stderr
    assert "Did you mean 'web'?" in result.stderr


@needs_docker_cli
def test_doctor_engine_down_message(tmp_path: Path) -> None:
    # A socket path where nothing listens, so the docker CLI cannot connect.
    environ = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}

    result = subprocess.run(
        [sys.executable, "-m", "devenv", "doctor", "--json"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**environ, "DEVENV_ROOT": ""},
    )

    detail = checks_by_name(result.stdout)["Docker engine"]["detail"]
    assert result.returncode == 1, result.stdout + result.stderr
    assert detail.startswith("The Docker engine is not reachable. Start the Docker")
    assert "?." not in detail
    assert "devenv doctor" not in detail
