"""``enhancer-sk predict``: score the sequences of a FASTA file with a model file.

Output (TSV with a header line, floats with 6 significant digits):

* a binary model: ``id``, ``probability`` (of the positive class, the model's
  ``classes_[1]``, e.g. 1 of 0/1 labels), ``label``;
* a two-layer model: ``id``, ``p_enhancer`` (layer 1), ``p_strong`` (layer 2,
  P(strong | enhancer), given for every sequence), ``label`` (``non``,
  ``weak`` or ``strong``);
* with ``--domain``, when the model file holds a card with its training
  domain (``trained_on``, written by ``enhancer-sk train`` and for the
  published models), one more column, last: ``domain``, empty for a
  sequence like the training data, else why it is not (``length 2000 outside
  200-200``, ``N fraction 0.30 > 0.05``, ``GC 0.78 outside 0.235-0.675``; see
  :func:`~enhancer_sk.model_files.cards.domain_flags`).  With or without it,
  one ``warning:`` line on stderr counts the sequences outside the domain and
  gives the first reasons;
* with ``--decision``, and for a binary model without probabilities (an
  LS-GKM model file, a model trained with ``probability=False``): ``id``,
  ``decision`` (the decision value, positive for ``classes_[1]``; for an
  LS-GKM model file, gkmpredict's score), ``label`` (its sign).

The ``label`` column holds the class names the model file records
(``enhancer`` / ``non-enhancer`` for a model trained by ``enhancer-sk train``
from ``--positive/--negative`` or ``--synthetic``); a model trained from
``--fasta/--labels`` or three-class data (``non`` / ``weak`` / ``strong``) has
its training data's labels as names already, and models without names
(LS-GKM model files, model files of older versions) write their raw labels
(e.g. ``0`` / ``1``).  ``--raw-labels`` writes the raw labels in every case.

Labels follow the probabilities: a sequence is positive when its probability
exceeds ``--threshold`` (default 0.5; for a two-layer model: an enhancer when
``p_enhancer`` exceeds it, then strong when ``p_strong`` exceeds it), so the
two columns always agree.  For the networks this is their own ``predict``;
the SVMs' own ``predict`` takes the sign of the decision value instead, which
can differ from their (Platt-scaled) probability near 0.5.

The last line on stderr is the result, without file paths::

    [predict] 20 sequences scored (12 enhancer, 8 non-enhancer) in 1.2 s on 1 thread(s)

Sequences of any length and with ``N`` are scored by each model's own policy
(windows with max voting for DeepEnhancer, centre-crop / N-padding for
Enhancer-LSTMAtt, k-mers containing N skipped by KmerSVM, N read as A by GkmSVM
as in LS-GKM).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ._options import (
    add_model_file_argument,
    add_runtime_arguments,
    command_parser,
    fitted_estimators,
    logger,
    model_file_path,
    set_runtime,
)

__all__ = ["add_parser", "predict_table", "run"]


#: One line for ``enhancer-sk --help``.
HELP = "score sequences with a trained model file; TSV of id, probability, label"
#: The ``enhancer-sk predict --help`` text.
DESCRIPTION = """
Score every sequence of a FASTA file (plain or gzip) with a model file written by 'enhancer-sk
train', a published model named as in 'enhancer-sk models' (or an LS-GKM model file) and write a
TSV: id, probability, label (two-layer models: id, p_enhancer, p_strong, label; --decision and
models without probabilities: id, decision, label); --domain adds a column domain from the
model's card (empty, or why a sequence lies outside the training data).
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "predict", HELP, DESCRIPTION)
    add_model_file_argument(p)
    p.add_argument("--fasta", required=True, metavar="FA", help="sequences to score (FASTA, plain or gzip)")
    p.add_argument("-o", "--output", metavar="TSV", help="output table (default: standard output)")
    p.add_argument("--threshold", type=float, default=0.5, metavar="P",
                   help="call a sequence positive (two-layer: enhancer, then strong) when its probability "
                   "exceeds P (default 0.5)")
    p.add_argument("--decision", action="store_true",
                   help="write the decision value (LS-GKM's score for a gkm-SVM) instead of the probability, "
                   "and its sign as label (the default for models without probabilities, e.g. LS-GKM model "
                   "files)")
    p.add_argument("--average-strands", action="store_true",
                   help="average each probability over the sequence and its reverse complement (lstmatt, "
                   "deepenhancer; the k-mer models count both strands already)")
    p.add_argument("--domain", action="store_true",
                   help="add a last column domain: empty for a sequence like the model's training data, else why "
                   "not (length, N fraction, GC content outside the training range recorded in the model card)")
    p.add_argument("--raw-labels", action="store_true",
                   help="write the model's raw labels (e.g. 0 / 1) instead of the class names its model file "
                   "records (e.g. non-enhancer / enhancer)")
    add_runtime_arguments(p, quiet=True)
    p.set_defaults(func=run)
    return p


def _average_strands(model) -> list[str]:
    """Switch every estimator in ``model`` that can to strand averaging; names of the estimators switched."""
    switched = []
    for est in fitted_estimators(model).values():
        if "average_strands" in est.get_params(deep=False):
            est.set_params(average_strands=True)
            switched.append(type(est).__name__)
    return switched


def _log_domain(log, ids, flags: np.ndarray, *, column: bool) -> None:
    """One warning line: how many sequences lie outside the model's training domain, and the first reasons."""
    out = np.flatnonzero(flags != "")
    if len(out):
        where = "column domain" if column else "--domain writes the reason of each"
        first = ", ".join(f"{ids[i]}: {flags[i]}" for i in out[:3])
        log(f"warning: {len(out)} of {len(flags)} sequences outside the training domain of the model ({where}), "
            f"e.g. {first}{' ...' if len(out) > 3 else ''}")


def predict_table(model, X, *, threshold: float | None = 0.5,
                  decision: bool = False) -> tuple[list[str], dict[str, np.ndarray]]:
    """Columns of the prediction table for sequences ``X``.

    Parameters
    ----------
    model : fitted binary classifier with ``predict_proba``, or TwoLayerEnhancerClassifier
    X : sequences
    threshold : float or None, default=0.5
        Positive where the probability exceeds ``threshold`` (both layers of a
        two-layer model); None: the model's own ``predict``.
    decision : bool, default=False
        Columns ``decision`` (``decision_function``) and ``label`` (the
        model's ``predict``, the sign of the decision) instead; binary models
        with ``decision_function`` only.

    Returns
    -------
    columns : list of str
        Column names after ``id``.
    values : dict
        ``{column: array of shape (n,)}``.
    """
    if decision:
        if hasattr(model, "predict_layer_proba") or not hasattr(model, "decision_function"):
            raise ValueError(f"the model ({type(model).__name__}) has no single decision value: "
                             "--decision needs a binary classifier with decision_function (SVMs)")
        values = np.asarray(model.decision_function(X), dtype=np.float64)
        return ["decision", "label"], {"decision": values, "label": np.asarray(model.predict(X))}
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


def run(args: argparse.Namespace) -> int:
    from ..io.fasta import read_fasta
    from ..io.tables import write_tsv
    from ..model_files import describe, load
    from ..model_files.cards import domain_flags
    from ..threads import limit_threads, resolve_threads
    from ._outputs import check_output_paths

    log = logger("predict")

    start = time.perf_counter()
    if not 0 <= args.threshold <= 1:
        raise ValueError(f"--threshold must lie in [0, 1], got {args.threshold}")
    check_output_paths(args.output)
    model_path = model_file_path(args.model_file, log)
    info = describe(model_path)
    if "lsgkm_header" in info:
        log(f"model {args.model_file}: LS-GKM model file ({info['lsgkm_header'].get('kernel_type')}, "
            f"L={info['params']['l']} k={info['params']['k']} d={info['params']['d']}), read as a GkmSVM with "
            f"classes {info['classes']}")
    else:
        log(f"model {args.model_file}: {info['class']}, classes {info['classes']}, model file format "
            f"{info['format_version']}, written by enhancer-sk {info['package_version']}")
    ids, X = read_fasta(args.fasta)
    lengths = np.fromiter((len(s) for s in X), dtype=np.int64, count=len(X))
    log(f"{len(X)} sequences from {args.fasta} ({lengths.min()}-{lengths.max()} bp)")
    model = load(model_path)
    threads = resolve_threads(args.threads)
    set_runtime(model, threads=threads, verbose=0 if args.quiet else 1)  # networks: progress of long predictions
    if args.average_strands:
        switched = _average_strands(model)
        log("average strands: " + (", ".join(switched) if switched else
                                "no strand option in this model (k-mer models count both strands already)"))
    decision = args.decision
    if not decision and not hasattr(model, "predict_proba") and hasattr(model, "decision_function") \
            and not hasattr(model, "predict_layer_proba"):
        decision = True
        log("the model gives no probabilities (an LS-GKM model file, or trained without probability): writing "
            "decision values, labelled by their sign")
    with limit_threads(threads):
        columns, values = predict_table(model, X, threshold=args.threshold, decision=decision)
    names = None if args.raw_labels else info.get("class_names")
    if names:
        values["label"] = np.asarray([names.get(str(v.item() if hasattr(v, "item") else v), str(v))
                                      for v in values["label"]], dtype=object)
    card = info.get("card") or {}
    if card.get("trained_on"):
        flags = domain_flags(card, X)
        _log_domain(log, ids, flags, column=args.domain)
        if args.domain:
            values["domain"] = flags
            columns = [*columns, "domain"]
    elif args.domain:
        log("--domain: the model file records no training domain (no model card with trained_on; LS-GKM files and "
            "models saved without a card): no domain column")
    rows = [{"id": rid, **{c: values[c][i] for c in columns}} for i, rid in enumerate(ids)]
    columns = ["id", *columns]
    write_tsv(args.output, rows, columns)
    if args.output:
        log(f"wrote {args.output}")
    label = values["label"]
    counts = ", ".join(f"{n} {v}" for v, n in zip(*np.unique(label.astype(str), return_counts=True)))
    log(f"{len(X)} sequences scored ({counts}) in {time.perf_counter() - start:.1f} s on {threads} thread(s)")
    return 0
