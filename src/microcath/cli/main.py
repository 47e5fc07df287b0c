"""Entry point of the ``microcath`` command.

Exit codes: 0 success, 2 bad usage, bad input or an output that cannot be
written (full disk, no permission; one-line message naming the target, the
traceback only with ``--debug``), 3 a solver did not converge (the numbers
are not reported as the answer; ``--allow-unconverged`` where offered), 1
internal failure.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import traceback

import click

from .._version import __version__
from ..errors import MicrocathError

# module names under microcath.cli, each defining ``command``
COMMANDS = [
    "info",
    "import_",
    "convert",
    "materials",
    "generate",
    "analyze",
    "conductivity",
    "stress",
    "render",
    "run",
    "sweep",
    "rve",
    "compare_crystallinity",
    "export_params",
]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_NOT_CONVERGED = 0, 1, 2, 3


class _Group(click.Group):
    """Loads command modules lazily so `microcath --help` stays fast."""

    def list_commands(self, ctx):
        return sorted(self._available())

    def _available(self) -> dict[str, str]:
        out = {}
        for mod in COMMANDS:
            spec = importlib.util.find_spec(f"microcath.cli.{mod}")
            if spec is not None:
                out[mod.rstrip("_").replace("_", "-")] = mod
        return out

    def get_command(self, ctx, name):
        mod = self._available().get(name)
        if mod is None:
            return None
        return importlib.import_module(f"microcath.cli.{mod}").command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="microcath")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
@click.option("--arch", type=click.Choice(["auto", "cuda", "vulkan", "cpu"]), default=None,
              help="Compute backend (default: $MICROCATH_ARCH or auto = CUDA if present, else CPU).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, arch: str | None, quiet: bool) -> None:
    """microcath: composite-cathode microstructures for all-solid-state batteries.

    Generate or import voxel structures, analyse percolation and contact,
    compute effective conductivities and stresses, and render the results.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("microcath").setLevel(level)
    if arch:
        os.environ["MICROCATH_ARCH"] = arch


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used by ``python -m microcath``)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="microcath", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except (MicrocathError, ValueError, TypeError, KeyError, FileNotFoundError,
            IsADirectoryError, NotADirectoryError) as exc:
        if debug:
            traceback.print_exc()
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        click.echo(f"error: {msg}", err=True)
        return EXIT_USAGE
    except OSError as exc:
        from ..io.atomic import output_error

        translated = output_error(exc.filename or "output", exc)
        if debug:
            traceback.print_exc()
        if translated is None:
            click.echo(f"internal error: {type(exc).__name__}: {exc} "
                       "(rerun with --debug for the traceback and report it)", err=True)
            return EXIT_INTERNAL
        click.echo(f"error: {translated}", err=True)
        return EXIT_USAGE
    except MemoryError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: out of memory: {exc}", err=True)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - last line of defence, exit 1
        if debug:
            traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc} "
                   "(rerun with --debug for the traceback and report it)", err=True)
        return EXIT_INTERNAL
    return code if isinstance(code, int) else EXIT_OK


def run() -> None:  # pragma: no cover - console script wrapper
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
