"""Checks of the keys and values of `.env` and `.env.example`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

from devenv.envfile.masking import _is_secret_key
from devenv.envfile.records import (
    ERROR,
    WARNING,
    EnvEntry,
    EnvFile,
    EnvFinding,
    KeySpec,
)
from devenv.envfile.specs import _value_problem
from devenv.secrets import MASK


def _syntax_findings(env: EnvFile, severity: str) -> list[EnvFinding]:
    return [
        EnvFinding(
            env.path,
            bad.line,
            bad.key,
            severity,
            "syntax",
            f"invalid line: {bad.reason}",
            bad.fix,
        )
        for bad in env.invalid
    ]


def _duplicate_findings(env: EnvFile, is_example: bool) -> list[EnvFinding]:
    """Report each repeated key; in `.env`, a repeat with another value is an error."""
    findings: list[EnvFinding] = []
    previous: dict[str, EnvEntry] = {}
    for entry in env.entries:
        earlier = previous.get(entry.key)
        previous[entry.key] = entry
        if earlier is None:
            continue
        differs = earlier.value != entry.value
        severity = ERROR if differs and not is_example else WARNING
        other = "a different value" if differs else "the same value"
        message = f"set again, with {other} than line {earlier.line}; this line wins"
        fix = "delete one of the two lines"
        findings.append(
            EnvFinding(
                env.path, entry.line, entry.key, severity, "duplicate", message, fix
            )
        )
    return findings


def _missing_findings(
    env: EnvFile, example: EnvFile, specs: Mapping[str, KeySpec]
) -> list[EnvFinding]:
    # A key on an invalid line already has a syntax finding.
    present = {entry.key for entry in env.entries} | {bad.key for bad in env.invalid}
    findings = []
    for key, spec in specs.items():
        if key in present:
            continue
        severity = ERROR if spec.required else WARNING
        where = f"{example.path.name}:{spec.line}"
        message = f"documented at {where} but missing from {env.path.name}"
        default = "" if spec.required else " with the example's default"
        fix = f"run `devenv env init` to add it{default}"
        findings.append(EnvFinding(env.path, 0, key, severity, "missing", message, fix))
    return findings


def _unknown_findings(
    env: EnvFile, example: EnvFile, specs: Mapping[str, KeySpec]
) -> list[EnvFinding]:
    findings = []
    index = _KeyIndex(specs)
    seen: set[str] = set()
    for entry in env.entries:
        if entry.key in specs or entry.key in seen:
            continue
        seen.add(entry.key)
        suggestion = index.suggest(entry.key)
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        message = f"not documented in {example.path.name}{hint}"
        fix = (
            f"rename it to {suggestion}" if suggestion else "document it, or delete it"
        )
        findings.append(
            EnvFinding(
                env.path, entry.line, entry.key, WARNING, "unknown", message, fix
            )
        )
    return findings


class _KeyIndex:
    """Finds the documented key a typo most likely meant.

    Checks a case-insensitive match, then every key one edit away (insert, delete,
    replace, swap), so a lookup costs the same in a 10,000-key example as in a small
    one. Small examples also get difflib's fuzzier match.
    """

    _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
    _FUZZY_LIMIT = 1000

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = list(keys)
        self._by_upper: dict[str, str] = {}

    def suggest(self, key: str) -> str | None:
        if not self._by_upper:
            self._by_upper = {known.upper(): known for known in self._keys}
        upper = key.upper()
        if upper in self._by_upper:
            return self._by_upper[upper]
        edits = _edits(upper, self._ALPHABET)
        matches = sorted(
            self._by_upper[edit] for edit in edits if edit in self._by_upper
        )
        if matches:
            return matches[0]
        if len(self._keys) <= self._FUZZY_LIMIT:
            close = difflib.get_close_matches(key, self._keys, n=1, cutoff=0.75)
            return close[0] if close else None
        return None


def _edits(word: str, alphabet: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    swaps = {
        left + right[1] + right[0] + right[2:]
        for left, right in splits
        if len(right) > 1
    }
    replaces = {
        left + c + right[1:] for left, right in splits if right for c in alphabet
    }
    inserts = {left + c + right for left, right in splits for c in alphabet}
    return deletes | swaps | replaces | inserts


def _value_findings(
    env: EnvFile,
    specs: Mapping[str, KeySpec],
    values: Mapping[str, str | None],
) -> list[EnvFinding]:
    """Check required, placeholder, type and choice rules on each key's final value."""
    findings = []
    for key, entry in env.last_entries().items():
        spec = specs.get(key)
        if spec is None or not (spec.required or spec.value_type or spec.choices):
            continue
        finding = _value_finding(env.path, entry, spec, values.get(key) or "")
        if finding:
            findings.append(finding)
    return findings


def _value_finding(
    path: Path, entry: EnvEntry, spec: KeySpec, value: str
) -> EnvFinding | None:
    key, line = spec.key, entry.line
    if spec.required and not value:
        fix = f"set {key} in {path.name}{_described(spec)}"
        return EnvFinding(
            path, line, key, ERROR, "required-empty", "required but empty", fix
        )
    if spec.has_placeholder and entry.value == spec.default:
        message = "the value is still the example's placeholder"
        fix = f"replace it with your own value{_described(spec)}"
        return EnvFinding(path, line, key, ERROR, "placeholder", message, fix)
    problem = _value_problem(spec, value) if value else None
    if problem is None:
        return None
    rule, expected = problem
    displayed = MASK if spec.is_secret else repr(value)
    message = f"invalid value {displayed}: {expected}"
    fix = f"set {key} to {expected.removeprefix('expected ')}"
    return EnvFinding(path, line, key, ERROR, rule, message, fix)


# Secrets shorter than this get a warning. devenv.secrets.Masker never masks values
# under 4 characters, and masks short ones wherever they occur, even inside
# ordinary words, so a short secret is either shown or garbles unrelated text.
MIN_SECRET_LENGTH = 8


def _short_secret_findings(
    env: EnvFile, specs: Mapping[str, KeySpec], values: Mapping[str, str | None]
) -> list[EnvFinding]:
    """Warn about each secret whose value is set but shorter than MIN_SECRET_LENGTH."""
    findings = []
    for key, entry in env.last_entries().items():
        value = values.get(key)
        if not value or len(value) >= MIN_SECRET_LENGTH:
            continue
        if not _is_secret_key(key, specs):
            continue
        message = (
            f"the secret is shorter than {MIN_SECRET_LENGTH} characters, too short "
            "for devenv to mask reliably in its output"
        )
        fix = f"use a longer secret, of {MIN_SECRET_LENGTH} characters or more"
        findings.append(
            EnvFinding(env.path, entry.line, key, WARNING, "short-secret", message, fix)
        )
    return findings


def _described(spec: KeySpec) -> str:
    return f" ({spec.description})" if spec.description else ""
