"""The file watcher on real folders: batches, bursts, atomic saves, polling."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from devenv.watch.files import FileWatcher
from devenv.watch.plan import ADDED, DELETED

# Upper bound for waiting on one batch; a hang guard, not a speed check.
WAIT = 10.0


@pytest.fixture
def watcher():
    files = FileWatcher()
    yield files
    files.close()


def armed(
    files: FileWatcher, folder: Path, flat: frozenset[Path] = frozenset()
) -> None:
    """Arm on `folder` (and `flat`), then wait until each reports a probe write."""
    files.arm({folder}, set(flat))
    for watched in (folder, *flat):
        probe = watched / ".armed"
        for _ in range(50):
            probe.write_text("x")
            batch = files.next_batch(0.2)
            if batch and probe in batch:
                break
        else:
            pytest.fail(f"the watcher on {watched} never reported a change")
        probe.unlink()
    files.settle({}, quiet=0.2, limit=WAIT)


def test_single_save_is_one_batch(watcher: FileWatcher, tmp_path: Path) -> None:
    armed(watcher, tmp_path)
    (tmp_path / "a.txt").write_text("hello")
    batch = watcher.next_batch(WAIT)
    assert batch is not None
    assert set(batch) == {tmp_path / "a.txt"}


def test_atomic_save_reports_real_file(watcher: FileWatcher, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    armed(watcher, tmp_path)
    temporary = tmp_path / ".a.txt.tmp42"
    temporary.write_text("new")
    os.replace(temporary, tmp_path / "a.txt")
    batch = watcher.settle(watcher.next_batch(WAIT) or {}, quiet=0.2, limit=WAIT)
    assert ADDED in batch[tmp_path / "a.txt"]
    # The temporary file appears as created and removed, which plans skip.
    assert batch.get(temporary, frozenset({ADDED, DELETED})) == {ADDED, DELETED}


def test_burst_settles_into_one_batch(watcher: FileWatcher, tmp_path: Path) -> None:
    armed(watcher, tmp_path)
    for index in range(1000):
        (tmp_path / f"file{index:04}.txt").write_text(str(index))
    first = watcher.next_batch(WAIT)
    assert first is not None
    batch = watcher.settle(first, quiet=0.2, limit=WAIT)
    assert len(batch) == 1000


def test_recreated_folder_seen_by_parent(watcher: FileWatcher, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    armed(watcher, folder, flat=frozenset({tmp_path}))
    shutil.rmtree(folder)
    deleted = watcher.settle(watcher.next_batch(WAIT) or {}, quiet=0.2, limit=WAIT)
    assert DELETED in deleted[folder]
    folder.mkdir()
    created = watcher.settle(watcher.next_batch(WAIT) or {}, quiet=0.2, limit=WAIT)
    assert ADDED in created[folder]


def test_arm_keeps_unchanged_folders(watcher: FileWatcher, tmp_path: Path) -> None:
    assert watcher.arm({tmp_path}, set())
    assert not watcher.arm({tmp_path}, set())
    assert watcher.watched() == (tmp_path,)


def test_missing_folder_reports_an_error(watcher: FileWatcher, tmp_path: Path) -> None:
    watcher.arm({tmp_path / "missing"}, set())
    assert len(watcher.errors) == 1
    assert "missing" in watcher.errors[0]
    # Arming again, as the session does on every idle tick, does not repeat it.
    watcher.arm({tmp_path / "missing"}, set())
    assert len(watcher.errors) == 1


def test_polling_sees_a_change(tmp_path: Path) -> None:
    files = FileWatcher(poll=True)
    try:
        armed(files, tmp_path)
        (tmp_path / "polled.txt").write_text("x")
        batch = files.settle(files.next_batch(WAIT) or {}, quiet=0.5, limit=WAIT)
        assert tmp_path / "polled.txt" in batch
    finally:
        files.close()
