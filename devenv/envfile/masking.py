"""Finding the secrets of `.env` and `.env.example`, and the Masker that hides them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from devenv.envfile.dotenv_io import _read_if_exists, expand_values
from devenv.envfile.records import EnvFile, KeySpec, env_path_for
from devenv.envfile.specs import read_specs
from devenv.errors import DevenvError
from devenv.profiles import Profile
from devenv.secrets import Masker, is_secret_name
from devenv.workspace import Workspace


def _is_secret_key(key: str, specs: Mapping[str, KeySpec]) -> bool:
    spec = specs.get(key)
    return spec.is_secret if spec is not None else is_secret_name(key)


def _has_secret_value(
    values: Mapping[str, str | None], specs: Mapping[str, KeySpec]
) -> bool:
    return any(value and _is_secret_key(key, specs) for key, value in values.items())


def _secret_keys(
    files: Iterable[EnvFile | None], specs: Mapping[str, KeySpec]
) -> set[str]:
    declared = {key for key, spec in specs.items() if spec.secret}
    names = {entry.key for env in files if env is not None for entry in env.entries}
    return declared | {name for name in names if is_secret_name(name)}


def _secret_values(
    files: Iterable[EnvFile | None], secret_keys: set[str], environ: Mapping[str, str]
) -> frozenset[str]:
    """Collect each secret's value both as written and as expanded."""
    values: set[str] = set()
    for env in files:
        if env is None:
            continue
        expanded = expand_values(env.entries, environ)
        for entry in env.entries:
            if entry.key in secret_keys:
                values.update(v for v in (entry.value, expanded[entry.key]) if v)
    return frozenset(values)


def secret_keys(workspace: Workspace) -> frozenset[str]:
    """Return the keys that `.env.example` marks `# secret`; never raises.

    A missing, unreadable or non-UTF-8 example gives an empty set, and lines that
    python-dotenv cannot parse are skipped. Keys only named like a secret are not
    included, because `devenv.secrets.is_secret_name` recognises those.
    """
    example = _read_quietly(workspace.env_example)
    if example is None:
        return frozenset()
    specs = read_specs(example)[0]
    return frozenset(key for key, spec in specs.items() if spec.secret)


def load_masker(workspace: Workspace, profile: Profile | None = None) -> Masker:
    """Build a Masker for the secrets of `.env` and `.env.example`; never raises.

    A file that is missing or unreadable contributes nothing.
    """
    files = [
        _read_quietly(workspace.env_example),
        _read_quietly(env_path_for(workspace, profile)),
    ]
    specs = read_specs(files[0])[0] if files[0] is not None else {}
    return Masker(_secret_values(files, _secret_keys(files, specs), os.environ))


def _read_quietly(path: Path) -> EnvFile | None:
    try:
        return _read_if_exists(path)
    except (DevenvError, OSError):
        return None
