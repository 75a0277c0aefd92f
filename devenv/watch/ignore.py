"""Ignore rules for watched paths: defaults, `.dockerignore` and a rule's `ignore`.

Patterns follow `.dockerignore` syntax as Docker's patternmatcher reads it.
`*` and `?` stay within one path segment and `**` spans any number of them.
A leading `!` re-includes, and the last matching pattern decides. A pattern
that matches a folder also matches everything below it.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Folders that are never synced, at any depth below a rule's path.
DEFAULT_IGNORED_FOLDERS = frozenset({".git", "node_modules", "__pycache__"})

# Editor swap, backup and lock files, matched against the file name alone.
# 4913 is the probe file Vim creates to test whether a folder is writable.
DEFAULT_IGNORED_NAMES = (
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
    "4913",
    "*___jb_tmp___",
    "*___jb_old___",
)


@dataclass(frozen=True)
class Pattern:
    """One compiled ignore pattern."""

    regex: re.Pattern[str]
    exclusion: bool


class PatternSet:
    """An ordered list of `.dockerignore` patterns, matched against relative paths."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self.patterns = tuple(_compile(line) for line in lines if _is_pattern(line))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, relative: str) -> bool:
        """Tell whether a path relative to the patterns' base folder is ignored."""
        candidates = _self_and_parents(relative)
        ignored = False
        for pattern in self.patterns:
            if any(pattern.regex.fullmatch(c) for c in candidates):
                ignored = not pattern.exclusion
        return ignored


def read_dockerignore(context: Path) -> PatternSet:
    """Load `context/.dockerignore`; a missing or unreadable file ignores nothing."""
    try:
        text = (context / ".dockerignore").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return PatternSet()
    return PatternSet(text.splitlines())


def is_default_ignored(relative: str) -> bool:
    """Tell whether a path below a rule's folder hits one of the default ignores."""
    parts = PurePosixPath(relative).parts
    if any(part in DEFAULT_IGNORED_FOLDERS for part in parts):
        return True
    name = parts[-1] if parts else ""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in DEFAULT_IGNORED_NAMES)


def _is_pattern(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _compile(line: str) -> Pattern:
    text = line.strip()
    exclusion = text.startswith("!")
    if exclusion:
        text = text[1:].strip()
    text = posixpath.normpath(text).lstrip("/") or "."
    return Pattern(re.compile(_translate(text)), exclusion)


def _translate(pattern: str) -> str:
    """Turn one cleaned pattern into a regular expression over '/'-separated paths."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "*" and pattern[index : index + 1] == "*":
            index += 1
            if pattern[index : index + 1] == "/":
                index += 1
            out.append(".*" if index >= len(pattern) else "(?:.*/)?")
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and index < len(pattern):
            out.append(re.escape(pattern[index]))
            index += 1
        elif char == "[":
            end = pattern.find("]", index)
            if end < 0:
                out.append(re.escape(char))
                continue
            # Go's filepath.Match classes ([a-z], [^0-9]) read the same as regex ones.
            out.append(pattern[index - 1 : end + 1])
            index = end + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _self_and_parents(relative: str) -> list[str]:
    parts = PurePosixPath(relative).parts
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]
