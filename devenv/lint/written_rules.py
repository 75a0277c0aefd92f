"""Rules over the fragments as written: hard-coded secrets and undocumented variables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devenv.lint.findings import Finding, finding
from devenv.lint.fragments import (
    Fragment,
    documented_names,
    has_literal_default,
    iter_strings,
    referenced_names,
)
from devenv.secrets import is_secret_name

# Values that switch a feature on or off rather than hold a secret, as in
# API_KEY_ENABLED=true.
_SWITCH_WORDS = {"true", "false", "yes", "no", "on", "off"}


def check_fragments(
    fragments: tuple[Fragment, ...], env_example: Path
) -> list[Finding]:
    findings = []
    documented = documented_names(env_example)
    for fragment in fragments:
        findings += hard_coded_secrets(fragment)
        findings += undocumented_variables(fragment, documented, env_example)
    return findings


def hard_coded_secrets(fragment: Fragment) -> list[Finding]:
    """DV104: secret-named keys in `environment` or `build.args` with literal values."""
    findings = []
    for name, service in fragment.services().items():
        for section, entries in _secret_sections(service):
            for key, value, keys in _assignments(entries):
                kind = _hard_coded_kind(key, value)
                if kind is None:
                    continue
                line = fragment.nearest_line(("services", name, *section, *keys))
                where = "build argument" if section[0] == "build" else "variable"
                findings.append(
                    finding(
                        "DV104",
                        fragment.path,
                        line,
                        f"Service {name} gives the {where} {key} {kind}; "
                        "a secret must come from .env.",
                        f"Write `{key}: ${{{key}}}` and put the value in .env, "
                        "with the name documented in .env.example.",
                    )
                )
    return findings


def _secret_sections(service: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield ("environment",), service.get("environment")
    build = service.get("build")
    if isinstance(build, dict):
        yield ("build", "args"), build.get("args")


def _assignments(entries: Any) -> Iterator[tuple[str, Any, tuple[str, ...]]]:
    """Yield (name, value, key path) from a Compose map or `NAME=value` list."""
    if isinstance(entries, dict):
        for key, value in entries.items():
            yield str(key), value, (str(key),)
    elif isinstance(entries, list):
        for index, item in enumerate(entries):
            name, sep, value = str(item).partition("=")
            # A bare NAME passes the variable through from the host: no value.
            yield name.strip(), value if sep else None, (str(index),)


def _hard_coded_kind(key: str, value: Any) -> str | None:
    """Say how a secret-named key's value is hard-coded, or None if it is not."""
    if not is_secret_name(key) or key.upper().endswith("_FILE"):
        return None
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or text.lower() in _SWITCH_WORDS:
        return None
    if not referenced_names(text):
        return "a literal value"
    return "a literal default" if has_literal_default(text) else None


def undocumented_variables(
    fragment: Fragment, documented: set[str], env_example: Path
) -> list[Finding]:
    """DV105: every `${VAR}` the fragment interpolates is named in .env.example."""
    findings = []
    seen: set[tuple[str, int]] = set()
    for keys, text in iter_strings(fragment.data):
        for name in referenced_names(text):
            line = fragment.nearest_line(keys)
            if name in documented or (name, line) in seen:
                continue
            seen.add((name, line))
            findings.append(
                finding(
                    "DV105",
                    fragment.path,
                    line,
                    f"Variable {name} is used here but not documented in "
                    f"{env_example.name}.",
                    f"Add `{name}=` to {env_example.name} with a comment saying "
                    "what it sets.",
                )
            )
    return findings
