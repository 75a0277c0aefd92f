"""Warnings about watch rules that cannot work as written."""

from __future__ import annotations

from pathlib import Path

from devenv.watch.notices import rule_notices, started_event
from devenv.watch.rules import rules_from_model


def notices_for(service: dict) -> list:
    model = {"services": {"web": service}}
    rules = rules_from_model(model)
    return list(rule_notices(rules, model["services"], lambda p: p.name))


def test_sync_rule_without_target_is_reported(tmp_path: Path) -> None:
    rule = {"action": "sync", "path": str(tmp_path)}
    notices = notices_for({"develop": {"watch": [rule]}})
    assert len(notices) == 1
    assert "has no target" in notices[0].message
    assert notices[0].level == "warning"


def test_rebuild_rule_without_build_is_reported(tmp_path: Path) -> None:
    rule = {"action": "rebuild", "path": str(tmp_path)}
    notices = notices_for({"image": "x", "develop": {"watch": [rule]}})
    assert len(notices) == 1
    assert "no `build:` section" in notices[0].message


def test_missing_path_is_reported_as_info(tmp_path: Path) -> None:
    rule = {"action": "sync", "path": str(tmp_path / "later"), "target": "/app"}
    notices = notices_for({"develop": {"watch": [rule]}})
    assert [n.level for n in notices] == ["info"]
    assert "later does not exist yet" in notices[0].message


def test_tmpfs_targets_are_reported(tmp_path: Path) -> None:
    rules = [
        {"action": "sync", "path": str(tmp_path), "target": "/run/app/src"},
        {"action": "sync", "path": str(tmp_path), "target": "/cache"},
        {"action": "sync", "path": str(tmp_path), "target": "/srv"},
    ]
    service = {
        "tmpfs": ["/run/app:size=1m"],
        "volumes": [{"type": "tmpfs", "target": "/cache"}],
        "develop": {"watch": rules},
    }
    messages = [n.message for n in notices_for(service)]
    assert len(messages) == 2
    assert "inside the tmpfs mount /run/app" in messages[0]
    assert "inside the tmpfs mount /cache" in messages[1]


def test_sound_rule_has_no_notice(tmp_path: Path) -> None:
    rule = {"action": "sync", "path": str(tmp_path), "target": "/app"}
    assert notices_for({"develop": {"watch": [rule]}}) == []


def test_started_event_summarizes_rules(tmp_path: Path) -> None:
    model = {
        "services": {
            "web": {
                "develop": {"watch": [{"action": "restart", "path": str(tmp_path)}]}
            }
        }
    }
    event = started_event("shop", rules_from_model(model), lambda p: "conf", 4, ["web"])
    assert event.profile == "shop"
    assert [(r.service, r.action, r.path, r.target) for r in event.rules] == [
        ("web", "restart", "conf", "")
    ]
    assert event.input_files == 4
    assert event.stopped_services == ("web",)
