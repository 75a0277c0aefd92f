"""Deferred restarts and rebuilds, and the order in which restarts run."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.watch import ActionDone
from devenv.watch.actions import restart_order
from devenv.watch.deferred import track_deferred
from devenv.watch.plan import MODIFIED, Planner
from devenv.watch.rules import bind_mounts, build_contexts, rules_from_model


@pytest.fixture
def planner(tmp_path: Path) -> Planner:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print(1)\n")
    (tmp_path / "settings.ini").write_text("a=1\n")
    web = {
        "image": "web",
        "build": {"context": str(tmp_path / "src")},
        "develop": {
            "watch": [
                {"action": "restart", "path": str(tmp_path / "settings.ini")},
                {"action": "rebuild", "path": str(tmp_path / "src")},
            ]
        },
    }
    model = {"services": {"web": web}}
    return Planner(rules_from_model(model), bind_mounts(model), build_contexts(model))


def changes_of(planner: Planner, kind: str) -> dict[Path, frozenset[str]]:
    rule = next(rule for rule in planner.rules if rule.action == kind)
    path = rule.path / "app.py" if kind == "rebuild" else rule.path
    return {path: frozenset({MODIFIED})}


def done(action: str, ok: bool, retry_pending: bool = False) -> ActionDone:
    return ActionDone("web", action, (), 0.1, ok, "", retry_pending)


def test_failed_restart_is_deferred(planner: Planner) -> None:
    deferred: dict = {}
    changes = changes_of(planner, "restart")
    track_deferred(deferred, done("restart", False, True), changes, planner)
    assert deferred == {"web": changes}


def test_deferred_changes_merge(planner: Planner) -> None:
    restart = changes_of(planner, "restart")
    rebuild = changes_of(planner, "rebuild")
    deferred = {"web": dict(restart)}
    track_deferred(deferred, done("rebuild", False, True), rebuild, planner)
    assert deferred == {"web": {**restart, **rebuild}}


@pytest.mark.parametrize(
    ("waiting", "succeeded", "dropped"),
    [
        # A later restart covers a deferred restart.
        ("restart", done("restart", True), True),
        # A restart does not build the image a deferred rebuild needs.
        ("rebuild", done("restart", True), False),
        # A rebuild recreates the container, which covers both.
        ("restart", done("rebuild", True), True),
        ("rebuild", done("rebuild", True), True),
        # A restart that ran but left the service unhealthy covers nothing.
        ("restart", done("restart", False), False),
    ],
)
def test_later_action_drops_covered_changes(
    planner: Planner, waiting: str, succeeded: ActionDone, dropped: bool
) -> None:
    changes = changes_of(planner, waiting)
    deferred = {"web": dict(changes)}
    track_deferred(deferred, succeeded, changes_of(planner, "restart"), planner)
    assert ("web" not in deferred) is dropped


def test_restart_order_follows_restart_true() -> None:
    services = {
        "db": {},
        "api": {
            "depends_on": {"db": {"condition": "service_healthy", "restart": True}}
        },
        # Depends on db without `restart: true`, so Compose leaves it running.
        "cron": {"depends_on": {"db": {"condition": "service_started"}}},
        "worker": {"depends_on": {"api": {"restart": True}}},
    }
    assert restart_order(services, "db") == ["db", "api", "worker"]
    assert restart_order(services, "api") == ["api", "worker"]
    assert restart_order(services, "cron") == ["cron"]
