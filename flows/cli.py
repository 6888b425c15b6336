"""The `aigc` command line.

Commands live in `flows/cli_*.py` modules, each exposing `register(group)`, so every concern keeps
its own small module. Only click and the standard library are imported here: `aigc --help` must
answer instantly, so torch, transformers, diffusers and even Prefect load inside the commands.
Errors are handled once, here: user mistakes exit 2 with `Error: ...`, other failures exit 1.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import click

from tasks.errors import AigcError, UserInputError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML settings file (default: $AIGC_CONFIG, else ./aigc.toml when present).",
)
@click.option("-v", "--verbose", is_flag=True, help="More log output on stderr.")
@click.version_option(package_name="aigc-factory")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """AIGC content factory: catalog in; checked copy, creatives and feeds out."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    ctx.obj["verbose"] = verbose


def _register_all() -> None:
    pkg_dir = Path(__file__).parent
    for mod in sorted(pkgutil.iter_modules([str(pkg_dir)]), key=lambda m: m.name):
        if mod.name.startswith("cli_") and mod.name != "cli_common":
            module = importlib.import_module(f"flows.{mod.name}")
            module.register(cli)


_register_all()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="aigc", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserInputError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except AigcError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(0)


if __name__ == "__main__":
    main()
