"""Turning a batch of file changes into what each service needs: the reload plan."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from devenv.watch.ignore import PatternSet, read_dockerignore
from devenv.watch.rules import BindMount, ExecSpec, WatchRule

# Change kinds, as the file watcher reports them.
ADDED = "added"
MODIFIED = "modified"
DELETED = "deleted"

Changes = Mapping[Path, frozenset[str]]


@dataclass(frozen=True)
class Copy:
    """One host file or folder entry to extract into a container folder."""

    source: Path
    directory: str
    name: str


@dataclass
class ServicePlan:
    """Work for one service after a batch: files to copy and delete, then actions."""

    service: str
    copies: dict[tuple[str, str], Copy] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    execs: list[ExecSpec] = field(default_factory=list)
    restart: bool = False
    rebuild: bool = False
    changed: set[Path] = field(default_factory=set)
    through_bind: int = 0

    @property
    def syncs(self) -> bool:
        return bool(self.copies or self.deletes)

    def minimal_deletes(self) -> list[str]:
        """Return the deleted container paths without those inside another one."""
        kept: list[str] = []
        for path in sorted(self.deletes):
            if not any(path.startswith(parent.rstrip("/") + "/") for parent in kept):
                kept.append(path)
        return kept


class Planner:
    """Maps changed host paths to the rules that cover them, service by service."""

    def __init__(
        self,
        rules: Sequence[WatchRule],
        binds: Mapping[str, Sequence[BindMount]],
        contexts: Mapping[str, Path],
    ) -> None:
        self.rules = list(rules)
        self.binds = binds
        self.contexts = contexts
        self._dockerignores: dict[Path, tuple[tuple[int, int], PatternSet]] = {}

    def plan(self, changes: Changes) -> dict[str, ServicePlan]:
        """Build one plan per affected service from a batch of changes."""
        plans: dict[str, ServicePlan] = {}
        for path, kinds in sorted(changes.items()):
            operation = _operation(path, kinds)
            if operation is None:
                continue
            for rule in self.rules:
                relative = rule.relative(path)
                if relative is None or self._ignored(rule, path, relative):
                    continue
                plan = plans.setdefault(rule.service, ServicePlan(rule.service))
                self._apply(plan, rule, path, relative, operation)
        return plans

    def initial_plan(self, rule: WatchRule) -> ServicePlan:
        """Plan a copy of everything under a sync rule's path, for `initial_sync`."""
        plan = ServicePlan(rule.service)
        if rule.path.is_dir():
            self._add_tree(plan, rule, rule.path)
        elif rule.path.exists():
            self._add_copy(plan, rule, rule.path, ".")
        return plan

    def _apply(
        self,
        plan: ServicePlan,
        rule: WatchRule,
        path: Path,
        relative: str,
        operation: str,
    ) -> None:
        plan.changed.add(path)
        if rule.syncs and rule.target:
            if operation == "tree":
                self._add_tree(plan, rule, path)
            elif operation == "copy":
                self._add_copy(plan, rule, path, relative)
            else:
                self._add_delete(plan, rule, path, relative)
        if rule.action in ("restart", "sync+restart"):
            plan.restart = True
        if rule.action == "rebuild":
            plan.rebuild = True
        if rule.exec is not None and rule.exec not in plan.execs:
            plan.execs.append(rule.exec)

    def _add_copy(
        self, plan: ServicePlan, rule: WatchRule, path: Path, relative: str
    ) -> None:
        container_path = rule.container_path(relative)
        if self._visible_through_bind(plan.service, path, container_path):
            plan.through_bind += 1
            return
        if relative == ".":
            # The rule names a single file: extract it under the target's name.
            target = PurePosixPath(container_path)
            copy = Copy(path, str(target.parent), target.name)
        else:
            copy = Copy(path, rule.target or "/", relative)
        plan.copies[(copy.directory, copy.name)] = copy

    def _add_delete(
        self, plan: ServicePlan, rule: WatchRule, path: Path, relative: str
    ) -> None:
        container_path = rule.container_path(relative)
        if self._visible_through_bind(plan.service, path, container_path):
            plan.through_bind += 1
            return
        plan.deletes.add(container_path)

    def _add_tree(self, plan: ServicePlan, rule: WatchRule, folder: Path) -> None:
        def skipped(path: Path) -> bool:
            relative = rule.relative(path)
            return relative is None or self._ignored(rule, path, relative)

        for path in _walk(folder, skipped):
            relative = rule.relative(path)
            if relative is not None and relative != ".":
                self._add_copy(plan, rule, path, relative)

    def _ignored(self, rule: WatchRule, path: Path, relative: str) -> bool:
        if rule.ignores(relative):
            return True
        context = self.contexts.get(rule.service)
        if context is None:
            return False
        try:
            inside = path.relative_to(context).as_posix()
        except ValueError:
            return False
        return inside != "." and self._dockerignore(context).matches(inside)

    def _dockerignore(self, context: Path) -> PatternSet:
        """Read the context's `.dockerignore`, again only after it changed on disk."""
        try:
            info = (context / ".dockerignore").stat()
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = (-1, -1)
        cached = self._dockerignores.get(context)
        if cached is None or cached[0] != stamp:
            cached = (stamp, read_dockerignore(context))
            self._dockerignores[context] = cached
        return cached[1]

    def _visible_through_bind(
        self, service: str, host: Path, container_path: str
    ) -> bool:
        """Tell whether a bind mount already shows this host path at container_path."""
        mounts = sorted(
            self.binds.get(service, ()), key=lambda m: len(m.target), reverse=True
        )
        for mount in mounts:
            target = mount.target.rstrip("/")
            if container_path == (target or "/"):
                return mount.source == host
            if container_path.startswith(target + "/"):
                return mount.source / container_path[len(target) + 1 :] == host
        return False


def _operation(path: Path, kinds: frozenset[str]) -> str | None:
    """Decide what a changed path needs: copy, tree (new folder), delete, or nothing."""
    if not os.path.lexists(path):
        # Created and removed within one batch: an editor's temporary file.
        return None if ADDED in kinds else "delete"
    if path.is_dir() and not path.is_symlink():
        # A folder's own modified events only echo changes to its entries.
        return "tree" if ADDED in kinds else None
    return "copy"


def _walk(folder: Path, skipped: Callable[[Path], bool]) -> Iterator[Path]:
    """Yield `folder` and everything below it that is not skipped.

    Skipped folders are not entered, and symlinks are not followed.
    """
    if skipped(folder):
        return
    yield folder
    for parent, folders, files in os.walk(folder):
        base = Path(parent)
        folders[:] = sorted(name for name in folders if not skipped(base / name))
        for name in folders:
            yield base / name
        for name in sorted(files):
            if not skipped(base / name):
                yield base / name
