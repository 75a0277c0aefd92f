"""Shared fixtures: sample workspaces copied into tmp_path, and the engine gate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "samples"
REPO_ROOT = Path(__file__).parent.parent
TEST_IMAGE = os.environ.get("DEVENV_TEST_IMAGE", "devenv-test/busybox:1")


def _engine_problem() -> str | None:
    """Say why engine tests cannot run here, or None when they can."""
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    checks = (
        (["docker", "info", "--format", "{{.ServerVersion}}"], "Docker engine not reachable"),
        (["docker", "compose", "version"], "Compose v2 plugin missing"),
        (["docker", "image", "inspect", TEST_IMAGE], f"test image {TEST_IMAGE} missing; run .ci/build-test-images"),
    )
    for command, reason in checks:
        result = subprocess.run(command, capture_output=True, timeout=30)
        if result.returncode != 0:
            return reason
    return None


_PROBLEM = _engine_problem()


def pytest_collection_modifyitems(config, items) -> None:
    if _PROBLEM is None:
        return
    skip = pytest.mark.skip(reason=f"needs a Docker engine: {_PROBLEM}")
    for item in items:
        if "engine" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def make_workspace(tmp_path: Path):
    """Copy a sample workspace into tmp_path, with .env from its example."""

    def make(name: str = "trio") -> Path:
        root = tmp_path / name
        shutil.copytree(SAMPLES / name, root)
        example = root / ".env.example"
        if example.is_file() and not (root / ".env").exists():
            shutil.copy(example, root / ".env")
            (root / ".env").chmod(0o600)
        return root

    return make


@pytest.fixture
def devenv(tmp_path: Path) -> Iterator:
    """Run the devenv CLI as a subprocess; tears down every profile it brought up."""
    started: list[tuple[Path, str]] = []

    def run(*args: str, cwd: Path, timeout: float = 180, input: str | None = None):
        if args and args[0] == "up":
            started.append((cwd, args[1]))
        return subprocess.run(
            [sys.executable, "-m", "devenv", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            env={**os.environ, "DEVENV_ROOT": ""},
        )

    yield run
    for cwd, profile in started:
        subprocess.run(
            [sys.executable, "-m", "devenv", "down", profile, "--volumes", "--yes"],
            cwd=cwd,
            capture_output=True,
            timeout=120,
        )
