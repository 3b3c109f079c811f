"""Options of the subcommands that train (``train``, ``cv``, ``compare``): training data and the model.

Training data (one source)
    ``--positive FA --negative FA`` (labels 1 and 0), ``--fasta FA --labels TSV``
    (any labels), ``--strong FA --weak FA --non FA`` (labels ``strong``, ``weak``,
    ``non``: the two-layer task) or ``--synthetic`` (generated sequences with
    planted motifs, ``--n-samples``).

Model
    ``--model`` picks a recipe of :mod:`enhancer_sk.presets` with ``--preset``;
    the key parameters have their own options (each applies
    to the models named in its help, and naming it for another model is an
    error), and ``--param NAME=VALUE`` reaches every other parameter of the
    estimator (``VALUE`` is read as JSON when it parses, else as a string).
    ``--ensemble N`` wraps each network in a
    :class:`~enhancer_sk.models.meta.ensemble.SeedEnsembleClassifier` of ``N`` seeds.
    ``--two-layer`` (train only) wraps the model, or ``--layer1-model`` /
    ``--layer2-model``, in :class:`~enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier`.

Fine-tuning (train only)
    ``--init-from FILE|NAME`` starts the network of ``--model deepenhancer`` or
    ``--model lstmatt`` from the weights of a fitted model of the same kind: a
    model file or a published model's name (``enhancer-sk models``); of a
    two-layer model, ``--init-from-layer`` picks the layer (default 1, enhancer
    vs non-enhancer: the binary task).  The new network takes the shape of the
    model it starts from (DeepEnhancer: architecture, window and
    ``module__*`` sizes; Enhancer-LSTMAtt: ``module__*`` sizes, the input
    length included), so options that would change it are errors.
    ``--freeze-conv`` (deepenhancer) keeps the convolutions fixed and trains
    the dense layers only (:func:`init_from_args`).
"""

from __future__ import annotations

import argparse
import inspect
import json
import re

import numpy as np
from sklearn.base import clone

from .._validation import did_you_mean
from ..evaluation.calibration import CALIBRATION_METHODS
from ..presets import MODEL_NAMES, NETWORKS, PRESETS, RECIPES
from ._options import parse_label

__all__ = [
    "ENHANCER_CLASS_NAMES",
    "THREE_CLASS_LABELS",
    "add_cv_arguments",
    "add_data_arguments",
    "add_init_from_arguments",
    "add_model_arguments",
    "add_param_argument",
    "add_preset_argument",
    "apply_params",
    "check_labels",
    "class_counts",
    "class_names_of",
    "describe_estimator",
    "given_data_sources",
    "init_from_args",
    "model_from_args",
    "layer_task",
    "read_binary_task",
    "read_cv_data",
    "read_training_data",
]

#: Labels of the two-layer task, in the order non-enhancer, weak, strong.
THREE_CLASS_LABELS = ("non", "weak", "strong")

#: Names of the labels 1 / 0 of ``--positive/--negative`` and ``--synthetic``, stored in the model file.
ENHANCER_CLASS_NAMES = {1: "enhancer", 0: "non-enhancer"}

#: Explicit model options: argparse dest -> (option string, {model name: estimator parameter}).
_MODEL_OPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "epochs": ("--epochs", {m: "max_epochs" for m in NETWORKS}),
    "batch_size": ("--batch-size", {m: "batch_size" for m in NETWORKS}),
    "lr": ("--lr", {m: "lr" for m in NETWORKS}),
    "architecture": ("--architecture", {"deepenhancer": "architecture"}),
    "window": ("--window", {"deepenhancer": "window"}),
    "stride": ("--stride", {"deepenhancer": "stride"}),
    "patience": ("--patience", {"deepenhancer": "patience"}),
    "length": ("--length", {"lstmatt": "module__sequence_length"}),
    "kmer_k": ("--kmer-k", {"kmer": "k"}),
    "gkm_l": ("--gkm-l", {"gkm": "l"}),
    "gkm_k": ("--gkm-k", {"gkm": "k"}),
    "gkm_d": ("--gkm-d", {"gkm": "d"}),
    "C": ("--C", {"kmer": "C", "gkm": "C", "gc": "logisticregression__C"}),
    "average_strands": ("--average-strands", {m: "average_strands" for m in NETWORKS}),
    "validation_fraction": ("--validation-fraction", {m: "train_split" for m in NETWORKS}),
}


# ----------------------------------------------------------------------------- data


def add_data_arguments(parser: argparse.ArgumentParser, *, prefix: str = "") -> None:
    """Register the data options (one source of labelled sequences).

    ``prefix`` names a second data set (``"test-"``: ``--test-positive`` ...,
    dests ``test_positive`` ...), which has no ``--synthetic``.
    """
    o = f"--{prefix}"
    data = parser.add_argument_group(f"{prefix.rstrip('-') or 'training'} data (one source)")
    data.add_argument(f"{o}positive", metavar="FA", help=f"enhancer sequences, label 1 (with {o}negative); "
                      "FASTA, plain or gzip")
    data.add_argument(f"{o}negative", metavar="FA", help=f"background sequences, label 0 (with {o}positive)")
    data.add_argument(f"{o}fasta", metavar="FA", help=f"all {prefix.rstrip('-') or 'training'} sequences in one "
                      f"FASTA (with {o}labels)")
    data.add_argument(f"{o}labels", metavar="TSV", help=f"id<TAB>label table for {o}fasta (optional header line)")
    data.add_argument(f"{o}strong", metavar="FA", help=f"strong enhancers (with {o}weak and {o}non): three classes")
    data.add_argument(f"{o}weak", metavar="FA", help=f"weak enhancers (with {o}strong and {o}non)")
    data.add_argument(f"{o}non", metavar="FA", help=f"non-enhancers (with {o}strong and {o}weak)")
    if prefix:
        return
    data.add_argument("--synthetic", action="store_true",
                      help="generated sequences with planted motifs (200 bp; see --n-samples)")
    data.add_argument("--n-samples", type=int, default=1000, metavar="N",
                      help="number of sequences generated by --synthetic (default 1000)")


def _data_sources(args: argparse.Namespace) -> dict[str, tuple]:
    return {
        "--positive/--negative": (args.positive, args.negative),
        "--fasta/--labels": (args.fasta, args.labels),
        "--strong/--weak/--non": (args.strong, args.weak, args.non),
        "--synthetic": (args.synthetic or None,),
    }


def given_data_sources(args: argparse.Namespace) -> list[str]:
    """The training-data options given on the command line (names of their groups)."""
    return [name for name, values in _data_sources(args).items() if any(v is not None for v in values)]


def read_training_data(args: argparse.Namespace, *, three_class: bool = False):
    """Read the labelled sequences named by the data options.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_data_arguments` (and ``seed``).
    three_class : bool, default=False
        Generate graded synthetic data (labels non / weak / strong) for
        ``--synthetic``.

    Returns
    -------
    ids : ndarray of str or None
        Record ids (None for synthetic data).
    X : ndarray of str
        Normalised sequences.
    y : ndarray
        Labels: 1 / 0 for ``--positive``/``--negative``, ``strong`` / ``weak`` /
        ``non`` for the three-file input, the table's labels for ``--labels``.
    description : str
        One line for the log.
    """
    from ..io.labels import read_class_fastas, read_labelled_fasta

    sources = _data_sources(args)
    given = given_data_sources(args)
    if len(given) != 1:
        which = f"; got {' and '.join(given)}" if given else ""
        raise ValueError("give one source of training data: --positive FA --negative FA, --fasta FA --labels TSV, "
                         f"--strong FA --weak FA --non FA, or --synthetic{which}")
    source = given[0]
    if any(v is None for v in sources[source]):
        raise ValueError(f"{source} go together; give all of them")
    if source == "--positive/--negative":
        ids, X, y = read_class_fastas({1: args.positive, 0: args.negative})
        return ids, X, y, f"{int(np.sum(y == 1))} positive and {int(np.sum(y == 0))} negative sequences"
    if source == "--fasta/--labels":
        ids, X, y = read_labelled_fasta(args.fasta, args.labels)
        counts = ", ".join(f"{n} {v}" for v, n in zip(*np.unique(y.astype(str), return_counts=True)))
        return ids, X, y, f"{len(X)} labelled sequences from {args.fasta} ({counts})"
    if source == "--strong/--weak/--non":
        ids, X, y = read_class_fastas({"strong": args.strong, "weak": args.weak, "non": args.non})
        counts = ", ".join(f"{int(np.sum(y == v))} {v}" for v in THREE_CLASS_LABELS)
        return ids, X, y, f"{len(X)} sequences in three classes ({counts})"
    from ..datasets.synthetic import make_synthetic_enhancers

    if args.n_samples < 10:
        raise ValueError(f"--n-samples must be at least 10, got {args.n_samples}")
    X, y = make_synthetic_enhancers(args.n_samples, grades=three_class, random_state=args.seed)
    if three_class:
        y = np.asarray(THREE_CLASS_LABELS, dtype=object)[y]
        counts = ", ".join(f"{int(np.sum(y == v))} {v}" for v in THREE_CLASS_LABELS)
        return None, X, y, f"{len(X)} synthetic sequences ({counts})"
    return None, X, y, f"{len(X)} synthetic sequences ({int(np.sum(y == 1))} enhancers)"


def class_names_of(args: argparse.Namespace, y) -> dict | None:
    """Display names of the labels of the training data, for the model file (None: the labels are names).

    ``--positive/--negative`` and binary ``--synthetic`` data are labelled 1 / 0:
    :data:`ENHANCER_CLASS_NAMES`.  The labels of ``--fasta/--labels`` and of
    three-class data are the data's own names.
    """
    if given_data_sources(args) not in (["--positive/--negative"], ["--synthetic"]):
        return None
    labels = set(np.asarray(y).tolist())
    return dict(ENHANCER_CLASS_NAMES) if labels == set(ENHANCER_CLASS_NAMES) else None


def class_counts(y, class_names: dict | None = None) -> str:
    """``60 enhancer, 60 non-enhancer`` / ``50 of class 1, 70 of class 0``: sequences per class.

    Numeric labels from the largest (the positive class) down, names in alphabetical order.
    """
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    pairs = list(zip(labels.tolist(), counts.tolist()))
    if all(isinstance(label, (int, float)) for label, _ in pairs):
        pairs.reverse()
    parts = []
    for label, n in pairs:
        name = (class_names or {}).get(label, label)
        parts.append(f"{n} {name}" if isinstance(name, str) else f"{n} of class {name}")
    return ", ".join(parts)


def add_cv_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--folds``, ``--layer`` and ``--positive-label`` (``cv`` and ``compare``)."""
    cv = parser.add_argument_group("cross-validation")
    cv.add_argument("--folds", type=int, default=5, metavar="K", help="number of stratified folds (default 5)")
    cv.add_argument("--layer", type=int, choices=(1, 2), default=None,
                    help="three-class data (non / weak / strong): 1 = enhancer vs non-enhancer, "
                    "2 = strong vs weak on the enhancers")
    cv.add_argument("--positive-label", metavar="LABEL", default=None,
                    help="the positive class for Sn, Sp and the curves (default: the larger label, e.g. 1 "
                    "of 0/1)")
    cv.add_argument("--split", choices=SPLITS, default="stratified",
                    help="stratified: shuffled stratified folds (default); similarity: near-duplicate clusters "
                    "(exact, reverse-complement and near copies at --identity) stay inside one fold, so no "
                    "test sequence has a copy in its training folds (SimilarityGroupKFold)")
    cv.add_argument("--identity", type=float, default=0.9, metavar="FRACTION",
                    help="--split similarity: identity over the shorter sequence at which two sequences are "
                    "near duplicates (default 0.9)")
    cv.add_argument("--chromosome-groups", action="store_true",
                    help="--split similarity: also keep each chromosome inside one fold, read from record ids "
                    "of the form chr:start-end (as bedtools getfasta writes them)")
    cal = parser.add_argument_group("calibration")
    cal.add_argument("--calibrate", choices=CALIBRATION_METHODS, default=None,
                     help="also cross-validate each model wrapped in a calibrator fitted on out-of-fold "
                     "scores of the training folds (sigmoid = Platt scaling, isotonic = isotonic regression; "
                     "named e.g. 'kmer+sigmoid'), and report ECE and Brier score before and after; costs "
                     "--calibration-folds extra fits per fold")
    cal.add_argument("--calibration-folds", type=int, default=5, metavar="K",
                     help="inner folds of the calibrator's out-of-fold scores (default 5)")


#: ``--split`` choices of ``cv`` and ``compare``.
SPLITS = ("stratified", "similarity")

_COORDINATE_ID = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)(\([+-]\))?$")


def chromosomes_from_ids(ids) -> np.ndarray:
    """The chromosome of each record id of the form ``chr:start-end`` (optionally ``(+)`` / ``(-)``).

    Raises
    ------
    ValueError
        Naming the first id without coordinates.
    """
    if ids is None:
        raise ValueError("--chromosome-groups needs FASTA input whose record ids are chr:start-end")
    out = []
    for rid in ids:
        match = _COORDINATE_ID.match(str(rid))
        if match is None:
            raise ValueError(f"--chromosome-groups: record {rid!r} has no coordinates of the form chr:start-end")
        out.append(match["chrom"])
    return np.asarray(out, dtype=object)


def cv_splitter(args: argparse.Namespace, ids) -> tuple[object, np.ndarray | None, str]:
    """The folds of ``--folds`` / ``--split`` / ``--identity`` / ``--chromosome-groups``.

    Returns
    -------
    cv : int or SimilarityGroupKFold
        What :func:`~enhancer_sk.evaluation.comparison.compare_models` takes.
    groups : ndarray or None
        Chromosome of each sequence (``--chromosome-groups``).
    text : str
        The folds in words, for the log and the report.
    """
    if args.split == "stratified":
        if args.chromosome_groups:
            raise ValueError("--chromosome-groups needs --split similarity")
        return args.folds, None, f"{args.folds}-fold stratified cross-validation"
    if not 0.5 <= args.identity <= 1:
        raise ValueError(f"--identity must lie in [0.5, 1], got {args.identity}")
    from ..evaluation.leakage import SimilarityGroupKFold

    groups = chromosomes_from_ids(ids) if args.chromosome_groups else None
    cv = SimilarityGroupKFold(args.folds, identity=args.identity, shuffle=True, random_state=args.seed,
                              threads=getattr(args, "threads", None))
    text = (f"{args.folds}-fold cross-validation with near-duplicate clusters (identity >= {args.identity:g})"
            + (" and chromosomes" if groups is not None else "") + " kept inside one fold")
    return cv, groups, text


def with_calibrated(models: dict, args: argparse.Namespace) -> dict:
    """``models`` and, with ``--calibrate``, each one wrapped by :func:`~enhancer_sk.evaluation.calibration.calibrate`.

    The calibrated copy of an SVM is built with ``probability=False``: the
    calibrator is fitted on its decision values, so its own internal Platt
    folds would be wasted work.
    """
    if args.calibrate is None:
        return models
    if args.calibration_folds < 2:
        raise ValueError(f"--calibration-folds must be at least 2, got {args.calibration_folds}")
    from ..evaluation.calibration import calibrate

    out = dict(models)
    for name, model in models.items():
        inner = clone(model)
        if "probability" in inner.get_params(deep=False):
            inner.set_params(probability=False)
        out[f"{name}+{args.calibrate}"] = calibrate(inner, args.calibrate, cv=args.calibration_folds)
    return out


def read_cv_data(args: argparse.Namespace):
    """The labelled sequences of a cross-validation (``cv``, ``compare``): one binary task.

    Three-class data are reduced to the task of ``--layer``; ``--positive-label``
    must be one of the labels.

    Returns
    -------
    ids, X, y, description, pos_label
        As :func:`read_training_data`, and the positive label (None: the larger label).
    """
    if args.folds < 2:
        raise ValueError(f"--folds must be at least 2, got {args.folds}")
    ids, X, y, description = read_binary_task(args)
    pos_label = None if args.positive_label is None else parse_label(args.positive_label)
    if pos_label is not None and pos_label not in set(np.asarray(y).tolist()):
        raise ValueError(f"--positive-label {args.positive_label!r} is not one of the labels "
                         f"{sorted({str(v) for v in np.asarray(y).tolist()})}")
    return ids, X, y, description, pos_label


def read_binary_task(args: argparse.Namespace):
    """The labelled sequences of the data options as one binary task (``cv``, ``compare``, ``audit``).

    Three-class data are reduced to the task of ``args.layer`` (:func:`layer_task`);
    otherwise the labels must be binary.

    Returns
    -------
    ids, X, y, description
        As :func:`read_training_data`.
    """
    ids, X, y, description = read_training_data(args, three_class=args.layer is not None)
    if args.layer is not None:
        keep, y = layer_task(X, y, args.layer)
        X = X[keep]
        ids = None if ids is None else ids[keep]
        task = "enhancer (1) vs non-enhancer (0)" if args.layer == 1 else "strong (1) vs weak (0) enhancers"
        description += f"; layer {args.layer}: {task}, {len(y)} sequences"
    else:
        check_labels(y, three_class_hint="add --layer 1 or --layer 2")
    return ids, X, y, description


def layer_task(X, y, layer: int):
    """Binary task of one layer of three-class data (labels non / weak / strong).

    Layer 1: every sequence, 1 = enhancer (weak or strong), 0 = non-enhancer.
    Layer 2: the enhancers only, 1 = strong, 0 = weak.

    Returns
    -------
    keep : ndarray of int
        Indices of the sequences in the task.
    y : ndarray of int
        Their binary labels.
    """
    check_labels(y, two_layer=True)
    y = np.asarray(y)
    if layer == 1:
        return np.arange(len(y)), (y != "non").astype(np.int64)
    keep = np.flatnonzero(y != "non")
    return keep, (y[keep] == "strong").astype(np.int64)


def check_labels(y, *, two_layer: bool = False, three_class_hint: str = "add --two-layer") -> None:
    """Binary labels, or with ``two_layer`` the labels non / weak / strong only; ValueError otherwise.

    ``three_class_hint`` ends the message when binary labels were expected and
    the data hold the three classes.
    """
    classes = sorted({str(v) for v in np.asarray(y).tolist()})
    if two_layer:
        unknown = [c for c in classes if c not in THREE_CLASS_LABELS]
        if unknown:
            raise ValueError(f"three-class training needs the labels non, weak, strong; the data hold "
                             f"{', '.join(classes)}")
        return
    if len(classes) > 2:
        hint = f" ({three_class_hint})" if set(classes) == set(THREE_CLASS_LABELS) else ""
        raise ValueError(f"the models are binary but the labels hold {len(classes)} classes: "
                         f"{', '.join(classes)}{hint}")


# ----------------------------------------------------------------------------- model


def add_model_arguments(parser: argparse.ArgumentParser, *, two_layer: bool = True, model: str = "kmer",
                        preset: str = "fast") -> None:
    """Register ``--model``, ``--preset``, the key parameters and ``--param``.

    ``two_layer`` also registers ``--two-layer``, ``--layer1-model`` and
    ``--layer2-model``; ``model`` and ``preset`` are the defaults.
    """
    from ..models.nn.deepenhancer import ARCHITECTURES

    m = parser.add_argument_group("model")
    m.add_argument("--model", choices=MODEL_NAMES, default=model, metavar="NAME",
                   help="; ".join(f"{name}: {RECIPES[name].title}" for name in MODEL_NAMES) + f" (default {model})")
    if two_layer:
        m.add_argument("--two-layer", action="store_true",
                       help="train a two-layer classifier (enhancer vs non, then strong vs weak) from "
                       "three-class data (labels non, weak, strong)")
        m.add_argument("--layer1-model", choices=MODEL_NAMES, default=None,
                       help="model of layer 1 with --two-layer (default: --model)")
        m.add_argument("--layer2-model", choices=MODEL_NAMES, default=None,
                       help="model of layer 2 with --two-layer (default: the layer-1 model)")
    add_preset_argument(m, default=preset)
    m.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="lstmatt, deepenhancer: maximum number of training epochs")
    m.add_argument("--batch-size", type=int, default=None, metavar="N", help="lstmatt, deepenhancer: batch size")
    m.add_argument("--lr", type=float, default=None, help="lstmatt, deepenhancer: Adam learning rate")
    m.add_argument("--validation-fraction", type=float, default=None, metavar="F",
                   help="lstmatt, deepenhancer: fraction of training sequences held out for the validation "
                   "loss and early stopping (0: train on all)")
    m.add_argument("--patience", type=int, default=None, metavar="N",
                   help="deepenhancer: stop after N epochs without a lower validation loss and keep the best "
                   "weights (0: no early stopping)")
    m.add_argument("--architecture", choices=sorted(ARCHITECTURES), default=None,
                   help="deepenhancer: network architecture")
    m.add_argument("--window", type=int, default=None, metavar="BP",
                   help="deepenhancer: window length in bp (default: fast preset the median training "
                   "length, full preset 300)")
    m.add_argument("--stride", type=int, default=None, metavar="BP", help="deepenhancer: step between windows")
    m.add_argument("--length", type=int, default=None, metavar="BP",
                   help="lstmatt: input length in bp; longer sequences are centre-cropped, shorter N-padded "
                   "(default: the median training length)")
    m.add_argument("--average-strands", action="store_true",
                   help="lstmatt, deepenhancer: average each prediction over the sequence and its reverse "
                   "complement")
    m.add_argument("--ensemble", type=int, default=1, metavar="N",
                   help="lstmatt, deepenhancer: train N networks (seeds --seed .. --seed + N - 1) and average "
                   "their probabilities; N times the training time (default 1: one network)")
    m.add_argument("--kmer-k", type=int, default=None, metavar="K", help="kmer: k-mer length (default 6)")
    m.add_argument("--gkm-l", type=int, default=None, metavar="L", help="gkm: word length l (default 11)")
    m.add_argument("--gkm-k", type=int, default=None, metavar="K",
                   help="gkm: informative columns k (default 7)")
    m.add_argument("--gkm-d", type=int, default=None, metavar="D", help="gkm: maximum mismatches d (default 3)")
    m.add_argument("--C", type=float, default=None, dest="C",
                   help="kmer, gkm: SVM regularisation; gc: inverse regularisation of the logistic regression")
    add_param_argument(m, two_layer=two_layer)


def add_preset_argument(group, *, default: str = "fast") -> None:
    """Register ``--preset``."""
    group.add_argument("--preset", choices=PRESETS, default=default,
                       help="the networks' sizes and training (enhancer_sk.presets): fast: small networks, few "
                       "epochs; full: the published architectures, Enhancer-LSTMAtt with its iEnhancer-2L recipe "
                       "(lr 1e-3 cosine-decayed over 9 epochs, both strands); the other models are the same in "
                       f"both (default {default})")


def add_param_argument(group, *, two_layer: bool = False) -> None:
    """Register ``--param NAME=VALUE`` (repeatable)."""
    layers = "; with --two-layer, prefix layer1__ or layer2__ to set one layer only" if two_layer else ""
    group.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="any other estimator parameter (repeatable); VALUE is JSON when it parses "
                       f"(3, 0.5, true, null, [1, 6]), else a string; it applies to every model that has "
                       f"that parameter{layers}")


def _explicit_options(args: argparse.Namespace) -> dict[str, object]:
    """The key-parameter options given on the command line: {dest: value}."""
    given = {}
    for dest in _MODEL_OPTIONS:
        value = getattr(args, dest, None)
        if value is not None and value is not False:
            given[dest] = value
    return given


def _option_value(model_name: str, dest: str, value, seed: int):
    """Estimator parameter value of an explicit option for ``model_name``."""
    if dest == "validation_fraction":
        if not 0 <= value < 1:
            raise ValueError(f"--validation-fraction must lie in [0, 1), got {value}")
        if value == 0:
            return None
        if model_name == "deepenhancer":
            from ..models.nn.windowed import GroupValidSplit

            return GroupValidSplit(value)
        from skorch.dataset import ValidSplit

        return ValidSplit(value, stratified=True, random_state=seed)
    if dest == "patience":
        if value < 0:
            raise ValueError(f"--patience must be >= 0, got {value}")
        return None if value == 0 else value
    if dest in ("epochs", "batch_size", "window", "stride", "length", "kmer_k", "gkm_l", "gkm_k") and value < 1:
        raise ValueError(f"{_MODEL_OPTIONS[dest][0]} must be positive, got {value}")
    if dest in ("lr", "C") and not value > 0:
        raise ValueError(f"{_MODEL_OPTIONS[dest][0]} must be positive, got {value}")
    return value


def parse_param(text: str) -> tuple[str, object]:
    """Split ``NAME=VALUE`` and read ``VALUE`` as JSON when it parses, else as a string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"--param expects NAME=VALUE, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


def _accepts(model, name: str) -> bool:
    """Whether ``model.set_params(name=...)`` names a real parameter of ``model``."""
    if name in model.get_params(deep=True):
        return True
    from skorch import NeuralNet

    if isinstance(model, NeuralNet) and "__" in name:
        prefix, _, rest = name.partition("__")
        if prefix == "module":
            module = model.module if inspect.isclass(model.module) else type(model.module)
            return rest in inspect.signature(module).parameters
        return prefix in {"optimizer", "criterion", "iterator_train", "iterator_valid", "dataset", "callbacks"}
    return False


def _unknown_param(name: str, models: dict[str, object]) -> ValueError:
    known = sorted({k for m in models.values() for k in m.get_params(deep=True)})
    hint = did_you_mean(name, known)
    owners = " or ".join(f"{type(m).__name__}" for m in models.values())
    return ValueError(f"--param {name!r} is not a parameter of {owners}{hint}")


def _set_param(model, name: str, value, text: str):
    try:
        model.set_params(**{name: value})
    except (TypeError, ValueError) as err:
        raise ValueError(f"--param {text!r}: {err}") from None


def _build_one(name: str, args: argparse.Namespace, length: int, options: dict[str, object]):
    """One binary model by name with the explicit options that apply to it."""
    from ..presets import build_model
    from ..threads import resolve_threads

    model = build_model(name, preset=args.preset, seed=args.seed, threads=resolve_threads(args.threads),
                        length=length)
    params = {}
    for dest, value in options.items():
        param = _MODEL_OPTIONS[dest][1].get(name)
        if param is not None:
            params[param] = _option_value(name, dest, value, args.seed)
    if params:
        model.set_params(**params)
    return model


def model_from_args(args: argparse.Namespace, *, length: int):
    """The estimator the model options describe (not fitted).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_model_arguments`.
    length : int
        Typical (median) training sequence length: input length of the networks.

    Returns
    -------
    estimator
        A binary classifier, or a
        :class:`~enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier` with ``--two-layer``.

    Raises
    ------
    ValueError
        An explicit option that applies to none of the chosen models, or a
        ``--param`` that names no parameter (with the closest name).
    """
    two_layer = bool(getattr(args, "two_layer", False))
    layer_names = {"model": args.model}
    if two_layer:
        first = args.layer1_model or args.model
        layer_names = {"layer1": first, "layer2": args.layer2_model or first}
    elif getattr(args, "layer1_model", None) or getattr(args, "layer2_model", None):
        raise ValueError("--layer1-model and --layer2-model need --two-layer")
    options = _explicit_options(args)
    chosen = set(layer_names.values())
    for dest in options:
        option, targets = _MODEL_OPTIONS[dest]
        if not chosen & set(targets):
            raise ValueError(f"{option} does not apply to model {' / '.join(sorted(chosen))} "
                             f"(it applies to {', '.join(targets)})")
    n_ensemble = getattr(args, "ensemble", 1)
    if n_ensemble < 1:
        raise ValueError(f"--ensemble must be at least 1, got {n_ensemble}")
    if n_ensemble > 1 and not chosen & set(NETWORKS):
        raise ValueError(f"--ensemble does not apply to model {' / '.join(sorted(chosen))} "
                         f"(it applies to {', '.join(NETWORKS)}: the other models do not depend on a seed)")
    models = {key: _build_one(name, args, length, options) for key, name in layer_names.items()}
    apply_params(models, args.param, by_prefix=two_layer)
    if n_ensemble > 1:
        from ..models.meta.ensemble import SeedEnsembleClassifier

        models = {key: SeedEnsembleClassifier(m, n_ensemble, random_state=args.seed)
                  if layer_names[key] in NETWORKS else m for key, m in models.items()}
    if not two_layer:
        return models["model"]
    from ..models.meta.two_layer import TwoLayerEnhancerClassifier

    return TwoLayerEnhancerClassifier(models["layer1"], models["layer2"])


def apply_params(models: dict[str, object], texts: list[str], *, by_prefix: bool = False) -> None:
    """Set ``--param NAME=VALUE`` on every model of ``models`` that has the parameter.

    With ``by_prefix``, a name ``<key>__<parameter>`` (``layer1__C``) sets the
    parameter of ``models[key]`` only.  A name no model has is an error naming
    the closest parameter.
    """
    for text in texts:
        name, value = parse_param(text)
        key, sep, rest = name.partition("__")
        if by_prefix and sep and key in models:
            if not _accepts(models[key], rest):
                raise _unknown_param(rest, {key: models[key]})
            _set_param(models[key], rest, value, text)
            continue
        targets = [m for m in models.values() if _accepts(m, name)]
        if not targets:
            raise _unknown_param(name, models)
        for model in targets:
            _set_param(model, name, value, text)


def _short_repr(value) -> str:
    """A parameter value for :func:`describe_estimator`; an ``init_from`` model or state_dict in a few words."""
    if hasattr(value, "get_params"):
        return f"<fitted {type(value).__name__}>"
    if isinstance(value, dict) and value and all(hasattr(v, "shape") for v in value.values()):
        return f"<state_dict of {len(value)} tensors>"
    return repr(value)


def describe_estimator(model) -> str:
    """One line naming an estimator and its non-default parameters (nested layers included)."""
    from ..models.meta.ensemble import SeedEnsembleClassifier
    from ..models.meta.two_layer import TwoLayerEnhancerClassifier

    if isinstance(model, SeedEnsembleClassifier):
        return (f"SeedEnsembleClassifier(n_estimators={model.n_estimators}, random_state={model.random_state!r}, "
                f"estimator={describe_estimator(model.estimator)})")
    if isinstance(model, TwoLayerEnhancerClassifier):
        layer2 = model.layer1 if model.layer2 is None else model.layer2
        return (f"TwoLayerEnhancerClassifier(layer1={describe_estimator(model.layer1)}, "
                f"layer2={describe_estimator(layer2)})")
    from skorch import NeuralNet

    if not isinstance(model, NeuralNet):
        return " ".join(repr(model).split())
    defaults = type(model)().get_params(deep=False)
    changed = [
        f"{k}={_short_repr(v)}"
        for k, v in model.get_params(deep=False).items()
        if not k.startswith("_") and k != "module" and repr(v) != repr(defaults.get(k, object()))
    ]
    return f"{type(model).__name__}({', '.join(changed)})"


# ----------------------------------------------------------------------------- fine-tuning

#: Models ``--init-from`` applies to, and the estimator-level parameters (besides ``module__*``) that fix the
#: network's shape.
_INIT_FROM_SHAPE: dict[str, tuple[str, ...]] = {"deepenhancer": ("architecture", "window"), "lstmatt": ()}


def add_init_from_arguments(parser: argparse.ArgumentParser) -> None:
    """Register ``--init-from``, ``--init-from-layer`` and ``--freeze-conv`` (``enhancer-sk train``)."""
    g = parser.add_argument_group("fine-tuning (deepenhancer, lstmatt)")
    g.add_argument("--init-from", metavar="FILE|NAME", default=None,
                   help="start the network from the weights of a fitted model of the same kind (--model "
                   "deepenhancer: a DeepEnhancer model file; --model lstmatt: an Enhancer-LSTMAtt model file or "
                   "a published model's name, e.g. enhancer-lstmatt-ienhancer2l) instead of random weights; the "
                   "network takes that model's shape (architecture, window, sizes, input length); consider a "
                   "lower --lr")
    g.add_argument("--init-from-layer", type=int, choices=(1, 2), default=None, metavar="N",
                   help="with a two-layer --init-from model: start from its layer N (1: enhancer vs "
                   "non-enhancer, the binary task; 2: strong vs weak enhancer) (default 1)")
    g.add_argument("--freeze-conv", action="store_true",
                   help="deepenhancer with --init-from: keep the convolutions (and their batch-norm statistics) "
                   "fixed, train the dense layers only")


def _explicit_param_options(args: argparse.Namespace, model_name: str) -> dict[str, str]:
    """Estimator parameters the command line set explicitly: {parameter: option as the user wrote it}."""
    given = {}
    for dest, value in _explicit_options(args).items():
        option, targets = _MODEL_OPTIONS[dest]
        if model_name in targets:
            given[targets[model_name]] = f"{option} {value}"
    for text in getattr(args, "param", None) or []:
        name, _ = parse_param(text)
        given[name] = f"--param {text}"
    return given


def _init_from_source(value: str, layer: int | None, log) -> tuple[object, str]:
    """The fitted estimator ``--init-from`` names (one layer of a two-layer model) and its name for the card."""
    import os

    from ..model_files import load
    from ..model_files.registry import REGISTRY
    from ..models.meta.two_layer import TwoLayerEnhancerClassifier
    from ._options import model_file_path

    path = model_file_path(value, log)
    source = load(path)
    label = value if value in REGISTRY and not os.path.exists(value) else os.path.basename(value)
    if isinstance(source, TwoLayerEnhancerClassifier):
        layer = layer or 1
        source = source.layer1_ if layer == 1 else source.layer2_
        label += f" layer {layer} ({'enhancer vs non-enhancer' if layer == 1 else 'strong vs weak'})"
    elif layer is not None:
        raise ValueError(f"--init-from-layer applies to a two-layer --init-from model; {label} holds a "
                         f"{type(source).__name__}")
    return source, label


def _module_defaults(model) -> dict[str, object]:
    """Default values of the module's constructor arguments, as ``module__*`` parameters."""
    module = model.module if inspect.isclass(model.module) else type(model.module)
    return {f"module__{name}": p.default for name, p in inspect.signature(module).parameters.items()
            if p.default is not inspect.Parameter.empty}


def init_from_args(model, args: argparse.Namespace, log=None) -> str | None:
    """Apply ``--init-from``, ``--init-from-layer`` and ``--freeze-conv`` to a model built by :func:`model_from_args`.

    The network (the template of a seed ensemble) starts from the weights of
    the named model (its ``init_from`` parameter, set to a copy of the source's
    ``state_dict``, which the model file then keeps) and takes its shape; with
    ``--freeze-conv`` its convolutions stay fixed (``freeze_conv``).

    Parameters
    ----------
    model : estimator
        Not fitted; changed in place.
    args : argparse.Namespace
        Parsed options (:func:`add_model_arguments`, :func:`add_init_from_arguments`).
    log : callable, optional
        The command's log (a line when a published model is converted or used).

    Returns
    -------
    str or None
        For the log and the model card's recipe, e.g. ``"fine-tuned from pre.eskm, convolutions frozen"``;
        None without ``--init-from``.

    Raises
    ------
    ValueError
        ``--freeze-conv`` or ``--init-from-layer`` without ``--init-from``,
        ``--freeze-conv`` for another model than deepenhancer, ``--init-from``
        for another model than deepenhancer / lstmatt or with
        ``--two-layer``, a source model of another kind, or an option that
        would give the network another shape than the source's.
    FileNotFoundError
        ``--init-from`` is neither a file nor a published model's name.
    """
    value = getattr(args, "init_from", None)
    freeze = bool(getattr(args, "freeze_conv", False))
    layer = getattr(args, "init_from_layer", None)
    if value is None:
        if freeze:
            raise ValueError("--freeze-conv needs --init-from (the pre-trained DeepEnhancer model whose "
                             "convolutions stay fixed)")
        if layer is not None:
            raise ValueError("--init-from-layer needs --init-from")
        return None
    if getattr(args, "two_layer", False):
        raise ValueError("--init-from does not apply with --two-layer (it fine-tunes one binary network)")
    if args.model not in _INIT_FROM_SHAPE:
        raise ValueError(f"--init-from does not apply to model {args.model} (it applies to "
                         f"{', '.join(_INIT_FROM_SHAPE)})")
    if freeze and args.model != "deepenhancer":
        raise ValueError(f"--freeze-conv does not apply to model {args.model} (it applies to deepenhancer: "
                         "the convolutions of DeepEnhancer)")
    net = getattr(model, "estimator", model)  # the template of a seed ensemble
    source, label = _init_from_source(value, layer, log)
    if not isinstance(source, type(net)):
        wanted = type(net).__name__
        raise ValueError(f"the model file {label} holds a {type(source).__name__}; --init-from needs "
                         f"{'an' if wanted[0] in 'AEIOU' else 'a'} {wanted} for --model {args.model}")
    if not getattr(source, "initialized_", False):
        raise ValueError(f"the {type(source).__name__} of {label} is not fitted")
    source_params = source.get_params(deep=False)
    module_defaults = _module_defaults(source)
    shape = {name: source_params[name] for name in _INIT_FROM_SHAPE[args.model]}
    net_params = net.get_params(deep=False)
    for name in {k for k in (*source_params, *net_params) if k.startswith("module__")}:
        shape[name] = source_params.get(name, module_defaults.get(name))  # a size the source left at its default
    given = _explicit_param_options(args, args.model)
    for name, value_of_source in shape.items():
        if name in given and repr(net_params.get(name)) != repr(value_of_source):
            raise ValueError(f"{given[name]} differs from the --init-from model's {name}={value_of_source!r}: "
                             f"a fine-tuned network has the shape of the model it starts from (leave the option "
                             f"out)")
    # the weights, not the estimator: the model file keeps the tensors only, and a seed ensemble sets the seed
    # of every member without reaching into a fitted source model
    weights = {k: v.detach().clone() for k, v in source.module_.state_dict().items()}
    params = {**shape, "init_from": weights}
    if args.model == "deepenhancer":
        params["freeze_conv"] = freeze
    net.set_params(**params)
    return f"fine-tuned from {label}" + (", convolutions frozen" if freeze else "")
