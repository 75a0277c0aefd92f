"""Fragments as written: their data, the line of each key, and `${VAR}` references."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devenv.yaml_io import key_lines, load_yaml

KeyPath = tuple[str, ...]

# Compose interpolation: `$$` is an escaped dollar, `${NAME...}` and `$NAME` are
# references. A nested default such as `${A:-${B}}` yields both A and B.
_REFERENCE = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
# A default or alternative written as plain text: `${NAME:-text}`, `${NAME-text}`.
_LITERAL_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}$]+)\}")
_ENV_NAME = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


@dataclass(frozen=True)
class Fragment:
    """One Compose fragment file: its data and the line of every key."""

    path: Path
    data: dict[str, Any]
    lines: dict[KeyPath, int]

    def service(self, name: str) -> dict[str, Any]:
        services = self.data.get("services") or {}
        service = services.get(name) if isinstance(services, dict) else None
        return service if isinstance(service, dict) else {}

    def services(self) -> dict[str, dict[str, Any]]:
        services = self.data.get("services") or {}
        if not isinstance(services, dict):
            return {}
        return {str(k): v for k, v in services.items() if isinstance(v, dict)}

    def line_of(self, keys: KeyPath) -> int | None:
        """Line of a key path, also when the key came in through a `<<:` merge."""
        if keys in self.lines:
            return self.lines[keys]
        if not keys:
            return None
        parent, last = keys[:-1], keys[-1]
        for path, line in self.lines.items():
            middle = path[len(parent) : -1]
            if (
                len(path) > len(keys)
                and path[-1] == last
                and path[: len(parent)] == parent
                and all(part == "<<" or part.isdigit() for part in middle)
            ):
                return line
        return None

    def nearest_line(self, keys: KeyPath) -> int:
        """Line of the key path, else of its closest ancestor that is written."""
        for end in range(len(keys), 0, -1):
            line = self.line_of(keys[:end])
            if line is not None:
                return line
        return 1


def load_fragments(paths: Sequence[Path]) -> tuple[Fragment, ...]:
    """Load fragment files; raise InputError naming the file and line when invalid."""
    fragments = []
    for path in paths:
        data = load_yaml(path)
        fragments.append(
            Fragment(path, data if isinstance(data, dict) else {}, key_lines(path))
        )
    return tuple(fragments)


class Locator:
    """Finds the file and line where a key of the rendered model was written."""

    def __init__(self, fragments: Sequence[Fragment]) -> None:
        self._fragments = tuple(fragments)

    def service_key(self, service: str, *keys: str) -> tuple[Path, int]:
        """Return the file and line of `services.SERVICE.KEYS` in the last fragment
        that sets it.

        When no fragment writes the key, return the line of its closest written
        ancestor, down to the service's own line.
        """
        for fragment in reversed(self._fragments):
            line = fragment.line_of(("services", service, *keys))
            if line is not None:
                return fragment.path, line
        if keys:
            return self.service_key(service, *keys[:-1])
        first = self._fragments[0] if self._fragments else None
        return (first.path if first else Path("."), 1)

    def list_item(
        self, service: str, key: str, index: int, count: int
    ) -> tuple[Path, int]:
        """Return the file and line of item `index` of a rendered list such as `ports`.

        Items match by position when exactly one fragment writes the list and it
        has as many items as the rendered one. Otherwise, for example when a port
        range expands into several ports, return the line of the key.
        """
        writers = [
            fragment
            for fragment in self._fragments
            if isinstance(fragment.service(service).get(key), list)
        ]
        if len(writers) == 1 and len(writers[0].service(service)[key]) == count:
            line = writers[0].line_of(("services", service, key, str(index)))
            if line is not None:
                return writers[0].path, line
        return self.service_key(service, key)


def iter_strings(value: Any, keys: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Yield every string value of parsed YAML with its key path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, (*keys, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, (*keys, str(index)))
    elif isinstance(value, str):
        yield keys, value


def referenced_names(text: str) -> list[str]:
    """Names of the variables a Compose string interpolates, in order."""
    names = []
    for match in _REFERENCE.finditer(text):
        name = match.group(1) or match.group(2)
        if name:
            names.append(name)
    return names


def has_literal_default(text: str) -> bool:
    """Tell whether a reference carries a plain-text default, as `${PW:-secret}`."""
    return _LITERAL_DEFAULT.search(text) is not None


def documented_names(path: Path) -> set[str]:
    """Names assigned in an env file such as .env.example; the values are ignored."""
    if not path.is_file():
        return set()
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ENV_NAME.match(line.strip())
        if match:
            names.add(match.group(1))
    return names
