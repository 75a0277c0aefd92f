"""Ports of one profile: clashes between its services, the fragment line and
variable of each port, and the fix named when another devenv stack uses one."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from devenv.compose import project_name
from devenv.port_sources import port_source
from devenv.ports import port_clashes
from devenv.workspace import Workspace

needs_docker_cli = pytest.mark.skipif(
    shutil.which("docker") is None,
    reason="needs the docker CLI to render Compose files",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def published(port: int, host_ip: str = "127.0.0.1", protocol: str = "tcp") -> dict:
    """One entry of a rendered `ports` list, as `docker compose config` writes it."""
    return {
        "host_ip": host_ip,
        "published": str(port),
        "target": 8080,
        "protocol": protocol,
    }


def set_ports(root: Path, **ports: int) -> None:
    env = root / ".env"
    lines = []
    for line in env.read_text().splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={ports[name]}" if name in ports else line)
    env.write_text("\n".join(lines) + "\n")


def port_check(stdout: str, port: int) -> list[dict]:
    name = f"port 127.0.0.1:{port}/tcp"
    return [c for c in json.loads(stdout)["checks"] if c["name"] == name]


def project_leftovers(project: str) -> list[str]:
    """Containers and networks that Compose created for the project."""
    label = f"label=com.docker.compose.project={project}"
    found = []
    for kind in (["ps", "-aq"], ["network", "ls", "-q"]):
        listed = subprocess.run(
            ["docker", *kind, "--filter", label],
            capture_output=True,
            text=True,
            check=True,
        )
        found += listed.stdout.split()
    return found


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        (published(15432), published(15432), True),
        (published(15432, "0.0.0.0"), published(15432), True),  # wildcard covers all
        (published(15432), published(15432, "127.0.0.2"), False),
        (published(15432), published(15433), False),
        (published(15432), published(15432, protocol="udp"), False),
    ],
)
def test_port_clashes_between_services(first, second, clash) -> None:
    model = {"services": {"db": {"ports": [first]}, "cache": {"ports": [second]}}}

    clashes = port_clashes(model)

    if clash:
        assert [[port.service for port in group] for group in clashes] == [
            ["db", "cache"]
        ]
    else:
        assert clashes == []


def test_port_clashes_within_one_service() -> None:
    model = {"services": {"web": {"ports": [published(8080), published(8080)]}}}

    [group] = port_clashes(model)

    assert [(port.service, port.index) for port in group] == [("web", 0), ("web", 1)]


def test_port_source_names_entry_line_and_variable(tmp_path: Path) -> None:
    fragment = tmp_path / "web.yaml"
    fragment.write_text(
        "services:\n"
        "  web:\n"
        "    image: busybox\n"
        "    ports:\n"
        '      - "127.0.0.1:8443:8443"\n'
        '      - "${BIND_ADDRESS:-127.0.0.1}:${WEB_PORT:-8080}:${TARGET:-80}"\n'
        "      - published: ${METRICS_PORT}\n"
        "        target: 9090\n"
    )

    sources = [port_source([fragment], "web", index) for index in range(3)]

    assert [(s.line, s.variables) for s in sources if s] == [
        (5, ()),
        (6, ("BIND_ADDRESS", "WEB_PORT")),  # the container port is no host setting
        (7, ("METRICS_PORT",)),
    ]


def test_port_source_range_gives_ports_key_line(tmp_path: Path) -> None:
    # A range renders as several entries, so positions no longer match.
    fragment = tmp_path / "web.yaml"
    fragment.write_text(
        "services:\n"
        "  web:\n"
        "    ports:\n"
        '      - "127.0.0.1:8000-8002:8000-8002"\n'
        '      - "127.0.0.1:${WEB_PORT}:80"\n'
    )

    source = port_source([fragment], "web", 3)

    assert source is not None
    assert source.line == 3
    assert source.variables == ("WEB_PORT",)


@needs_docker_cli
def test_doctor_names_both_services_of_clash(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")
    port = free_port()
    set_ports(root, WEB_PORT=port, API_PORT=port)

    result = devenv("doctor", "pair", "--json", cwd=root)

    [check] = port_check(result.stdout, port)
    assert result.returncode == 1, result.stdout + result.stderr
    assert check["status"] == "fail"
    # Compose renders services sorted by name, so api comes first.
    assert check["detail"].startswith("services api and web both publish it")
    assert "web at compose/web.yaml:7 from WEB_PORT" in check["detail"]
    assert "api at compose/api.yaml:7 from API_PORT" in check["detail"]
    assert check["fix"] == "set API_PORT or WEB_PORT in .env so each port differs"


@pytest.mark.engine
def test_up_rejects_clash_before_starting(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")
    port = free_port()
    set_ports(root, WEB_PORT=port, API_PORT=port)

    result = devenv("up", "pair", cwd=root)

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Port 127.0.0.1:{port}/tcp: services api and web" in result.stderr
    assert "set API_PORT or WEB_PORT in .env" in result.stderr
    assert "Nothing was started" in result.stderr
    project = project_name(Workspace(root.resolve()), "pair")
    assert project_leftovers(project) == []


@pytest.mark.engine
def test_port_held_by_other_checkout_names_its_down(
    devenv, make_workspace, tmp_path: Path
) -> None:
    first = make_workspace("lint_ports")
    second = tmp_path / "second"
    shutil.copytree(first, second)
    port = free_port()
    set_ports(first, WEB_PORT=port)
    set_ports(second, WEB_PORT=port)
    started = devenv("up", "web", cwd=first)
    assert started.returncode == 0, started.stdout + started.stderr

    doctor = devenv("doctor", "web", "--json", cwd=second)
    up = devenv("up", "web", cwd=second)

    [check] = port_check(doctor.stdout, port)
    down = f"devenv --root {first.resolve()} down web"
    assert check["status"] == "fail"
    assert check["fix"] == down
    assert f"of profile web in the workspace {first.resolve()}" in check["detail"]
    assert up.returncode == 1, up.stdout + up.stderr
    assert f"`{down}`" in up.stderr
    assert "docker stop" not in up.stderr
    assert "set WEB_PORT in .env" in up.stderr


@pytest.mark.engine
def test_port_held_by_sibling_profile_names_its_down(devenv, make_workspace) -> None:
    root = make_workspace("lint_ports")
    port = free_port()
    set_ports(root, WEB_PORT=port)
    started = devenv("up", "web", cwd=root)
    assert started.returncode == 0, started.stdout + started.stderr

    doctor = devenv("doctor", "web-again", "--json", cwd=root)

    [check] = port_check(doctor.stdout, port)
    assert check["status"] == "fail"
    assert check["fix"] == "devenv down web"
    assert "of this workspace's profile web" in check["detail"]
