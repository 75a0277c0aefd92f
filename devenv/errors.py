"""devenv's exceptions. The core raises them; only the CLI maps them to exit codes."""

from __future__ import annotations


class DevenvError(Exception):
    """An error a person can act on: what failed, where, and what to do next."""

    exit_code = 1


class InputError(DevenvError):
    """A profile, fragment, `.env` or command line that devenv cannot accept."""

    exit_code = 2


class StackFailed(DevenvError):
    """The stack did not come up, or a check over it failed."""

    exit_code = 1


class EngineUnavailable(DevenvError):
    """The docker CLI, the Compose plugin or the engine cannot be reached."""

    exit_code = 3


class EngineError(DevenvError):
    """A docker or compose command failed; keeps its command line and stderr."""

    exit_code = 1

    def __init__(
        self, message: str, command: list[str] | None = None, stderr: str = ""
    ) -> None:
        super().__init__(message)
        self.command = command or []
        self.stderr = stderr
