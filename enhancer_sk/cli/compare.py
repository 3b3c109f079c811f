"""``enhancer-sk compare``: cross-validate several models on the same folds; tables and figures.

Reads labelled training sequences (one FASTA per class, a FASTA plus a label
TSV, or the embedded synthetic data set), runs
:func:`enhancer_sk.comparison.compare_models` and writes into the output
folder (each file atomically):

* ``fold_scores.tsv``: Sn, Sp, Acc, MCC, AUC, AUPRC and times of every model and fold;
* ``summary.tsv``: mean and standard deviation over folds;
* ``wilcoxon.tsv``: pairwise Wilcoxon signed-rank tests on the paired folds;
* ``oof_scores.tsv``: every sequence's out-of-fold score from every model;
* ``fold_scores.png``: boxplots of the fold scores;
* ``roc_pr.png``: ROC and precision-recall curves of all models;
* ``--html`` (optional, any path): a self-contained report of the tables and figures.

The mean ± std table is also printed on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np

__all__ = ["MODEL_NAMES", "add_parser", "build_model", "run"]

#: Model names the command knows, in the default display order.
MODEL_NAMES = ("kmer", "gkm", "lstmatt", "deepenhancer", "gc")
DEFAULT_MODELS = "kmer,gkm,deepenhancer,gc"


def _kmer(preset: str, seed: int, threads: int | None, length: int):
    from ..models.svm.kmer import KmerSVM

    return KmerSVM(random_state=seed)


def _gkm(preset: str, seed: int, threads: int | None, length: int):
    from ..models.svm.gkm import GkmSVM

    return GkmSVM(random_state=seed, n_jobs=threads)


def _lstmatt(preset: str, seed: int, threads: int | None, length: int):
    from ..models.nn.lstmatt import EnhancerLSTMAttClassifier

    params = {"random_state": seed, "threads": threads, "module__sequence_length": length}
    if preset == "fast":  # small network, few epochs at a higher learning rate
        params.update(max_epochs=10, lr=1e-3, module__lstm_units=16, module__lstm_layers=1,
                      module__n_identity_blocks=1)
    else:  # the published network with the recipe of benchmarks/ienhancer2l.py (chosen by 5-fold CV)
        from ..models.nn.callbacks import CosineAnnealing

        params.update(max_epochs=9, lr=1e-3, train_split=None, callbacks=[("lr_schedule", CosineAnnealing())],
                      augment_reverse_complement=True, average_reverse_complement=True)
    return EnhancerLSTMAttClassifier(**params)


def _deepenhancer(preset: str, seed: int, threads: int | None, length: int):
    from ..models.nn.deepenhancer import DeepEnhancerCNN

    params = {"random_state": seed, "threads": threads}
    if preset == "fast":  # one window per sequence, no batch norm, narrow layers, early stopping
        params.update(architecture="4conv2pool", window=length, max_epochs=30, lr=3e-3,
                      module__n_kernels_1=32, module__n_kernels_2=32, module__n_hidden_1=32,
                      module__n_hidden_2=16)
    return DeepEnhancerCNN(**params)


def _gc(preset: str, seed: int, threads: int | None, length: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from ..sequence.encoders import GCContent

    return make_pipeline(GCContent(), LogisticRegression())


_BUILDERS: dict[str, tuple[str, Callable]] = {
    "kmer": ("KmerSVM: RBF SVM on canonical 6-mer spectra", _kmer),
    "gkm": ("GkmSVM: gapped k-mer SVM (l=11, k=7, d=3)", _gkm),
    "lstmatt": ("EnhancerLSTMAttClassifier (fast preset: 1 Bi-LSTM layer, 10 epochs)", _lstmatt),
    "deepenhancer": ("DeepEnhancerCNN (fast preset: 4conv2pool, 32 kernels, early stopping)", _deepenhancer),
    "gc": ("GC content + logistic regression (composition-only floor)", _gc),
}


def build_model(name: str, *, preset: str = "fast", seed: int = 0, threads: int | None = None,
                length: int = 200):
    """A model by its command-line name with the given preset.

    Parameters
    ----------
    name : {"kmer", "gkm", "lstmatt", "deepenhancer", "gc"}
    preset : {"fast", "full"}
        "fast": small networks and few epochs (minutes on 2 cores for ~1,000
        sequences); "full": the published architectures, Enhancer-LSTMAtt
        with the recipe of ``benchmarks/ienhancer2l.py`` (Adam lr 1e-3
        decaying along a cosine over 9 epochs, no validation split,
        reverse-complement augmentation and strand averaging), the other
        models with their own defaults.
    seed : int
        ``random_state`` of the model.
    threads : int or None
        Threads of the torch models (and ``n_jobs`` of GkmSVM).
    length : int
        Typical sequence length (input length of the networks).
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    try:
        return _BUILDERS[name][1](preset, seed, threads, length)
    except ImportError as err:  # a model whose module is not installed / not yet available
        raise ValueError(f"model {name!r} is not available: {err}") from err


def describe_model(name: str) -> str:
    """Display name of a model of :func:`build_model` (its name and preset summary)."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    return _BUILDERS[name][0]


def _parse_models(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError("--models is empty; give names such as kmer,gkm,deepenhancer,gc")
    unknown = [n for n in names if n not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"--models names a model twice: {text!r}")
    return names


def _label(text: str):
    return int(text) if text.lstrip("-").isdigit() else text


def _read_data(args):
    """(X, y, ids, description) from the input options."""
    from ..io.labels import read_class_fastas, read_labelled_fasta

    if args.class_fasta:
        files = {}
        for item in args.class_fasta:
            label, sep, path = item.partition("=")
            if not sep or not label or not path:
                raise ValueError(f"--class-fasta expects LABEL=PATH, got {item!r}")
            files[_label(label)] = path
        if len(files) < 2:
            raise ValueError("give --class-fasta once per class (at least two classes)")
        ids, X, y = read_class_fastas(files)
        return X, y, ids, f"{len(X)} sequences from {len(files)} FASTA files"
    if args.fasta:
        if not args.labels:
            raise ValueError("--fasta needs --labels (a TSV of id<TAB>label)")
        ids, X, y = read_labelled_fasta(args.fasta, args.labels)
        return X, y, ids, f"{len(X)} labelled sequences from {args.fasta}"
    from ..datasets.synthetic import make_synthetic_enhancers

    X, y = make_synthetic_enhancers(args.n_samples, random_state=args.seed)
    return X, y, None, f"{len(X)} synthetic sequences ({int(np.sum(y == 1))} enhancers)"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "compare",
        help="cross-validate several models on the same folds; write score tables and figures",
        description="Cross-validate several models on the same stratified folds and write per-fold "
        "scores, mean/std, pairwise Wilcoxon signed-rank tests and out-of-fold scores (TSV), "
        "fold-score boxplots and ROC / precision-recall curves (PNG) to an output folder.",
    )
    data = p.add_argument_group("training data (one of)")
    src = data.add_mutually_exclusive_group(required=True)
    src.add_argument("--class-fasta", action="append", metavar="LABEL=PATH",
                     help="one FASTA file per class, e.g. --class-fasta enhancer=pos.fa "
                     "--class-fasta background=neg.fa")
    src.add_argument("--fasta", metavar="PATH", help="all sequences in one FASTA file (with --labels)")
    src.add_argument("--synthetic", action="store_true",
                     help="the embedded synthetic data set (planted motifs; see --n-samples)")
    data.add_argument("--labels", metavar="TSV", help="id<TAB>label table for --fasta")
    data.add_argument("--n-samples", type=int, default=1000,
                      help="sequences generated with --synthetic (default 1000)")
    data.add_argument("--positive", metavar="LABEL", default=None,
                      help="the positive class (default: the larger label, e.g. 1 of 0/1)")
    p.add_argument("--models", default=DEFAULT_MODELS,
                   help=f"comma-separated models from {', '.join(MODEL_NAMES)} (default {DEFAULT_MODELS})")
    p.add_argument("--preset", choices=("fast", "full"), default="fast",
                   help="fast: small networks, few epochs (default); full: the published architectures "
                   "(Enhancer-LSTMAtt with the iEnhancer-2L recipe), the other models' defaults")
    p.add_argument("--cv", type=int, default=5, help="number of stratified folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and the models (default 0)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: GALAXY_SLOTS or all)")
    p.add_argument("-o", "--output-dir", required=True, metavar="DIR", help="folder for the tables and figures")
    p.add_argument("--prefix", default="", help="prefix of the output file names")
    p.add_argument("--html", metavar="PATH", help="also write a self-contained HTML report (tables and figures)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..evaluation.comparison import compare_models
    from ..evaluation.plots import plot_comparison
    from ..sequence.codes import as_sequences
    from ..threads import limit_threads, resolve_threads

    def log(msg: str) -> None:
        print(f"[compare] {msg}", file=sys.stderr, flush=True)

    if args.cv < 2:
        raise ValueError(f"--cv must be at least 2, got {args.cv}")
    names = _parse_models(args.models)
    start = time.perf_counter()
    X, y, ids, description = _read_data(args)
    X = as_sequences(X)
    length = int(np.median([len(s) for s in X]))
    threads = resolve_threads(args.threads)
    pos_label = None if args.positive is None else _label(args.positive)
    if pos_label is not None and pos_label not in set(np.asarray(y).tolist()):
        raise ValueError(f"--positive {args.positive!r} is not one of the labels {sorted(set(y.tolist()))}")
    log(f"{description}, median length {length} bp; {args.cv}-fold cross-validation, seed {args.seed}, "
        f"{threads} thread(s)")
    models = {}
    for name in names:
        models[name] = build_model(name, preset=args.preset, seed=args.seed, threads=threads, length=length)
        log(f"model {name}: {_BUILDERS[name][0]}")
    with limit_threads(threads):
        result = compare_models(models, X, y, cv=args.cv, random_state=args.seed, pos_label=pos_label,
                                ids=ids, verbose=1)
    paths = result.write(args.output_dir, prefix=args.prefix)
    paths.update(plot_comparison(result, args.output_dir, prefix=args.prefix))
    if args.html:
        from ..evaluation.report import comparison_report

        paths["html"] = comparison_report(
            result, title=f"Comparison of {len(names)} models, {args.cv}-fold cross-validation",
            description=f"Data: {description}. Same stratified folds for every model, seed {args.seed}.",
            figures={"ROC and precision-recall curves of the pooled out-of-fold scores": paths["roc_pr_png"],
                     "Scores of each fold": paths["fold_scores_png"]},
        ).write(args.html)
    print(f"{args.cv}-fold cross-validation, mean ± std over folds ({description})")
    print(result.to_text([*result.metrics, "fit_time"]))
    for path in paths.values():
        log(f"wrote {path}")
    log(f"note: with {args.cv} folds the smallest two-sided Wilcoxon p-value is {2 / 2**args.cv:.3g} "
        "(column p_min), and folds share training data, so p-values are optimistic")
    log(f"done in {time.perf_counter() - start:.1f} s")
    return 0
