"""``enhancer-sk models``: the published models that ``-m NAME`` accepts.

One line per registry entry (:mod:`enhancer_sk.model_files.registry`) on
standard output, tab-separated: name, ``cached`` or ``not cached`` (whether
its converted model file is in the data home), and one line of its card
(title and first AUC).  ``--json`` prints the entries (with their cards) as
JSON instead.  The last line on stderr is the result::

    [models] 1 published model(s), 0 cached in the data home
"""

from __future__ import annotations

import argparse
import json

from ._options import command_parser, logger

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "list the published models (use their names with -m in predict, scan, variants ...)"
#: The ``enhancer-sk models --help`` text.
DESCRIPTION = """
List the published models of the registry: name, whether it is already converted and cached in
the data home (--data-home, else ENHANCER_SK_DATA, else ~/enhancer_sk_data), and one line of its
model card. A name can be given to -m/--model-file of predict, scan, variants and motifs; the
authors' files are downloaded, checked and converted on first use. 'enhancer-sk describe NAME'
prints the whole card.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "models", HELP, DESCRIPTION)
    p.add_argument("--data-home", metavar="DIR", default=None,
                   help="data home to look for cached models (default: ENHANCER_SK_DATA, else ~/enhancer_sk_data)")
    p.add_argument("--json", action="store_true", help="print the entries and their cards as JSON")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..model_files.registry import list_models

    log = logger("models")
    entries = list_models(args.data_home)
    if args.json:
        print(json.dumps(entries, indent=1, ensure_ascii=False))
    else:
        for entry in entries:
            print(f"{entry['name']}\t{'cached' if entry['cached'] else 'not cached'}\t{entry['summary']}")
    n_cached = sum(entry["cached"] for entry in entries)
    log(f"{len(entries)} published model(s), {n_cached} cached in the data home")
    return 0
