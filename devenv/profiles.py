"""Loading profile files and resolving `extends`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from devenv.errors import InputError
from devenv.workspace import Workspace, check_name, did_you_mean
from devenv.yaml_io import key_lines, load_yaml

DEFAULT_WAIT_TIMEOUT = 120.0
_KNOWN_KEYS = {"description", "extends", "fragments", "env_file", "wait_timeout"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)?")


@dataclass(frozen=True)
class ProfileFile:
    """One profile file as written, before `extends` is resolved."""

    name: str
    path: Path
    description: str
    extends: tuple[str, ...]
    fragments: tuple[str, ...]
    env_file: str | None
    wait_timeout: float | None


@dataclass(frozen=True)
class Profile:
    """A profile with `extends` resolved: every fragment, in order, once."""

    name: str
    path: Path
    description: str
    fragments: tuple[str, ...]
    fragment_paths: tuple[Path, ...]
    env_file: Path
    wait_timeout: float
    chain: tuple[str, ...]


def load_profile_file(workspace: Workspace, name: str) -> ProfileFile:
    check_name(name, "profile")
    path = workspace.profile_path(name)
    if not path.is_file():
        raise InputError(
            f"Profile {name!r} not found in {workspace.profiles_dir}."
            + did_you_mean(name, workspace.profile_names())
        )
    data = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}:1: a profile must be a mapping of settings.")
    lines = key_lines(path)
    _reject_unknown_keys(path, data, lines)
    return ProfileFile(
        name=name,
        path=path,
        description=_string(path, data, "description", lines) or "",
        extends=_names(path, data, "extends", "profile", lines),
        fragments=_names(path, data, "fragments", "fragment", lines),
        env_file=_string(path, data, "env_file", lines),
        wait_timeout=_duration(path, data, lines),
    )


def resolve_profile(workspace: Workspace, name: str) -> Profile:
    """Follow `extends` depth first; earlier fragments come first, repeats are dropped."""
    files: dict[str, ProfileFile] = {}
    fragments: list[str] = []
    chain: list[str] = []
    _visit(workspace, name, [], files, fragments, chain)
    top = files[name]

    if not fragments:
        raise InputError(
            f"{top.path}: profile {name!r} names no fragments. "
            "Add a `fragments:` list or extend a profile that has one."
        )
    paths = tuple(_fragment_path(workspace, fragment, files) for fragment in fragments)
    env_file = workspace.root / (top.env_file or ".env")
    return Profile(
        name=name,
        path=top.path,
        description=top.description,
        fragments=tuple(fragments),
        fragment_paths=paths,
        env_file=env_file,
        wait_timeout=_inherited_timeout(name, files),
        chain=tuple(chain),
    )


def _visit(
    workspace: Workspace,
    name: str,
    stack: list[str],
    files: dict[str, ProfileFile],
    fragments: list[str],
    chain: list[str],
) -> None:
    if name in stack:
        cycle = " -> ".join([*stack[stack.index(name) :], name])
        raise InputError(
            f"{workspace.profile_path(stack[-1])}: `extends` forms a cycle: {cycle}. "
            "Remove one of these links."
        )
    if name in files:
        return
    if stack:
        _check_extended_exists(workspace, stack[-1], name)
    profile_file = load_profile_file(workspace, name)
    files[name] = profile_file
    for parent in profile_file.extends:
        _visit(workspace, parent, [*stack, name], files, fragments, chain)
    chain.append(name)
    for fragment in profile_file.fragments:
        if fragment not in fragments:
            fragments.append(fragment)


def _check_extended_exists(workspace: Workspace, child: str, name: str) -> None:
    if workspace.profile_path(name).is_file():
        return
    path = workspace.profile_path(child)
    line = key_lines(path).get(("extends",), 1)
    raise InputError(
        f"{path}:{line}: extends unknown profile {name!r}."
        + did_you_mean(name, workspace.profile_names())
    )


def _fragment_path(
    workspace: Workspace, fragment: str, files: dict[str, ProfileFile]
) -> Path:
    path = workspace.fragment_path(fragment)
    if path.is_file():
        return path
    owner = next(f for f in files.values() if fragment in f.fragments)
    lines = key_lines(owner.path)
    index = str(owner.fragments.index(fragment))
    line = lines.get(("fragments", index), lines.get(("fragments",), 1))
    raise InputError(
        f"{owner.path}:{line}: fragment {fragment!r} not found in "
        f"{workspace.compose_dir}." + did_you_mean(fragment, workspace.fragment_names())
    )


def _inherited_timeout(name: str, files: dict[str, ProfileFile]) -> float:
    """Use the profile's own timeout, else the first one found along `extends`."""
    pending = [name]
    seen: set[str] = set()
    while pending:
        current = files[pending.pop(0)]
        if current.name in seen:
            continue
        seen.add(current.name)
        if current.wait_timeout is not None:
            return current.wait_timeout
        pending.extend(current.extends)
    return DEFAULT_WAIT_TIMEOUT


def parse_duration(text: str) -> float:
    """Parse `90`, `90s`, `2m` or `500ms` into seconds; raise ValueError otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]


def _reject_unknown_keys(path: Path, data: dict, lines: dict) -> None:
    for key in data:
        if key not in _KNOWN_KEYS:
            known = sorted(_KNOWN_KEYS)
            raise InputError(
                f"{path}:{lines.get((str(key),), 1)}: unknown profile setting "
                f"{key!r}." + did_you_mean(str(key), known).replace("Available", "Known")
            )


def _string(path: Path, data: dict, key: str, lines: dict) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(f"{path}:{lines.get((key,), 1)}: `{key}` must be a string.")


def _names(
    path: Path, data: dict, key: str, kind: str, lines: dict
) -> tuple[str, ...]:
    value = data.get(key) or []
    line = lines.get((key,), 1)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}:{line}: `{key}` must be a list of {kind} names.")
    for item in value:
        check_name(item, kind, f"{path}:{line}")
    return tuple(value)


def _duration(path: Path, data: dict, lines: dict) -> float | None:
    value = data.get("wait_timeout")
    if value is None:
        return None
    try:
        seconds = float(value) if isinstance(value, (int, float)) else parse_duration(
            str(value)
        )
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise InputError(
            f"{path}:{lines.get(('wait_timeout',), 1)}: invalid wait_timeout "
            f"{value!r}: write a positive duration such as 90s or 2m."
        )
    return seconds
