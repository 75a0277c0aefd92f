"""`devenv lint` on the command line: exit codes and the text, JSON and Markdown reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None,
    reason="needs the docker CLI to render Compose files",
)


def test_clean_profile_exits_zero(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "clean", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings in clean." in result.stdout


def test_warnings_alone_exit_zero(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "warned", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "compose/cache.yaml:6: warning DV103" in result.stdout
    assert "0 errors, 1 warning in warned." in result.stdout


def test_error_exits_one_with_fix(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "failed", cwd=root)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "compose/open.yaml:6: error DV107" in result.stdout
    assert (
        'fix: Bind it to the loopback address: "127.0.0.1:18082:8080".' in result.stdout
    )


def test_all_profiles_json(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "--all", "--format", "json", cwd=root)

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "failed"
    assert report["profiles"] == ["clean", "failed", "warned"]
    assert report["errors"] == 1
    assert report["warnings"] == 1
    assert report["findings"] == [
        {
            "rule": "DV103",
            "severity": "warning",
            "file": "compose/cache.yaml",
            "line": 6,
            "message": "Service cache mounts an anonymous volume at /cache; "
            "its data is not kept by name.",
            "fix": "Name it, as `cache-data:/cache`, and declare the name under "
            "the top-level `volumes:`.",
        },
        {
            "rule": "DV107",
            "severity": "error",
            "file": "compose/open.yaml",
            "line": 6,
            "message": "Service open publishes 18082 on all interfaces (0.0.0.0), "
            "so other machines can reach it.",
            "fix": 'Bind it to the loopback address: "127.0.0.1:18082:8080".',
        },
    ]


def test_markdown_report_for_pull_request(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "--all", "--format", "markdown", cwd=root)

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0] == "## devenv lint: failed"
    assert (
        "**Status: failed.** 1 error, 1 warning in clean, failed, warned." in lines[2]
    )
    assert "| Severity | Rule | File | Line | Finding | Fix |" in lines
    rows = [line for line in lines if line.startswith(("| error", "| warning"))]
    assert rows[0].startswith("| warning | DV103 | `compose/cache.yaml` | 6 |")
    assert rows[1].startswith("| error | DV107 | `compose/open.yaml` | 6 |")
    assert "### Next steps" in lines
    assert "Run `devenv lint --all` to check again." in result.stdout


def test_markdown_report_when_passing(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "clean", "--format", "markdown", cwd=root)

    assert result.returncode == 0
    assert result.stdout.startswith("## devenv lint: pass\n")
    assert "| Severity |" not in result.stdout
    assert "Nothing to do: every rule passes." in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        (),  # neither a profile nor --all
        ("clean", "--all"),  # both
    ],
)
def test_profile_or_all_required(devenv, make_workspace, args) -> None:
    root = make_workspace("lint")

    result = devenv("lint", *args, cwd=root)

    assert result.returncode == 2
    assert "Name one PROFILE or pass --all" in result.stderr


def test_lint_ignores_developer_env(devenv, make_workspace) -> None:
    root = make_workspace("lint")
    (root / ".env").write_text("TEST_IMAGE=busybox:latest\nAPI_PORT=18081\n")

    result = devenv("lint", "warned", cwd=root)

    assert result.returncode == 0, result.stdout
    assert "DV106" not in result.stdout


@pytest.mark.skipif(
    not (REPO_ROOT / "profiles").is_dir(), reason="the repository has no profiles/"
)
def test_repository_profiles_lint_clean(devenv) -> None:
    result = devenv("lint", "--all", cwd=REPO_ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("✔ No findings")


def test_unknown_profile_exits_two(devenv, make_workspace) -> None:
    root = make_workspace("lint")

    result = devenv("lint", "claen", cwd=root)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Profile 'claen' not found" in result.stderr
    assert "Did you mean 'clean'?" in result.stderr
    assert "DV100" not in result.stderr
