"""Listening sockets from /proc/net, and the processes that own them (Linux only)."""

from __future__ import annotations

import ipaddress
import os
import pwd
import sys
from dataclasses import dataclass
from pathlib import Path

_TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    """A socket bound to a local port: its address, port, inode and owner."""

    address: str
    port: int
    inode: int
    user: str


def listeners(proc: Path, protocol: str) -> list[Listener]:
    """Read the TCP sockets in LISTEN state, or every bound UDP socket.

    Returns [] where /proc/net does not exist, as on macOS.
    """
    found = []
    for name in (protocol, f"{protocol}6"):
        try:
            lines = (proc / "net" / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or (protocol == "tcp" and fields[3] != _TCP_LISTEN):
                continue
            address, _, port = fields[1].partition(":")
            found.append(
                Listener(
                    _decode_address(address),
                    int(port, 16),
                    int(fields[9]),
                    _user_name(int(fields[7])),
                )
            )
    return found


def _decode_address(text: str) -> str:
    """Decode a /proc/net address: hex, each 32-bit word in host byte order."""
    raw = bytes.fromhex(text)
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def socket_owners(proc: Path, inodes: set[int]) -> dict[int, tuple[int, str]]:
    """Map socket inodes to (pid, process name) by reading /proc/PID/fd links.

    Processes of other users are skipped when their fd folders cannot be read.
    """
    targets = {f"socket:[{inode}]": inode for inode in inodes}
    owners: dict[int, tuple[int, str]] = {}
    try:
        pids = [entry for entry in os.scandir(proc) if entry.name.isdigit()]
    except OSError:
        return owners
    for entry in pids:
        for inode in _sockets_of(Path(entry.path), targets):
            owners.setdefault(inode, (int(entry.name), _process_name(Path(entry.path))))
        if len(owners) == len(targets):
            break
    return owners


def _sockets_of(process: Path, targets: dict[str, int]) -> list[int]:
    found = []
    try:
        descriptors = list(os.scandir(process / "fd"))
    except OSError:
        return found
    for descriptor in descriptors:
        try:
            link = os.readlink(descriptor.path)
        except OSError:
            continue
        if link in targets:
            found.append(targets[link])
    return found


def _process_name(process: Path) -> str:
    try:
        return (process / "comm").read_text().strip() or "unknown"
    except OSError:
        return "unknown"
