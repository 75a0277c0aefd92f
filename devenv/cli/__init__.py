"""devenv's command line: the click group and the one place errors become exit codes."""

from __future__ import annotations

import logging
import os
import sys

import click

from devenv.cli.stack_commands import register as register_stack_commands

log = logging.getLogger("devenv")


class DevenvGroup(click.Group):
    """Maps devenv's exceptions to exit codes, once, for every command."""

    def invoke(self, ctx: click.Context):
        from devenv.errors import DevenvError

        try:
            return super().invoke(ctx)
        except DevenvError as error:
            message = _mask_secrets(str(error), ctx.obj)
            click.secho(f"error: {message}", fg="red", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader (`| head`) went away, so write nothing more to the pipe.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception:  # noqa: BLE001 - the last resort: keep the evidence
            path = _write_crash_log()
            click.secho(
                f"error: devenv failed unexpectedly; details are in {path}. "
                "Please attach that file when reporting the problem.",
                fg="red",
                err=True,
            )
            ctx.exit(1)


def _mask_secrets(message: str, root: str | None) -> str:
    """Mask secret values of the workspace's `.env` in an error message."""
    from devenv.cli.common import open_workspace
    from devenv.envfile import load_masker
    from devenv.errors import DevenvError

    try:
        return load_masker(open_workspace(root)).text(message)
    except DevenvError:
        return message


def _write_crash_log() -> str:
    """Write the traceback with devenv, Python, Docker and Compose versions."""
    import os
    import platform
    import tempfile
    import traceback

    from devenv import __version__, engine

    folder = os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "devenv"
    )
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        folder = tempfile.gettempdir()
    path = os.path.join(folder, "crash.log")
    versions = engine.versions()
    with open(path, "w", encoding="utf-8") as log_file:
        log_file.write(f"devenv {__version__}\n")
        log_file.write(f"python {platform.python_version()} on {platform.platform()}\n")
        log_file.write(
            f"docker client {versions['client']}, engine {versions['engine']}, "
            f"compose {versions['compose']}\n\n"
        )
        log_file.write(traceback.format_exc())
    return path


@click.group(cls=DevenvGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    envvar="DEVENV_ROOT",
    help="Workspace folder; also read from DEVENV_ROOT (default: found by walking "
    "up from the current folder).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every engine call to stderr.")
@click.version_option(package_name="devenv")
@click.pass_context
def main(ctx: click.Context, root: str | None, verbose: bool) -> None:
    """Bring up, watch and check a workspace's Docker Compose profiles.

    A workspace is a folder with profiles/ (which fragments make up an
    environment) and compose/ (the Compose fragments). Start with
    `devenv ls`, then `devenv up PROFILE`.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = root


register_stack_commands(main)


def _register_optional_groups() -> None:
    """Add the command groups whose modules exist in this build."""
    from importlib import import_module

    for module_name, attribute in (
        ("devenv.cli.env_commands", "env_group"),
        ("devenv.cli.watch_commands", "watch_command"),
        ("devenv.cli.tui_command", "tui_command"),
        ("devenv.cli.lint_commands", "lint_command"),
        ("devenv.cli.lint_commands", "doctor_command"),
    ):
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        main.add_command(getattr(module, attribute))


_register_optional_groups()

if __name__ == "__main__":
    sys.exit(main())
