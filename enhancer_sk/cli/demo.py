"""``enhancer-sk demo``: cross-validate the project's models on the embedded synthetic default.

The table goes to stdout; the last line on stderr is the result::

    [demo] 5 models cross-validated (5-fold) on 1000 synthetic sequences in 31.0 s; best AUC 0.953 (k-mer SVM)
"""

from __future__ import annotations

import argparse
import time

from ._options import add_runtime_arguments, command_parser, logger

__all__ = ["DEMO_MODELS", "add_parser", "run"]


#: Models the demo cross-validates (recipes of :mod:`enhancer_sk.presets`, fast preset).
DEMO_MODELS = ("gc", "kmer", "gkm", "deepenhancer", "lstmatt")


#: One line for ``enhancer-sk --help``.
HELP = "cross-validate the models on a generated data set and print the paper-style table"
#: The ``enhancer-sk demo --help`` text.
DESCRIPTION = """
Generate synthetic enhancers (planted motifs), run k-fold cross-validation of the project's models
and print Sn, Sp, Acc, MCC, AUC.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "demo", HELP, DESCRIPTION)
    p.add_argument("--n-samples", type=int, default=1000, help="number of sequences (default 1000)")
    p.add_argument("--length", type=int, default=200, help="sequence length in bp (default 200)")
    p.add_argument("--folds", type=int, default=5, metavar="K", help="number of folds (default 5)")
    add_runtime_arguments(p, seed=True)
    p.add_argument("--models", default=",".join(DEMO_MODELS),
                   help=f"comma-separated models among {', '.join(DEMO_MODELS)} (default: all)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from ..datasets.synthetic import make_synthetic_enhancers
    from ..evaluation.metrics import PAPER_COLUMNS, SCORING, format_table
    from ..presets import RECIPES, build_model
    from ..threads import limit_threads

    log = logger("demo")
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if not names:
        raise ValueError(f"--models is empty; choose from {', '.join(DEMO_MODELS)}")
    unknown = [n for n in names if n not in DEMO_MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(DEMO_MODELS)}")
    start = time.perf_counter()
    X, y = make_synthetic_enhancers(args.n_samples, args.length, random_state=args.seed)
    log(f"{len(X)} synthetic sequences of {args.length} bp ({int(y.sum())} enhancers), "
        f"{args.folds}-fold cross-validation")
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    scoring = {k: SCORING[k] for k in PAPER_COLUMNS}
    models = {RECIPES[n].title: build_model(n, preset="fast", seed=args.seed, threads=args.threads,
                                            length=args.length) for n in names}
    rows = {}
    with limit_threads(args.threads):
        for i, (name, model) in enumerate(models.items(), start=1):
            t0 = time.perf_counter()
            log(f"({i}/{len(models)}) {name} ...")
            res = cross_validate(model, X, y, cv=cv, scoring=scoring)
            rows[name] = {c: (float(res[f"test_{c}"].mean()), float(res[f"test_{c}"].std())) for c in PAPER_COLUMNS}
            rows[name]["time (s)"] = f"{time.perf_counter() - t0:.1f}"
            log(f"({i}/{len(models)}) {name}: AUC {rows[name]['AUC'][0]:.3f} in {rows[name]['time (s)']} s")
    print(f"Cross-validation ({args.folds}-fold) on {len(X)} synthetic sequences, mean ± std over folds")
    print(format_table(rows, columns=["model", *PAPER_COLUMNS, "time (s)"]))
    best = max(rows, key=lambda name: rows[name]["AUC"][0])
    log(f"{len(rows)} model(s) cross-validated ({args.folds}-fold) on {len(X)} synthetic sequences in "
        f"{time.perf_counter() - start:.1f} s; best AUC {rows[best]['AUC'][0]:.3f} ({best})")
    return 0
