"""`devenv up`, `status`, `logs`, `down` and friends against a real Docker engine."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine


def containers_of(root: Path) -> list[str]:
    output = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=dev.devenv.workspace={root}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.split()


def volumes_of(project: str) -> list[str]:
    output = subprocess.run(
        ["docker", "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.split()


def container_of(root: Path, service: str) -> str:
    output = subprocess.run(
        [
            "docker", "ps", "-q",
            "--filter", f"label=dev.devenv.workspace={root}",
            "--filter", f"label=com.docker.compose.service={service}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert len(output) == 1, f"expected one running {service} container, got {output}"
    return output[0]


def status_by_service(devenv, root: Path, profile: str) -> dict[str, dict]:
    result = devenv("status", profile, "--json", cwd=root)
    assert result.returncode == 0, result.stderr
    return {row["service"]: row for row in json.loads(result.stdout)}


def test_trio_comes_up_with_every_kind_of_readiness(devenv, make_workspace) -> None:
    root = make_workspace("trio")
    result = devenv("up", "trio", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "trio is up" in result.stdout

    rows = status_by_service(devenv, root, "trio")
    assert rows["web"]["health"] == "healthy"
    assert rows["web"]["phase"] == "ready"
    assert rows["seed"]["state"] == "exited"
    assert rows["seed"]["exit_code"] == 0
    assert rows["app"]["state"] == "running"
    assert rows["app"]["phase"] == "ready"

    logs = devenv("logs", "trio", cwd=root)
    assert logs.returncode == 0, logs.stderr
    assert "web  | web listening" in logs.stdout
    assert "seed | seeded" in logs.stdout
    assert "app  | app started" in logs.stdout


def test_named_volume_survives_down_until_removed(devenv, make_workspace) -> None:
    root = make_workspace("trio")
    assert devenv("up", "solo", cwd=root).returncode == 0
    web = container_of(root, "web")
    subprocess.run(["docker", "exec", web, "sh", "-c", "echo kept > /data/keep.txt"], check=True)

    down = devenv("down", "solo", cwd=root)
    assert down.returncode == 0, down.stderr
    assert containers_of(root) == []
    project = f"solo-{_workspace_key(root)}"
    assert len(volumes_of(project)) == 1

    assert devenv("up", "solo", cwd=root).returncode == 0
    web = container_of(root, "web")
    read = subprocess.run(["docker", "exec", web, "cat", "/data/keep.txt"], capture_output=True, text=True)
    assert read.stdout.strip() == "kept"

    refused = devenv("down", "solo", "--volumes", cwd=root, input="n\n")
    assert refused.returncode == 1
    assert len(volumes_of(project)) == 1

    removed = devenv("down", "solo", "--volumes", "--yes", cwd=root)
    assert removed.returncode == 0, removed.stderr
    assert volumes_of(project) == []
    networks = subprocess.run(
        ["docker", "network", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    assert networks == []


def test_unhealthy_service_fails_with_probe_output(devenv, make_workspace) -> None:
    root = make_workspace("broken")
    result = devenv("up", "sick", cwd=root)
    assert result.returncode == 1
    assert "Service sick: unhealthy" in result.stdout
    assert "exit 1: probe-says-no" in result.stdout
    assert "sick log line two" in result.stdout
    assert "blocked behind it: waiter" in result.stdout
    assert "timed out" not in result.stdout
    assert "devenv logs sick sick" in result.stdout


def test_exiting_service_fails_before_timeout(devenv, make_workspace) -> None:
    root = make_workspace("broken")
    result = devenv("up", "crash", cwd=root)
    assert result.returncode == 1
    assert "exited with code 1" in result.stdout
    assert "missing config file" in result.stdout
    assert "timed out" not in result.stdout


def test_timeout_names_the_waiting_service(devenv, make_workspace) -> None:
    root = make_workspace("broken")
    result = devenv("up", "sick", "--timeout", "1", cwd=root)
    assert result.returncode == 1
    assert "timed out" in result.stdout
    assert "Service sick:" in result.stdout


def test_two_profiles_run_side_by_side(devenv, make_workspace) -> None:
    root = make_workspace("trio")
    assert devenv("up", "trio", cwd=root).returncode == 0
    assert devenv("up", "solo", cwd=root).returncode == 0
    assert len(containers_of(root)) == 4

    assert devenv("down", "solo", cwd=root).returncode == 0
    rows = status_by_service(devenv, root, "trio")
    assert rows["web"]["health"] == "healthy"
    assert rows["app"]["state"] == "running"


def test_one_profile_from_two_checkouts(devenv, make_workspace, tmp_path: Path) -> None:
    first = make_workspace("trio")
    second = tmp_path / "second-checkout"
    shutil.copytree(first, second)
    assert devenv("up", "solo", cwd=first).returncode == 0
    assert devenv("up", "solo", cwd=second).returncode == 0
    assert len(containers_of(first)) == 1
    assert len(containers_of(second)) == 1

    assert devenv("down", "solo", cwd=first).returncode == 0
    assert containers_of(first) == []
    assert status_by_service(devenv, second, "solo")["web"]["phase"] == "ready"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ("bad-yaml", "bad-yaml.yaml:3:13: invalid YAML"),
        ("nope", "Profile 'nope' not found"),
        ("missing-fragment", "missing-fragment.yaml:4: fragment 'sik' not found"),
        ("loop-a", "cycle: loop-a -> loop-b -> loop-a"),
        ("bad-name", "invalid fragment name 'Crash!'"),
        ("Bad", "invalid profile name 'Bad'"),
        ("typo-key", "unknown profile setting 'fragmnets'"),
        ("rejected", "invalid containerPort: not-a-port"),
    ],
)
def test_bad_input_exits_2_and_starts_nothing(devenv, make_workspace, profile, message) -> None:
    root = make_workspace("broken")
    result = devenv("up", profile, cwd=root)
    assert result.returncode == 2
    assert message in result.stderr
    assert containers_of(root) == []


def test_missing_docker_cli_exits_3(make_workspace, tmp_path: Path) -> None:
    root = make_workspace("trio")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = subprocess.run(
        [sys.executable, "-m", "devenv", "up", "trio"],
        cwd=root, capture_output=True, text=True,
        env={**os.environ, "PATH": str(bin_dir)},
    )
    assert result.returncode == 3
    assert "docker CLI was not found" in result.stderr


def test_unreachable_engine_exits_3_with_hint(make_workspace, tmp_path: Path) -> None:
    root = make_workspace("trio")
    result = subprocess.run(
        [sys.executable, "-m", "devenv", "up", "trio"],
        cwd=root, capture_output=True, text=True,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    assert result.returncode == 3
    assert "not reachable" in result.stderr
    assert "Start the Docker engine" in result.stderr


def test_logs_follow_survives_restart(devenv, make_workspace) -> None:
    root = make_workspace("trio")
    assert devenv("up", "solo", cwd=root).returncode == 0
    follower = subprocess.Popen(
        [sys.executable, "-m", "devenv", "logs", "solo", "web", "-f"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in follower.stdout], daemon=True).start()
    try:
        assert "web listening" in _next_line_with(lines, "web listening")
        restarted = devenv("restart", "solo", "web", cwd=root)
        assert restarted.returncode == 0, restarted.stderr
        assert "restarted" in _next_line_with(lines, "--- web restarted ---")
        assert "web listening" in _next_line_with(lines, "web listening")
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def _next_line_with(lines: queue.Queue[str], text: str, timeout: float = 30) -> str:
    while True:
        line = lines.get(timeout=timeout)
        if text in line:
            return line


def _workspace_key(root: Path) -> str:
    from devenv.workspace import Workspace

    return Workspace(root.resolve()).key


def test_compose_failure_fails_up_over_healthy_containers(devenv, make_workspace) -> None:
    root = make_workspace("trio")
    assert devenv("up", "solo", cwd=root).returncode == 0
    fragment = root / "compose" / "web.yaml"
    fragment.write_text(fragment.read_text().replace("${TEST_IMAGE:-devenv-test/busybox:1}", "devenv-test/busybox:no-such-tag"))

    result = devenv("up", "solo", cwd=root)
    assert result.returncode == 1
    assert "is up" not in result.stdout
    assert "docker compose up` failed" in result.stdout
    assert "Compose reported:" in result.stdout


def test_up_recovers_after_a_failed_job(devenv, make_workspace) -> None:
    root = make_workspace("trio")
    env = root / ".env"
    env.write_text(env.read_text().replace("SEED_EXIT=0", "SEED_EXIT=1"))
    failed = devenv("up", "trio", cwd=root)
    assert failed.returncode == 1
    assert "Service seed: exited with code 1" in failed.stdout

    env.write_text(env.read_text().replace("SEED_EXIT=1", "SEED_EXIT=0"))
    recovered = devenv("up", "trio", cwd=root)
    assert recovered.returncode == 0, recovered.stdout
    assert "trio is up" in recovered.stdout
