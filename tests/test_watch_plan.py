"""Watch rules read from a rendered model, and the plans built from file changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.errors import InputError
from devenv.watch.plan import ADDED, DELETED, MODIFIED, Planner
from devenv.watch.rules import (
    bind_mounts,
    build_contexts,
    rules_from_model,
    watch_folders,
)


def model_for(root: Path, *, volumes=None, build=None) -> dict:
    """A model shaped like `docker compose config --format json` output."""
    web = {
        "image": "devenv-test/busybox:1",
        "develop": {
            "watch": [
                {
                    "action": "sync",
                    "path": str(root / "src"),
                    "target": "/app",
                    "ignore": ["drafts/"],
                    "exec": {"command": None},
                },
                {
                    "action": "sync+restart",
                    "path": str(root / "conf"),
                    "target": "/etc/web",
                },
                {
                    "action": "sync+exec",
                    "path": str(root / "jobs"),
                    "target": "/jobs",
                    "exec": {"command": ["sh", "-c", "ls"], "environment": {"A": "1"}},
                },
                {"action": "restart", "path": str(root / "settings.ini")},
                {
                    "action": "sync",
                    "path": str(root / "single.cfg"),
                    "target": "/etc/single.cfg",
                },
            ]
        },
    }
    if volumes is not None:
        web["volumes"] = volumes
    api = {
        "image": "api",
        "develop": {"watch": [{"action": "rebuild", "path": str(root / "api")}]},
    }
    if build is not None:
        api["build"] = build
    return {"services": {"web": web, "api": api}}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for folder in ("src", "conf", "jobs", "api"):
        (tmp_path / folder).mkdir()
    (tmp_path / "src" / "index.html").write_text("hello")
    (tmp_path / "settings.ini").write_text("a=1")
    (tmp_path / "single.cfg").write_text("x")
    return tmp_path


def planner_for(root: Path, **model_options) -> Planner:
    model = model_for(root, **model_options)
    return Planner(rules_from_model(model), bind_mounts(model), build_contexts(model))


def test_rules_come_from_develop_watch(tree: Path) -> None:
    rules = rules_from_model(model_for(tree))
    assert [(r.service, r.action) for r in rules] == [
        ("web", "sync"),
        ("web", "sync+restart"),
        ("web", "sync+exec"),
        ("web", "restart"),
        ("web", "sync"),
        ("api", "rebuild"),
    ]
    assert rules[0].path == tree / "src"
    assert (
        rules[0].exec is None
    )  # Compose renders `exec: {command: null}` on every rule
    assert rules[2].exec is not None
    assert rules[2].exec.command == ("sh", "-c", "ls")
    assert rules[2].exec.environment == ("A=1",)


def test_rule_with_unknown_action_is_rejected(tree: Path) -> None:
    model = {
        "services": {"web": {"develop": {"watch": [{"action": "copy", "path": "/x"}]}}}
    }
    with pytest.raises(InputError, match="'copy'"):
        rules_from_model(model)


def test_edit_becomes_one_copy(tree: Path) -> None:
    plans = planner_for(tree).plan({tree / "src" / "index.html": frozenset({MODIFIED})})
    plan = plans["web"]
    assert [(c.directory, c.name) for c in plan.copies.values()] == [
        ("/app", "index.html")
    ]
    assert not plan.deletes
    assert not plan.restart
    assert plan.changed == {tree / "src" / "index.html"}


def test_atomic_save_copies_only_the_real_file(tree: Path) -> None:
    # An editor wrote a temporary file and renamed it over index.html.
    changes = {
        tree / "src" / ".index.html.tmp1234": frozenset({ADDED, DELETED}),
        tree / "src" / "index.html": frozenset({ADDED}),
    }
    plan = planner_for(tree).plan(changes)["web"]
    assert list(plan.copies) == [("/app", "index.html")]
    assert not plan.deletes
    assert plan.changed == {tree / "src" / "index.html"}


def test_deleted_file_is_deleted_in_container(tree: Path) -> None:
    changes = {tree / "src" / "gone.txt": frozenset({DELETED})}
    plan = planner_for(tree).plan(changes)["web"]
    assert plan.deletes == {"/app/gone.txt"}
    assert not plan.copies


def test_deleted_folder_covers_its_files(tree: Path) -> None:
    changes = {
        tree / "src" / "old": frozenset({DELETED}),
        tree / "src" / "old" / "a.txt": frozenset({DELETED}),
        tree / "src" / "old" / "b" / "c.txt": frozenset({DELETED}),
        tree / "src" / "older.txt": frozenset({DELETED}),
    }
    plan = planner_for(tree).plan(changes)["web"]
    assert plan.minimal_deletes() == ["/app/old", "/app/older.txt"]


def test_new_folder_is_copied_with_its_contents(tree: Path) -> None:
    folder = tree / "src" / "new" / "deep"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (tree / "src" / "new" / "empty").mkdir()
    # The watcher may report only the top folder when files follow quickly.
    plan = planner_for(tree).plan({tree / "src" / "new": frozenset({ADDED})})["web"]
    assert sorted(name for _, name in plan.copies) == [
        "new",
        "new/deep",
        "new/deep/a.txt",
        "new/empty",
    ]


def test_folder_modified_event_copies_nothing(tree: Path) -> None:
    assert planner_for(tree).plan({tree / "src": frozenset({MODIFIED})}) == {}


@pytest.mark.parametrize(
    "relative",
    [
        "src/.index.html.swp",  # default: editor swap file
        "src/node_modules/x.js",  # default: dependency folder
        "src/drafts/post.md",  # the rule's own `ignore`
    ],
)
def test_ignored_paths_are_not_planned(tree: Path, relative: str) -> None:
    path = tree / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    assert planner_for(tree).plan({path: frozenset({ADDED})}) == {}


def test_new_folder_walk_skips_ignored_folders(tree: Path) -> None:
    (tree / "src" / "pkg" / "node_modules" / "dep").mkdir(parents=True)
    (tree / "src" / "pkg" / "node_modules" / "dep" / "i.js").write_text("x")
    (tree / "src" / "pkg" / "main.js").write_text("x")
    plan = planner_for(tree).plan({tree / "src" / "pkg": frozenset({ADDED})})["web"]
    assert sorted(name for _, name in plan.copies) == ["pkg", "pkg/main.js"]


def test_dockerignore_of_build_context_applies(tree: Path) -> None:
    (tree / "api" / ".dockerignore").write_text("notes.md\n")
    (tree / "api" / "notes.md").write_text("x")
    (tree / "api" / "main.go").write_text("x")
    planner = planner_for(tree, build={"context": str(tree / "api")})
    assert planner.plan({tree / "api" / "notes.md": frozenset({MODIFIED})}) == {}
    plan = planner.plan({tree / "api" / "main.go": frozenset({MODIFIED})})["api"]
    assert plan.rebuild


def test_changed_dockerignore_is_reread(tree: Path) -> None:
    ignore = tree / "api" / ".dockerignore"
    ignore.write_text("notes.md\n")
    (tree / "api" / "notes.md").write_text("x")
    planner = planner_for(tree, build={"context": str(tree / "api")})
    change = {tree / "api" / "notes.md": frozenset({MODIFIED})}
    assert planner.plan(change) == {}
    ignore.write_text("other.md\n")
    # The new text has another size, so the change shows even within one
    # tick of the file system's clock.
    assert "api" in planner.plan(change)


def test_restart_and_exec_rules_set_their_actions(tree: Path) -> None:
    (tree / "conf" / "web.conf").write_text("x")
    (tree / "jobs" / "job.sh").write_text("x")
    changes = {
        tree / "conf" / "web.conf": frozenset({MODIFIED}),
        tree / "jobs" / "job.sh": frozenset({ADDED}),
        tree / "settings.ini": frozenset({MODIFIED}),
    }
    plan = planner_for(tree).plan(changes)["web"]
    assert plan.restart
    assert len(plan.execs) == 1
    assert sorted(plan.copies) == [("/etc/web", "web.conf"), ("/jobs", "job.sh")]


def test_file_rule_copies_under_target_name(tree: Path) -> None:
    plan = planner_for(tree).plan({tree / "single.cfg": frozenset({MODIFIED})})["web"]
    assert list(plan.copies) == [("/etc", "single.cfg")]


def test_rebuild_rule_only_marks_rebuild(tree: Path) -> None:
    (tree / "api" / "main.go").write_text("x")
    plan = planner_for(tree).plan({tree / "api" / "main.go": frozenset({MODIFIED})})[
        "api"
    ]
    assert plan.rebuild
    assert not plan.copies


def test_bind_mounted_path_is_not_copied(tree: Path) -> None:
    volumes = [{"type": "bind", "source": str(tree / "src"), "target": "/app"}]
    planner = planner_for(tree, volumes=volumes)
    plan = planner.plan({tree / "src" / "index.html": frozenset({MODIFIED})})["web"]
    assert not plan.copies
    assert plan.through_bind == 1


def test_restart_runs_on_bind_mounted_path(tree: Path) -> None:
    (tree / "conf" / "web.conf").write_text("x")
    volumes = [{"type": "bind", "source": str(tree / "conf"), "target": "/etc/web"}]
    planner = planner_for(tree, volumes=volumes)
    plan = planner.plan({tree / "conf" / "web.conf": frozenset({MODIFIED})})["web"]
    assert not plan.copies
    assert plan.restart


def test_other_bind_mount_keeps_copy(tree: Path) -> None:
    volumes = [{"type": "bind", "source": str(tree / "elsewhere"), "target": "/app"}]
    planner = planner_for(tree, volumes=volumes)
    plan = planner.plan({tree / "src" / "index.html": frozenset({MODIFIED})})["web"]
    assert list(plan.copies) == [("/app", "index.html")]


def test_initial_plan_copies_whole_rule_path(tree: Path) -> None:
    (tree / "src" / "sub").mkdir()
    (tree / "src" / "sub" / "a.txt").write_text("a")
    (tree / "src" / "drafts").mkdir()
    (tree / "src" / "drafts" / "d.txt").write_text("d")
    planner = planner_for(tree)
    plan = planner.initial_plan(planner.rules[0])
    assert sorted(name for _, name in plan.copies) == ["index.html", "sub", "sub/a.txt"]


def test_watch_folders_cover_rules_and_parents(tree: Path) -> None:
    rules = rules_from_model(model_for(tree))
    recursive, flat = watch_folders(rules, [tree / "profiles-missing"])
    assert recursive == {tree / "src", tree / "conf", tree / "jobs", tree / "api"}
    # Parents see a rule folder deleted and created again; files are watched
    # through their folder, since editors replace the file itself.
    assert flat == {tree}


def test_watch_folders_use_nearest_existing_parent(tree: Path) -> None:
    model = {
        "services": {
            "web": {
                "develop": {
                    "watch": [
                        {
                            "action": "sync",
                            "path": str(tree / "a" / "b"),
                            "target": "/x",
                        }
                    ]
                }
            }
        }
    }
    recursive, flat = watch_folders(rules_from_model(model))
    assert recursive == set()
    assert flat == {tree}


def test_watch_folders_drop_nested_folders(tree: Path) -> None:
    (tree / "src" / "inner").mkdir()
    model = {
        "services": {
            "web": {
                "develop": {
                    "watch": [
                        {"action": "sync", "path": str(tree / "src"), "target": "/a"},
                        {"action": "restart", "path": str(tree / "src" / "inner")},
                    ]
                }
            }
        }
    }
    recursive, _ = watch_folders(rules_from_model(model))
    assert recursive == {tree / "src"}
