"""The fragment file, line and `${VAR}` names that publish a service's ports.

The rendered model has every port as a plain number. Messages about a port
name the fragment line that publishes it and the `.env` variable that sets it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from devenv.envfile import scan_references
from devenv.errors import DevenvError
from devenv.yaml_io import key_lines, load_yaml

# A braced reference, so that a `-` in a default such as ${PORT:-8080} is not
# taken for a port range.
_BRACED_REFERENCE = re.compile(r"\$\{[^}]*\}")


class _PortEntry(Protocol):
    service: str
    index: int


@dataclass(frozen=True)
class PortSource:
    """The fragment file and line that publish a port, and the variables it uses."""

    path: Path
    line: int
    variables: tuple[str, ...]


def port_source(
    fragments: Sequence[Path], service: str, index: int
) -> PortSource | None:
    """Find the fragment line of entry `index` of the service's rendered `ports`.

    The entry matches by position when exactly one fragment writes the
    service's `ports` and none of its entries is a range. Otherwise the line
    of the last fragment's `ports:` key is returned, with the variables of
    all its entries. Returns None when no fragment writes `ports` for it.
    """
    writers = []
    for path in fragments:
        entries = _written_ports(path, service)
        if entries is not None:
            writers.append((path, entries))
    if not writers:
        return None
    path, entries = writers[-1]
    lines = key_lines(path)
    keys = ("services", service, "ports")
    if len(writers) == 1 and index < len(entries) and _entries_render_alike(entries):
        entry_line = lines.get((*keys, str(index)))
        if entry_line is not None:
            return PortSource(path, entry_line, _entry_variables(entries[index]))
    variables = tuple(dict.fromkeys(v for e in entries for v in _entry_variables(e)))
    return PortSource(path, lines.get(keys, 1), variables)


def port_variables(fragments: Sequence[Path], ports: Iterable[_PortEntry]) -> list[str]:
    """List the variables that set the given ports, each once, in order."""
    found: list[str] = []
    for port in ports:
        source = port_source(fragments, port.service, port.index)
        if source is not None:
            found += [name for name in source.variables if name not in found]
    return found


def _written_ports(path: Path, service: str) -> list[Any] | None:
    try:
        data = load_yaml(path)
    except DevenvError:
        return None
    services = data.get("services") if isinstance(data, dict) else None
    written = services.get(service) if isinstance(services, dict) else None
    entries = written.get("ports") if isinstance(written, dict) else None
    return entries if isinstance(entries, list) else None


def _entries_render_alike(entries: list[Any]) -> bool:
    """Tell whether each written entry renders as one entry, so positions match.

    A range such as `8000-8002:8000-8002` renders as several entries.
    """
    for entry in entries:
        if isinstance(entry, dict):
            text = str(entry.get("published", ""))
        else:
            text = str(entry)
        if "-" in _BRACED_REFERENCE.sub("", text):
            return False
    return True


def _entry_variables(entry: Any) -> tuple[str, ...]:
    """Variables in the host side (address and port) of a written `ports` entry."""
    if isinstance(entry, dict):
        text = f"{entry.get('host_ip', '')} {entry.get('published', '')}"
    else:
        text = str(entry).rpartition(":")[0]
    return tuple(dict.fromkeys(name for name, _ in scan_references(text)))
