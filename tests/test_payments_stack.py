"""End-to-end tests of the payments example: the devenv CLI brings the stack
up from a copy of this workspace, and the API is used on its loopback port.

They need the images that the fragments name. On a machine without a
registry, `.ci/build-standins` builds stand-ins for them.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shutil
import socket
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parent.parent
BASE_IMAGES = (
    ("compose/postgres.yaml", r"^\s*image:\s*(\S+)"),
    ("compose/redis.yaml", r"^\s*image:\s*(\S+)"),
    ("compose/payments-api/Dockerfile", r"^FROM\s+(\S+)"),
)
SECRET_KEYS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD")
PORT_KEYS = ("POSTGRES_HOST_PORT", "REDIS_HOST_PORT", "PAYMENTS_API_HOST_PORT")
PAYMENT = {"amount": 1250, "currency": "EUR", "reference": "stack test"}

pytestmark = pytest.mark.engine


def missing_base_images() -> list[str]:
    missing = []
    for relative, pattern in BASE_IMAGES:
        text = (REPO_ROOT / relative).read_text()
        for image in sorted(set(re.findall(pattern, text, flags=re.MULTILINE))):
            found = subprocess.run(
                ["docker", "image", "inspect", image], capture_output=True
            )
            if found.returncode != 0:
                missing.append(image)
    return missing


@pytest.fixture(scope="module", autouse=True)
def require_base_images() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI on PATH")
    missing = missing_base_images()
    if missing:
        pytest.skip(
            f"images {', '.join(missing)} are missing: pull them, or run "
            ".ci/build-standins where no registry is reachable"
        )


def free_ports(count: int) -> list[int]:
    """Return distinct loopback ports that were free a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Copy this workspace and write its .env; return the copy and the values.

    Secrets get random values and host ports get free ones, so parallel runs
    and stacks already running on this machine do not clash.
    """
    root = tmp_path / "workspace"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    shutil.copytree(REPO_ROOT / "profiles", root / "profiles", ignore=ignore)
    shutil.copytree(REPO_ROOT / "compose", root / "compose", ignore=ignore)
    shutil.copy(REPO_ROOT / ".env.example", root / ".env.example")

    overrides = {key: secrets.token_hex(16) for key in SECRET_KEYS}
    ports = free_ports(len(PORT_KEYS))
    overrides.update(
        {key: str(port) for key, port in zip(PORT_KEYS, ports, strict=True)}
    )
    values = {}
    lines = []
    for line in (root / ".env.example").read_text().splitlines():
        key, separator, value = line.partition("=")
        if separator and not line.startswith("#"):
            value = overrides.get(key, value)
            values[key] = value
            line = f"{key}={value}"
        lines.append(line)
    env_file = root / ".env"
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)
    return root, values


def call_api(
    port: int, method: str, path: str, body: Any = None, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    payload = None if body is None else json.dumps(body)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def check_ok(result: subprocess.CompletedProcess, command: str) -> None:
    assert result.returncode == 0, (
        f"`devenv {command}` exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )


def service_status(devenv, root: Path, profile: str) -> dict[str, dict[str, Any]]:
    result = devenv("status", profile, "--json", cwd=root)
    check_ok(result, f"status {profile} --json")
    return {entry["service"]: entry for entry in json.loads(result.stdout)}


def container_state(container: str) -> dict[str, Any]:
    inspected = subprocess.run(
        ["docker", "inspect", "--format", "{{json .State}}", container],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(inspected.stdout)


def docker_time(text: str) -> datetime:
    """Parse Docker's RFC 3339 time, whose nanoseconds and `Z` Python 3.10 rejects."""
    return datetime.fromisoformat(
        re.sub(r"(\.\d{6})\d*", r"\1", text.replace("Z", "+00:00"))
    )


def test_fragments_render_alone(workspace: tuple[Path, dict[str, str]]) -> None:
    root, _ = workspace
    groups = (
        ["postgres"],
        ["redis"],
        # The API depends on the services of the other two.
        ["postgres", "redis", "payments-api"],
    )
    for fragments in groups:
        files = [arg for name in fragments for arg in ("-f", f"compose/{name}.yaml")]
        command = ["docker", "compose", *files, "--env-file", ".env", "config", "-q"]

        result = subprocess.run(command, cwd=root, capture_output=True, text=True)

        assert result.returncode == 0, f"{fragments}: {result.stderr}"


def test_base_profile_up(devenv, workspace: tuple[Path, dict[str, str]]) -> None:
    root, _ = workspace

    check_ok(devenv("up", "base", cwd=root, timeout=300), "up base")

    services = service_status(devenv, root, "base")
    assert sorted(services) == ["postgres", "redis"]
    for name, service in services.items():
        assert service["health"] == "healthy", f"{name}: {service}"


def test_payments_stack_keeps_data(
    devenv, workspace: tuple[Path, dict[str, str]]
) -> None:
    root, values = workspace
    port = int(values["PAYMENTS_API_HOST_PORT"])

    # --build, so that the image has this checkout's source.
    check_ok(devenv("up", "payments", "--build", cwd=root, timeout=600), "up")

    services = service_status(devenv, root, "payments")
    assert sorted(services) == ["migrate", "payments-api", "postgres", "redis"]
    assert f"127.0.0.1:{port}->8080/tcp" in services["payments-api"]["ports"]

    # The migrate job exited 0 before the API container started.
    migrate = container_state(services["migrate"]["container"])
    api = container_state(services["payments-api"]["container"])
    assert migrate["Status"] == "exited"
    assert migrate["ExitCode"] == 0
    assert docker_time(migrate["FinishedAt"]) <= docker_time(api["StartedAt"])

    status, health = call_api(port, "GET", "/healthz")
    assert status == 200
    assert health == {"status": "ok", "postgres": "ok", "redis": "ok"}

    status, created = call_api(port, "POST", "/payments", PAYMENT, key="stack-key")
    assert status == 201
    assert {key: created[key] for key in PAYMENT} == PAYMENT

    status, replayed = call_api(port, "POST", "/payments", PAYMENT, key="stack-key")
    assert status == 201
    assert replayed == created

    status, body = call_api(port, "POST", "/payments", {"amount": 0}, key="bad")
    assert status == 400
    assert "missing fields" in body["error"]

    # Named volumes survive `down`: the payment and its key are still there.
    check_ok(devenv("down", "payments", cwd=root), "down")
    check_ok(devenv("up", "payments", cwd=root, timeout=300), "up after down")

    status, fetched = call_api(port, "GET", f"/payments/{created['id']}")
    assert status == 200
    assert fetched == created

    status, replayed = call_api(port, "POST", "/payments", PAYMENT, key="stack-key")
    assert status == 201
    assert replayed == created

    # `down --volumes` removes the data.
    check_ok(devenv("down", "payments", "--volumes", "--yes", cwd=root), "down -v")
    check_ok(devenv("up", "payments", cwd=root, timeout=300), "up after down -v")

    status, missing = call_api(port, "GET", f"/payments/{created['id']}")
    assert status == 404
    assert "not found" in missing["error"]
