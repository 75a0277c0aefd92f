"""The only module that imports watchfiles: batches of changed paths from folders."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change
from watchfiles._rust_notify import RustNotify

from devenv.watch.plan import ADDED, DELETED, MODIFIED

log = logging.getLogger("devenv")

# watchfiles ends a batch once a step passes without a new changed path, so a
# single save is seen after one to two steps.
STEP_MS = 10
# Upper bound on one batch while new paths keep arriving (watchfiles' debounce).
MAX_BATCH_MS = 2000
# Interval between scans with --poll; each scan stats every watched file.
POLL_DELAY_MS = 200

_KINDS = {Change.added: ADDED, Change.modified: MODIFIED, Change.deleted: DELETED}


class FileWatcher:
    """Watches folders in background threads and hands out merged batches.

    Folders are armed in two groups: recursive ones (the rules' folders) and
    flat ones (parents of files and of folders that may be deleted and
    recreated). Each group has one watchfiles backend and one thread. Errors
    are collected in `errors` for the caller to report.
    """

    def __init__(self, poll: bool = False) -> None:
        self.poll = poll
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue()
        self._feeds: dict[bool, _Feed] = {}
        self._failed: dict[bool, tuple[Path, ...]] = {}
        self.errors: list[str] = []

    def arm(self, recursive: set[Path], flat: set[Path]) -> bool:
        """Watch exactly these folders; return whether anything was re-armed."""
        changed = False
        for is_recursive, paths in ((True, recursive), (False, flat)):
            requested = tuple(sorted(paths))
            current = self._feeds.get(is_recursive)
            if (current.paths if current else ()) == requested:
                continue
            changed = True
            self._feeds.pop(is_recursive, None)
            if requested:
                self._start(requested, is_recursive)
            if current is not None:
                current.stop()
        return changed

    def _start(self, paths: tuple[Path, ...], recursive: bool) -> None:
        try:
            feed = _Feed(paths, recursive, self.poll, self._queue.put)
        except (OSError, RuntimeError) as error:
            log.debug("cannot watch %s: %s", paths, error)
            # The caller re-arms on every idle tick; report each failure once.
            if self._failed.get(recursive) != paths:
                self.errors.append(f"watching {_names(paths)} failed: {error}")
            self._failed[recursive] = paths
            return
        self._failed.pop(recursive, None)
        feed.start()
        self._feeds[recursive] = feed

    def watched(self) -> tuple[Path, ...]:
        return tuple(path for feed in self._feeds.values() for path in feed.paths)

    def next_batch(self, timeout: float) -> dict[Path, frozenset[str]] | None:
        """Wait up to `timeout` seconds for changes; merge everything already queued."""
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        items = [first, *self._drain()]
        return self._merge(items) or None

    def settle(
        self,
        batch: dict[Path, frozenset[str]],
        quiet: float,
        limit: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> dict[Path, frozenset[str]]:
        """Keep adding changes to `batch` until `quiet` seconds pass without any.

        Stops after `limit` seconds in all, so a stream of writes still gets
        handled.
        """
        deadline = clock() + limit
        while clock() < deadline:
            try:
                item = self._queue.get(timeout=min(quiet, max(0.0, deadline - clock())))
            except queue.Empty:
                break
            batch = _union(batch, self._merge([item, *self._drain()]))
        return batch

    def close(self) -> None:
        for feed in self._feeds.values():
            feed.stop()
        self._feeds.clear()

    def _drain(self) -> list[tuple[str, object]]:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _merge(self, items: list[tuple[str, object]]) -> dict[Path, frozenset[str]]:
        merged: dict[Path, frozenset[str]] = {}
        for kind, payload in items:
            if kind == "error":
                self.errors.append(str(payload))
                continue
            merged = _union(merged, payload)  # type: ignore[arg-type]
        return merged


class _Feed(threading.Thread):
    """One watchfiles backend over a group of folders, feeding the shared queue.

    Creating the backend registers every watch before it returns, so a change
    made after `FileWatcher.arm` returns is never missed. Raises
    FileNotFoundError when a folder is missing.
    """

    def __init__(
        self,
        paths: tuple[Path, ...],
        recursive: bool,
        poll: bool,
        put: Callable[[tuple[str, object]], None],
    ) -> None:
        kind = "recursive" if recursive else "flat"
        super().__init__(name=f"devenv-watch-{kind}", daemon=True)
        self.paths = paths
        self._put = put
        self._stop_event = threading.Event()
        missing = [path for path in paths if not path.exists()]
        if missing:
            # The backend would skip a missing folder without a word.
            raise FileNotFoundError(f"folder {missing[0]} not found")
        # NOTE: RustNotify is watchfiles' documented low-level backend
        # (watchfiles 0.21 to 1.x); its `watch()` generator offers no way
        # to know when the watches are in place.
        self._notify = RustNotify(
            [str(path) for path in paths],
            False,  # debug
            poll,
            POLL_DELAY_MS,
            recursive,
            True,  # skip folders the user may not read instead of failing
        )

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                # A timeout of 0 waits for changes until the stop event is set.
                raw = self._notify.watch(MAX_BATCH_MS, STEP_MS, 0, self._stop_event)
                if isinstance(raw, set):
                    self._put(("changes", _batch(raw)))
        except (OSError, RuntimeError) as error:
            if not self._stop_event.is_set():
                log.debug("file watcher on %s failed: %s", self.paths, error)
                message = f"watching {_names(self.paths)} failed: {error}"
                self._put(("error", message))
        finally:
            self._notify.close()

    def stop(self) -> None:
        self._stop_event.set()


def _batch(changes: set[tuple[int, str]]) -> dict[Path, frozenset[str]]:
    batch: dict[Path, set[str]] = {}
    for change, path in changes:
        batch.setdefault(Path(path), set()).add(_KINDS[Change(change)])
    return {path: frozenset(kinds) for path, kinds in batch.items()}


def _union(
    left: dict[Path, frozenset[str]], right: dict[Path, frozenset[str]]
) -> dict[Path, frozenset[str]]:
    merged = dict(left)
    for path, kinds in right.items():
        merged[path] = merged.get(path, frozenset()) | kinds
    return merged


def _names(paths: tuple[Path, ...]) -> str:
    return ", ".join(str(path) for path in paths)
