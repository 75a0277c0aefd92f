"""Ignore patterns of watch rules: `.dockerignore` syntax and the default ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.watch.ignore import PatternSet, is_default_ignored, read_dockerignore

PATTERNS = [
    "# comment lines and blank lines are skipped",
    "",
    "*.log",
    "tmp/",
    "/build",
    "**/cache",
    "docs/**/*.md",
    "!docs/keep.md",
    "data?.csv",
    "v[0-9].txt",
]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("app.log", True),  # `*` matches within the top folder
        ("src/app.log", False),  # but does not cross a '/'
        ("tmp/a/b.txt", True),  # a matched folder hides its contents
        ("tmp", True),  # the trailing '/' is dropped, as Docker cleans patterns
        ("build/out.js", True),  # a leading '/' anchors at the base, as without it
        ("cache/x", True),  # `**/` matches zero folders
        ("a/b/cache/x", True),  # and any number of them
        ("docs/x.md", True),  # `/**/` matches zero folders in the middle
        ("docs/a/b/x.md", True),
        ("docs/keep.md", False),  # a later `!` pattern re-includes
        ("data1.csv", True),  # `?` matches one character
        ("data10.csv", False),
        ("v7.txt", True),  # character classes work as in Go's filepath.Match
        ("vx.txt", False),
        ("src/main.py", False),
    ],
)
def test_pattern_set_matches_like_dockerignore(path: str, ignored: bool) -> None:
    assert PatternSet(PATTERNS).matches(path) is ignored


def test_empty_pattern_set_ignores_nothing() -> None:
    patterns = PatternSet([])
    assert not patterns
    assert not patterns.matches("anything/at/all.txt")


def test_exclusion_before_pattern_is_overridden() -> None:
    # The last matching pattern decides, so an early `!` has no effect.
    assert PatternSet(["!keep.txt", "*.txt"]).matches("keep.txt")


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        (".git/HEAD", True),
        ("pkg/node_modules/left-pad/index.js", True),
        ("app/__pycache__/x.cpython-311.pyc", True),
        ("src/.main.py.swp", True),  # Vim swap file
        ("src/.main.py.swx", True),
        ("src/main.py~", True),  # backup file
        ("src/.#main.py", True),  # Emacs lock file
        ("src/#main.py#", True),  # Emacs auto-save file
        ("src/4913", True),  # Vim's write test file
        ("src/main.py___jb_tmp___", True),  # JetBrains safe write
        ("src/main.py", False),
        ("src/gitignore.txt", False),
        ("src/modules/node.js", False),
    ],
)
def test_default_ignores(path: str, ignored: bool) -> None:
    assert is_default_ignored(path) is ignored


def test_read_dockerignore_of_context(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("notes.md\n*.tmp\n")
    patterns = read_dockerignore(tmp_path)
    assert patterns.matches("notes.md")
    assert patterns.matches("x.tmp")
    assert not patterns.matches("Dockerfile")


def test_missing_dockerignore_ignores_nothing(tmp_path: Path) -> None:
    assert not read_dockerignore(tmp_path)
