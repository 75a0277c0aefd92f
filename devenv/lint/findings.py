"""The rule catalogue, and the findings and report that lint produces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One lint rule: its id, severity, what it checks and the usual fix."""

    id: str
    severity: str
    summary: str
    fix: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "DV001",
            ERROR,
            "suppression comment without a reason",
            "Write why after the rule id: `# devenv: ignore[DV107] reason`.",
        ),
        Rule(
            "DV002",
            WARNING,
            "suppression comment names an unknown rule",
            "Use a rule id that `devenv lint` reports, such as DV107.",
        ),
        Rule(
            "DV100",
            ERROR,
            "profile cannot be loaded or rendered",
            "Fix the file the message names, then run `devenv lint` again.",
        ),
        Rule(
            "DV101",
            ERROR,
            "long-running service without a health check",
            "Add a `healthcheck:` with a `test` that fails while the service "
            "cannot serve.",
        ),
        Rule(
            "DV102",
            ERROR,
            "service on the host network or Docker's default bridge",
            "Remove `network_mode` and put the service on a network the "
            "fragment declares under `networks:`.",
        ),
        Rule(
            "DV103",
            WARNING,
            "anonymous volume",
            "Name the volume (`name:/path`) and declare it under the top-level "
            "`volumes:`, so `down` keeps the data.",
        ),
        Rule(
            "DV104",
            ERROR,
            "hard-coded secret in the environment",
            "Replace the value with a `${VAR}` reference and document VAR in "
            ".env.example.",
        ),
        Rule(
            "DV105",
            ERROR,
            "variable not documented in .env.example",
            "Add the variable to .env.example with a comment saying what it sets.",
        ),
        Rule(
            "DV106",
            ERROR,
            "image not pinned to a tag",
            "Name a version tag or digest, such as `postgres:15-bookworm`.",
        ),
        Rule(
            "DV107",
            ERROR,
            "port published on all interfaces",
            'Bind the port to the loopback address: "127.0.0.1:HOST:CONTAINER".',
        ),
        Rule(
            "DV108",
            ERROR,
            "privileged container",
            "Remove `privileged: true`; grant only the capabilities it needs "
            "with `cap_add:`.",
        ),
        Rule(
            "DV109",
            ERROR,
            "Docker socket mounted into a container",
            "Remove the mount: the socket gives the container root on the host.",
        ),
        Rule(
            "DV201",
            WARNING,
            "build tools in the final image",
            "Build in a first stage (`FROM ... AS build`) and copy only the "
            "results into the final stage.",
        ),
        Rule(
            "DV202",
            ERROR,
            "final stage runs as root",
            "Create a user and add `USER name` to the final stage.",
        ),
        Rule(
            "DV203",
            WARNING,
            "image without a HEALTHCHECK",
            "Add a `HEALTHCHECK CMD ...` to the final stage.",
        ),
        Rule(
            "DV204",
            ERROR,
            "base image not pinned to a tag",
            "Name a version tag or digest in FROM, such as `python:3.11-slim`.",
        ),
        Rule(
            "DV205",
            WARNING,
            "final base image is not slim, alpine or distroless",
            "Base the final stage on a -slim, -alpine or distroless image.",
        ),
        Rule(
            "DV206",
            WARNING,
            "source copied before the dependency manifests",
            "Copy the manifests (requirements.txt, package.json, go.mod...) "
            "and install the dependencies before `COPY . .`.",
        ),
        Rule(
            "DV207",
            ERROR,
            "secret in ENV or ARG",
            "Pass the secret at run time (environment or a secret mount), "
            "never as an image default.",
        ),
        Rule(
            "DV208",
            WARNING,
            "ADD of a remote URL",
            "Download with RUN and verify a checksum, or use `ADD --checksum=`.",
        ),
        Rule(
            "DV209",
            WARNING,
            "package cache left in the layer",
            "Clean the cache in the same RUN: `rm -rf /var/lib/apt/lists/*`, "
            "`pip install --no-cache-dir`, `apk add --no-cache`.",
        ),
    )
}


@dataclass(frozen=True, order=True)
class Finding:
    """A rule broken at one line of one file."""

    path: Path
    line: int
    rule: str
    message: str
    fix: str

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity


def finding(
    rule: str, path: Path, line: int, message: str, fix: str | None = None
) -> Finding:
    """Build a finding; without `fix`, it takes the rule's usual fix."""
    return Finding(path, line, rule, message, fix or RULES[rule].fix)


@dataclass(frozen=True)
class LintReport:
    """Every finding over some profiles of one workspace, sorted by file and line."""

    root: Path
    profiles: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for item in self.findings if item.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for item in self.findings if item.severity == WARNING)

    @property
    def has_errors(self) -> bool:
        return self.errors > 0

    @property
    def status(self) -> str:
        """Overall status: `failed` on any error, else `warnings` or `pass`."""
        if self.errors:
            return "failed"
        return "warnings" if self.warnings else "pass"

    def relative(self, path: Path) -> str:
        """Show a path relative to the workspace root when it lies inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
