"""Published ports of a profile, and what uses each one on this machine.

A holder is found in three steps: the port bindings of running containers
(from `docker inspect`), then the listening sockets in /proc/net and the
processes whose file descriptors point at them, then a test bind. Linux has
/proc; elsewhere only the first and last steps run.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devenv import engine
from devenv.compose import RenderedProfile, published_ports
from devenv.errors import DevenvError, StackFailed
from devenv.procnet import Listener, listeners, socket_owners

_WILDCARDS = {"", "0.0.0.0", "::"}


class PortInUse(StackFailed):
    """A port the profile publishes is in use by another container or process."""


@dataclass(frozen=True)
class PublishedPort:
    """A host port that one service of the model publishes."""

    service: str
    host_ip: str
    port: int
    protocol: str

    @property
    def label(self) -> str:
        host = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"{host}:{self.port}/{self.protocol}"


@dataclass(frozen=True)
class PortHolder:
    """The container or process using a port, and the command that frees it."""

    description: str
    fix: str
    own: bool = False


@dataclass(frozen=True)
class PortStatus:
    """A published port and its holder, or None when it is free."""

    port: PublishedPort
    holder: PortHolder | None

    @property
    def conflict(self) -> bool:
        return self.holder is not None and not self.holder.own


@dataclass(frozen=True)
class _Binding:
    host_ip: str
    port: int
    protocol: str
    container: str
    project: str


def model_ports(model: dict[str, Any]) -> list[PublishedPort]:
    """List every published host port of a rendered model, by service."""
    found = []
    for name, service in (model.get("services") or {}).items():
        for host_ip, port, _, protocol in published_ports(service):
            found.append(PublishedPort(name, host_ip, port, protocol))
    return found


def port_statuses(
    model: dict[str, Any], project: str, proc: Path = Path("/proc")
) -> list[PortStatus]:
    """Find the holder of each published port of the model.

    Containers of `project` itself are holders too, marked `own`, because
    running `up` again on a running stack is no conflict.
    """
    bindings = _container_bindings()
    listening = {protocol: listeners(proc, protocol) for protocol in ("tcp", "udp")}
    statuses = []
    for port in model_ports(model):
        holder = _container_holder(port, bindings, project)
        if holder is None:
            holder = _process_holder(port, listening.get(port.protocol, []), proc)
        if holder is None:
            holder = _bind_holder(port)
        statuses.append(PortStatus(port, holder))
    return statuses


def require_free_ports(rendered: RenderedProfile) -> None:
    """Raise PortInUse, naming each holder, when a published port is taken."""
    conflicts = [
        s for s in port_statuses(rendered.model, rendered.project) if s.conflict
    ]
    if not conflicts:
        return
    lines = [
        f"Port {s.port.label} of service {s.port.service} is already in use by "
        f"{s.holder.description}."
        for s in conflicts
        if s.holder is not None
    ]
    fixes = "; ".join(f"`{s.holder.fix}`" for s in conflicts if s.holder is not None)
    raise PortInUse(
        " ".join(lines)
        + f" Nothing was started. Free the port ({fixes}) or publish the service "
        "on another port, then run the command again."
    )


def _container_bindings() -> list[_Binding]:
    """Host ports that running containers publish; none when the engine is down."""
    try:
        ids = engine.list_container_ids({}, include_stopped=False)
        records = engine.inspect_containers(ids)
    except DevenvError:
        return []
    bindings = []
    for record in records:
        name = str(record.get("Name", "")).lstrip("/")
        labels = (record.get("Config") or {}).get("Labels") or {}
        project = labels.get(engine.PROJECT_LABEL, "")
        ports = (record.get("NetworkSettings") or {}).get("Ports") or {}
        for container_port, hosts in ports.items():
            protocol = container_port.partition("/")[2] or "tcp"
            for host in hosts or []:
                if str(host.get("HostPort", "")).isdigit():
                    bindings.append(
                        _Binding(
                            str(host.get("HostIp") or ""),
                            int(host["HostPort"]),
                            protocol,
                            name,
                            project,
                        )
                    )
    return bindings


def addresses_overlap(first: str, second: str) -> bool:
    """Tell whether two bind addresses can clash: equal, or either a wildcard."""
    if first in _WILDCARDS or second in _WILDCARDS:
        return True
    try:
        return ipaddress.ip_address(first) == ipaddress.ip_address(second)
    except ValueError:
        return first == second


def _container_holder(
    port: PublishedPort, bindings: list[_Binding], project: str
) -> PortHolder | None:
    for binding in bindings:
        if (
            binding.port == port.port
            and binding.protocol == port.protocol
            and addresses_overlap(binding.host_ip, port.host_ip)
        ):
            own = bool(project) and binding.project == project
            where = f" (project {binding.project})" if binding.project else ""
            return PortHolder(
                f"container {binding.container}{where}",
                f"docker stop {binding.container}",
                own=own,
            )
    return None


def _process_holder(
    port: PublishedPort, listening: list[Listener], proc: Path
) -> PortHolder | None:
    matches = [
        item
        for item in listening
        if item.port == port.port and addresses_overlap(item.address, port.host_ip)
    ]
    if not matches:
        return None
    owners = socket_owners(proc, {item.inode for item in matches})
    for item in matches:
        if item.inode in owners:
            pid, name = owners[item.inode]
            return PortHolder(f"process {name} (pid {pid})", f"kill {pid}")
    return PortHolder(
        f"a process of user {matches[0].user}, which devenv cannot see",
        f"sudo ss -lpn 'sport = :{port.port}'",
    )


def _bind_holder(port: PublishedPort) -> PortHolder | None:
    """Find a holder that the earlier steps missed by binding the port.

    A failed bind means that something devenv cannot see uses the port, or
    that no interface of this machine has the address.
    """
    if port.protocol not in ("tcp", "udp"):
        return None
    problem = test_bind(port.host_ip or "0.0.0.0", port.port, port.protocol)
    if problem is None or problem == errno.EACCES:
        # Docker binds privileged ports as root, so EACCES does not mean in use.
        return None
    if problem == errno.EADDRNOTAVAIL:
        return PortHolder(
            f"nothing: no network interface of this machine has address {port.host_ip}",
            "publish the port on 127.0.0.1",
        )
    return PortHolder("an unknown process", f"sudo ss -lpn 'sport = :{port.port}'")


def test_bind(host_ip: str, port: int, protocol: str) -> int | None:
    """Bind and close a socket on the address; return the errno, or None if free."""
    family = socket.AF_INET6 if ":" in host_ip else socket.AF_INET
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as probe:
        # Lets the bind succeed over connections in TIME_WAIT, which do not
        # stop Docker either; a listening socket still makes it fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host_ip, port))
        except OSError as error:
            return error.errno
    return None
