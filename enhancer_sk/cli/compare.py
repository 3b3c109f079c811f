"""``enhancer-sk compare``: cross-validate several models on the same folds; tables and figures.

Training data and cross-validation options are those of ``enhancer-sk cv``
(:mod:`enhancer_sk.cli._training`); the models are named recipes of
:mod:`enhancer_sk.presets` (``--models``), with ``--preset`` and ``--param``
applied to every model that has the parameter.  It runs
:func:`enhancer_sk.evaluation.comparison.compare_models` and writes into the
output folder (each file atomically):

* ``fold_scores.tsv``: Sn, Sp, Acc, MCC, AUC, AUPRC and times of every model and fold;
* ``summary.tsv``: mean and standard deviation over folds;
* ``wilcoxon.tsv``: pairwise Wilcoxon signed-rank tests on the paired folds;
* ``oof_scores.tsv``: every sequence's out-of-fold score from every model;
* ``intervals.tsv``: each model's AUC, AUPRC, MCC and Acc on the pooled out-of-fold scores with
  95% bootstrap intervals; ``paired_bootstrap.tsv``: each pair's differences with paired
  intervals and whether they are resolvable (:meth:`ModelComparison.bootstrap
  <enhancer_sk.evaluation.comparison.ModelComparison.bootstrap>`);
* ``calibration.tsv``: ECE and Brier score of the models that give probabilities (with
  ``--calibrate``, each model beside its calibrated copy ``<name>+<method>``);
* ``fold_scores.png``: boxplots of the fold scores;
* ``roc_pr.png``: ROC and precision-recall curves of all models;
* ``--html`` (optional, any path): a self-contained report of the tables and figures.

``--split similarity`` keeps near-duplicate clusters (and, with
``--chromosome-groups``, chromosomes) inside one fold
(:class:`~enhancer_sk.evaluation.leakage.SimilarityGroupKFold`).

The mean ± std table is also printed on stdout; progress goes to stderr, and
the last line on stderr is the result, without file paths::

    [compare] kmer, gc compared by 5-fold cross-validation on 120 sequences: best AUC 0.912 +/- 0.031
    (kmer); gc 0.650 +/- 0.040 in 3.4 s

(one line).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

import numpy as np

from ..presets import MODEL_NAMES, RECIPES
from ._options import add_runtime_arguments, command_parser, logged_warnings, logger, mean_sd, set_runtime
from ._training import (
    add_cv_arguments,
    add_data_arguments,
    add_param_argument,
    add_preset_argument,
    apply_params,
    cv_splitter,
    read_cv_data,
    with_calibrated,
)

__all__ = ["DEFAULT_MODELS", "add_parser", "run"]

#: Models compared when ``--models`` is not given.
DEFAULT_MODELS = "kmer,gkm,deepenhancer,gc"


def _parse_models(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError("--models is empty; give names such as kmer,gkm,deepenhancer,gc")
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"--models names a model twice: {text!r}")
    return names


#: One line for ``enhancer-sk --help``.
HELP = "cross-validate several models on the same folds; write score tables and figures"
#: The ``enhancer-sk compare --help`` text.
DESCRIPTION = """
Cross-validate several models on the same stratified folds and write per-fold scores, mean/std,
pairwise Wilcoxon signed-rank tests and out-of-fold scores (TSV), fold-score boxplots and ROC /
precision-recall curves (PNG) to an output folder.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "compare", HELP, DESCRIPTION)
    add_data_arguments(p)
    m = p.add_argument_group("models")
    m.add_argument("--models", default=DEFAULT_MODELS, metavar="NAMES",
                   help=f"comma-separated models from {', '.join(MODEL_NAMES)} (default {DEFAULT_MODELS})")
    add_preset_argument(m)
    add_param_argument(m)
    add_cv_arguments(p)
    add_runtime_arguments(p, seed=True, seed_help="seed of the folds and the models (default 0)", quiet=True)
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="folder for the tables and figures")
    out.add_argument("--prefix", default="", help="prefix of the output file names")
    out.add_argument("--html", metavar="PATH", help="also write a self-contained HTML report (tables and figures)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..evaluation.comparison import compare_models
    from ..evaluation.plots import plot_comparison
    from ..presets import build_model
    from ..threads import limit_threads, resolve_threads

    log = logger("compare")
    names = _parse_models(args.models)
    start = time.perf_counter()
    ids, X, y, description, pos_label = read_cv_data(args)
    length = int(np.median([len(s) for s in X]))
    threads = resolve_threads(args.threads)
    cv, groups, folds_text = cv_splitter(args, ids)
    log(f"{description}, median length {length} bp; {folds_text}, seed {args.seed}, {threads} thread(s)")
    models = {name: build_model(name, preset=args.preset, seed=args.seed, threads=threads, length=length)
              for name in names}
    apply_params(models, args.param)
    for name, model in models.items():
        set_runtime(model, threads=threads, verbose=0 if args.quiet else 1)  # networks: epoch log, progress
        log(f"model {name}: {RECIPES[name].title}")
    models = with_calibrated(models, args)
    with logged_warnings(log), limit_threads(threads), \
            contextlib.redirect_stdout(sys.stderr):  # skorch prints epochs on stdout
        result = compare_models(models, X, y, cv=cv, groups=groups, random_state=args.seed, pos_label=pos_label,
                                ids=ids, verbose=1, log=log)
    paths = result.write(args.output_dir, prefix=args.prefix)
    paths.update(plot_comparison(result, args.output_dir, prefix=args.prefix))
    if args.html:
        from ..evaluation.report import comparison_report

        paths["html"] = comparison_report(
            result, title=f"Comparison of {len(names)} models, {args.folds}-fold cross-validation",
            description=f"Data: {description}. {folds_text}, the same folds for every model, seed {args.seed}."
            + (f" A name '+{args.calibrate}' is the model calibrated by {args.calibrate} regression on out-of-fold "
               f"scores of {args.calibration_folds} inner folds." if args.calibrate else ""),
            figures={"ROC and precision-recall curves of the pooled out-of-fold scores": paths["roc_pr_png"],
                     "Scores of each fold": paths["fold_scores_png"]},
        ).write(args.html)
    print(f"{args.folds}-fold cross-validation, mean ± std over folds ({description})")
    print(result.to_text([*result.metrics, "fit_time"]))
    print("\n95% bootstrap intervals of the pooled out-of-fold scores")
    print(result.interval_text())
    for path in paths.values():
        log(f"wrote {path}")
    log(f"note: with {args.folds} folds the smallest two-sided Wilcoxon p-value is {2 / 2**args.folds:.3g} "
        "(column p_min), and folds share training data, so p-values are optimistic")
    summary = result.summary()
    ranked = sorted(names, key=lambda n: -np.nan_to_num(summary[n]["AUC"][0], nan=-np.inf))
    others = "; ".join(mean_sd(summary[n], ("AUC",)).replace("AUC", n, 1) for n in ranked[1:])
    log(f"{', '.join(names)} compared by {args.folds}-fold cross-validation on {len(y)} sequences: best "
        f"{mean_sd(summary[ranked[0]], ('AUC',))} ({ranked[0]})" + (f"; {others}" if others else "")
        + f" in {time.perf_counter() - start:.1f} s")
    return 0
