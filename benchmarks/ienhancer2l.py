"""The Enhancer-LSTMAtt paper protocol on iEnhancer-2L, both layers, two protocols.

Usage::

    ENHANCER_SK_DATA=/path/to/data nice python benchmarks/ienhancer2l.py [--quick] [--threads 2]
        [--max-epochs 9] [--lr 1e-3] [--early-stopping [--patience 4]] [--no-rc] [--layers 1 2]
        [--no-leakfree-cv] [--ensemble 3] [--ensemble-folds 5]

For layer 1 (enhancer vs non-enhancer) and layer 2 (strong vs weak) it prints
Sn, Sp, Acc, MCC, AUC (mean +- std over folds) of

* 5-fold and 10-fold stratified cross-validation on the training set, and
* the independent test (train on the whole training set, score the 400 / 200
  test sequences, threshold 0.5), for ``--seed`` and, for the network, also as
  mean +- std over ``--seeds`` initialisations (default 5): one seed's test
  score is one draw, and its spread is a few AUC points,

and, for the network, its seed ensemble (``--ensemble``, default 3 members:
the mean probability of the networks of seeds ``seed`` .. ``seed + 2``,
exactly what ``enhancer_sk.SeedEnsembleClassifier`` predicts) in the 5-fold CV
(``--ensemble-folds``) and the independent test.  The ensemble reuses the
single network's fits (member 1 is the network of ``seed``; the independent
test's members are its first 3 seeds), so it costs 2 more fits per fold,

under two protocols: ``standard`` (the benchmark as distributed: the 100 test
strong enhancers are also training records) and ``leak-free``
(``load_ienhancer2l(drop_test_duplicates=True)``: those copies removed from the
training set).  Models:

* ``Enhancer-LSTMAtt`` trained from scratch with the ``full`` recipe of
  :mod:`enhancer_sk.presets` (what ``enhancer-sk train --model lstmatt --preset
  full`` trains): Adam lr 1e-3 decaying to 0 over 9 epochs (cosine), batch 64,
  on the whole training set (of each fold), reverse-complement augmentation in
  training and the mean of both strands in prediction.  The README lists the
  recipes tried and their cross-validation scores.  ``--lr``, ``--max-epochs``,
  ``--schedule constant``, ``--early-stopping`` and ``--no-rc`` change it;
* ``GC content + LR``: the composition-only floor (the ``gc`` recipe of :mod:`enhancer_sk.presets`);
* ``authors' weights`` (independent test only): the published Keras weights
  loaded into the port.

It records the wall time per fold and per epoch, and prints the machine and
``os.getloadavg()``.  Designed to finish in < 60 min on a quiet 2-core machine
(``--quick``: < 5 min: a subsample, 2 epochs, no 10-fold CV).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from skorch.callbacks import EarlyStopping, EpochScoring  # noqa: E402
from skorch.dataset import ValidSplit  # noqa: E402

from enhancer_sk.datasets._base import get_data_home
from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l  # noqa: E402
from enhancer_sk.evaluation.metrics import PAPER_COLUMNS, format_table, paper_scores  # noqa: E402
from enhancer_sk.models.meta.ensemble import mean_probability  # noqa: E402
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def log(msg) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def valid_auc(net, X, y) -> float:
    """AUC on the validation split (encoded 0/1 targets, any label values)."""
    return float(roc_auc_score(np.asarray(y) > 0.5, net.predict_proba(X)[:, 1]))


def make_lstmatt(args) -> EnhancerLSTMAttClassifier:
    """The from-scratch model of the benchmark: the ``full`` recipe, changed by the options."""
    net = build_model("lstmatt", preset="full", seed=args.seed, threads=args.threads, length=200)
    if args.early_stopping:
        split = ValidSplit(0.1, stratified=True, random_state=args.seed)
        callbacks = [
            ("valid_auc", EpochScoring(valid_auc, name="valid_auc", lower_is_better=False)),
            (
                "early_stopping",
                EarlyStopping(monitor="valid_auc", lower_is_better=False, patience=args.patience, load_best=True),
            ),
        ]
    else:  # every training sequence is used for training, for a fixed number of epochs
        split, callbacks = None, []
    if args.schedule == "cosine":  # the recipe's cosine decay of the lr to 0 over max_epochs
        callbacks.extend(net.callbacks)
    return net.set_params(lr=args.lr, max_epochs=args.max_epochs, train_split=split, callbacks=callbacks,
                          augment_strands=args.rc, average_strands=args.rc)


def make_gc() -> object:
    return build_model("gc")


def fit_predict(model, X_train, y_train, X_test) -> tuple[np.ndarray, float, list[float]]:
    """Fit a clone, P(class 1) of the test part, wall time and per-epoch times (nets only)."""
    model = clone(model)
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    proba = np.asarray(model.predict_proba(X_test)[:, 1], dtype=np.float64)
    seconds = time.perf_counter() - t0
    epochs = [float(d) for d in model.history[:, "dur"]] if hasattr(model, "history") else []
    return proba, seconds, epochs


def fit_and_score(model, X_train, y_train, X_test, y_test) -> tuple[dict, float, list[float]]:
    """Fit a clone, score the test part; wall time and per-epoch times (nets only)."""
    proba, seconds, epochs = fit_predict(model, X_train, y_train, X_test)
    return paper_scores(y_test, proba), seconds, epochs


def fit_seeds(model, X_train, y_train, X_test, seed: int, n: int) -> list[tuple[np.ndarray, float, list[float]]]:
    """``fit_predict`` of the network with random_state seed, seed + 1, ..., seed + n - 1.

    The mean of their probabilities is exactly what
    ``SeedEnsembleClassifier(model.set_params(random_state=seed), n)`` predicts
    (tests/test_ensemble.py), so one set of fits gives the single networks and the ensemble.
    """
    return [fit_predict(clone(model).set_params(random_state=seed + i), X_train, y_train, X_test) for i in range(n)]


def ensemble_of(runs) -> tuple[np.ndarray, float, list[float]]:
    """The seed ensemble of ``fit_seeds`` runs: mean probability, summed time, all epochs."""
    return (
        mean_probability(r[0] for r in runs),
        float(sum(r[1] for r in runs)),
        [e for r in runs for e in r[2]],
    )


def summarise(name, scores: list[dict], seconds: list[float], epochs: list[list[float]], **extra) -> dict:
    row = {**extra, "model": name}
    for c in PAPER_COLUMNS:
        values = np.array([s[c] for s in scores], dtype=float)
        row[c] = (values.mean(), values.std()) if len(values) > 1 else values[0]
    row["s/fold"] = f"{np.mean(seconds):.1f}"
    flat = [e for run in epochs for e in run]
    row["epochs/fit"] = f"{np.mean([len(e) for e in epochs]):.1f}" if flat else "-"
    row["s/epoch"] = f"{np.mean(flat):.2f}" if flat else "-"
    row["load"] = load()
    return row


def cross_validate_model(name, model, X, y, k, seed, **extra) -> dict:
    scores, seconds, epochs = [], [], []
    for fold, (tr, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(X, y)):
        s, sec, ep = fit_and_score(model, X[tr], y[tr], X[te], y[te])
        scores.append(s)
        seconds.append(sec)
        epochs.append(ep)
        log(
            f"{extra} {name} fold {fold + 1}/{k}: AUC {s['AUC']:.3f} Acc {s['Acc']:.3f} {sec:.1f}s "
            f"({len(ep)} epochs) load {load()}"
        )
    return summarise(name, scores, seconds, epochs, **extra)


def cross_validate_seeds(model, X, y, k, seed, n, **extra) -> list[dict]:
    """CV rows of the network (random_state ``seed``) and of its ``n``-seed ensemble, same folds."""
    single, ensemble = ([], [], []), ([], [], [])
    for fold, (tr, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(X, y)):
        runs = fit_seeds(model, X[tr], y[tr], X[te], seed, n)
        for out, (proba, sec, ep) in ((single, runs[0]), (ensemble, ensemble_of(runs))):
            out[0].append(paper_scores(y[te], proba))
            out[1].append(sec)
            out[2].append(ep)
        log(
            f"{extra} fold {fold + 1}/{k}: Enhancer-LSTMAtt AUC {single[0][-1]['AUC']:.3f} "
            f"Acc {single[0][-1]['Acc']:.3f}, {n}-seed ensemble AUC {ensemble[0][-1]['AUC']:.3f} "
            f"Acc {ensemble[0][-1]['Acc']:.3f} ({ensemble[1][-1]:.1f}s) load {load()}"
        )
    return [
        summarise("Enhancer-LSTMAtt", *single, **extra),
        summarise(f"Enhancer-LSTMAtt, {n}-seed ensemble", *ensemble, **extra),
    ]


def subsample(X, y, n, seed):
    if n is None or n >= len(X):
        return X, y
    idx = np.sort(np.random.default_rng(seed).permutation(len(X))[:n])
    return X[idx], y[idx]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="subsample, 2 epochs, 5-fold only (< 5 min)")
    parser.add_argument("--threads", type=int, default=None, help="default: GALAXY_SLOTS or all CPUs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-epochs", type=int, default=9, help="epochs (the maximum with --early-stopping)")
    parser.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of each training set and stop on its AUC (default: fixed epochs on all of it)",
    )
    parser.add_argument("--patience", type=int, default=4, help="with --early-stopping")
    parser.add_argument(
        "--schedule",
        choices=["constant", "cosine"],
        default="cosine",
        help="learning rate: constant, or cosine decay to 0 over --max-epochs (the recipe: CosineAnnealing)",
    )
    parser.add_argument(
        "--rc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="reverse-complement augmentation in training and strand averaging in prediction (default: on)",
    )
    parser.add_argument(
        "--ensemble",
        type=int,
        default=3,
        help="also score the network as a seed ensemble of this many members (seeds seed .. seed + n - 1, "
        "enhancer_sk.SeedEnsembleClassifier) in the --ensemble-folds CVs and the independent test; 1: off",
    )
    parser.add_argument(
        "--ensemble-folds",
        type=int,
        nargs="*",
        default=[5],
        help="CVs (numbers of folds) that also score the ensemble (each costs --ensemble times the network's)",
    )
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--folds", type=int, nargs="*", default=[5, 10], help="CV folds (none: independent test only)")
    parser.add_argument(
        "--no-leakfree-cv",
        action="store_true",
        help="leak-free protocol: independent test only (CV is unaffected by the test copies)",
    )
    parser.add_argument("--n-train", type=int, default=None, help="subsample the training sets")
    parser.add_argument(
        "--seeds",
        type=int,
        default=5,
        help="independent test of the network: also the mean +- std over this many seeds (seed, seed + 1, ...)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.max_epochs = 2
        args.folds = [5]
        args.n_train = args.n_train or 600
        args.seeds = min(args.seeds, 2)
    t_start = time.perf_counter()
    print(f"# {machine_info()}")
    print(f"# {' '.join(sys.argv)}")
    home = get_data_home()
    print(
        f"# data: {home / 'ienhancer2l'}; model: Enhancer-LSTMAtt lr {args.lr}, batch 64, max {args.max_epochs} "
        + (
            f"epochs, early stopping on validation AUC (patience {args.patience}, 10% split, load_best)"
            if args.early_stopping
            else "epochs on the whole training set (no validation split)"
        )
        + f", lr schedule {args.schedule}, reverse-complement augmentation {'on' if args.rc else 'off'}"
    )
    weights_dir = home / "enhancer_lstmatt_weights"

    rows = []
    lstmatt = make_lstmatt(args)
    for layer in args.layers:
        X_test, y_test = load_ienhancer2l(layer, "test", download_if_missing=False)
        for protocol, drop in (("standard", False), ("leak-free", True)):
            X, y = load_ienhancer2l(layer, "train", drop_test_duplicates=drop, download_if_missing=False)
            X, y = subsample(X, y, args.n_train, args.seed)
            extra_base = {"layer": layer, "protocol": protocol}
            if not (drop and args.no_leakfree_cv):
                for k in args.folds:
                    extra = {**extra_base, "evaluation": f"{k}-fold CV"}
                    rows.append(cross_validate_model("GC content + LR", make_gc(), X, y, k, args.seed, **extra))
                    if args.ensemble > 1 and k in args.ensemble_folds:
                        rows.extend(cross_validate_seeds(lstmatt, X, y, k, args.seed, args.ensemble, **extra))
                        print(format_table(rows[-3:]), flush=True)
                    else:
                        rows.append(cross_validate_model("Enhancer-LSTMAtt", lstmatt, X, y, k, args.seed, **extra))
                        print(format_table(rows[-2:]), flush=True)
            extra = {**extra_base, "evaluation": f"independent ({len(X)} train)"}
            first = len(rows)
            s, sec, ep = fit_and_score(make_gc(), X, y, X_test, y_test)
            rows.append(summarise("GC content + LR", [s], [sec], [ep], **extra))
            # one seed's test score is one draw: also its spread over initialisations, and the ensemble
            runs = fit_seeds(lstmatt, X, y, X_test, args.seed, max(1, args.seeds, args.ensemble))
            scored = [(paper_scores(y_test, p), sec, ep) for p, sec, ep in runs]
            rows.append(summarise("Enhancer-LSTMAtt", *([r] for r in scored[0]), **extra))
            if args.seeds > 1:
                name = f"Enhancer-LSTMAtt, {args.seeds} seeds"
                rows.append(summarise(name, *(list(r) for r in zip(*scored[: args.seeds])), **extra))
            if args.ensemble > 1:
                p, sec, ep = ensemble_of(runs[: args.ensemble])
                name = f"Enhancer-LSTMAtt, {args.ensemble}-seed ensemble"
                rows.append(summarise(name, [paper_scores(y_test, p)], [sec], [ep], **extra))
            for row in rows[first:]:
                log(row)
            if not drop and (weights_dir / f"layer{layer}.h5").exists():
                clf = EnhancerLSTMAttClassifier.from_keras_weights(
                    weights_dir / f"layer{layer}.h5", threads=args.threads
                )
                t0 = time.perf_counter()
                s = paper_scores(y_test, clf.predict_proba(X_test)[:, 1])
                rows.append(
                    summarise(
                        "authors' weights",
                        [s],
                        [time.perf_counter() - t0],
                        [[]],
                        layer=layer,
                        protocol="published",
                        evaluation="independent",
                    )
                )
            print(format_table(rows[-4:]), flush=True)
    print()
    print(f"# all results ({(time.perf_counter() - t_start) / 60:.1f} min)")
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
