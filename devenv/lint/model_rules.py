"""Rules over the model as Compose renders it, reported at the line written."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from devenv.compose import service_specs
from devenv.lint.findings import Finding, finding
from devenv.lint.fragments import Locator

_SHARED_NETWORK_MODES = {
    "host": "the host's network",
    "bridge": "Docker's default bridge network",
}


def check_model(
    model: dict[str, Any], locator: Locator, image_healthchecks: set[str]
) -> list[Finding]:
    """Run every rule over the rendered model.

    `image_healthchecks` names the services whose image, built by devenv from a
    Dockerfile, declares a HEALTHCHECK.
    """
    findings = missing_healthchecks(model, locator, image_healthchecks)
    for name, service in (model.get("services") or {}).items():
        for rule in _SERVICE_RULES:
            findings += rule(name, service, locator)
    return findings


def missing_healthchecks(
    model: dict[str, Any], locator: Locator, image_healthchecks: set[str]
) -> list[Finding]:
    """DV101: long-running services need a health check; one-shot jobs do not."""
    findings = []
    services = model.get("services") or {}
    for name, spec in service_specs(model).items():
        disabled = bool((services[name].get("healthcheck") or {}).get("disable"))
        if spec.one_shot or spec.has_healthcheck:
            continue
        if name in image_healthchecks and not disabled:
            continue
        path, line = locator.service_key(name, "healthcheck")
        reason = (
            "its health check is disabled" if disabled else "it has no health check"
        )
        findings.append(
            finding(
                "DV101",
                path,
                line,
                f"Service {name} runs until stopped but {reason}, so devenv can "
                "only wait for it to be running, not ready.",
            )
        )
    return findings


def shared_network(
    name: str, service: dict[str, Any], locator: Locator
) -> list[Finding]:
    """DV102: `network_mode: host` or `bridge` instead of a user-defined network."""
    mode = str(service.get("network_mode") or "")
    if mode not in _SHARED_NETWORK_MODES:
        return []
    path, line = locator.service_key(name, "network_mode")
    return [
        finding(
            "DV102",
            path,
            line,
            f"Service {name} uses `network_mode: {mode}`, which puts it on "
            f"{_SHARED_NETWORK_MODES[mode]} instead of the profile's own network.",
        )
    ]


def anonymous_volumes(
    name: str, service: dict[str, Any], locator: Locator
) -> list[Finding]:
    """DV103: a volume without a name is lost on `down` and piles up unused."""
    findings = []
    volumes = service.get("volumes") or []
    for index, volume in enumerate(volumes):
        if volume.get("type") != "volume" or volume.get("source"):
            continue
        path, line = locator.list_item(name, "volumes", index, len(volumes))
        findings.append(
            finding(
                "DV103",
                path,
                line,
                f"Service {name} mounts an anonymous volume at "
                f"{volume.get('target')}; its data is not kept by name.",
                f"Name it, as `{name}-data:{volume.get('target')}`, and declare "
                "the name under the top-level `volumes:`.",
            )
        )
    return findings


def unpinned_image(
    name: str, service: dict[str, Any], locator: Locator
) -> list[Finding]:
    """DV106: pulled images name a tag other than `latest`, or a digest."""
    image = str(service.get("image") or "")
    if not image or "build" in service:
        return []
    tag = image_tag(image)
    if tag not in ("", "latest"):
        return []
    path, line = locator.service_key(name, "image")
    problem = "the tag `latest`" if tag == "latest" else "no tag"
    return [
        finding(
            "DV106",
            path,
            line,
            f"Service {name} uses image {image} with {problem}, so each pull "
            "may bring a different version.",
        )
    ]


def image_tag(image: str) -> str:
    """Return an image reference's tag, `@digest` for a digest, or '' for none."""
    if "@" in image:
        return "@" + image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def public_ports(name: str, service: dict[str, Any], locator: Locator) -> list[Finding]:
    """DV107: published ports listen on loopback only, unless a suppression gives a reason."""
    findings = []
    ports = service.get("ports") or []
    for index, port in enumerate(ports):
        host_ip = str(port.get("host_ip") or "")
        if _is_loopback(host_ip):
            continue
        published = port.get("published") or "a random port"
        path, line = locator.list_item(name, "ports", index, len(ports))
        findings.append(
            finding(
                "DV107",
                path,
                line,
                f"Service {name} publishes {published} on all interfaces "
                f"({host_ip or '0.0.0.0'}), so other machines can reach it.",
                f'Bind it to the loopback address: "127.0.0.1:{published}:'
                f'{port.get("target")}".',
            )
        )
    return findings


def _is_loopback(host_ip: str) -> bool:
    try:
        return ipaddress.ip_address(host_ip.strip("[]")).is_loopback
    except ValueError:
        return False


def privileged(name: str, service: dict[str, Any], locator: Locator) -> list[Finding]:
    """DV108: `privileged: true` gives the container every capability of the host."""
    if service.get("privileged") is not True:
        return []
    path, line = locator.service_key(name, "privileged")
    return [
        finding(
            "DV108",
            path,
            line,
            f"Service {name} runs privileged, with full access to the host's devices "
            "and kernel.",
        )
    ]


def docker_socket(
    name: str, service: dict[str, Any], locator: Locator
) -> list[Finding]:
    """DV109: a bind mount of docker.sock lets the container control the engine."""
    findings = []
    volumes = service.get("volumes") or []
    for index, volume in enumerate(volumes):
        source = str(volume.get("source") or "")
        if volume.get("type") != "bind" or not source.endswith("docker.sock"):
            continue
        path, line = locator.list_item(name, "volumes", index, len(volumes))
        findings.append(
            finding(
                "DV109",
                path,
                line,
                f"Service {name} mounts the Docker socket {source}, which lets it "
                "start any container on the host.",
            )
        )
    return findings


_SERVICE_RULES: tuple[Callable[[str, dict[str, Any], Locator], list[Finding]], ...] = (
    shared_network,
    anonymous_volumes,
    unpinned_image,
    public_ports,
    privileged,
    docker_socket,
)
