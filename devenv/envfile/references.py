"""`${VAR}` references in the Compose fragments, and the checks that use them.

The checks report variables that `.env.example` lacks, and documented ones that a
fragment requires with `?` but `.env` leaves empty or unset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devenv.envfile.records import (
    ERROR,
    WARNING,
    EnvFile,
    EnvFinding,
    KeySpec,
    display_path,
)
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


def _fragment_variable_findings(
    workspace: Workspace,
    profile: Profile | None,
    specs: Mapping[str, KeySpec],
    env: EnvFile | None,
    environ: Mapping[str, str],
    values: Mapping[str, str | None],
) -> list[EnvFinding]:
    """Report undocumented variables, and empty ones that a fragment requires.

    Only a fragment that uses a name the example lacks, or a `?` form on a key
    the example does not mark required, needs its YAML parsed.
    """
    references = []
    for path in _fragment_paths(workspace, profile):
        candidates = [r for r in _text_references(path) if _needs_checking(r, specs)]
        references += _confirm_references(path, candidates)
    undocumented = [r for r in references if r.name not in specs]
    env_keys = {entry.key for entry in env.entries} if env else set()
    findings = _reference_findings(undocumented, specs, env_keys, environ)
    if env is not None:
        required = [r for r in references if r.name in specs]
        findings += _required_by_fragment(workspace, required, env, environ, values)
    return findings


def _needs_checking(reference: Reference, specs: Mapping[str, KeySpec]) -> bool:
    spec = specs.get(reference.name)
    if spec is None:
        return True
    return reference.operator in _REQUIRING_OPERATORS and not spec.required


# `${VAR:?message}` fails on an unset or empty variable, `${VAR?message}` only on
# an unset one, so Compose stops before it starts anything.
_REQUIRING_OPERATORS = frozenset({":?", "?"})


def _required_by_fragment(
    workspace: Workspace,
    references: Iterable[Reference],
    env: EnvFile,
    environ: Mapping[str, str],
    values: Mapping[str, str | None],
) -> list[EnvFinding]:
    """Report each documented key that a fragment requires with `?` but is not set.

    As in Compose, a variable of the process environment wins over the env file.
    """
    last = env.last_entries()
    findings: dict[str, EnvFinding] = {}
    for reference in references:
        name = reference.name
        value = environ[name] if name in environ else values.get(name)
        fails = not value if reference.operator == ":?" else value is None
        if name in findings or not fails:
            continue
        where = display_path(reference.path, workspace.root)
        state = "empty" if value == "" else "not set"
        message = (
            f"{state}, but {where}:{reference.line} requires a value "
            f"(${{{name}{reference.operator}...}}), so Compose starts nothing"
        )
        fix = f"set {name} in {env.path.name}"
        line = last[name].line if name in last else 0
        findings[name] = EnvFinding(
            env.path, line, name, ERROR, "required-empty", message, fix
        )
    return list(findings.values())
