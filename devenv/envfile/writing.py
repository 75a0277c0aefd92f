"""Writing env files: a new file private to its owner, or an atomic replacement."""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from pathlib import Path

from devenv.envfile.records import EnvFile
from devenv.errors import InputError


def _encode(lines: list[str], newline: str, bom: bool) -> bytes:
    text = "\n".join(lines)
    if not text.endswith("\n"):
        text += "\n"
    data = text.replace("\n", newline).encode("utf-8")
    return codecs.BOM_UTF8 + data if bom else data


def _create_private(path: Path, lines: list[str], newline: str) -> None:
    """Create the file with mode 0600, failing if it appeared in the meantime."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        message = (
            f"{path}: appeared while devenv was writing it. Run the command again."
        )
        raise InputError(message) from error
    with os.fdopen(descriptor, "wb") as stream:
        os.fchmod(stream.fileno(), 0o600)
        stream.write(_encode(lines, newline, bom=False))


def _replace_keeping_mode(env: EnvFile, lines: list[str]) -> None:
    """Replace the file atomically, keeping its mode, line endings and BOM."""
    mode = stat.S_IMODE(env.path.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(dir=env.path.parent, prefix=".env-")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(_encode(lines, env.newline, env.bom))
        os.replace(temporary, env.path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
