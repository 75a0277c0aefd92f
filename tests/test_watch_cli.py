"""`devenv watch` and `up --watch` on the command line, and the lines they print."""

from __future__ import annotations

import pytest

from devenv.cli.watch_commands import render_event, summarize_paths
from devenv.watch import (
    ActionDone,
    InputsApplied,
    InputsChecked,
    InputsRejected,
    RuleSummary,
    WatchNotice,
    WatchStarted,
)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            ActionDone("web", "sync", ("src/a.py",), 0.084, True, "1 copied"),
            "✔ web sync: src/a.py: 1 copied (0.08s)",
        ),
        (
            ActionDone("web", "restart", ("conf/x",), 2.5, False, "unhealthy"),
            "✖ web restart: conf/x: unhealthy (2.50s)",
        ),
        (
            InputsApplied(("compose/web.yaml",), 3.21, True, "every service is ready"),
            "✔ applied compose/web.yaml: every service is ready (3.2s)",
        ),
        (
            InputsApplied((".env",), 9.0, False, "web: unhealthy"),
            "✖ applied .env, but web: unhealthy (9.0s)",
        ),
        # Compose failed, though the containers it left behind may be ready.
        (
            InputsApplied(
                ("compose/web.yaml",),
                0.4,
                False,
                "Compose reported: No such image: web:2",
                compose_failed=True,
            ),
            (
                "✖ applying compose/web.yaml failed: Compose reported: No such "
                "image: web:2 (0.4s)"
            ),
        ),
        (
            InputsApplied(
                ("compose/web.yaml",),
                2.0,
                True,
                "every running service is ready",
                left_stopped=("worker",),
                profile="shop",
            ),
            (
                "✔ applied compose/web.yaml: every running service is ready; left "
                "stopped: worker (`devenv up shop` starts them) (2.0s)"
            ),
        ),
        (
            InputsChecked(("compose/web.yaml",), "shop"),
            (
                "✔ compose/web.yaml passed the checks; nothing was applied because "
                "no service of shop is running (`devenv up shop` starts them)."
            ),
        ),
        (
            WatchNotice("web: container abc no longer exists; 1 kept"),
            "! web: container abc no longer exists; 1 kept",
        ),
        (
            WatchNotice("The engine answers again.", level="info"),
            "· The engine answers again.",
        ),
    ],
)
def test_render_event_lines(event, expected: str) -> None:
    assert render_event(event) == expected


def test_failed_rebuild_names_its_retry() -> None:
    event = ActionDone(
        "web",
        "rebuild",
        ("web/app.py",),
        1.0,
        False,
        "build failed",
        retry_pending=True,
    )
    assert render_event(event).splitlines() == [
        "✖ web rebuild: web/app.py: build failed (1.00s)",
        (
            "  The rebuild is retried after the next change to the profile, its "
            "fragments or env files that passes the checks."
        ),
    ]


def test_rejected_inputs_show_message_and_findings() -> None:
    event = InputsRejected(
        ("compose/web.yaml",),
        "Compose rejected the files: yaml: line 3: did not find expected key.",
        (".env:2: PORT is not a number (use digits only)",),
    )
    assert render_event(event).splitlines() == [
        "✖ compose/web.yaml failed the checks; the running stack is unchanged.",
        "  Compose rejected the files: yaml: line 3: did not find expected key.",
        "  .env:2: PORT is not a number (use digits only)",
    ]


def test_start_lists_rules_and_stopped_services() -> None:
    event = WatchStarted(
        "shop",
        (
            RuleSummary("web", "sync", "web/src", "/app"),
            RuleSummary("web", "restart", "web/conf", ""),
            RuleSummary("api", "rebuild", "api", ""),
        ),
        input_files=5,
        stopped_services=("api",),
    )
    lines = render_event(event).splitlines()
    assert lines[0] == (
        "Watching shop: 3 rule(s) for 2 service(s), and 5 input file(s). "
        "Press Ctrl-C to stop."
    )
    assert lines[1:4] == [
        "  web: sync web/src -> /app",
        "  web: restart web/conf",
        "  api: rebuild api",
    ]
    assert "not running: api" in lines[4]
    assert "devenv up shop" in lines[4]


def test_start_says_a_stopped_stack_is_only_checked() -> None:
    event = WatchStarted(
        "shop",
        (RuleSummary("web", "sync", "web/src", "/app"),),
        input_files=3,
        stopped_services=("web", "db"),
        stack_stopped=True,
    )
    last = render_event(event).splitlines()[-1]
    assert "not running: web, db" in last
    assert "checked but not applied" in last
    assert "devenv up shop" in last


def test_summarize_paths_counts_the_rest() -> None:
    assert summarize_paths(("a", "b")) == "a, b"
    assert summarize_paths(("a", "b", "c", "d", "e")) == "a, b, c (+2 more)"


def test_watch_help_documents_poll(devenv, tmp_path) -> None:
    result = devenv("watch", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--poll" in result.stdout
    assert "develop.watch" in result.stdout


def test_up_help_documents_watch(devenv, tmp_path) -> None:
    result = devenv("up", "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--watch" in result.stdout


def test_watch_unknown_profile_exits_2(devenv, make_workspace) -> None:
    root = make_workspace("watch")
    result = devenv("watch", "wacth", cwd=root)
    assert result.returncode == 2
    assert "Did you mean 'watch'?" in result.stderr


def test_watch_broken_profile_exits_2_without_engine(
    devenv, make_workspace, monkeypatch, tmp_path
) -> None:
    root = make_workspace("watch")
    (root / "profiles" / "watch.yaml").write_text("fragments: [front, back\n")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    result = devenv("watch", "watch", cwd=root)
    assert result.returncode == 2, result.stderr
    assert "profiles/watch.yaml:2" in result.stderr
    assert "Fix the file" in result.stderr


@pytest.mark.engine
def test_watch_broken_fragment_exits_2(devenv, make_workspace) -> None:
    root = make_workspace("watch")
    fragment = root / "compose" / "back.yaml"
    fragment.write_text(fragment.read_text() + "    broken: [unclosed\n")
    result = devenv("watch", "watch", cwd=root)
    assert result.returncode == 2, result.stderr
    assert "compose/back.yaml: yaml: line 14" in result.stderr
    assert "Fix the file it names" in result.stderr
    assert "Watching" not in result.stdout
