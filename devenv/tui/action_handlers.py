"""The app's key actions: find the selected service, run the work, report it.

A mixin of DevenvApp, kept apart so app.py stays about loading and showing
states. The work itself runs in a worker thread through `run_detached`.
"""

from __future__ import annotations

import itertools
import logging
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported
from textual.worker import get_current_worker

from devenv.errors import DevenvError
from devenv.models import ServiceState
from devenv.tui import actions
from devenv.tui.jobs import JobCancelled, run_detached
from devenv.tui.messages import ActionFinished, ActionProgress, skip_when_closing
from devenv.tui.screens.confirm import ConfirmScreen
from devenv.tui.screens.help import HelpScreen

if TYPE_CHECKING:
    from devenv.tui.app import DevenvApp

log = logging.getLogger("devenv")

# Exit codes of `docker exec` when the command is not executable or not found.
_SHELL_MISSING = (126, 127)


class ActionHandlers:
    """Key actions of DevenvApp; every method runs on the UI thread."""

    _action_ids = itertools.count(1)

    # --- choosing the target ---------------------------------------------------------

    def _selected_profile(self: DevenvApp) -> str | None:
        selection = self.main.selection
        if selection is None:
            self._toast_error(
                "Nothing selected", "Select a profile or service in the list."
            )
            return None
        return selection.profile

    def _selected_state(self: DevenvApp) -> tuple[str, ServiceState] | None:
        selection = self.main.selection
        if selection is None or selection.service is None:
            self._toast_error(
                "Select a service", "This action works on one service row."
            )
            return None
        for status in self.statuses.get(selection.profile, []):
            if status.state.service == selection.service:
                return selection.profile, status.state
        return selection.profile, ServiceState(service=selection.service)

    # --- actions bound to keys ------------------------------------------------------

    def action_help(self: DevenvApp) -> None:
        # Installed once and reused, so later presses skip composing and styling it.
        if not self.is_screen_installed("help"):
            self.install_screen(HelpScreen(self.logs.max_lines), name="help")
        self.push_screen("help")

    def action_restart(self: DevenvApp) -> None:
        if target := self._selected_state():
            self.start_action(
                partial(actions.restart, self.backend, target[0], target[1].service)
            )

    def action_stop_start(self: DevenvApp) -> None:
        if target := self._selected_state():
            self.start_action(partial(actions.stop_or_start, self.backend, target[1]))

    def action_rebuild(self: DevenvApp) -> None:
        if target := self._selected_state():
            self.start_action(
                partial(actions.rebuild, self.backend, target[0], target[1].service)
            )

    def action_up(self: DevenvApp) -> None:
        if profile := self._selected_profile():
            self.start_action(partial(actions.up, self.backend, profile))

    def action_down(self: DevenvApp) -> None:
        if profile := self._selected_profile():
            self.start_action(partial(actions.down, self.backend, profile, False))

    def action_down_volumes(self: DevenvApp) -> None:
        profile = self._selected_profile()
        if profile is None:
            return
        question = (
            f"Bring {profile} down and remove its named volumes? "
            "All data in those volumes is lost.\n\ny removes them; n or Esc cancels."
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.start_action(partial(actions.down, self.backend, profile, True))

        self.push_screen(ConfirmScreen(question, "Remove volumes"), answered)

    def action_shell(self: DevenvApp) -> None:
        """Suspend the app and run `docker exec -it CONTAINER sh` in the terminal."""
        target = self._selected_state()
        if target is None:
            return
        state = target[1]
        if state.status != "running":
            self._toast_error("No shell", f"{state.service} is not running.")
            return
        try:
            with self.suspend():
                code = self.backend.open_shell(state.container_id)
        except SuspendNotSupported:
            self._toast_error("No shell", "This terminal cannot suspend the app.")
            return
        except DevenvError as error:
            self._toast_error("No shell", str(error))
            return
        if code in _SHELL_MISSING:
            self._toast_error("No shell", f"The image of {state.service} has no sh.")

    # --- running and reporting ------------------------------------------------------

    def start_action(self: DevenvApp, build: partial[actions.ActionSpec]) -> None:
        """Build the action's spec, which may reject the target, and run it."""
        try:
            spec = build()
        except DevenvError as error:
            self._toast_error("Not possible", str(error))
            return
        action_id = next(self._action_ids)
        self.main.activity_bar.started(action_id, spec.title)
        self.record_activity(f"started: {spec.title}")
        self.run_worker(
            partial(self._run_action, action_id, spec),
            thread=True,
            group="actions",
            name=spec.title,
        )

    def _run_action(self: DevenvApp, action_id: int, spec: actions.ActionSpec) -> None:
        """Runs in a worker thread; posts progress and the outcome as messages."""
        worker = get_current_worker()

        def report(step: str) -> None:
            self.post_message(ActionProgress(action_id, step))

        try:
            summary = run_detached(
                lambda: spec.run(report), lambda: worker.is_cancelled, name=spec.title
            )
        except JobCancelled:
            return
        except DevenvError as error:
            self.post_message(
                ActionFinished(action_id, spec.title, "", error=str(error))
            )
        except Exception as error:
            log.exception("action %r failed unexpectedly", spec.title)
            message = f"Unexpected error: {error!r}. See the Activity tab."
            self.post_message(ActionFinished(action_id, spec.title, "", error=message))
        else:
            self.post_message(ActionFinished(action_id, spec.title, summary))

    @skip_when_closing
    def on_action_progress(self: DevenvApp, message: ActionProgress) -> None:
        self.main.activity_bar.progressed(message.action_id, message.text)

    @skip_when_closing
    def on_action_finished(self: DevenvApp, message: ActionFinished) -> None:
        self.main.activity_bar.finished(message.action_id)
        if message.ok:
            self.record_activity(f"done: {message.summary}", "green")
            self.notify(message.summary, title=message.title, markup=False)
            return
        self.record_activity(f"failed: {message.title}: {message.error}", "red")
        self._toast_error(f"{message.title} failed", message.error)

    def _toast_error(self: DevenvApp, title: str, error: str) -> None:
        error = self.mask(error)
        self.notify(
            actions.first_sentence(error), title=title, severity="error", markup=False
        )
