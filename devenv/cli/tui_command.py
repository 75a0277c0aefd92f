"""`devenv tui`: open the terminal UI for one profile or every running one."""

from __future__ import annotations

import click

# The default of devenv.tui.logbuffer, repeated here so that `devenv --help` does
# not import Textual. A test checks that the two agree.
DEFAULT_BUFFER_LINES = 10_000


@click.command(name="tui")
@click.argument("profile", required=False)
@click.option(
    "--buffer-lines",
    type=click.IntRange(min=1),
    default=DEFAULT_BUFFER_LINES,
    show_default=True,
    help="Log lines kept per service; older lines are dropped.",
)
@click.pass_obj
def tui_command(root: str | None, profile: str | None, buffer_lines: int) -> None:
    """Show live health and logs of PROFILE, or of every running profile.

    Keys: arrows select a service, / searches its log, f filters it, r
    restarts, s stops or starts, e opens a shell, ? lists every key.
    """
    from devenv import engine
    from devenv.cli.common import open_workspace
    from devenv.tui.app import build_app

    app = build_app(open_workspace(root), profile, buffer_lines)
    engine.require_engine()
    app.run()
    if app.return_code:  # Textual has printed the traceback of the crash
        raise SystemExit(app.return_code)
