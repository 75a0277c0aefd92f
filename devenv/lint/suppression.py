"""Suppression comments: `# devenv: ignore[RULE] reason` on a line or the line above."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from devenv.lint.dockerfile import Dockerfile
from devenv.lint.findings import RULES, Finding, finding

_MARKER = re.compile(r"devenv:\s*ignore\[([^\]]*)\](.*)$")
# Rules about the suppressions themselves, and files that failed to load, stay.
_UNSUPPRESSIBLE = {"DV001", "DV002", "DV100"}


@dataclass(frozen=True)
class Suppression:
    """One suppression comment: the rules it names and the reason given.

    A comment on a line of its own covers the next line; one after a value
    covers only its own line.
    """

    path: Path
    line: int
    rules: tuple[str, ...]
    reason: str
    whole_line: bool = True

    @property
    def covered_lines(self) -> tuple[int, ...]:
        return (self.line, self.line + 1) if self.whole_line else (self.line,)


def parse_marker(
    path: Path, line: int, comment: str, whole_line: bool = True
) -> Suppression | None:
    """Parse a suppression from a comment's text (after `#`); None for other comments."""
    match = _MARKER.match(comment.strip())
    if match is None:
        return None
    rules = tuple(
        part.strip().upper() for part in match.group(1).split(",") if part.strip()
    )
    reason = match.group(2).strip().lstrip("-:—").strip()
    if not any(character.isalnum() for character in reason):
        reason = ""
    return Suppression(path, line, rules, reason, whole_line)


def yaml_suppressions(path: Path) -> list[Suppression]:
    """Suppressions in a YAML file's comments, whole-line or after a value."""
    found = []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer("#", line):
            whole_line = not line[: match.start()].strip()
            suppression = parse_marker(path, number, line[match.end() :], whole_line)
            if suppression is not None:
                found.append(suppression)
                break
    return found


def dockerfile_suppressions(dockerfile: Dockerfile) -> list[Suppression]:
    found = []
    for line, comment in dockerfile.comments:
        suppression = parse_marker(dockerfile.path, line, comment)
        if suppression is not None:
            found.append(suppression)
    return found


def apply_suppressions(
    findings: Iterable[Finding], suppressions: Iterable[Suppression]
) -> list[Finding]:
    """Drop the findings on lines that a suppression with a reason covers."""
    allowed = {
        (item.path, line, rule)
        for item in suppressions
        if item.reason
        for rule in item.rules
        for line in item.covered_lines
    }
    return [
        item
        for item in findings
        if item.rule in _UNSUPPRESSIBLE
        or (item.path, item.line, item.rule) not in allowed
    ]


def suppression_findings(suppressions: Iterable[Suppression]) -> list[Finding]:
    """DV001 for a suppression without a reason, DV002 for each unknown rule id."""
    findings = []
    for item in suppressions:
        if not item.reason:
            findings.append(
                finding(
                    "DV001",
                    item.path,
                    item.line,
                    f"Suppression of {', '.join(item.rules) or 'no rule'} gives no "
                    "reason, so it suppresses nothing.",
                )
            )
        for rule in item.rules:
            if rule not in RULES:
                findings.append(
                    finding(
                        "DV002",
                        item.path,
                        item.line,
                        f"Suppression names {rule}, which is not a devenv lint rule.",
                    )
                )
        if not item.rules:
            findings.append(
                finding("DV002", item.path, item.line, "Suppression names no rule.")
            )
    return findings
