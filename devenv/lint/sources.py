"""Sources of COPY and ADD instructions."""

from __future__ import annotations

import json

from devenv.lint.dockerfile import Instruction


def copy_sources(item: Instruction) -> list[str]:
    """Sources of a COPY or ADD, in shell or JSON form; the last word is the target."""
    text = item.value.strip()
    words: list[str] | None = None
    if text.startswith("["):
        try:
            words = [str(word) for word in json.loads(text)]
        except (json.JSONDecodeError, TypeError):
            words = None
    if words is None:
        words = [word for word in text.split() if not word.startswith("--")]
    return words[:-1]


def copies_from_stage(item: Instruction) -> bool:
    """Tell whether a COPY takes its files from another stage or image (`--from=`)."""
    return any(token.startswith("--from=") for token in item.value.split())
