"""Rendering a profile for lint, with .env.example as its environment."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from devenv import engine
from devenv.compose import fragments_target
from devenv.lint.fragments import Fragment, iter_strings, referenced_names
from devenv.profiles import Profile
from devenv.workspace import Workspace

# A variable that .env.example leaves empty, as `TOKEN=` or `TOKEN=""`.
_EMPTY_ASSIGNMENT = re.compile(
    r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:\"\"|'')?\s*(?:#.*)?"
)
# Stand-in for empty and missing variables. "1" also passes where Compose
# expects a port, a number or an image name.
PLACEHOLDER = "1"


def render_model(
    workspace: Workspace, profile: Profile, fragments: tuple[Fragment, ...]
) -> dict[str, Any]:
    """Render the given fragments of the profile with Compose, using .env.example.

    The developer's own .env is not read, so lint reports the same findings on
    every machine. Variables that .env.example leaves empty or does not name
    get a placeholder, so `${VAR:?message}` does not stop the rendering, and
    DV105 reports the missing ones.

    NOTE: variables exported in the shell still override these values, because
    Compose prefers the process environment to the env file.
    """
    text = _example_text(workspace.env_example)
    extra = sorted(_empty_names(text) | (_referenced(fragments) - _assigned(text)))
    text += "".join(f"{name}={PLACEHOLDER}\n" for name in extra)
    with tempfile.TemporaryDirectory(prefix="devenv-lint-") as folder:
        env_file = Path(folder) / "lint.env"
        env_file.write_text(text, encoding="utf-8")
        target = replace(
            fragments_target(workspace, profile),
            files=tuple(fragment.path for fragment in fragments),
            env_file=env_file,
        )
        return engine.render_config(target)


def _example_text(path: Path) -> str:
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    return text if text.endswith("\n") or not text else text + "\n"


def _empty_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        match = _EMPTY_ASSIGNMENT.fullmatch(line)
        if match:
            names.add(match.group(1))
    return names


def _assigned(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        name, sep, _ = line.strip().removeprefix("export ").partition("=")
        if sep and name.strip().isidentifier():
            names.add(name.strip())
    return names


def _referenced(fragments: tuple[Fragment, ...]) -> set[str]:
    return {
        name
        for fragment in fragments
        for _, text in iter_strings(fragment.data)
        for name in referenced_names(text)
    }
