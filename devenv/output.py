"""Terminal rendering for the CLI: progress, failure reports, tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from devenv.models import Diagnosis, Phase, ServiceProgress, Verdict, WaitResult

if TYPE_CHECKING:
    from devenv.secrets import Masker

SYMBOLS = {Phase.READY: "✔", Phase.WAITING: "…", Phase.FAILED: "✖"}
COLOURS = {Phase.READY: "\x1b[32m", Phase.WAITING: "\x1b[33m", Phase.FAILED: "\x1b[31m"}
RESET = "\x1b[0m"
SERVICE_COLOURS = ("\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[33m", "\x1b[32m", "\x1b[91m")


class ProgressView:
    """Shows waiting progress: a redrawn block on a terminal, plain lines when piped."""

    def __init__(self, services: Sequence[str] = (), stream: TextIO = sys.stdout) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._order = list(services)
        self._verdicts: dict[str, tuple[Verdict, float]] = {}
        self._drawn = 0
        self._width = max((len(s) for s in services), default=12)

    def update(self, event: ServiceProgress) -> None:
        if event.service not in self._order:
            self._order.append(event.service)
            self._width = max(self._width, len(event.service))
        self._verdicts[event.service] = (event.verdict, event.elapsed)
        if self._live:
            self._redraw()
        else:
            self._stream.write(self._line(event.service) + "\n")
            self._stream.flush()

    def _redraw(self) -> None:
        if self._drawn:
            self._stream.write(f"\x1b[{self._drawn}F")
        lines = [self._line(s) for s in self._order if s in self._verdicts]
        for line in lines:
            self._stream.write("\x1b[2K" + line + "\n")
        self._drawn = len(lines)
        self._stream.flush()

    def _line(self, service: str) -> str:
        verdict, elapsed = self._verdicts[service]
        symbol = SYMBOLS[verdict.phase]
        text = f"{symbol} {service:<{self._width}}  {verdict.reason}  ({elapsed:.1f}s)"
        if self._live:
            return f"{COLOURS[verdict.phase]}{text}{RESET}"
        return text


def render_result(result: WaitResult, profile: str) -> str:
    if result.ok and not result.waited:
        return (
            f"✔ {profile} started in {result.elapsed:.1f}s; not waiting for health. "
            f"`devenv status {profile}` shows it."
        )
    if result.ok:
        return f"✔ {profile} is up: every service is ready ({result.elapsed:.1f}s)."
    lines = []
    if result.timed_out:
        lines.append(
            f"✖ {profile} timed out after {result.elapsed:.0f}s; "
            f"{len(result.diagnoses)} service(s) not ready."
        )
    elif result.diagnoses:
        names = ", ".join(d.service for d in result.diagnoses)
        lines.append(f"✖ {profile} failed after {result.elapsed:.1f}s: {names}.")
    else:
        lines.append(
            f"✖ {profile} failed after {result.elapsed:.1f}s: `docker compose up` "
            "failed, so the running containers may not match the files."
        )
    for diagnosis in result.diagnoses:
        lines += render_diagnosis(diagnosis)
    if result.compose_error:
        lines += ["", "Compose reported:", f"  {result.compose_error}"]
    lines += ["", "The stack was left as it is for inspection. Next steps:"]
    lines += [f"  {step}" for step in result.next_steps]
    return "\n".join(lines)


def render_diagnosis(diagnosis: Diagnosis) -> list[str]:
    state = diagnosis.state
    lines = ["", f"Service {diagnosis.service}: {diagnosis.reason}"]
    lines.append(
        f"  state: {state.status}"
        + (f", health: {state.health}" if state.health else "")
        + (f", exit code: {state.exit_code}" if state.status == "exited" else "")
        + (f", restarts: {state.restart_count}" if state.restart_count else "")
    )
    if state.error:
        lines.append(f"  engine error: {state.error}")
    if diagnosis.probes:
        lines.append("  last health probes:")
        for probe in diagnosis.probes:
            output = _shorten(probe.output.replace("\n", " | ")) or "(no output)"
            lines.append(f"    exit {probe.exit_code}: {output}")
    if diagnosis.log_tail:
        lines.append(f"  last {len(diagnosis.log_tail)} log lines:")
        lines += [f"    {line}" for line in diagnosis.log_tail]
    elif state.container_id:
        lines.append("  log: (empty)")
    if diagnosis.blocked:
        lines.append(f"  blocked behind it: {', '.join(diagnosis.blocked)}")
    return lines


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def log_prefix(service: str, index: int, width: int, colour: bool) -> str:
    label = f"{service:<{width}} | "
    if not colour:
        return label
    return SERVICE_COLOURS[index % len(SERVICE_COLOURS)] + label + RESET


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_env_errors(report: Any, masker: Masker) -> str:
    """List the error findings of an env report, one line each, masked."""
    lines = []
    for finding in report.findings:
        if finding.severity != "error":
            continue
        where = f"{finding.file}:{finding.line}" if finding.line else f"{finding.file}"
        key = f"{finding.key}: " if finding.key else ""
        lines.append(
            masker.text(f"{where}: error: {key}{finding.message} (fix: {finding.fix})")
        )
    return "\n".join(lines)
