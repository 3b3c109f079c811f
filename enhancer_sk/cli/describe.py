"""``enhancer-sk describe``: what a model file or a published model is, with its model card.

For a model file (written by ``enhancer-sk train``, converted from a published
model, or an LS-GKM model file) it prints, from the file's header only (the
model is not built): class, classes and their names, format and package
versions, size, the main parameters and the model card
(:mod:`enhancer_sk.model_files.cards`: training data and domain, recipe,
scores, intended use, citation).  For the name of a published model
(``enhancer-sk models``) it prints the registry entry and its card, and
whether it is cached in the data home; nothing is downloaded.  ``--json``
prints the same as JSON.  The last line on stderr is the result::

    [describe] TwoLayerEnhancerClassifier, classes ['non', 'strong', 'weak'], with a model card
"""

from __future__ import annotations

import argparse
import json
import os

from ._options import command_parser, logger

__all__ = ["add_parser", "describe_lines", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "describe a model file or a published model: class, classes, parameters, model card"
#: The ``enhancer-sk describe --help`` text.
DESCRIPTION = """
Describe a model file (from 'enhancer-sk train', a published model's cached conversion, or an LS-GKM
model file) from its header, without building the model; or a published model by name (see
'enhancer-sk models'), without downloading it. Prints the class, classes, versions, parameters and
the model card (training data and domain, recipe, scores, intended use, citation).
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "describe", HELP, DESCRIPTION)
    p.add_argument("model", metavar="FILE|NAME", help="a model file, or the name of a published model")
    p.add_argument("--data-home", metavar="DIR", default=None,
                   help="data home of the published models (default: ENHANCER_SK_DATA, else ~/enhancer_sk_data)")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    p.set_defaults(func=run)
    return p


def describe_lines(info: dict) -> list[str]:
    """Readable lines of :func:`enhancer_sk.model_files.describe`'s result (card last)."""
    from ..model_files.cards import format_card

    lines = [f"class: {info['class']}", f"classes: {info['classes']}"]
    if info.get("class_names"):
        lines.append("class names: " + ", ".join(f"{k} = {v}" for k, v in info["class_names"].items()))
    lines.append(f"fitted: {'yes' if info.get('fitted') else 'no'}")
    if info.get("format_version") is not None:
        lines.append(f"model file format {info['format_version']}, written by enhancer-sk {info['package_version']}")
    else:
        lines.append("LS-GKM model file")
    lines.append(f"size: {info['size_bytes']:,} bytes, {info['n_tensors']} tensors")
    params = ", ".join(f"{k}={v}" for k, v in info.get("params", {}).items()
                       if not isinstance(v, (dict, list)) and v is not None)
    if params:
        lines.append(f"parameters: {params}")
    card = format_card(info.get("card"))
    lines.extend(card if card else ["model card: none"])
    return lines


def run(args: argparse.Namespace) -> int:
    from ..model_files import describe
    from ..model_files.registry import REGISTRY, cached_path, describe_entry, list_models

    log = logger("describe")
    value = args.model
    if os.path.exists(value):
        info = describe(value)
        if args.json:
            print(json.dumps(info, indent=1, ensure_ascii=False, default=str))
        else:
            print("\n".join(describe_lines(info)))
        log(f"{info['class']}, classes {info['classes']}, " + ("with a model card" if info.get("card")
                                                                  else "no model card"))
        return 0
    if value not in REGISTRY:
        raise FileNotFoundError(f"no model file {value!r} and no published model of that name; published models: "
                                f"{', '.join(REGISTRY)} (see 'enhancer-sk models')")
    path = cached_path(value, args.data_home)
    if args.json:
        entry = next(e for e in list_models(args.data_home) if e["name"] == value)
        if path.is_file():
            entry["file"] = describe(path)
        print(json.dumps(entry, indent=1, ensure_ascii=False, default=str))
    else:
        print("\n".join(describe_entry(value, args.data_home)))
    log(f"published model {value}" + (", cached in the data home" if path.is_file() else ", not cached yet"))
    return 0
