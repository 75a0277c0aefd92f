"""Messages that workers post to the app; they carry devenv's own records."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from textual.message import Message

from devenv.secrets import Masker
from devenv.stack import ServiceStatus

Handler = TypeVar("Handler", bound=Callable[..., Any])


def skip_when_closing(handler: Handler) -> Handler:
    """Skip an app method once the app exits and its main screen is gone.

    Workers and timers can deliver results after the screen was removed, and
    updating its widgets then raises NoMatches.
    """

    @functools.wraps(handler)
    def guarded(self: Any, *args: Any) -> Any:
        if self.main.is_attached:
            return handler(self, *args)
        return None

    return guarded  # type: ignore[return-value]


class ProfileLoaded(Message):
    """A profile's services, states and secret masker were read for the first time."""

    def __init__(
        self,
        profile: str,
        services: list[str],
        statuses: list[ServiceStatus],
        masker: Masker,
    ) -> None:
        super().__init__()
        self.profile = profile
        self.services = services
        self.statuses = statuses
        self.masker = masker


class StatesChanged(Message):
    """A profile's states were re-read after engine events."""

    def __init__(self, profile: str, statuses: list[ServiceStatus]) -> None:
        super().__init__()
        self.profile = profile
        self.statuses = statuses


class ProfileSeen(Message):
    """Events arrived for a profile that is not on screen yet."""

    def __init__(self, profile: str) -> None:
        super().__init__()
        self.profile = profile


class ActionProgress(Message):
    """A long action reports a step, such as a service's new health verdict."""

    def __init__(self, action_id: int, text: str) -> None:
        super().__init__()
        self.action_id = action_id
        self.text = text


class ActionFinished(Message):
    """An action ended; `error` is the full text of a failure, '' on success."""

    def __init__(
        self, action_id: int, title: str, summary: str, error: str = ""
    ) -> None:
        super().__init__()
        self.action_id = action_id
        self.title = title
        self.summary = summary
        self.error = error

    @property
    def ok(self) -> bool:
        return not self.error


class BackgroundFailed(Message):
    """Loading or refreshing failed outside any action the user started."""

    def __init__(self, title: str, error: str) -> None:
        super().__init__()
        self.title = title
        self.error = error


class RecordLogged(Message):
    """A record of devenv's logger, routed to the Activity tab instead of stderr."""

    def __init__(self, level: str, text: str) -> None:
        super().__init__()
        self.level = level
        self.text = text
