"""Hot reload: apply file changes to a running profile, as `devenv watch` does."""

from __future__ import annotations

from devenv.watch.events import (
    ActionDone,
    InputsApplied,
    InputsChecked,
    InputsRejected,
    RuleSummary,
    WatchEvent,
    WatchNotice,
    WatchStarted,
)
from devenv.watch.session import WatchSession, watch_stack

__all__ = [
    "ActionDone",
    "InputsApplied",
    "InputsChecked",
    "InputsRejected",
    "RuleSummary",
    "WatchEvent",
    "WatchNotice",
    "WatchSession",
    "WatchStarted",
    "watch_stack",
]
