"""``enhancer-sk demo``: cross-validate the project's models on the embedded synthetic default."""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["add_parser", "run", "demo_models"]


#: Models the demo cross-validates (names of ``enhancer-sk compare``), fast presets.
DEMO_MODELS = ("gc", "kmer", "gkm", "deepenhancer", "lstmatt")


def demo_models(names, seed: int, threads: int | None, length: int) -> dict:
    """Fast presets of the demo's models, keyed by display name."""
    from .compare import build_model, describe_model

    return {describe_model(n): build_model(n, preset="fast", seed=seed, threads=threads, length=length)
            for n in names}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="cross-validate the models on a generated data set and print the paper-style table",
        description="Generate synthetic enhancers (planted motifs), run k-fold cross-validation "
        "of the project's models and print Sn, Sp, Acc, MCC, AUC.",
    )
    p.add_argument("--n-samples", type=int, default=1000, help="number of sequences (default 1000)")
    p.add_argument("--length", type=int, default=200, help="sequence length in bp (default 200)")
    p.add_argument("--cv", type=int, default=5, help="number of folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: GALAXY_SLOTS or all)")
    p.add_argument("--models", default=",".join(DEMO_MODELS),
                   help=f"comma-separated models among {', '.join(DEMO_MODELS)} (default: all)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from ..datasets.synthetic import make_synthetic_enhancers
    from ..evaluation.metrics import PAPER_COLUMNS, SCORING, format_table
    from ..threads import limit_threads

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    X, y = make_synthetic_enhancers(args.n_samples, args.length, random_state=args.seed)
    log(f"[demo] {len(X)} synthetic sequences of {args.length} bp ({int(y.sum())} enhancers), "
        f"{args.cv}-fold cross-validation")
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=args.seed)
    scoring = {k: SCORING[k] for k in PAPER_COLUMNS}
    rows = {}
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    models = demo_models(names, args.seed, args.threads, args.length)
    with limit_threads(args.threads):
        for i, (name, model) in enumerate(models.items(), start=1):
            t0 = time.perf_counter()
            log(f"[demo] ({i}/{len(models)}) {name} ...")
            res = cross_validate(model, X, y, cv=cv, scoring=scoring)
            rows[name] = {c: (float(res[f"test_{c}"].mean()), float(res[f"test_{c}"].std())) for c in PAPER_COLUMNS}
            rows[name]["time (s)"] = f"{time.perf_counter() - t0:.1f}"
            log(f"[demo] ({i}/{len(models)}) {name}: AUC {rows[name]['AUC'][0]:.3f} "
                f"in {rows[name]['time (s)']} s")
    print(f"Cross-validation ({args.cv}-fold) on {len(X)} synthetic sequences, mean ± std over folds")
    print(format_table(rows, columns=["model", *PAPER_COLUMNS, "time (s)"]))
    return 0
