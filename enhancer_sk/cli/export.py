"""``enhancer-sk export``: write a GkmSVM model file in other programs' formats.

* ``--lsgkm OUT``: the LS-GKM model file ``gkmtrain`` would write for the
  model (``gkmpredict`` then gives the model's decision values; format in
  :mod:`enhancer_sk.model_files.lsgkm`);
* ``--deltasvm OUT``: deltaSVM's weight file, the weight of every
  non-redundant l-mer (:mod:`enhancer_sk.models.svm.deltasvm`).

Only GkmSVM models can be exported; the model file may itself be an LS-GKM
model file.  The last line on stderr is the result, without file paths::

    [export] GkmSVM (l=6 k=4 d=2, 40 support vectors) exported as an LS-GKM model file (exact precision)
    and deltaSVM weights of 2,080 6-mers in 0.1 s

(one line).
"""

from __future__ import annotations

import argparse
import time

from ._options import add_model_file_argument, command_parser, logger, model_file_path

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "write a GkmSVM model as an LS-GKM model file (gkmpredict) or deltaSVM l-mer weights"
#: The ``enhancer-sk export --help`` text.
DESCRIPTION = """
Write a gkm-SVM model file (from 'enhancer-sk train', or an LS-GKM model file) as the LS-GKM model
file gkmtrain would write for it (--lsgkm; plain, or gzip for .gz), which LS-GKM's gkmpredict reads,
and/or as deltaSVM's weight file (--deltasvm): one line 'lmer<TAB>weight' per non-redundant l-mer.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "export", HELP, DESCRIPTION)
    add_model_file_argument(p)
    p.add_argument("--lsgkm", metavar="OUT", help="LS-GKM model file to write (.gz: gzip)")
    p.add_argument("--precision", choices=("exact", "lsgkm"), default="exact",
                   help="numbers in the LS-GKM file: 'exact' (read back exactly, default) or 'lsgkm' "
                   "(gkmtrain's own rounding: alphas %%.16g, rho %%g)")
    p.add_argument("--deltasvm", metavar="OUT", help="deltaSVM weight file to write (.gz: gzip)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..model_files import describe, load
    from ..models.svm.gkm import GkmSVM
    from ._outputs import check_output_paths, write_all_or_none

    log = logger("export")
    start = time.perf_counter()
    if not args.lsgkm and not args.deltasvm:
        raise ValueError("nothing to export: give --lsgkm OUT and/or --deltasvm OUT")
    check_output_paths(args.lsgkm, args.deltasvm)
    model_path = model_file_path(args.model_file, log)
    info = describe(model_path)
    if info["class"] != "GkmSVM":
        raise ValueError(f"{args.model_file!r} holds a {info['class']}: only GkmSVM models (gkm-SVM, "
                         "'--model gkm') can be exported to LS-GKM or deltaSVM")
    model = load(model_path, kind=GkmSVM)
    log(f"model {args.model_file}: GkmSVM l={model.l} k={model.k} d={model.d} kernel={model.kernel}, "
        f"{len(model.support_sequences_)} support vectors, classes {model.classes_.tolist()}")

    done = []

    def write_deltasvm(path: str) -> None:
        from ..models.svm.deltasvm import write_deltasvm_weights

        n = write_deltasvm_weights(model, path)
        log(f"wrote {path}: weights of {n} non-redundant {model.l}-mers")
        done.append(f"deltaSVM weights of {n:,} {model.l}-mers")

    def write_lsgkm(path: str) -> None:
        model.to_lsgkm(path, precision=args.precision)
        log(f"wrote {path} (LS-GKM model file; gkmpredict scores are the model's decision values)")
        done.insert(0, f"an LS-GKM model file ({args.precision} precision)")

    write_all_or_none([(args.lsgkm, write_lsgkm), (args.deltasvm, write_deltasvm)])
    log(f"GkmSVM (l={model.l} k={model.k} d={model.d}, {len(model.support_sequences_)} support vectors) exported "
        f"as {' and '.join(done)} in {time.perf_counter() - start:.1f} s")
    return 0
