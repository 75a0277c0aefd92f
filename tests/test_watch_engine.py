"""`devenv watch` against a real engine: sync, restart, rebuild, input checks, faults.

The watcher runs in-process on a thread (or as `devenv up --watch`), and the
tests write real files into a copy of tests/samples/watch.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from devenv.cli.watch_commands import render_event
from devenv.compose import project_name
from devenv.stack import Stack
from devenv.watch import (
    ActionDone,
    InputsApplied,
    InputsChecked,
    InputsRejected,
    WatchNotice,
    WatchStarted,
    watch_stack,
)
from devenv.workspace import Workspace

pytestmark = pytest.mark.engine

# Upper bound for waiting on one event; a hang guard, not a speed check.
WAIT = 90.0


class Watching:
    """Runs the watcher on a thread and hands out its events in order."""

    def __init__(self, root: Path, profile: str) -> None:
        self.stack = Stack(Workspace(root), profile)
        self.stop = threading.Event()
        self.seen: list[object] = []
        self._events: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in watch_stack(self.stack, self.stop):
                self._events.put(event)
        except Exception as error:  # noqa: BLE001 - next() raises it in the test
            self._events.put(error)

    def next(self, kind: type, matches: Callable[[object], bool] = lambda e: True):
        """Return the next event of `kind` that `matches`, keeping the rest in seen."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                event = self._events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no matching {kind.__name__} event; events: {self.seen}")
            if isinstance(event, Exception):
                raise event
            self.seen.append(event)
            if isinstance(event, kind) and matches(event):
                return event

    def actions(self) -> list[tuple[str, str]]:
        return [(e.service, e.action) for e in self.seen if isinstance(e, ActionDone)]

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=30)


@pytest.fixture
def watch_up(devenv, make_workspace):
    """Copy the watch sample, bring a profile up and watch it in-process."""
    watchers: list[Watching] = []

    def start(profile: str = "watch") -> tuple[Path, Watching]:
        root = make_workspace("watch")
        result = devenv("up", profile, cwd=root)
        assert result.returncode == 0, result.stdout + result.stderr
        watching = Watching(root, profile)
        watchers.append(watching)
        watching.next(WatchStarted)
        return root, watching

    yield start
    for watching in watchers:
        watching.close()


def containers_in(root: Path, *options: str) -> list[str]:
    command = ["docker", "ps", "-q", "--no-trunc", *options]
    command += ["--filter", f"label=dev.devenv.workspace={root}"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return result.stdout.split()


def container_of(root: Path, service: str) -> str:
    output = subprocess.run(
        [
            "docker",
            "ps",
            "-q",
            "--no-trunc",
            "--filter",
            f"label=dev.devenv.workspace={root}",
            "--filter",
            f"label=com.docker.compose.service={service}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(output) == 1, f"expected one running {service} container: {output}"
    return output[0]


def started_at(container: str) -> str:
    return subprocess.run(
        ["docker", "inspect", "--format", "{{.State.StartedAt}}", container],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def read_in(container: str, path: str) -> str:
    command = ["docker", "exec", container, "cat", path]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"cannot read {path}: {result.stderr}"
    return result.stdout.strip()


def exists_in(container: str, path: str) -> bool:
    command = ["docker", "exec", container, "test", "-e", path]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def count_in(container: str, folder: str) -> int:
    command = ["docker", "exec", container, "sh", "-c", f"ls {folder} | wc -l"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(result.stdout.strip())


def is_sync_of(relative: str) -> Callable[[object], bool]:
    return lambda event: event.action == "sync" and relative in event.changed


def test_sync_edit_delete_new_folder(watch_up) -> None:
    root, watching = watch_up()
    www = root / "front" / "www"
    initial = watching.next(ActionDone, lambda e: e.action == "initial sync")
    assert initial.ok, initial.detail
    front = container_of(root, "front")
    assert read_in(front, "/srv/www/index.html") == "<h1>front</h1>"

    (www / "index.html").write_text("<h1>edited</h1>\n")
    edit = watching.next(ActionDone, is_sync_of("front/www/index.html"))
    assert edit.ok, edit.detail
    assert edit.changed == ("front/www/index.html",)
    assert read_in(front, "/srv/www/index.html") == "<h1>edited</h1>"

    (www / "index.html").unlink()
    delete = watching.next(ActionDone, is_sync_of("front/www/index.html"))
    assert delete.detail == "1 deleted"
    assert not exists_in(front, "/srv/www/index.html")

    (www / "new" / "deep").mkdir(parents=True)
    (www / "new" / "deep" / "page.html").write_text("deep")
    (www / "new" / "empty").mkdir()
    while not exists_in(front, "/srv/www/new/deep/page.html"):
        watching.next(ActionDone, lambda e: e.action == "sync")
    assert read_in(front, "/srv/www/new/deep/page.html") == "deep"
    assert exists_in(front, "/srv/www/new/empty")


def test_atomic_save_and_ignored_files(watch_up) -> None:
    root, watching = watch_up()
    www = root / "front" / "www"
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    front = container_of(root, "front")

    # An editor's safe save: write a temporary file, rename it over the page.
    temporary = www / ".index.html.tmp1234"
    temporary.write_text("<h1>saved</h1>\n")
    os.replace(temporary, www / "index.html")
    save = watching.next(ActionDone, lambda e: e.action == "sync")
    assert save.changed == ("front/www/index.html",)
    assert save.detail == "1 copied"
    assert read_in(front, "/srv/www/index.html") == "<h1>saved</h1>"

    (www / ".index.html.swp").write_text("swap")  # default ignore
    (www / "drafts").mkdir()
    (www / "drafts" / "post.html").write_text("draft")  # the rule's ignore
    (www / "marker.html").write_text("marker")
    watching.next(ActionDone, is_sync_of("front/www/marker.html"))
    assert exists_in(front, "/srv/www/marker.html")
    assert not exists_in(front, "/srv/www/.index.html.swp")
    assert not exists_in(front, "/srv/www/drafts")
    named = [
        path for e in watching.seen if isinstance(e, ActionDone) for path in e.changed
    ]
    assert not [path for path in named if "swp" in path or "drafts" in path]


def test_recreated_folder_is_watched_again(watch_up) -> None:
    root, watching = watch_up()
    www = root / "front" / "www"
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    front = container_of(root, "front")

    shutil.rmtree(www)
    watching.next(ActionDone, is_sync_of("front/www"))
    assert not exists_in(front, "/srv/www/index.html")

    www.mkdir()
    (www / "index.html").write_text("<h1>back</h1>\n")
    while not exists_in(front, "/srv/www/index.html"):
        watching.next(ActionDone, lambda e: e.action == "sync")
    assert read_in(front, "/srv/www/index.html") == "<h1>back</h1>"

    # A later edit inside the new folder proves it is watched again.
    (www / "later.html").write_text("later")
    watching.next(ActionDone, is_sync_of("front/www/later.html"))
    assert read_in(front, "/srv/www/later.html") == "later"


def test_burst_is_one_batch_with_one_restart(watch_up) -> None:
    root, watching = watch_up()
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    front = container_of(root, "front")
    back = container_of(root, "back")
    back_started = started_at(back)
    front_started = started_at(front)

    for index in range(1000):
        (root / "front" / "www" / f"page{index:04}.html").write_text(str(index))
    pages = watching.next(ActionDone, lambda e: e.action == "sync")
    assert pages.detail == "1000 copied"
    assert len(pages.changed) == 1000

    # front/conf has a sync+restart rule.
    for index in range(1000):
        (root / "front" / "conf" / f"part{index:04}.conf").write_text(str(index))
    restart = watching.next(ActionDone, lambda e: e.action == "restart")
    assert restart.ok, restart.detail
    (root / "front" / "www" / "marker.html").write_text("marker")
    watching.next(ActionDone, is_sync_of("front/www/marker.html"))

    assert watching.actions() == [
        ("front", "initial sync"),
        ("front", "sync"),
        ("front", "sync"),
        ("front", "restart"),
        ("front", "sync"),
    ]
    assert count_in(front, "/etc/front") == 1000
    assert started_at(front) != front_started
    assert container_of(root, "back") == back
    assert started_at(back) == back_started


def test_restart_exec_only_touch_own_service(watch_up) -> None:
    root, watching = watch_up()
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    front = container_of(root, "front")
    back = container_of(root, "back")
    front_started = started_at(front)
    back_started = started_at(back)

    (root / "back" / "settings.conf").write_text("level=debug\n")
    restart = watching.next(ActionDone, lambda e: e.action == "restart")
    assert restart.service == "back"
    assert restart.ok, restart.detail
    assert container_of(root, "back") == back
    assert started_at(back) != back_started
    assert container_of(root, "front") == front
    assert started_at(front) == front_started

    (root / "back" / "jobs" / "deploy.sh").write_text("echo deploy\n")
    executed = watching.next(ActionDone, lambda e: e.action == "exec")
    assert executed.service == "back"
    assert executed.ok, executed.detail
    assert read_in(back, "/tmp/jobs-listing") == "deploy.sh"


def test_rebuild_rule_rebuilds_only_its_service(watch_up, devenv) -> None:
    root, watching = watch_up("built")
    image = f"{project_name(Workspace(root), 'built')}-built"
    try:
        built = container_of(root, "built")
        back = container_of(root, "back")
        assert read_in(built, "/version.txt") == "1"

        # notes.md is in the build context's .dockerignore, so it changes nothing.
        (root / "built" / "notes.md").write_text("More notes.\n")
        (root / "built" / "version.txt").write_text("2\n")
        rebuild = watching.next(ActionDone, lambda e: e.action == "rebuild")
        assert rebuild.ok, rebuild.detail
        assert rebuild.changed == ("built/version.txt",)
        assert rebuild.detail.startswith("container recreated")
        rebuilt = container_of(root, "built")
        assert rebuilt != built
        assert read_in(rebuilt, "/version.txt") == "2"
        assert container_of(root, "back") == back
    finally:
        watching.close()
        devenv("down", "built", "--volumes", "--yes", cwd=root)
        subprocess.run(
            ["docker", "image", "rm", image], capture_output=True, check=False
        )


def test_survives_container_removal_and_outage(
    watch_up, devenv, monkeypatch, tmp_path
) -> None:
    root, watching = watch_up()
    index = root / "front" / "www" / "index.html"
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    subprocess.run(["docker", "rm", "-f", container_of(root, "front")], check=True)

    index.write_text("while gone\n")
    notice = watching.next(WatchNotice, lambda e: e.service == "front")
    assert "kept" in notice.message
    result = devenv("up", "watch", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    watching.next(ActionDone, is_sync_of("front/www/index.html"))
    assert read_in(container_of(root, "front"), "/srv/www/index.html") == "while gone"

    # The shared engine cannot be restarted under other tests, so the client
    # is pointed at a socket with no engine behind it instead.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    index.write_text("during outage\n")
    down = watching.next(WatchNotice, lambda e: "not reachable" in e.message)
    assert down.level == "warning"
    monkeypatch.undo()
    watching.next(WatchNotice, lambda e: e.level == "info")
    watching.next(ActionDone, is_sync_of("front/www/index.html"))
    front = container_of(root, "front")
    assert read_in(front, "/srv/www/index.html") == "during outage"


def status_of(container: str) -> str:
    return subprocess.run(
        ["docker", "inspect", "--format", "{{.State.Status}}", container],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def about(path: str) -> Callable[[object], bool]:
    """Match an event about a change to `path`, relative to the workspace root."""
    return lambda event: path in getattr(event, "changed", ())


def test_fragment_edit_on_stopped_stack_starts_nothing(devenv, make_workspace) -> None:
    root = make_workspace("watch")
    watching = Watching(root, "watch")
    try:
        started = watching.next(WatchStarted)
        assert started.stopped_services == ("back", "front")
        fragment = root / "compose" / "back.yaml"
        fragment.write_text(fragment.read_text() + "# a comment\n")

        checked = watching.next(object, about("compose/back.yaml"))
        assert containers_in(root, "-a") == []
        assert isinstance(checked, InputsChecked)
        line = render_event(checked)
        assert "nothing was applied" in line
        assert "devenv up watch" in line
    finally:
        watching.close()
        devenv("down", "watch", "--volumes", "--yes", cwd=root)


def test_fragment_edit_leaves_stopped_service_stopped(watch_up) -> None:
    root, watching = watch_up()
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    front = container_of(root, "front")
    back = container_of(root, "back")
    subprocess.run(["docker", "stop", front], capture_output=True, check=True)

    fragment = root / "compose" / "back.yaml"
    fragment.write_text(
        fragment.read_text().replace("echo back started", "echo back changed")
    )
    applied = watching.next(InputsApplied, about("compose/back.yaml"))
    assert applied.ok, applied.detail
    assert applied.left_stopped == ("front",)
    assert "front" in render_event(applied)
    assert status_of(front) == "exited"
    assert container_of(root, "back") != back


def test_restart_runs_while_fragment_is_broken(watch_up) -> None:
    root, watching = watch_up()
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    front = container_of(root, "front")
    front_started = started_at(front)
    fragment = root / "compose" / "back.yaml"
    good = fragment.read_text()

    fragment.write_text(good.replace("command:", "commnd:", 1))
    watching.next(InputsRejected, about("compose/back.yaml"))
    # front/conf has a sync+restart rule; back.yaml is another service's file,
    # but Compose reads every file of the profile and rejects them all.
    (root / "front" / "conf" / "extra.conf").write_text("extra\n")
    synced = watching.next(ActionDone, lambda e: e.action == "sync")
    restart = watching.next(ActionDone, lambda e: e.action == "restart")
    assert synced.ok, synced.detail
    assert restart.ok, restart.detail
    assert container_of(root, "front") == front
    assert started_at(front) != front_started
    assert read_in(front, "/etc/front/extra.conf") == "extra"


def test_rebuild_waits_for_broken_fragment_then_runs(watch_up, devenv) -> None:
    root, watching = watch_up("built")
    image = f"{project_name(Workspace(root), 'built')}-built"
    try:
        built = container_of(root, "built")
        fragment = root / "compose" / "back.yaml"
        good = fragment.read_text()
        fragment.write_text(good + "    broken: [unclosed\n")
        watching.next(InputsRejected, about("compose/back.yaml"))

        (root / "built" / "version.txt").write_text("2\n")
        waiting = watching.next(WatchNotice, lambda e: e.service == "built")
        assert "rebuild" in waiting.message
        assert "pass the checks" in waiting.message
        assert container_of(root, "built") == built

        fragment.write_text(good)
        applied = watching.next(InputsApplied, about("compose/back.yaml"))
        assert applied.ok, applied.detail
        rebuild = watching.next(ActionDone, lambda e: e.action == "rebuild")
        assert rebuild.ok, rebuild.detail
        assert rebuild.changed == ("built/version.txt",)
        assert read_in(container_of(root, "built"), "/version.txt") == "2"
    finally:
        watching.close()
        devenv("down", "built", "--volumes", "--yes", cwd=root)
        subprocess.run(
            ["docker", "image", "rm", image], capture_output=True, check=False
        )


def test_failed_restart_runs_again_after_input_change(watch_up) -> None:
    root, watching = watch_up("mounted")
    data = root / "mounted" / "data"
    shutil.rmtree(data)

    (root / "mounted" / "settings.conf").write_text("mode=b\n")
    failed = watching.next(ActionDone, lambda e: e.action == "restart")
    assert not failed.ok
    assert failed.retry_pending
    assert "data" in failed.detail
    assert "retried" in render_event(failed)

    data.mkdir()
    fragment = root / "compose" / "mounted.yaml"
    fragment.write_text(fragment.read_text() + "# a comment\n")
    watching.next(InputsApplied, about("compose/mounted.yaml"))
    retried = watching.next(ActionDone, lambda e: e.action == "restart")
    assert retried.ok, retried.detail
    assert retried.changed == ("mounted/settings.conf",)
    assert status_of(container_of(root, "mounted")) == "running"


def test_restart_includes_dependents_marked_restart(watch_up) -> None:
    root, watching = watch_up("chain")
    back = container_of(root, "back")
    follower = container_of(root, "follower")
    back_started = started_at(back)
    follower_started = started_at(follower)

    (root / "back" / "settings.conf").write_text("level=debug\n")
    restart = watching.next(ActionDone, lambda e: e.action == "restart")
    assert restart.ok, restart.detail
    assert "follower" in restart.detail
    assert started_at(back) != back_started
    assert started_at(follower) != follower_started


def test_failed_compose_up_is_reported_as_failure(watch_up) -> None:
    root, watching = watch_up()
    watching.next(ActionDone, lambda e: e.action == "initial sync")
    back = container_of(root, "back")
    fragment = root / "compose" / "back.yaml"
    # The image does not exist and may not be pulled, so `compose up` fails
    # while the old container stays up and ready.
    fragment.write_text(
        fragment.read_text().replace(
            "image: ${TEST_IMAGE:-devenv-test/busybox:1}",
            "image: devenv-test/missing:1\n    pull_policy: never",
        )
    )
    applied = watching.next(InputsApplied, about("compose/back.yaml"))
    line = render_event(applied)
    assert not applied.ok
    assert applied.compose_failed
    assert line.startswith("✖"), line
    assert "every service is ready" not in line
    assert "No such image" in line
    assert container_of(root, "back") == back


class OutputLines:
    """Collects a subprocess's output lines on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line)
        self._queue.put(None)  # end of output

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                pytest.fail(f"no line with {text!r}; output:\n{''.join(self.lines)}")
            self.lines.append(line)
            if text in line:
                return line

    def rest(self) -> str:
        self._thread.join(timeout=30)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return "".join(self.lines)


def test_up_watch_survives_broken_fragment(devenv, make_workspace) -> None:
    root = make_workspace("watch")
    fragment = root / "compose" / "back.yaml"
    good = fragment.read_text()
    process = subprocess.Popen(
        [sys.executable, "-m", "devenv", "up", "watch", "--watch"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DEVENV_ROOT": ""},
    )
    output = OutputLines(process)
    try:
        output.wait_for("watch is up")
        output.wait_for("front initial sync")
        back = container_of(root, "back")

        fragment.write_text(good + "    broken: [unclosed\n")
        output.wait_for("failed the checks; the running stack is unchanged")
        error = output.wait_for("back.yaml")
        assert "Compose rejected" in error
        assert container_of(root, "back") == back

        fragment.write_text(good.replace("echo back started", "echo back changed"))
        applied = output.wait_for("applied compose/back.yaml")
        assert applied.startswith("✔"), applied
        assert container_of(root, "back") != back
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        devenv("down", "watch", "--volumes", "--yes", cwd=root)
    assert "Stopped watching." in output.rest()
    assert process.returncode == 0
