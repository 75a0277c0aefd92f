"""Finding the workspace root, and the paths and names of profiles and fragments."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devenv.errors import InputError

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def compose_dir(self) -> Path:
        return self.root / "compose"

    @property
    def state_dir(self) -> Path:
        """Folder for generated files; git-ignored."""
        return self.root / ".devenv"

    @property
    def env_example(self) -> Path:
        return self.root / ".env.example"

    @property
    def key(self) -> str:
        """Short stable id of this checkout, so two checkouts never share a project."""
        return hashlib.sha256(str(self.root).encode()).hexdigest()[:8]

    def profile_path(self, name: str) -> Path:
        return self.profiles_dir / f"{name}.yaml"

    def fragment_path(self, name: str) -> Path:
        return self.compose_dir / f"{name}.yaml"

    def profile_names(self) -> list[str]:
        return _yaml_stems(self.profiles_dir)

    def fragment_names(self) -> list[str]:
        return _yaml_stems(self.compose_dir)


def find_workspace(
    start: Path | None = None, environ: Mapping[str, str] = os.environ
) -> Workspace:
    """Find the workspace: DEVENV_ROOT if set, else walk up from `start`."""
    explicit = environ.get("DEVENV_ROOT")
    if explicit:
        root = Path(explicit).expanduser().resolve()
        missing = [name for name in ("profiles", "compose") if not (root / name).is_dir()]
        if missing:
            folders = " and ".join(f"{name}/" for name in missing)
            raise InputError(
                f"{root} is not a devenv workspace: it has no {folders} folder. "
                "Point --root (or DEVENV_ROOT) at a folder with profiles/ and "
                "compose/ in it."
            )
        return Workspace(root)

    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "profiles").is_dir() and (folder / "compose").is_dir():
            return Workspace(folder)
    raise InputError(
        f"No devenv workspace found at or above {here}: none of these folders "
        "has both profiles/ and compose/. Run devenv inside a workspace, "
        "or pass --root."
    )


def check_name(name: str, kind: str, source: str | None = None) -> None:
    """Reject a profile or fragment name that is not `[a-z0-9][a-z0-9_-]*`."""
    if NAME_PATTERN.fullmatch(name):
        return
    where = f"{source}: " if source else ""
    raise InputError(
        f"{where}invalid {kind} name {name!r}: use lower-case letters, digits, "
        "'-' and '_', starting with a letter or digit."
    )


def did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    available = ", ".join(choices) if choices else "none"
    return f"{hint} Available: {available}."


def _yaml_stems(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.yaml"))
