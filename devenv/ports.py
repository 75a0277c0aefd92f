"""Published ports of a profile, and what uses each one on this machine.

A holder is found in three steps: the port bindings of running containers
(from `docker inspect`), then the listening sockets in /proc/net and the
processes whose file descriptors point at them, then a test bind. Linux has
/proc; elsewhere only the first and last steps run.
"""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devenv import engine
from devenv.compose import RenderedProfile, published_ports
from devenv.errors import DevenvError, InputError, StackFailed
from devenv.port_sources import port_source, port_variables
from devenv.procnet import Listener, listeners, socket_owners

_WILDCARDS = {"", "0.0.0.0", "::"}


class PortInUse(StackFailed):
    """A port the profile publishes is in use by another container or process."""


class PortClash(InputError):
    """Two services of one profile publish the same host port."""


@dataclass(frozen=True)
class PublishedPort:
    """A host port that one service of the model publishes.

    `index` is the entry's position in the service's rendered `ports` list.
    """

    service: str
    host_ip: str
    port: int
    protocol: str
    index: int = 0

    @property
    def label(self) -> str:
        host = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"{host}:{self.port}/{self.protocol}"

    def clashes_with(self, other: PublishedPort) -> bool:
        """Tell whether both cannot be bound at once: same port, overlapping address."""
        return (
            self.port == other.port
            and self.protocol == other.protocol
            and addresses_overlap(self.host_ip, other.host_ip)
        )


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
    workspace: str
    profile: str


def model_ports(model: dict[str, Any]) -> list[PublishedPort]:
    """List every published host port of a rendered model, by service."""
    found = []
    for name, service in (model.get("services") or {}).items():
        for index, entry in enumerate(service.get("ports") or []):
            for host_ip, port, _, protocol in published_ports({"ports": [entry]}):
                found.append(PublishedPort(name, host_ip, port, protocol, index))
    return found


def port_clashes(model: dict[str, Any]) -> list[tuple[PublishedPort, ...]]:
    """Group the published ports that clash with each other within one model.

    Docker binds each host port once, so of two services publishing 15432 on
    127.0.0.1 the second fails to start. Only groups of two or more are returned.
    """
    groups: list[list[PublishedPort]] = []
    for port in model_ports(model):
        group = next(
            (g for g in groups if any(port.clashes_with(other) for other in g)), None
        )
        if group is None:
            groups.append([port])
        else:
            group.append(port)
    return [tuple(group) for group in groups if len(group) > 1]


def port_statuses(
    model: dict[str, Any],
    project: str,
    proc: Path = Path("/proc"),
    root: Path | None = None,
) -> list[PortStatus]:
    """Find the holder of each published port of the model.

    Containers of `project` itself are holders too, marked `own`, because
    running `up` again on a running stack is no conflict. `root` is this
    workspace's folder, so containers of its other profiles get a plain
    `devenv down` as their fix.
    """
    bindings = _container_bindings()
    listening = {protocol: listeners(proc, protocol) for protocol in ("tcp", "udp")}
    statuses = []
    for port in model_ports(model):
        holder = _container_holder(port, bindings, project, root)
        if holder is None:
            holder = _process_holder(port, listening.get(port.protocol, []), proc)
        if holder is None:
            holder = _bind_holder(port)
        statuses.append(PortStatus(port, holder))
    return statuses


def require_free_ports(rendered: RenderedProfile) -> None:
    """Check every published port before anything starts.

    Raises PortClash when two services of the profile publish the same port,
    and PortInUse, naming each holder, when another container or process
    uses one.
    """
    root = rendered.workspace.root
    fragments = rendered.profile.fragment_paths
    env_file = rendered.profile.env_file
    clashes = port_clashes(rendered.model)
    if clashes:
        sentences = []
        for clash in clashes:
            publishers, fix = explain_clash(clash, fragments, root, env_file)
            sentences.append(
                f"Port {clash[0].label}: {publishers}, but only one container can bind "
                f"it. Give each its own port: {fix}."
            )
        raise PortClash(
            " ".join(sentences) + " Nothing was started; run the command again "
            "once the ports differ."
        )
    statuses = port_statuses(rendered.model, rendered.project, root=root)
    conflicts = [(s.port, s.holder) for s in statuses if s.conflict and s.holder]
    if not conflicts:
        return
    lines = [
        f"Port {port.label} of service {port.service} is already in use by "
        f"{holder.description}."
        for port, holder in conflicts
    ]
    fixes = "; ".join(f"`{holder.fix}`" for _, holder in conflicts)
    variables = port_variables(fragments, [port for port, _ in conflicts])
    other_port = "publish the service on another port"
    if variables:
        setting = f"{_joined(variables, 'or')} in {_display(env_file, root)}"
        other_port += f" (set {setting})"
    raise PortInUse(
        " ".join(lines)
        + f" Nothing was started. Free the port ({fixes}) or {other_port}, "
        "then run the command again."
    )


def explain_clash(
    clash: Sequence[PublishedPort],
    fragments: Sequence[Path],
    root: Path,
    env_file: Path,
) -> tuple[str, str]:
    """Describe one group of clashing ports, and the step that resolves it.

    The description names the services and, where the fragments show it,
    the file, line and variable that sets each one's port.
    """
    services = list(dict.fromkeys(port.service for port in clash))
    if len(services) == 1:
        publishers = f"service {services[0]} publishes it {len(clash)} times"
    else:
        verb = "both publish" if len(services) == 2 else "all publish"
        publishers = f"services {_joined(services, 'and')} {verb} it"
    places = []
    for port in clash:
        source = port_source(fragments, port.service, port.index)
        if source is not None:
            where = f"{_display(source.path, root)}:{source.line}"
            used = (
                f" from {_joined(source.variables, 'or')}" if source.variables else ""
            )
            places.append(f"{port.service} at {where}{used}")
    if places:
        publishers += f" ({', '.join(places)})"
    variables = port_variables(fragments, clash)
    if variables:
        setting = f"{_joined(variables, 'or')} in {_display(env_file, root)}"
        fix = f"set {setting} so each port differs"
    else:
        fix = "publish one of them on another port in its fragment"
    return publishers, fix


def _joined(names: Sequence[str], word: str) -> str:
    """Join names as `a`, `a or b`, `a, b or c`."""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {word} {names[-1]}"


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


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
                            labels.get(engine.PROJECT_LABEL, ""),
                            labels.get(engine.WORKSPACE_LABEL, ""),
                            labels.get(engine.PROFILE_LABEL, ""),
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
    port: PublishedPort, bindings: list[_Binding], project: str, root: Path | None
) -> PortHolder | None:
    for binding in bindings:
        if (
            binding.port == port.port
            and binding.protocol == port.protocol
            and addresses_overlap(binding.host_ip, port.host_ip)
        ):
            own = bool(project) and binding.project == project
            if binding.workspace and binding.profile:
                return _devenv_holder(binding, root, own)
            where = f" (project {binding.project})" if binding.project else ""
            return PortHolder(
                f"container {binding.container}{where}",
                f"docker stop {binding.container}",
                own=own,
            )
    return None


def _devenv_holder(binding: _Binding, root: Path | None, own: bool) -> PortHolder:
    """Name a container that devenv started, and the `devenv down` that stops it.

    Stopping one container with `docker stop` would leave the rest of its
    stack running, and `devenv up` there would start it again.
    """
    profile = shlex.quote(binding.profile)
    if root is not None and binding.workspace == str(root):
        return PortHolder(
            f"container {binding.container} of this workspace's profile "
            f"{binding.profile}",
            f"devenv down {profile}",
            own=own,
        )
    return PortHolder(
        f"container {binding.container} of profile {binding.profile} in the "
        f"workspace {binding.workspace}",
        f"devenv --root {shlex.quote(binding.workspace)} down {profile}",
        own=own,
    )


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
