"""Checks of the env file itself: whether git ignores it, and who may read it."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from devenv.envfile.records import ERROR, WARNING, EnvFinding
from devenv.profiles import Profile
from devenv.workspace import Workspace
from devenv.yaml_io import key_lines


def _git_finding(env_path: Path, has_secrets: bool) -> EnvFinding | None:
    """Report an env file git would commit; outside a git checkout, report nothing."""
    command = ["git", "-C", str(env_path.parent), "check-ignore", "-q", "--"]
    try:
        completed = subprocess.run(
            [*command, env_path.name], check=False, capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # 0: ignored; 1: not ignored; 128: not a git checkout, or git failed.
    if completed.returncode != 1:
        return None
    name = env_path.name
    severity = ERROR if has_secrets else WARNING
    with_secrets = ", which contains secrets," if has_secrets else ""
    message = (
        f"git does not ignore {name}{with_secrets} so `git add` can commit it "
        "(or git tracks it already)"
    )
    fix = (
        f"add {name} to .gitignore; if git tracks it, also run `git rm --cached {name}`"
    )
    return EnvFinding(env_path, 0, "", severity, "not-ignored", message, fix)


def _permission_finding(env_path: Path, has_secrets: bool) -> EnvFinding | None:
    if not has_secrets or os.name != "posix":
        return None
    mode = stat.S_IMODE(env_path.stat().st_mode)
    if not mode & 0o077:
        return None
    message = f"contains secrets, but its mode {mode:04o} lets other users access it"
    fix = f"run `chmod 600 {env_path.name}`"
    return EnvFinding(env_path, 0, "", WARNING, "permissions", message, fix)


def _file_findings(env_path: Path, has_secrets: bool) -> list[EnvFinding]:
    found = [
        _git_finding(env_path, has_secrets),
        _permission_finding(env_path, has_secrets),
    ]
    return [finding for finding in found if finding is not None]


def _outside_workspace_finding(
    workspace: Workspace, profile: Profile | None
) -> EnvFinding | None:
    """Report a profile whose `env_file` points outside the workspace.

    The path is compared as written, without following symlinks, so a `.env` that
    links to a file elsewhere is not reported.
    """
    if profile is None:
        return None
    written = Path(os.path.normpath(profile.env_file))
    root = Path(os.path.normpath(workspace.root))
    if written.is_relative_to(root):
        return None
    line = key_lines(profile.path).get(("env_file",), 0)
    message = (
        f"env_file points to {written}, outside the workspace {root}, so the "
        "stack's settings come from a file that the workspace does not control"
    )
    fix = "keep the env file in the workspace, as in `env_file: .env`"
    return EnvFinding(
        profile.path, line, "", WARNING, "outside-workspace", message, fix
    )
