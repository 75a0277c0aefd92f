"""Changes the watcher defers per service until it can apply them."""

from __future__ import annotations

from pathlib import Path

from devenv.watch.events import ActionDone
from devenv.watch.plan import Changes, Planner

# Changed paths and their change kinds, per service.
ChangesByService = dict[str, dict[Path, frozenset[str]]]


def merge_into(store: ChangesByService, service: str, changes: Changes) -> None:
    merged = store.setdefault(service, {})
    for path, kinds in changes.items():
        merged[path] = merged.get(path, frozenset()) | kinds


def track_deferred(
    deferred: ChangesByService, done: ActionDone, changes: Changes, planner: Planner
) -> None:
    """Defer the changes of a restart or rebuild that the engine could not carry out.

    A success instead drops the service's deferred changes that it covers.
    A rebuild covers all of them, and a restart all but those for a rebuild.
    """
    if done.retry_pending:
        merge_into(deferred, done.service, changes)
        return
    waiting = deferred.get(done.service)
    if not done.ok or waiting is None:
        return
    plan = planner.plan(waiting).get(done.service)
    if done.action == "rebuild" or plan is None or not plan.rebuild:
        del deferred[done.service]
