"""`${VAR}` references in the Compose fragments, and the variables the example lacks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devenv.envfile.records import ERROR, WARNING, EnvFile, EnvFinding, KeySpec
from devenv.errors import InputError
from devenv.profiles import Profile
from devenv.workspace import Workspace
from devenv.yaml_io import load_yaml

# Compose's interpolation names; other keys cannot be referenced from a fragment.
_VARIABLE_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_FALLBACK_OPERATORS = frozenset({":-", "-", ":+", "+"})


@dataclass(frozen=True)
class Reference:
    """One `$VAR` or `${VAR...}` that Compose interpolates in a fragment."""

    name: str
    operator: str  # '', ':-', '-', ':?', '?', ':+' or '+'
    path: Path
    line: int
    on_comment_line: bool = False  # a YAML comment, or text in a block scalar

    @property
    def has_fallback(self) -> bool:
        """Whether the reference still works when the variable is unset."""
        return self.operator in _FALLBACK_OPERATORS


_OPERATOR = re.compile(r":?[-?+]")


def scan_references(text: str) -> Iterator[tuple[str, str]]:
    """Yield (name, operator) for each variable Compose interpolates in `text`.

    Covers $VAR, ${VAR} and ${VAR<op>word} with op one of :- - :? ? :+ +, including
    references nested in a default. `$$` is an escaped dollar sign.
    """
    index = text.find("$")
    while index != -1:
        following = text[index + 1 : index + 2]
        if following == "$":
            index = text.find("$", index + 2)
            continue
        braced = following == "{"
        name = _VARIABLE_NAME.match(text, index + 2 if braced else index + 1)
        if name and braced:
            operator = _OPERATOR.match(text, name.end())
            if operator:
                yield name.group(), operator.group()
            elif text.startswith("}", name.end()):
                yield name.group(), ""
        elif name:
            yield name.group(), ""
        index = text.find("$", index + 1)


def fragment_references(path: Path) -> list[Reference]:
    """List the references Compose interpolates in one fragment, with their lines."""
    return _confirm_references(path, _text_references(path))


def _text_references(path: Path) -> list[Reference]:
    """Scan every line of the fragment's text, comments included.

    This is cheap but may include references that sit in YAML comments, which
    `_confirm_references` removes.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({error}).") from error
    references = []
    for number, line in enumerate(text.split("\n"), start=1):
        if "$" not in line:
            continue
        on_comment_line = line.lstrip().startswith("#")
        for name, operator in scan_references(line):
            references.append(Reference(name, operator, path, number, on_comment_line))
    return references


def _confirm_references(path: Path, references: list[Reference]) -> list[Reference]:
    """Keep references to names that the parsed YAML's string values contain.

    A name found on a comment-looking line counts only when the YAML uses it,
    because such a line can be the content of a block scalar. Its occurrences on
    other lines are preferred when both exist.
    """
    if not references:
        return []
    used = {
        name for text in _strings(load_yaml(path)) for name, _ in scan_references(text)
    }
    confirmed = [reference for reference in references if reference.name in used]
    on_value_lines = {r.name for r in confirmed if not r.on_comment_line}
    return [
        r for r in confirmed if not r.on_comment_line or r.name not in on_value_lines
    ]


def _strings(data: Any) -> Iterator[str]:
    """Yield every string value in parsed YAML; Compose never interpolates keys."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _reference_findings(
    references: Iterable[Reference],
    specs: Mapping[str, KeySpec],
    env_keys: set[str],
    environ: Mapping[str, str],
) -> list[EnvFinding]:
    """Report each undocumented variable once, where it is used most riskily.

    It is an error only when some use has no fallback and neither `.env` nor the
    environment sets the variable, because then the stack gets an empty value.
    """
    by_name: dict[str, list[Reference]] = {}
    for reference in references:
        if reference.name not in specs:
            by_name.setdefault(reference.name, []).append(reference)

    findings = []
    for name, uses in by_name.items():
        bare = [use for use in uses if not use.has_fallback]
        reported = bare[0] if bare else uses[0]
        is_set = name in env_keys or name in environ
        severity = ERROR if bare and not is_set else WARNING
        where = "set in .env or the environment" if is_set else "set nowhere"
        message = f"used here, but .env.example does not document it ({where})"
        fix = f"add {name} to .env.example with a comment that describes it"
        findings.append(
            EnvFinding(
                reported.path,
                reported.line,
                name,
                severity,
                "undocumented",
                message,
                fix,
            )
        )
    return findings


def _fragment_paths(workspace: Workspace, profile: Profile | None) -> list[Path]:
    if profile is not None:
        return list(profile.fragment_paths)
    return [workspace.fragment_path(name) for name in workspace.fragment_names()]


def _undocumented_findings(
    workspace: Workspace,
    profile: Profile | None,
    specs: Mapping[str, KeySpec],
    env: EnvFile | None,
    environ: Mapping[str, str],
) -> list[EnvFinding]:
    # Only a fragment with a name the example lacks needs its YAML parsed.
    references = []
    for path in _fragment_paths(workspace, profile):
        candidates = [r for r in _text_references(path) if r.name not in specs]
        references += _confirm_references(path, candidates)
    env_keys = {entry.key for entry in env.entries} if env else set()
    return _reference_findings(references, specs, env_keys, environ)
