"""Options every subcommand shares, defined once: run time, model files, labels, the log.

The same option means the same thing in every subcommand:

* ``--threads N`` (default ``$GALAXY_SLOTS``, else the CPUs available), ``--seed N``
  and ``--quiet`` (no per-epoch lines or progress bars);
* ``-m / --model-file PATH``: a model file written by ``enhancer-sk train``, the
  name of a published model (``enhancer-sk models``; converted once and cached in
  the data home) or, except in ``motifs``, an LS-GKM model file (``gkmtrain``'s
  ``.model.txt``, plain or gzip; read as a GkmSVM without probabilities)
  (:func:`model_file_path`, :func:`load_model_argument`); ``--model NAME`` names a
  recipe of :mod:`enhancer_sk.presets` instead, in ``train``, ``cv`` and ``compare``;
* ``--positive-label LABEL``: the class counted as positive in the scores.

:func:`set_runtime` applies ``--threads`` and ``--quiet`` to every estimator
inside a model; :func:`fitted_estimators` names the binary estimators of a
fitted model (layers, ensemble members).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator

__all__ = [
    "add_model_file_argument",
    "load_model_argument",
    "model_file_path",
    "command_parser",
    "add_runtime_arguments",
    "fitted_estimators",
    "logged_warnings",
    "logger",
    "mean_sd",
    "parse_label",
    "set_runtime",
    "show_label",
]


def command_parser(subparsers, name: str, help: str, description: str) -> argparse.ArgumentParser:  # noqa: A002
    """Register the subcommand ``name``: one line for ``--help``, a paragraph for ``name --help``."""
    return subparsers.add_parser(name, help=help, description=" ".join(description.split()))


def add_runtime_arguments(parser: argparse.ArgumentParser, *, seed: bool = False, quiet: bool = False,
                          seed_help: str = "random seed (default 0)") -> None:
    """Register ``--threads`` and, when asked, ``--seed`` and ``--quiet``."""
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="CPU threads (default: GALAXY_SLOTS when set, else all available)")
    if seed:
        parser.add_argument("--seed", type=int, default=0, metavar="N", help=seed_help)
    if quiet:
        parser.add_argument("--quiet", action="store_true", help="no per-epoch lines or progress bars")


def add_model_file_argument(parser: argparse.ArgumentParser, *, required: bool = True, lsgkm: bool = True) -> None:
    """Register ``-m / --model-file``; ``lsgkm``: the subcommand also reads LS-GKM model files."""
    also = ", or an LS-GKM model file (gkmtrain's .model.txt, plain or gzip)" if lsgkm else ""
    parser.add_argument("-m", "--model-file", required=required, metavar="PATH|NAME",
                        help=f"model file written by 'enhancer-sk train', the name of a published model "
                        f"('enhancer-sk models'){also}")


def model_file_path(value: str, log: Callable[[str], None] | None = None) -> str:
    """The model file a ``-m / --model-file`` value stands for: an existing file, or a published model's name.

    A registry name (:func:`enhancer_sk.model_files.registry.list_models`) is
    resolved to its cached model file in the data home (``$ENHANCER_SK_DATA``,
    else ``~/enhancer_sk_data``), converted (and its source files downloaded
    and checked) on first use.

    Parameters
    ----------
    value : str
        The option's value.
    log : callable, optional
        The command's log: one line when a published model is used.

    Returns
    -------
    str
        A path to read with :func:`~enhancer_sk.model_files.load`.

    Raises
    ------
    FileNotFoundError
        ``value`` is neither an existing path nor a registry name (the message
        lists the registry's names), or a published model's source file is
        missing and cannot be downloaded.
    ValueError
        A published model's source file fails its checksum or its download fails.
    """
    import os

    from ..model_files.registry import REGISTRY, cached_path, fetch_pretrained

    if os.path.exists(value) or value not in REGISTRY:
        if not os.path.exists(value):
            raise FileNotFoundError(f"no model file {value!r} and no published model of that name; published "
                                    f"models: {', '.join(REGISTRY)} (see 'enhancer-sk models')")
        return value
    if log is not None and not cached_path(value).is_file():
        log(f"published model {value}: converting it once into {cached_path(value)}")
    try:
        path = fetch_pretrained(value)
    except FileNotFoundError:
        raise
    except OSError as err:  # a checksum failure, a failed download: one line, not a traceback
        raise ValueError(f"published model {value}: {err}") from err
    if log is not None:
        log(f"published model {value}: {path}")
    return str(path)


def load_model_argument(value: str, *, kind: type | None = None,
                        log: Callable[[str], None] | None = None) -> tuple[object, dict, str]:
    """Load the model a ``-m / --model-file`` value names: a model file, an LS-GKM file or a published model.

    Parameters
    ----------
    value : str
        The option's value (see :func:`model_file_path`).
    kind : class, optional
        The estimator class the file must hold (as :func:`~enhancer_sk.model_files.load`).
    log : callable, optional
        The command's log.

    Returns
    -------
    model : estimator
    info : dict
        :func:`~enhancer_sk.model_files.describe` of the file (with its ``"card"``).
    path : str
        The model file read.
    """
    from ..model_files import describe, load

    path = model_file_path(value, log)
    info = describe(path)
    return load(path, kind=kind), info, path


def logger(command: str) -> Callable[[str], None]:
    """The progress log of a subcommand: ``[command] message`` lines on stderr."""

    def log(message: str) -> None:
        print(f"[{command}] {message}", file=sys.stderr, flush=True)

    return log


def show_label(label) -> str:
    """A class label as a user reads it: ``1``, ``'enhancer'`` (never ``np.int64(1)``).

    Parameters
    ----------
    label : object
        A label, possibly a NumPy scalar.

    Returns
    -------
    str
        Numbers as they print, strings quoted.
    """
    if hasattr(label, "item") and not isinstance(label, str):  # a NumPy scalar
        label = label.item()
    return repr(str(label)) if isinstance(label, str) else str(label)


@contextlib.contextmanager
def logged_warnings(log: Callable[[str], None]) -> Iterator[list[str]]:
    """Turn the Python warnings raised inside the block into ``warning: ...`` log lines.

    The lines are logged when the block ends without an error (a warning
    repeated, e.g. once per fold, is logged once with its count) and are also
    appended to the list the block receives, e.g. for a training log file.
    Python's own warning lines (which name source files) are not printed.

    Parameters
    ----------
    log : callable
        The command's log (:func:`logger`).

    Yields
    ------
    list of str
        Filled with the logged lines when the block ends.
    """
    lines: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield lines
    counts: collections.Counter = collections.Counter()
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        text = " ".join(str(w.message).split())
        if w.category.__name__ not in ("UserWarning", "NotLearningWarning"):
            text = f"{w.category.__name__}: {text}"
        counts[text] += 1
    for text, n in counts.items():
        line = f"warning: {text}" + (f" ({n} times)" if n > 1 else "")
        lines.append(line)
        log(line)


def mean_sd(summary: dict, metrics) -> str:
    """``AUC 0.912 +/- 0.031, MCC 0.700 +/- 0.050`` from ``{metric: (mean, sd)}`` (ASCII, for the log)."""
    return ", ".join(f"{m} {summary[m][0]:.3f} +/- {summary[m][1]:.3f}" for m in metrics if m in summary)


def parse_label(text: str):
    """A label given on the command line: an int when it reads as one (``1``, ``-1``), else the text."""
    return int(text) if text.lstrip("-").isdigit() else text


def fitted_estimators(model) -> dict[str, object]:
    """The fitted binary estimators inside ``model``, by name.

    ``{"model": m}`` or ``{"layer1": .., "layer2": ..}``; the members of a seed
    ensemble as ``model.1``, ``model.2`` ... (``layer1.1`` ... in a two-layer model).
    """
    from ..models.meta.ensemble import SeedEnsembleClassifier

    layers = {"layer1": model.layer1_, "layer2": model.layer2_} if hasattr(model, "layer1_") else {"model": model}
    found = {}
    for name, est in layers.items():
        if isinstance(est, SeedEnsembleClassifier):
            found.update({f"{name}.{i}": member for i, member in enumerate(est.estimators_, start=1)})
        else:
            found[name] = est
    return found


def _all_estimators(model) -> list:
    """Every estimator object in ``model``: templates and fitted parts (layers, ensemble members)."""
    found = [model]
    for name in ("layer1", "layer2", "layer1_", "layer2_", "estimator"):
        inner = getattr(model, name, None)
        if inner is not None and hasattr(inner, "get_params"):
            found.extend(_all_estimators(inner))
    for inner in getattr(model, "estimators_", None) or []:
        found.extend(_all_estimators(inner))
    return found


def set_runtime(model, *, threads: int | None = None, verbose: int | None = None) -> None:
    """Set the run-time settings (threads, epoch log) of every estimator in ``model``.

    ``threads`` goes to every estimator with a ``threads`` parameter;
    ``verbose`` to the networks' ``verbose`` (skorch epoch log) and to seed
    ensembles (one line per member).  Settings an estimator lacks are skipped.
    """
    from ..models.meta.ensemble import SeedEnsembleClassifier

    for est in _all_estimators(model):
        params = est.get_params(deep=False)
        if "threads" in params:
            est.set_params(threads=threads)
        if verbose is not None and "verbose" in params and ("max_epochs" in params
                                                            or isinstance(est, SeedEnsembleClassifier)):
            est.set_params(verbose=verbose)
