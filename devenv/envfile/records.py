"""Records shared by the env checks: parsed statements, key specs and findings."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from devenv.profiles import Profile
from devenv.secrets import Masker, is_secret_name
from devenv.workspace import Workspace

ERROR = "error"
WARNING = "warning"

# The rule code of each kind of finding, as `devenv env check --json` reports it.
RULES = {
    "syntax": "a line python-dotenv cannot parse",
    "duplicate": "a key set more than once in one file",
    "missing": "a key of .env.example absent from .env",
    "unknown": "a key of .env that .env.example does not document",
    "required-empty": "a required key with an empty value",
    "placeholder": "a required key whose value is still the example's placeholder",
    "type": "a value that does not fit its `type:` annotation",
    "choice": "a value outside its `one of:` list",
    "undocumented": "a variable that a fragment uses and .env.example lacks",
    "not-ignored": "an env file that git does not ignore",
    "permissions": "an env file with secrets that other users may read",
    "parser-mismatch": "a key that Compose reads differently from python-dotenv",
    "compose-rejects": "an env file that Compose cannot read",
    "no-env": "no env file",
    "no-example": "no .env.example",
    "annotation": "an annotation in .env.example that devenv cannot use",
    "short-secret": "a secret value too short to mask reliably in output",
    "outside-workspace": "a profile's env file outside the workspace",
}
_PLACEHOLDER = re.compile(
    r"^<.*>$|change[-_ ]?me|replace[-_ ]?me|your[-_ ]|^todo$|^x{3,}$", re.IGNORECASE
)


# EnvEntry and KeySpec are NamedTuples rather than frozen dataclasses because a file
# yields one per line. On CPython 3.11 a NamedTuple is created in about a sixth of
# the time, which matters for a 10,000-key file checked before every `devenv up`.


class EnvEntry(NamedTuple):
    """One `KEY=value` statement as python-dotenv reads it, before expansion."""

    key: str
    value: str | None  # None for a bare `KEY` line without `=`
    line: int
    end_line: int  # differs from `line` for a multi-line quoted value


@dataclass(frozen=True)
class InvalidLine:
    """A statement python-dotenv cannot parse; `key` is a best guess and may be ''."""

    line: int
    key: str
    reason: str
    fix: str


@dataclass(frozen=True)
class EnvFile:
    """A parsed env file, with what `env init` needs to rewrite it in place."""

    path: Path
    entries: tuple[EnvEntry, ...]
    comments: Mapping[int, str] = field(compare=False)  # line -> text after `#`
    invalid: tuple[InvalidLine, ...]
    lines: tuple[str, ...] = field(repr=False)  # the text split on "\n"
    newline: str = "\n"
    bom: bool = False

    def last_entries(self) -> dict[str, EnvEntry]:
        """Map each key to its last statement, the one whose value wins."""
        return {entry.key: entry for entry in self.entries}


class KeySpec(NamedTuple):
    """A key documented in `.env.example`, with its annotations."""

    key: str
    default: str  # the example's value as written
    line: int
    description: str = ""
    required: bool = False
    secret: bool = False
    value_type: str = ""  # a key of VALUE_TYPES, or '' for any text
    choices: tuple[str, ...] = ()

    @property
    def is_secret(self) -> bool:
        return self.secret or is_secret_name(self.key)

    @property
    def has_placeholder(self) -> bool:
        """Whether the example's value only shows where the developer's value goes."""
        if not (self.required and self.default):
            return False
        return self.is_secret or bool(_PLACEHOLDER.search(self.default))

    @property
    def needs_value(self) -> bool:
        """Whether `env init` must ask for the value instead of copying the example's."""
        return self.required and (not self.default or self.has_placeholder)


@dataclass(frozen=True)
class EnvFinding:
    """One problem found in `.env`, `.env.example` or a fragment; line 0 is the file."""

    file: Path
    line: int
    key: str
    severity: str  # ERROR or WARNING
    rule: str  # a key of RULES
    message: str
    fix: str

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        return {
            "file": display_path(self.file, root),
            "line": self.line,
            "key": self.key,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class EnvReport:
    """The result of `check_environment`: findings, and the secrets to mask."""

    env_path: Path
    example_path: Path
    findings: tuple[EnvFinding, ...]
    compose_status: str  # "compared" or "skipped"
    compose_skip_reason: str = ""
    # Collects the secret values when `masker()` is called, so a caller that prints
    # nothing, such as `devenv up` on a clean file, never pays for it.
    secret_values: Callable[[], frozenset[str]] = field(
        default=frozenset, repr=False, compare=False
    )

    @property
    def has_errors(self) -> bool:
        return any(finding.severity == ERROR for finding in self.findings)

    @property
    def error_count(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == WARNING)

    def masker(self) -> Masker:
        return Masker(self.secret_values())


def display_path(path: Path, root: Path | None) -> str:
    """Show `path` relative to `root` when it lies inside it."""
    if root is not None and path.is_relative_to(root):
        return str(path.relative_to(root))
    return str(path)


def env_path_for(workspace: Workspace, profile: Profile | None) -> Path:
    return profile.env_file if profile is not None else workspace.root / ".env"
