"""`devenv env init`: create `.env` from `.env.example`, or add the keys it lacks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from devenv.envfile.dotenv_io import read_env_file
from devenv.envfile.quoting import format_value
from devenv.envfile.records import EnvEntry, EnvFile, KeySpec, env_path_for
from devenv.envfile.specs import _comment_block, read_specs
from devenv.envfile.writing import _create_private, _replace_keeping_mode
from devenv.errors import InputError
from devenv.profiles import Profile
from devenv.workspace import Workspace


@dataclass(frozen=True)
class InitResult:
    """What `init_env_file` did; with `missing` set, it wrote nothing."""

    path: Path
    created: bool
    added: tuple[str, ...] = ()
    prompted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # required keys that need a value from the user


def init_env_file(
    workspace: Workspace,
    profile: Profile | None = None,
    ask: Callable[[KeySpec], str] | None = None,
) -> InitResult:
    """Create `.env` from `.env.example`, or add the keys it lacks, in example order.

    Values already in `.env` are never changed. Required keys with no value or a
    placeholder in the example get their value from `ask`. Without `ask`, nothing is
    written while such a key lacks a value.
    """
    env_path = env_path_for(workspace, profile)
    if not workspace.env_example.exists():
        raise InputError(
            f"{workspace.env_example} not found, so there is nothing to copy into "
            f"{env_path.name}. Create it with every variable the fragments use."
        )
    example = _read_valid(workspace.env_example)
    env = _read_valid(env_path) if env_path.exists() else None
    specs = read_specs(example)[0]
    present = {entry.key for entry in env.entries} if env else set()
    absent = [key for key in specs if key not in present]
    needs_value = [key for key in absent if specs[key].needs_value]

    if needs_value and ask is None:
        return InitResult(env_path, env is None, missing=tuple(needs_value))
    answers = {key: ask(specs[key]) for key in needs_value} if ask else {}
    if env is None:
        _create_private(env_path, _render_new(example, answers), example.newline)
    elif absent:
        lines = _render_additions(env, example, specs, absent, answers)
        _replace_keeping_mode(env, lines)
    return InitResult(env_path, env is None, tuple(absent), tuple(answers))


def _read_valid(path: Path) -> EnvFile:
    env = read_env_file(path)
    if env.invalid:
        lines = ", ".join(str(bad.line) for bad in env.invalid)
        raise InputError(
            f"{path}: python-dotenv cannot parse line(s) {lines}. Fix them first; "
            "`devenv env check` says what is wrong."
        )
    return env


def _statement(key: str, value: str) -> str:
    return f"{key}={format_value(value)}"


def _render_new(example: EnvFile, answers: Mapping[str, str]) -> list[str]:
    """Copy the example's lines, with each answered key's statement replaced."""
    lines = list(example.lines)
    for entry in reversed(example.entries):
        if entry.key in answers:
            statement = _statement(entry.key, answers[entry.key])
            lines[entry.line - 1 : entry.end_line] = [statement]
    return lines


def _render_additions(
    env: EnvFile,
    example: EnvFile,
    specs: Mapping[str, KeySpec],
    absent: list[str],
    answers: Mapping[str, str],
) -> list[str]:
    """Insert each absent key, with its comments, beside its neighbours in the example.

    A key goes after the nearest earlier example key that `.env` has, else before
    the nearest later one (above that key's comments), else at the end.
    """
    order = list(specs)
    last = env.last_entries()
    first = {entry.key: entry for entry in reversed(env.entries)}
    end = len(env.lines) - 1 if env.lines[-1] == "" else len(env.lines)
    inserts: dict[int, list[str]] = {}

    for key in absent:
        position = _insertion_index(env, order, order.index(key), last, first, end)
        inserts.setdefault(position, []).extend(
            _example_block(example, specs[key], answers)
        )
    lines = list(env.lines)
    for position in sorted(inserts, reverse=True):
        lines[position:position] = inserts[position]
    return lines


def _insertion_index(
    env: EnvFile,
    order: list[str],
    index: int,
    last: Mapping[str, EnvEntry],
    first: Mapping[str, EnvEntry],
    end: int,
) -> int:
    for key in reversed(order[:index]):
        if key in last:
            return last[key].end_line
    for key in order[index + 1 :]:
        if key in first:
            return (
                first[key].line - 1 - len(_comment_block(env.comments, first[key].line))
            )
    return end


def _example_block(
    example: EnvFile, spec: KeySpec, answers: Mapping[str, str]
) -> list[str]:
    entry = next(e for e in example.entries if e.key == spec.key)
    block = _comment_block(example.comments, entry.line)
    comments = [example.lines[line - 1] for line, _ in block]
    if spec.key in answers:
        return [*comments, _statement(spec.key, answers[spec.key])]
    return [*comments, *example.lines[entry.line - 1 : entry.end_line]]
