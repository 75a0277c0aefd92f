"""Watch rules read from the `develop.watch` entries of a rendered Compose model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from devenv.errors import InputError
from devenv.watch.ignore import PatternSet, is_default_ignored

SYNC_ACTIONS = frozenset({"sync", "sync+restart", "sync+exec"})
ACTIONS = SYNC_ACTIONS | {"rebuild", "restart"}


@dataclass(frozen=True)
class ExecSpec:
    """The command a `sync+exec` rule runs in the container after syncing."""

    command: tuple[str, ...]
    user: str | None = None
    workdir: str | None = None
    environment: tuple[str, ...] = ()
    privileged: bool = False


@dataclass(frozen=True)
class WatchRule:
    """One `develop.watch` entry of one service, with its path made absolute."""

    service: str
    action: str
    path: Path
    target: str | None
    ignore: PatternSet
    initial_sync: bool = False
    exec: ExecSpec | None = None

    @property
    def syncs(self) -> bool:
        return self.action in SYNC_ACTIONS

    def relative(self, host_path: Path) -> str | None:
        """Return host_path relative to the rule's path, or None when outside it."""
        if host_path == self.path:
            return "."
        try:
            return host_path.relative_to(self.path).as_posix()
        except ValueError:
            return None

    def ignores(self, relative: str) -> bool:
        if relative == ".":
            return False
        return is_default_ignored(relative) or self.ignore.matches(relative)

    def container_path(self, relative: str) -> str:
        assert self.target is not None
        if relative == ".":
            return self.target
        return str(PurePosixPath(self.target) / relative)


@dataclass(frozen=True)
class BindMount:
    """A host folder or file mounted into a service's containers."""

    source: Path
    target: str


def rules_from_model(model: Mapping[str, Any]) -> list[WatchRule]:
    """Read every service's `develop.watch` entries, in the model's order."""
    rules = []
    for service, definition in (model.get("services") or {}).items():
        develop = definition.get("develop") or {}
        for entry in develop.get("watch") or []:
            rules.append(_rule(service, entry))
    return rules


def _rule(service: str, entry: Mapping[str, Any]) -> WatchRule:
    action = str(entry.get("action") or "")
    if action not in ACTIONS:
        raise InputError(
            f"Service {service!r} has a develop.watch rule with action {action!r}; "
            f"use one of {', '.join(sorted(ACTIONS))}."
        )
    path = entry.get("path")
    if not path:
        raise InputError(
            f"Service {service!r} has a develop.watch rule without a path."
        )
    return WatchRule(
        service=service,
        action=action,
        path=Path(path),
        target=entry.get("target") or None,
        ignore=PatternSet(entry.get("ignore") or ()),
        initial_sync=bool(entry.get("initial_sync")),
        exec=_exec_spec(entry.get("exec") or {}),
    )


def _exec_spec(entry: Mapping[str, Any]) -> ExecSpec | None:
    command = entry.get("command")
    if not command:
        return None
    environment = entry.get("environment") or {}
    if isinstance(environment, Mapping):
        environment = [f"{key}={value}" for key, value in environment.items()]
    return ExecSpec(
        command=tuple(command) if isinstance(command, list) else (str(command),),
        user=entry.get("user") or None,
        workdir=entry.get("working_dir") or None,
        environment=tuple(str(item) for item in environment),
        privileged=bool(entry.get("privileged")),
    )


def bind_mounts(model: Mapping[str, Any]) -> dict[str, tuple[BindMount, ...]]:
    """Map each service to its bind mounts, read from the rendered `volumes`."""
    mounts = {}
    for service, definition in (model.get("services") or {}).items():
        mounts[service] = tuple(
            BindMount(Path(volume["source"]), str(volume["target"]))
            for volume in definition.get("volumes") or []
            if volume.get("type") == "bind" and volume.get("source")
        )
    return mounts


def build_contexts(model: Mapping[str, Any]) -> dict[str, Path]:
    """Map each service that has a local `build.context` to that folder."""
    contexts = {}
    for service, definition in (model.get("services") or {}).items():
        context = str((definition.get("build") or {}).get("context") or "")
        if context.startswith("/"):
            contexts[service] = Path(context)
    return contexts


def watch_folders(
    rules: Sequence[WatchRule], flat: Iterable[Path] = ()
) -> tuple[set[Path], set[Path]]:
    """Choose the folders to watch: (recursive ones, flat ones).

    A rule's folder is watched recursively and its parent flat, so the
    folder's deletion and re-creation are seen. A rule naming a file, or a
    path that does not exist yet, is watched through its nearest existing
    parent folder, flat.
    """
    recursive: set[Path] = set()
    flat_folders = {folder for folder in flat if folder.is_dir()}
    for rule in rules:
        if rule.path.is_dir():
            recursive.add(rule.path)
        flat_folders.add(_nearest_folder(rule.path.parent))
    nested = {path for path in recursive if any(p in path.parents for p in recursive)}
    return recursive - nested, flat_folders


def _nearest_folder(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path("/")
