"""`refrain ...` (or `python -m index ...`): build, inspect, query and mine a Refrain index from the shell.

Every command module registers its subcommands with `register(sub)`, each parser naming its handler with
`set_defaults(run=...)`; handlers import the heavy libraries themselves, so `--help` stays fast.
Exit codes: 0 success (no results included), 2 user error (one line, no traceback), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import sys

from index.cli import analysis, build, explore, query, recurring
from index.cli.args import Parser
from index.errors import RefrainError

COMMAND_MODULES = (build, query, recurring, analysis, explore)


def build_parser(prog: str = "refrain") -> argparse.ArgumentParser:
    parser = Parser(prog=prog, description="Refrain: build and query a semantic index of speeches.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None, prog: str = "refrain") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        return args.run(args)
    except RefrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def console() -> None:
    """The `refrain` console script."""
    sys.exit(main())
