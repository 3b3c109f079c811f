"""``enhancer-sk cv``: k-fold cross-validation of one model configuration.

Training data and model options are those of ``enhancer-sk train`` (see
:mod:`enhancer_sk.cli._training`); folds are stratified and
seeded by ``--seed``.  Three-class data (non / weak / strong) are
cross-validated one layer at a time with ``--layer 1`` (enhancer vs
non-enhancer, all sequences) or ``--layer 2`` (strong vs weak, enhancers
only).

``--split similarity`` keeps near-duplicate clusters (and, with
``--chromosome-groups``, chromosomes) inside one fold
(:class:`~enhancer_sk.evaluation.leakage.SimilarityGroupKFold`);
``--calibrate sigmoid|isotonic`` cross-validates the model's calibrated copy
beside it (:func:`~enhancer_sk.evaluation.calibration.calibrate`) and reports
ECE and Brier score of both.

Outputs, each optional and written atomically after the last fold:

* ``--fold-scores``: Sn, Sp, Acc, MCC, AUC, AUPRC, fit and score time of every fold (TSV);
* ``--summary``: their mean and standard deviation (TSV);
* ``--oof``: every sequence's out-of-fold probability, label and fold (TSV);
* ``--plot``: ROC and precision-recall curves of the pooled out-of-fold scores (PNG);
* ``--html``: a self-contained report with the tables and the curves.

The mean ± std table is printed on stdout; progress goes to stderr, and the
last line on stderr is the result, without file paths::

    [cv] 5-fold cross-validation of kmer on 120 sequences: AUC 0.912 +/- 0.031, MCC 0.700 +/- 0.050
    (mean +/- sd over folds) in 3.2 s

(one line).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

import numpy as np

from ._options import (
    add_runtime_arguments,
    command_parser,
    logged_warnings,
    logger,
    mean_sd,
    set_runtime,
    show_label,
)
from ._outputs import check_output_paths, write_all_or_none
from ._training import (
    add_cv_arguments,
    add_data_arguments,
    add_model_arguments,
    cv_splitter,
    describe_estimator,
    model_from_args,
    read_cv_data,
    with_calibrated,
)

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "cross-validate one model configuration; score tables, ROC/PR curves, HTML report"
#: The ``enhancer-sk cv --help`` text.
DESCRIPTION = """
Stratified k-fold cross-validation of one model (same data and model options as 'enhancer-sk
train'): Sn, Sp, Acc, MCC, AUC, AUPRC per fold and as mean ± std, out-of-fold scores, ROC /
precision-recall curves (PNG) and an optional self-contained HTML report.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "cv", HELP, DESCRIPTION)
    add_data_arguments(p)
    add_model_arguments(p, two_layer=False)
    add_runtime_arguments(p, seed=True, seed_help="seed of the folds and the model (default 0)", quiet=True)
    add_cv_arguments(p)
    out = p.add_argument_group("output (each optional)")
    out.add_argument("--fold-scores", metavar="TSV", help="scores of every fold")
    out.add_argument("--summary", metavar="TSV", help="mean and standard deviation over folds")
    out.add_argument("--oof", metavar="TSV", help="out-of-fold score of every sequence")
    out.add_argument("--plot", metavar="PNG", help="ROC and precision-recall curves of the out-of-fold scores")
    out.add_argument("--html", metavar="HTML", help="self-contained report with the tables and the curves")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..evaluation.comparison import compare_models
    from ..evaluation.metrics import format_table
    from ..evaluation.plots import plot_roc_pr, save_figure
    from ..evaluation.report import comparison_report
    from ..io.tables import write_tsv
    from ..threads import limit_threads, resolve_threads

    log = logger("cv")

    start = time.perf_counter()
    check_output_paths(args.fold_scores, args.summary, args.oof, args.plot, args.html)
    ids, X, y, description, pos_label = read_cv_data(args)
    length = int(np.median([len(s) for s in X]))
    threads = resolve_threads(args.threads)
    model = model_from_args(args, length=length)
    set_runtime(model, threads=threads, verbose=0 if args.quiet else 1)  # networks: epoch log, progress
    cv, groups, folds_text = cv_splitter(args, ids)
    models = with_calibrated({args.model: model}, args)
    log(f"data: {description}; median length {length} bp")
    log(f"model: {describe_estimator(model)}")
    log(f"{folds_text}, seed {args.seed}, {threads} thread(s)")
    with logged_warnings(log), limit_threads(threads), \
            contextlib.redirect_stdout(sys.stderr):  # skorch prints epochs on stdout
        result = compare_models(models, X, y, cv=cv, groups=groups, random_state=args.seed,
                                pos_label=pos_label, ids=ids, verbose=1, log=log)
    title = f"{args.folds}-fold cross-validation of {args.model}"
    curves = None
    if args.plot or args.html:
        curves = plot_roc_pr(result.y_true, result.oof_scores, pos_label=result.pos_label,
                             suptitle=f"Out-of-fold scores pooled over {args.folds} folds")
    paragraph = (f"Data: {description}. Model: {describe_estimator(model)}. {folds_text}, seed {args.seed}; "
                 f"positive class {show_label(result.pos_label)}."
                 + (f" '{args.model}+{args.calibrate}' is the model calibrated by {args.calibrate} regression on "
                    f"out-of-fold scores of {args.calibration_folds} inner folds." if args.calibrate else ""))
    written = write_all_or_none([
        (args.fold_scores, lambda path: write_tsv(path, result.fold_table())),
        (args.summary, lambda path: write_tsv(path, result.summary_table())),
        (args.oof, lambda path: write_tsv(path, result.oof_table())),
        (args.plot, lambda path: save_figure(curves, path)),
        (args.html, lambda path: comparison_report(
            result, title=title, description=paragraph,
            figures={"ROC and precision-recall curves of the pooled out-of-fold scores": curves},
        ).write(path)),
    ])
    print(f"{title}, mean ± std over folds ({description})")
    print(result.to_text([*result.metrics, "fit_time"]))
    print("\n95% bootstrap intervals of the pooled out-of-fold scores")
    print(result.interval_text())
    calibration = result.calibration_table()
    if calibration:
        print("\nCalibration of the pooled out-of-fold probabilities (ECE: 10 equal-width bins)")
        print(format_table({r["model"]: r for r in calibration}, ["model", "ECE", "Brier"], digits=4))
    for path in written:
        log(f"wrote {path}")
    log(f"{args.folds}-fold cross-validation of {args.model} on {len(y)} sequences: "
        f"{mean_sd(result.summary()[args.model], ('AUC', 'MCC'))} (mean +/- sd over folds) "
        f"in {time.perf_counter() - start:.1f} s")
    return 0
