"""The only module that imports yaml: safe loading with file and line in errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from devenv.errors import InputError


def load_yaml(path: Path) -> Any:
    """Load one YAML document with the safe loader, naming file and line on error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror}).") from error
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = error.problem or "invalid YAML"
        raise InputError(
            f"{where}: invalid YAML: {problem}. Fix the file and run the command again."
        ) from error
    except yaml.YAMLError as error:
        raise InputError(f"{path}: invalid YAML: {error}") from error


def key_lines(path: Path) -> dict[tuple[str, ...], int]:
    """Map each mapping key's path in a YAML file to its 1-based line number."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    lines: dict[tuple[str, ...], int] = {}
    _collect_key_lines(root, (), lines)
    return lines


def _collect_key_lines(
    node: yaml.Node | None, prefix: tuple[str, ...], lines: dict[tuple[str, ...], int]
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _collect_key_lines(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*prefix, str(index))
            lines[key] = item.start_mark.line + 1
            _collect_key_lines(item, key, lines)


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False)
