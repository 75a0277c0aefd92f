"""The start-up event and the warnings about rules the watcher cannot apply."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from devenv.watch.events import RuleSummary, WatchNotice, WatchStarted
from devenv.watch.rules import WatchRule

# A function from a host path to the text events show, relative to the workspace root.
Display = Callable[[Path], str]


def started_event(
    profile: str,
    rules: Sequence[WatchRule],
    display: Display,
    input_files: int,
    stopped_services: Sequence[str],
    stack_stopped: bool = False,
) -> WatchStarted:
    summaries = tuple(
        RuleSummary(rule.service, rule.action, display(rule.path), rule.target or "")
        for rule in rules
    )
    return WatchStarted(
        profile, summaries, input_files, tuple(stopped_services), stack_stopped
    )


def rule_notices(
    rules: Sequence[WatchRule],
    services: Mapping[str, Mapping[str, Any]],
    display: Display,
) -> Iterator[WatchNotice]:
    """Warn about rules that cannot work as written, and paths not created yet."""
    for rule in rules:
        path = display(rule.path)
        if rule.syncs and not rule.target:
            yield WatchNotice(
                f"{rule.service}: the {rule.action} rule for {path} has no "
                "target, so nothing is copied. Add `target:` to the rule.",
                service=rule.service,
            )
        if rule.action == "rebuild" and not services[rule.service].get("build"):
            yield WatchNotice(
                f"{rule.service}: the rebuild rule for {path} cannot build: the "
                "service has no `build:` section. Use a restart rule instead.",
                service=rule.service,
            )
        tmpfs = _tmpfs_mount(services[rule.service], rule.target or "")
        if rule.syncs and tmpfs:
            yield WatchNotice(
                f"{rule.service}: the target {rule.target} is inside the tmpfs mount "
                f"{tmpfs}, which copies do not reach (as with `docker cp`). Point "
                "the rule at a folder outside it.",
                service=rule.service,
            )
        if not rule.path.exists():
            yield WatchNotice(
                f"{rule.service}: {path} does not exist yet; it is synced "
                "once it is created.",
                level="info",
                service=rule.service,
            )


def _tmpfs_mount(service: Mapping[str, Any], target: str) -> str | None:
    """Return the tmpfs mount of a service that contains `target`, if any."""
    tmpfs = service.get("tmpfs") or []
    mounts = [tmpfs] if isinstance(tmpfs, str) else list(tmpfs)
    mounts = [mount.split(":", 1)[0] for mount in mounts]
    mounts += [
        str(volume.get("target"))
        for volume in service.get("volumes") or []
        if volume.get("type") == "tmpfs"
    ]
    for mount in mounts:
        if target == mount or target.startswith(mount.rstrip("/") + "/"):
            return mount
    return None
