"""Comparison of python-dotenv's reading of `.env` with Compose's own parser."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from devenv.envfile.dotenv_io import expand_values
from devenv.envfile.masking import _is_secret_key
from devenv.envfile.records import (
    ERROR,
    WARNING,
    EnvEntry,
    EnvFile,
    EnvFinding,
    KeySpec,
)
from devenv.envfile.references import _VARIABLE_NAME
from devenv.errors import InputError
from devenv.secrets import MASK


def _compose_findings(
    env: EnvFile, specs: Mapping[str, KeySpec]
) -> tuple[list[EnvFinding], str]:
    """Compare python-dotenv's reading of each key with Compose's.

    Return the findings and, when the comparison could not run, the reason.
    """
    from devenv import engine
    from devenv.errors import EngineError, EngineUnavailable

    last = env.last_entries()
    keys = [key for key in last if _VARIABLE_NAME.fullmatch(key)]
    try:
        theirs = engine.compose_env_values(env.path, keys)
    except EngineUnavailable as error:
        return [], str(error)
    except EngineError as error:
        return [], str(error)
    except InputError as error:
        return [_compose_rejects(env.path, str(error))], ""

    # Expand with the few variables Compose's process had, as Compose did.
    ours = expand_values(env.entries, engine.env_probe_environment(keys))
    findings = []
    for key in keys:
        if ours.get(key) != theirs.get(key):
            secret = _is_secret_key(key, specs)
            findings.append(
                _mismatch(env, last[key], ours[key], theirs.get(key), secret)
            )
    return findings, ""


def _compose_rejects(path: Path, message: str) -> EnvFinding:
    match = re.search(r"line (\d+)", message)
    line = int(match.group(1)) if match else 0
    fix = "fix the line Compose names; `docker compose up` fails until then"
    return EnvFinding(path, line, "", ERROR, "compose-rejects", message, fix)


def _mismatch(
    env: EnvFile, entry: EnvEntry, ours: str | None, theirs: str | None, secret: bool
) -> EnvFinding:
    statement = "\n".join(env.lines[entry.line - 1 : entry.end_line])
    cause, fix = _mismatch_cause(statement)
    message = (
        f"Compose reads {_show(theirs, secret)}, python-dotenv reads "
        f"{_show(ours, secret)}; the stack sees Compose's value ({cause})"
    )
    return EnvFinding(
        env.path, entry.line, entry.key, WARNING, "parser-mismatch", message, fix
    )


def _mismatch_cause(statement: str) -> tuple[str, str]:
    value = statement.partition("=")[2].lstrip()
    if value.startswith("'") and "${" in value:
        return (
            "python-dotenv expands ${...} inside single quotes, Compose does not",
            "use double quotes to expand the variable, or drop the ${...}",
        )
    if "\\" in value:
        return (
            "the two parsers read backslash escapes differently",
            'use double quotes with only \\n, \\\\ and \\" escapes',
        )
    if re.search(r"\$(\$|[_A-Za-z])", value):
        return (
            "Compose also expands $NAME and reads $$ as $, python-dotenv does not",
            "write ${NAME} with braces, and avoid $$",
        )
    return (
        "the two parsers read this line differently",
        "write the value plainly or in double quotes",
    )


def _show(value: str | None, secret: bool) -> str:
    if value is None:
        return "nothing (unset)"
    if secret:
        return MASK
    return repr(value)
