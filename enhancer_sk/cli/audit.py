"""``enhancer-sk audit``: is a train/test benchmark honest?  Overlaps across the split and trivial baselines.

For a training set and a test set (each given like the training data of
``enhancer-sk train``: two FASTA files, a FASTA file and a label table, or the
three iEnhancer-2L classes with ``--layer``), the audit reports:

* every test sequence that is an exact, reverse-complement or near duplicate
  (identity >= ``--identity`` over the shorter sequence) of a training sequence
  (:func:`~enhancer_sk.evaluation.leakage.find_overlaps`), counted per test class;
* how far GC content alone and length alone go: each baseline (standardised
  feature + logistic regression) fitted on the training set and scored on the test
  set (AUROC with a 95% stratified-bootstrap interval), and each feature's own
  AUROC within the training set (direction-free: max(AUROC, 1 - AUROC)).

Outputs: ``--overlaps`` (TSV, one line per pair), ``--summary`` (TSV, one line
per check) and ``--html`` (the same in one page).  The last line on stderr is
the result, without file paths::

    [audit] 400 test sequences: 100 exact, 0 reverse-complement, 0 near duplicates of training sequences
    (100 of class 1); GC-only AUROC 0.815, length-only AUROC 0.500 in 3.1 s
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ._options import add_runtime_arguments, command_parser, logger, show_label
from ._outputs import check_output_paths, write_all_or_none
from ._training import add_data_arguments, read_binary_task

__all__ = ["add_parser", "run"]

#: One line for ``enhancer-sk --help``.
HELP = "check a train/test pair: duplicates across the split, GC-only and length-only baselines"
#: The ``enhancer-sk audit --help`` text.
DESCRIPTION = """
Audit a benchmark: find the test sequences that are exact, reverse-complement or near duplicates of
training sequences, and measure how well GC content alone and length alone (fitted on the training
set) separate the test classes. The training set is given like that of 'enhancer-sk train', the
test set with the same options prefixed --test-.
"""

_TEST_SOURCES = ("positive", "negative", "fasta", "labels", "strong", "weak", "non")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "audit", HELP, DESCRIPTION)
    add_data_arguments(p)
    add_data_arguments(p, prefix="test-")
    p.add_argument("--layer", type=int, choices=(1, 2), default=None,
                   help="three-class data (non / weak / strong): 1 = enhancer vs non-enhancer, 2 = strong vs weak")
    p.add_argument("--identity", type=float, default=0.9, metavar="F",
                   help="near duplicates: identity at least F over the shorter sequence (default 0.9)")
    out = p.add_argument_group("output")
    out.add_argument("--overlaps", metavar="TSV", help="every overlapping train/test pair")
    out.add_argument("--summary", metavar="TSV", help="one line per check")
    out.add_argument("--html", metavar="HTML", help="the audit as one HTML page")
    add_runtime_arguments(p, seed=True, seed_help="seed of --synthetic training data and of the bootstrap "
                          "(default 0)")
    p.set_defaults(func=run)
    return p


def _read(args: argparse.Namespace, prefix: str = ""):
    """(ids, X, y, description) of the training (``prefix=""``) or test (``"test_"``) data, one binary task."""
    if prefix:
        args = argparse.Namespace(**{name: getattr(args, prefix + name) for name in _TEST_SOURCES},
                                  synthetic=False, n_samples=0, seed=args.seed, layer=args.layer)
        if not any(getattr(args, name) for name in _TEST_SOURCES):
            raise ValueError("give the test data: --test-positive/--test-negative, --test-fasta/--test-labels "
                             "or --test-strong/--test-weak/--test-non")
    ids, X, y, description = read_binary_task(args)
    return ids, X, np.asarray(y), description


def _feature_auroc(y, feature, pos_label) -> float:
    """AUROC of a raw feature, whichever direction separates (0.5 when it is constant)."""
    from sklearn.metrics import roc_auc_score

    if np.ptp(feature) == 0:
        return 0.5
    auc = float(roc_auc_score(y == pos_label, feature))
    return max(auc, 1.0 - auc)


def _baseline(name: str, X_train, y_train, X_test, y_test, pos_label, seed: int) -> dict:
    """A one-feature baseline fitted on the training set: test AUROC with its bootstrap interval."""
    from ..evaluation.metrics import bootstrap_ci
    from ..presets import feature_baseline
    from ..sequence.encoders import GCContent, SequenceLength

    encoder = GCContent() if name == "GC content" else SequenceLength()
    model = feature_baseline(encoder).fit(X_train, y_train)
    column = list(model.classes_).index(pos_label)
    proba = model.predict_proba(X_test)[:, column]
    if np.ptp(proba) == 0:
        score = low = high = 0.5
    else:
        score, low, high = bootstrap_ci(y_test == pos_label, proba, random_state=seed)
    feature_train = encoder.transform(X_train)[:, 0]
    return {"baseline": name, "test_AUROC": score, "low": low, "high": high,
            "train_feature_AUROC": _feature_auroc(y_train, feature_train, pos_label)}


def run(args: argparse.Namespace) -> int:
    from ..evaluation.leakage import find_overlaps
    from ..evaluation.report import HtmlReport
    from ..io.tables import write_tsv
    from ..threads import resolve_threads

    log = logger("audit")
    start = time.perf_counter()
    if not 0 < args.identity <= 1:
        raise ValueError(f"--identity must lie in (0, 1], got {args.identity}")
    check_output_paths(args.overlaps, args.summary, args.html)
    threads = resolve_threads(args.threads)
    ids_tr, X_tr, y_tr, desc_tr = _read(args)
    ids_te, X_te, y_te, desc_te = _read(args, "test_")
    log(f"training set: {desc_tr}")
    log(f"test set: {desc_te}")
    classes = np.unique(np.r_[y_tr, y_te])
    if len(classes) != 2 or set(np.unique(y_te).tolist()) - set(np.unique(y_tr).tolist()):
        raise ValueError(f"the training and test sets must hold the same two classes, got "
                         f"{sorted(map(str, np.unique(y_tr)))} and {sorted(map(str, np.unique(y_te)))}")
    pos_label = classes[-1]

    table = find_overlaps(X_tr, X_te, identity=args.identity, ids_train=ids_tr, ids_test=ids_te, threads=threads)
    kinds = np.asarray(table["kind"])
    test_index = np.asarray(table["test_index"])
    counts = {kind: len(np.unique(test_index[kinds == kind])) for kind in ("exact", "reverse_complement", "near")}
    overlapping = np.unique(test_index)
    by_class = {show_label(c): int(np.sum(y_te[overlapping] == c)) for c in classes}
    same_label = int(np.sum(y_tr[np.asarray(table["train_index"])] == y_te[test_index]))
    log(f"{len(table)} overlapping train/test pair(s); {len(overlapping)} of {len(y_te)} test sequences overlap")

    baselines = [_baseline(name, X_tr, y_tr, X_te, y_te, pos_label, args.seed) for name in ("GC content", "length")]
    lengths = np.array([len(s) for s in np.r_[X_tr, X_te]])
    summary = [
        {"check": "training sequences", "value": len(y_tr), "detail": desc_tr},
        {"check": "test sequences", "value": len(y_te), "detail": desc_te},
        {"check": "test sequences with an exact copy in training", "value": counts["exact"], "detail": ""},
        {"check": "test sequences with a reverse-complement copy in training",
         "value": counts["reverse_complement"], "detail": ""},
        {"check": f"test sequences with a near copy in training (identity >= {args.identity:g})",
         "value": counts["near"], "detail": ""},
        {"check": "overlapping test sequences by test class", "value": len(overlapping),
         "detail": ", ".join(f"{n} of class {c}" for c, n in by_class.items())},
        {"check": "overlapping pairs with the same label on both sides", "value": same_label,
         "detail": f"of {len(table)} pairs"},
    ]
    for b in baselines:
        summary.append({"check": f"{b['baseline']} only, fitted on training: test AUROC",
                        "value": round(b["test_AUROC"], 4),
                        "detail": f"95% interval {b['low']:.3f} to {b['high']:.3f}"})
        summary.append({"check": f"{b['baseline']} alone within the training set: AUROC (either direction)",
                        "value": round(b["train_feature_AUROC"], 4), "detail": ""})
    summary.append({"check": "sequence lengths (bp)", "value": f"{lengths.min()}-{lengths.max()}",
                    "detail": "all equal: length carries no signal" if np.ptp(lengths) == 0 else ""})

    def html(path: str) -> None:
        report = HtmlReport("Benchmark audit")
        report.paragraph(f"Training set: {desc_tr}. Test set: {desc_te}. Positive class {show_label(pos_label)}.")
        report.heading("Checks").table(summary)
        report.heading("Overlapping train/test pairs (first 200)")
        report.table(table.to_records()[:200] if len(table) else [{"pairs": "none"}])
        report.write(path)

    written = write_all_or_none([
        (args.overlaps, lambda path: table.to_tsv(path)),
        (args.summary, lambda path: write_tsv(path, summary, ["check", "value", "detail"])),
        (args.html, html),
    ])
    for path in written:
        log(f"wrote {path}")
    gc, length = baselines
    log(f"{len(y_te)} test sequences: {counts['exact']} exact, {counts['reverse_complement']} reverse-complement, "
        f"{counts['near']} near duplicates of training sequences "
        f"({', '.join(f'{n} of class {c}' for c, n in by_class.items())}); GC-only AUROC {gc['test_AUROC']:.3f}, "
        f"length-only AUROC {length['test_AUROC']:.3f} in {time.perf_counter() - start:.1f} s")
    return 0
