"""The file and line that an error about a profile or its fragments points at.

devenv's own errors start with `PATH:LINE:`. Compose's errors name a file, a
key path such as `services[web].healthcheck.interval`, or a service and the
name it cannot resolve. The patterns below match Compose 2.40's messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devenv.lint.fragments import Fragment, KeyPath, iter_strings

Place = tuple[Path, int]

_LOCATION = re.compile(
    r"(?P<path>[^:\n]+):(?P<line>\d+)(?::\d+)?: (?P<rest>.*)", re.DOTALL
)
_FILE_ONLY = re.compile(r"(?P<path>[^:\n]+): (?P<rest>.*)", re.DOTALL)
# The reason inside devenv.engine.render_config's message.
_COMPOSE_REJECTED = re.compile(
    r"Compose rejected the files \(.*?\): (?P<reason>.*?)\. "
    r"Fix the file it names and run the command again\.",
    re.DOTALL,
)

_PARSE_FAILED = re.compile(r"failed to parse (?P<path>\S+?): line (?P<line>\d+):")
_VALIDATING = re.compile(
    r"validating (?P<path>\S+?): (?P<keys>\S*) ?"
    r"(?:additional properties '(?P<extra>[^']+)')?"
)
_BRACKETED_KEYS = re.compile(r"'services\[(?P<service>[^\]]+)\](?P<rest>[^'\s]*)'")
_DOTTED_KEYS = re.compile(r"(?:interpolating|format for) (?P<keys>services\.[^\s:]+)")
_UNDEFINED = re.compile(
    r'service "(?P<service>[^"]+)" refers to undefined '
    r"(?P<kind>volume|network|secret|config) (?P<name>[^\s:]+)"
)
_DEPENDS = re.compile(
    r'service "(?P<service>[^"]+)" depends on undefined service "(?P<name>[^"]+)"'
)
_EXTENDS = re.compile(r'cannot extend service "(?P<service>[^"]+)" in (?P<path>\S+?):')
# Messages that quote a written value, such as `invalid hostPort: 99999`.
_QUOTED_VALUES = (
    re.compile(r"invalid \w+: (?P<value>\S+)\s*$"),
    re.compile(r"env file \S*?(?P<value>[^/\s]+) not found"),
)


def split_location(message: str) -> tuple[Path, int, str] | None:
    """Split a leading `PATH:LINE: ` or `PATH: ` off one of devenv's messages.

    Returns None unless PATH is an existing file, so a sentence with a colon
    is never taken for a location.
    """
    for pattern in (_LOCATION, _FILE_ONLY):
        match = pattern.fullmatch(message)
        if match and Path(match["path"]).is_file():
            line = int(match.groupdict().get("line") or 1)
            return Path(match["path"]), line, match["rest"]
    return None


def compose_reason(message: str) -> str:
    """Return Compose's own words from a render error, or the whole message."""
    match = _COMPOSE_REJECTED.search(message)
    return match["reason"] if match else message


def locate_compose_error(reason: str, fragments: Sequence[Fragment]) -> Place | None:
    """Find the fragment and line that Compose's error is about, or None."""
    match = _PARSE_FAILED.search(reason)
    if match:
        fragment = _fragment_at(fragments, match["path"])
        return (fragment.path, int(match["line"])) if fragment else None
    match = _VALIDATING.search(reason)
    if match:
        fragment = _fragment_at(fragments, match["path"])
        if fragment is None:
            return None
        keys = _dotted(match["keys"]) + ((match["extra"],) if match["extra"] else ())
        return fragment.path, fragment.nearest_line(keys)
    match = _EXTENDS.search(reason)
    if match:
        fragment = _fragment_at(fragments, match["path"])
        keys = ("services", match["service"], "extends")
        return (fragment.path, fragment.nearest_line(keys)) if fragment else None
    return _locate_by_service(reason, fragments) or _locate_value(reason, fragments)


def _locate_by_service(reason: str, fragments: Sequence[Fragment]) -> Place | None:
    match = _BRACKETED_KEYS.search(reason)
    if match:
        keys = ("services", match["service"], *_dotted(match["rest"]))
        return _key_place(fragments, keys)
    match = _DOTTED_KEYS.search(reason)
    if match:
        return _key_place(fragments, _dotted(match["keys"]))
    match = _UNDEFINED.search(reason)
    if match:
        keys = ("services", match["service"], f"{match['kind']}s")
        return _entry_place(fragments, keys, match["name"])
    match = _DEPENDS.search(reason)
    if match:
        keys = ("services", match["service"], "depends_on")
        return _entry_place(fragments, keys, match["name"])
    return None


def _locate_value(reason: str, fragments: Sequence[Fragment]) -> Place | None:
    """Find the written value that Compose's message quotes, in the last fragment."""
    match = next((m for p in _QUOTED_VALUES if (m := p.search(reason))), None)
    if match is None:
        return None
    for fragment in reversed(fragments):
        for keys, text in iter_strings(fragment.data):
            if match["value"] in text:
                return fragment.path, fragment.nearest_line(keys)
    return None


def _fragment_at(fragments: Sequence[Fragment], path: str) -> Fragment | None:
    target = Path(path).resolve()
    return next((f for f in fragments if f.path.resolve() == target), None)


def _dotted(text: str) -> KeyPath:
    """Split `services.web.command.[]` into keys, dropping list markers."""
    return tuple(part for part in text.split(".") if part and part != "[]")


def _key_place(fragments: Sequence[Fragment], keys: KeyPath) -> Place | None:
    """Place of the key in the last fragment that writes it or an ancestor of it."""
    for end in range(len(keys), 0, -1):
        for fragment in reversed(fragments):
            line = fragment.line_of(keys[:end])
            if line is not None:
                return fragment.path, line
    return None


def _entry_place(
    fragments: Sequence[Fragment], keys: KeyPath, name: str
) -> Place | None:
    """Place of the entry that names `name` in a list or mapping such as `volumes`."""
    for fragment in reversed(fragments):
        index = _entry_key(_value_at(fragment.data, keys), name)
        if index is not None:
            line = fragment.line_of((*keys, index))
            if line is not None:
                return fragment.path, line
    return _key_place(fragments, keys)


def _value_at(data: Any, keys: KeyPath) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _entry_key(value: Any, name: str) -> str | None:
    """Key of the entry naming `name`: a mapping key, or a list item's index."""
    if isinstance(value, dict):
        return name if name in value else None
    if not isinstance(value, list):
        return None
    for index, item in enumerate(value):
        if isinstance(item, dict):
            named = item.get("source") == name
        else:
            named = str(item) == name or str(item).startswith(f"{name}:")
        if named:
            return str(index)
    return None
