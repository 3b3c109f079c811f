"""``enhancer-sk train``: fit one model on labelled sequences and save it as a model file.

Training data and model options are those of ``enhancer-sk cv`` (see
:mod:`enhancer_sk.cli._training`).  Outputs, each written atomically and only
after training succeeded:

* ``--output``: the fitted model as a model file (:func:`enhancer_sk.model_files.save`;
  no pickle), read back by ``enhancer-sk predict``; for ``--positive/--negative``
  and ``--synthetic`` it names the classes (1 ``enhancer``, 0 ``non-enhancer``),
  which ``predict`` writes as labels; the file holds a model card
  (:mod:`enhancer_sk.model_files.cards`): the training data's description,
  size, classes, length range, GC percentiles (1st, 99th) and largest N
  fraction, the model and preset, and the training-set AUC of each layer,
  shown by ``enhancer-sk describe`` and used by ``predict`` to flag sequences
  outside the training domain;
* ``--log`` (optional): a text training log: data, model and its parameters,
  fit time, training-set scores (resubstitution, so optimistic), support
  vectors or epochs, and the per-epoch table of the networks;
* ``--history`` (optional): the networks' per-epoch table as TSV (``layer``,
  ``epoch``, ``train_loss``, ``valid_loss``, ``valid_acc``, ``lr``, ``dur``;
  only the header for models without epochs).

Fine-tuning: ``--init-from FILE|NAME`` starts a DeepEnhancer or Enhancer-LSTMAtt
network from the weights of a fitted model of the same kind (a model file, or
a published model's name such as ``enhancer-lstmatt-ienhancer2l``, whose layer
``--init-from-layer`` picks, default 1, enhancer vs non-enhancer), with that
model's shape; ``--freeze-conv`` keeps DeepEnhancer's convolutions fixed;
``--lr`` sets the learning rate of the fine-tuning.  The model card's recipe
then says so (``fine-tuned from pre.eskm, convolutions frozen``); see
:func:`enhancer_sk.cli._training.init_from_args`.

The summary also goes to stderr, with one line per epoch for the networks
unless ``--quiet``; a network that learned nothing (best validation epoch the
first, one class predicted for every training sequence) adds a ``warning:``
line naming what to try.  The last line on stderr is the result, without
file paths::

    [train] KmerSVM trained on 120 sequences (60 enhancer, 60 non-enhancer) in 1.3 s; training-set AUC 1.000
    (optimistic)

(one line).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time

import numpy as np

from ._options import (
    add_runtime_arguments,
    command_parser,
    fitted_estimators,
    logged_warnings,
    logger,
    set_runtime,
)
from ._outputs import check_output_paths, write_all_or_none
from ._training import (
    add_data_arguments,
    add_init_from_arguments,
    add_model_arguments,
    check_labels,
    class_counts,
    class_names_of,
    describe_estimator,
    init_from_args,
    model_from_args,
    read_training_data,
)

__all__ = ["HISTORY_COLUMNS", "add_parser", "run"]

#: Columns of the ``--history`` table.
HISTORY_COLUMNS = ("layer", "epoch", "train_loss", "valid_loss", "valid_acc", "lr", "dur")


#: One line for ``enhancer-sk --help``.
HELP = "train a model on labelled sequences and save it as a model file"
#: The ``enhancer-sk train --help`` text.
DESCRIPTION = """
Train one model (k-mer SVM, gapped k-mer SVM, Enhancer-LSTMAtt, DeepEnhancer CNN or the GC-content
baseline; or a two-layer enhancer / strong-weak classifier) on labelled sequences and save it as a
model file for 'enhancer-sk predict', with an optional training log.
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = command_parser(subparsers, "train", HELP, DESCRIPTION)
    add_data_arguments(p)
    add_model_arguments(p, two_layer=True)
    add_init_from_arguments(p)
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", required=True, metavar="PATH", help="model file to write")
    out.add_argument("--log", metavar="TXT", help="training log (text) to write")
    out.add_argument("--history", metavar="TSV",
                     help="per-epoch table of the networks (TSV; only the header for the SVMs and gc)")
    add_runtime_arguments(p, seed=True, quiet=True, seed_help="seed of the model (default 0)")
    p.set_defaults(func=run)
    return p


def _scores(estimator, X, y, name: str) -> dict:
    """Training-set scores of one binary estimator (positive class ``classes_[1]``)."""
    from ..evaluation.metrics import paper_scores

    classes = np.asarray(estimator.classes_)
    if hasattr(estimator, "predict_proba"):
        score, threshold = np.asarray(estimator.predict_proba(X))[:, 1], 0.5
    else:
        score, threshold = np.asarray(estimator.decision_function(X), dtype=float).ravel(), 0.0
    row = paper_scores(y == classes[1], score, threshold=threshold, pos_label=True, auprc=True)
    return {"layer": name, "n": len(y), **row}


def _training_scores(model, X, y) -> list[dict]:
    """Resubstitution scores of every layer."""
    if not hasattr(model, "layer1_"):
        return [_scores(model, X, y, "model")]
    from ..sequence.codes import as_sequences

    X = as_sequences(X)
    enhancer = np.asarray(y) != model.non_label
    rows = [_scores(model.layer1_, X, enhancer.astype(np.int64), "layer1")]
    strong = (np.asarray(y)[enhancer] == model.strong_label).astype(np.int64)
    rows.append(_scores(model.layer2_, X[enhancer], strong, "layer2"))
    return rows


def _history_rows(model) -> list[dict]:
    rows = []
    for layer, est in fitted_estimators(model).items():
        history = getattr(est, "history_", None) if hasattr(est, "max_epochs") else None
        if not history:
            continue
        for h in history:
            rows.append({
                "layer": layer, "epoch": h.get("epoch"), "train_loss": h.get("train_loss", math.nan),
                "valid_loss": h.get("valid_loss", math.nan), "valid_acc": h.get("valid_acc", math.nan),
                "lr": h.get("event_lr", math.nan), "dur": h.get("dur", math.nan),
            })
    return rows


def _model_facts(model) -> list[str]:
    """Lines about the fitted model: support vectors, epochs, network size."""
    lines = []
    for layer, est in fitted_estimators(model).items():
        facts = []
        dual = getattr(est, "dual_coef_", None)
        if dual is not None:
            facts.append(f"{np.asarray(dual).size} support vectors")
        elif getattr(est, "coef_", None) is not None:
            facts.append(f"linear model with {np.asarray(est.coef_).size} weights")
        history = getattr(est, "history_", None) if hasattr(est, "max_epochs") else None
        if history is not None:
            facts.append(f"{len(history)} epoch(s) (max {est.max_epochs})")
            valid = [h["valid_loss"] for h in history if "valid_loss" in h]
            if valid:
                best = int(np.argmin(valid))
                facts.append(f"best valid_loss {valid[best]:.4f} at epoch {best + 1}")
            n_params = sum(p.numel() for p in est.module_.parameters())
            facts.append(f"{n_params:,} network parameters")
        lines.append(f"fitted {layer}: {type(est).__name__}" + (f", {', '.join(facts)}" if facts else ""))
    return lines


def _format_rows(rows: list[dict], columns) -> list[str]:
    def cell(v) -> str:
        if isinstance(v, (float, np.floating)):
            return "NA" if math.isnan(v) else f"{float(v):.4f}"
        return str(v)

    return ["\t".join(columns)] + ["\t".join(cell(r.get(c, "")) for c in columns) for r in rows]


def _text(value, limit: int) -> str:
    """``value`` as card text: printable, at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _card(args: argparse.Namespace, model, X, y, description: str, class_names: dict | None,
          scores: list[dict], finetuned: str | None = None) -> dict:
    """The model card of a trained model: training data and domain, recipe (``finetuned``: where the weights
    started), training-set AUC."""
    from ..model_files.cards import MAX_TEXT, training_summary

    labels = np.unique(np.asarray(y)).tolist()
    classes = [_text((class_names or {}).get(c, c), 100) for c in labels]
    recipe = describe_estimator(model)
    preset = getattr(args, "preset", None)
    recipe += (f"; preset {preset}" if preset else "") + f"; seed {args.seed}"
    if finetuned:  # first, so that the card's length limit never cuts it
        recipe = f"{finetuned}; {recipe}"
    rows = [{"benchmark": f"training set, {row['layer']} (resubstitution: optimistic)", "metric": "AUC",
             "value": float(row["AUC"]), "low": None, "high": None}
            for row in scores if isinstance(row.get("AUC"), (int, float)) and math.isfinite(row["AUC"])]
    return {
        "title": _text(f"{type(model).__name__} trained by enhancer-sk train", 200),
        "trained_on": training_summary(X, data=_text(description, MAX_TEXT), classes=classes),
        "recipe": _text(recipe, MAX_TEXT),
        "scores": rows,
    }


def run(args: argparse.Namespace) -> int:
    from .. import __version__
    from ..io.files import atomic_write_text
    from ..io.tables import write_tsv
    from ..model_files import save
    from ..threads import limit_threads, resolve_threads

    log = logger("train")

    start = time.perf_counter()
    check_output_paths(args.output, args.log, args.history)
    ids, X, y, description = read_training_data(args, three_class=args.two_layer)
    check_labels(y, two_layer=args.two_layer)
    length = int(np.median([len(s) for s in X]))
    threads = resolve_threads(args.threads)
    model = model_from_args(args, length=length)
    finetuned = init_from_args(model, args, log)
    summary = [
        f"enhancer-sk {__version__} train",
        f"data: {description}; median length {length} bp",
        f"model: {describe_estimator(model)}",
        *([f"fine-tuning: {finetuned}"] if finetuned else []),
        f"seed {args.seed}, {threads} thread(s)",
    ]
    n_head = len(summary)
    for line in summary[1:]:
        log(line)
    set_runtime(model, threads=threads, verbose=0 if args.quiet else 1)
    class_names = class_names_of(args, y)
    t0 = time.perf_counter()
    with logged_warnings(log) as warned, limit_threads(threads), \
            contextlib.redirect_stdout(sys.stderr):  # skorch prints epochs on stdout
        model.fit(X, y)
    fit_time = time.perf_counter() - t0
    set_runtime(model, threads=None, verbose=0)  # the bundle takes the threads of wherever it runs
    with limit_threads(threads):
        scores = _training_scores(model, X, y)
    facts = _model_facts(model)
    history = _history_rows(model)
    summary.append(f"fit time: {fit_time:.1f} s")
    summary.extend(warned)
    summary.extend(facts)
    summary.append("training-set scores (the training data themselves: optimistic)")
    summary.extend(_format_rows(scores, ["layer", "n", "Sn", "Sp", "Acc", "MCC", "AUC", "AUPRC"]))
    for line in summary[n_head:]:
        if line not in warned:  # logged when the fit ended
            log(line)
    text = "\n".join(summary)
    if history:
        text += "\n\nper-epoch history\n" + "\n".join(_format_rows(history, HISTORY_COLUMNS))
    card = _card(args, model, X, y, description, class_names, scores, finetuned)
    written = write_all_or_none([
        (args.output, lambda path: save(model, path, class_names=class_names, card=card)),
        (args.history, lambda path: write_tsv(path, history, HISTORY_COLUMNS)),
        (args.log, lambda path: atomic_write_text(path, text + "\n")),
    ])
    for path in written:
        log(f"wrote {path}")
    aucs = [f"{row['AUC']:.3f}" if len(scores) == 1 else f"{row['layer']} {row['AUC']:.3f}" for row in scores]
    log(f"{type(model).__name__} trained on {len(y)} sequences ({class_counts(y, class_names)}) in "
        f"{time.perf_counter() - start:.1f} s; training-set AUC {', '.join(aucs)} (optimistic)")
    return 0
