"""Details of the selected service: image, probes, environment, ports, mounts."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from devenv.health import parse_timestamp
from devenv.secrets import Masker
from devenv.stack import ServiceStatus
from devenv.tui.rows import format_ports, profile_summary, service_detail

NO_SELECTION = "Select a service in the list above to see its details."


class DetailsPane(VerticalScroll):
    """Shows one service's details, or a profile's summary."""

    DEFAULT_CSS = """
    DetailsPane { height: 1fr; padding: 0 1; }
    """

    def compose(self):
        yield Static(NO_SELECTION, id="details-body")

    def show(self, content: RenderableType) -> None:
        self.query_one("#details-body", Static).update(content)


def service_details(profile: str, status: ServiceStatus, masker: Masker) -> Group:
    """Build the details of one service, with every secret masked."""
    state = status.state
    facts = _facts_table()
    facts.add_row(
        "Service", Text(f"{state.service}  (profile {profile})", style="bold")
    )
    facts.add_row("Container", state.container_name or "none: not created")
    facts.add_row("Image", state.image or "-")
    facts.add_row("State", _state_text(status))
    facts.add_row("Started", _time_text(state.started_at, "%Y-%m-%d %H:%M:%S UTC"))
    facts.add_row("Verdict", service_detail(status))
    facts.add_row("Ports", format_ports(state.ports))
    facts.add_row("Volumes", "\n".join(state.mounts) or "-")
    facts.add_row("Networks", "\n".join(state.networks) or "-")
    environment = masker.data(list(state.environment))
    facts.add_row("Environment", "\n".join(environment) or "-")
    return Group(facts, Text(""), _probes(status, masker))


def profile_details(
    profile: str, description: str, statuses: list[ServiceStatus]
) -> Group:
    facts = _facts_table()
    facts.add_row("Profile", Text(profile, style="bold"))
    facts.add_row("Description", description or "-")
    facts.add_row("Services", profile_summary(statuses))
    for status in statuses:
        facts.add_row(f"  {status.state.service}", service_detail(status))
    return Group(facts)


def _facts_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    return table


def _state_text(status: ServiceStatus) -> str:
    state = status.state
    parts = [state.status]
    if state.health:
        parts.append(f"health {state.health}")
    if state.status == "exited":
        parts.append(f"exit code {state.exit_code}")
    parts.append(f"restarts {state.restart_count}")
    if state.oom_killed:
        parts.append("killed: out of memory")
    if state.error:
        parts.append(f"engine error: {state.error}")
    return ", ".join(parts)


def _time_text(stamp: str, layout: str) -> str:
    parsed = parse_timestamp(stamp)
    return parsed.strftime(layout) if parsed else "-"


def _probes(status: ServiceStatus, masker: Masker) -> RenderableType:
    """List the health probes the engine kept (up to 5), newest last."""
    probes = status.state.probes
    if not probes:
        return Text("Health probes: none recorded", style="dim")
    table = Table(title="Health probes (newest last)", title_justify="left", box=None)
    table.add_column("STARTED", no_wrap=True)
    table.add_column("EXIT", justify="right")
    table.add_column("OUTPUT", overflow="fold")
    for probe in probes:
        style = "green" if probe.exit_code == 0 else "red"
        output = masker.text(probe.output) or "(no output)"
        started = _time_text(probe.start, "%H:%M:%S")
        table.add_row(started, Text(str(probe.exit_code), style=style), output)
    return table
