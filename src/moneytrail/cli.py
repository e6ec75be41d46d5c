"""The `moneytrail` command line: one typer app, one module per stage under `commands/`."""

from __future__ import annotations

import sys

import typer

from moneytrail import __version__
from moneytrail.commands import common
from moneytrail.errors import UserError

app = typer.Typer(
    name="moneytrail",
    help="Follow the money behind child sexual exploitation across a coalition of financial institutions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from moneytrail.commands import demo, detect, ingest, store, synth, trace, web

    for module in (demo, store, web, ingest, trace, synth, detect):
        module.register(app)


@app.command()
def version() -> None:
    """Print the moneytrail version."""
    typer.echo(__version__)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user mistakes exit 2 with one line, failures exit 1, never a traceback."""
    _register()
    try:
        result = app(args=argv, standalone_mode=False)
    except UserError as error:
        common.err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        common.err_console.print("aborted")
        sys.exit(1)
    except typer.TyperException as error:  # click's usage and parameter errors (typer vendors click)
        show = getattr(error, "show", None)
        if show is None:
            raise
        show()
        is_usage = any(cls.__name__ == "UsageError" for cls in type(error).__mro__)
        sys.exit(2 if is_usage else int(getattr(error, "exit_code", 1)))
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
        common.err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        sys.exit(2)
    except Exception as error:
        common.err_console.print(f"[bold red]failed:[/] {type(error).__name__}: {error}", highlight=False)
        common.err_console.print("(set MONEYTRAIL_DEBUG=1 for the traceback)")
        if __import__("os").environ.get("MONEYTRAIL_DEBUG"):
            raise
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
