"""The ``enhancer-sk`` command: a thin argparse layer over the library.

Each subcommand lives in its own module of this package
exposing ``add_parser(subparsers)`` (which registers the parser and sets
``func``) and ``run(args) -> int``.  Errors about user input end the command
with exit code 2 and one line on stderr; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..exceptions import ModelFileError, SequenceInputError

__all__ = ["build_parser", "main"]

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ("train", "predict", "cv", "scan", "variants", "compare", "audit", "motifs", "explain", "export",
            "models", "describe", "demo")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="enhancer-sk",
        description="Recognise DNA enhancers with deep learning and k-mer baselines.",
    )
    parser.add_argument("--version", action="version", version=f"enhancer-sk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``enhancer-sk``; returns the exit code."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        # answered before the subcommands are imported (they pull in torch and scikit-learn): Galaxy asks
        # for the version of every job
        print(f"enhancer-sk {__version__}")
        raise SystemExit(0)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SequenceInputError, ModelFileError, FileNotFoundError, ValueError) as err:
        print(f"enhancer-sk {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
