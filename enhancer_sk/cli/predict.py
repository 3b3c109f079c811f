"""``enhancer-sk predict``: score the sequences of a FASTA file with a model bundle.

Output (TSV with a header line, floats with 6 significant digits):

* a binary model: ``id``, ``probability`` (of the positive class, the model's
  ``classes_[1]``, e.g. 1 of 0/1 labels), ``label``;
* a two-layer model: ``id``, ``p_enhancer`` (layer 1), ``p_strong`` (layer 2,
  P(strong | enhancer), given for every sequence), ``label`` (``non``,
  ``weak`` or ``strong``).

Labels follow the probabilities: a sequence is positive when its probability
exceeds ``--threshold`` (default 0.5; for a two-layer model: an enhancer when
``p_enhancer`` exceeds it, then strong when ``p_strong`` exceeds it), so the
two columns always agree.  For the networks this is their own ``predict``;
the SVMs' own ``predict`` takes the sign of the decision value instead, which
can differ from their (Platt-scaled) probability near 0.5.

Sequences of any length and with ``N`` are scored by each model's own policy
(windows with max voting for DeepEnhancer, centre-crop / N-padding for
Enhancer-LSTMAtt, k-mers containing N skipped by KmerSVM, N read as A by GkmSVM
as in LS-GKM).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time

import numpy as np

__all__ = ["add_parser", "predict_table", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "predict",
        help="score sequences with a trained model bundle; TSV of id, probability, label",
        description="Score every sequence of a FASTA file (plain or gzip) with a model bundle written by "
        "'enhancer-sk train' and write a TSV: id, probability, label (two-layer models: id, p_enhancer, "
        "p_strong, label).",
    )
    p.add_argument("-m", "--model", required=True, metavar="BUNDLE", help="model bundle from 'enhancer-sk train'")
    p.add_argument("--fasta", required=True, metavar="FA", help="sequences to score (FASTA, plain or gzip)")
    p.add_argument("-o", "--output", metavar="TSV", help="output table (default: standard output)")
    p.add_argument("--threshold", type=float, default=0.5, metavar="P",
                   help="call a sequence positive (two-layer: enhancer, then strong) when its probability "
                   "exceeds P (default 0.5)")
    p.add_argument("--both-strands", action="store_true",
                   help="average each probability over the sequence and its reverse complement (lstmatt, "
                   "deepenhancer; the k-mer models count both strands already)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: GALAXY_SLOTS when set, else all available)")
    p.set_defaults(func=run)
    return p


def _both_strands(model) -> list[str]:
    """Switch every network in ``model`` to strand averaging; names of the estimators switched."""
    from .train import fitted_estimators

    switched = []
    for est in fitted_estimators(model).values():
        params = est.get_params(deep=False)
        for name in ("reverse_complement", "average_reverse_complement"):
            if name in params and hasattr(est, "max_epochs"):
                est.set_params(**{name: True})
                switched.append(type(est).__name__)
    return switched


def predict_table(model, X, *, threshold: float | None = 0.5) -> tuple[list[str], dict[str, np.ndarray]]:
    """Columns of the prediction table for sequences ``X``.

    Parameters
    ----------
    model : fitted binary classifier with ``predict_proba``, or TwoLayerEnhancerClassifier
    X : sequences
    threshold : float or None, default=0.5
        Positive where the probability exceeds ``threshold`` (both layers of a
        two-layer model); None: the model's own ``predict``.

    Returns
    -------
    columns : list of str
        Column names after ``id``.
    values : dict
        ``{column: array of shape (n,)}``.
    """
    if hasattr(model, "predict_layer_proba"):
        layers = model.predict_layer_proba(X)
        p1, p2 = layers[:, 0], layers[:, 1]
        if threshold is None:
            label = model.predict(X)
        else:
            label = np.where(p1 > threshold, np.where(p2 > threshold, model.strong_label, model.weak_label),
                             model.non_label)
        return ["p_enhancer", "p_strong", "label"], {"p_enhancer": p1, "p_strong": p2, "label": label}
    if not hasattr(model, "predict_proba"):
        raise ValueError(f"the model ({type(model).__name__}) gives no probabilities; "
                         "train it with probability enabled (--param probability=true)")
    proba = np.asarray(model.predict_proba(X))[:, 1]
    if threshold is None:
        label = np.asarray(model.predict(X))
    else:
        label = np.asarray(model.classes_)[(proba > threshold).astype(int)]
    return ["probability", "label"], {"probability": proba, "label": label}


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "NA" if math.isnan(value) else f"{float(value):.6g}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    from ..io.fasta import read_fasta
    from ..io.tables import write_tsv
    from ..model_files import describe, load
    from ..threads import limit_threads, resolve_threads
    from ._outputs import check_output_paths
    from .train import set_runtime

    def log(msg: str) -> None:
        print(f"[predict] {msg}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    if not 0 <= args.threshold <= 1:
        raise ValueError(f"--threshold must lie in [0, 1], got {args.threshold}")
    check_output_paths(args.output)
    info = describe(args.model)
    log(f"model {args.model}: {info['class']}, classes {info['classes']}, bundle format "
        f"{info['format_version']}, written by enhancer-sk {info['package_version']}")
    ids, X = read_fasta(args.fasta)
    lengths = np.fromiter((len(s) for s in X), dtype=np.int64, count=len(X))
    log(f"{len(X)} sequences from {args.fasta} ({lengths.min()}-{lengths.max()} bp)")
    model = load(args.model)
    threads = resolve_threads(args.threads)
    set_runtime(model, threads=threads)
    if args.both_strands:
        switched = _both_strands(model)
        log("both strands: " + (", ".join(switched) if switched else
                                "no strand option in this model (k-mer models count both strands already)"))
    with limit_threads(threads):
        columns, values = predict_table(model, X, threshold=args.threshold)
    rows = [{"id": rid, **{c: values[c][i] for c in columns}} for i, rid in enumerate(ids)]
    columns = ["id", *columns]
    if args.output:
        write_tsv(args.output, rows, columns)
        log(f"wrote {args.output}")
    else:
        writer = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(r[c]) for c in columns] for r in rows)
    label = values["label"]
    counts = ", ".join(f"{n} {v}" for v, n in zip(*np.unique(label.astype(str), return_counts=True)))
    log(f"{len(X)} sequences scored ({counts}) in {time.perf_counter() - start:.1f} s on {threads} thread(s)")
    return 0
