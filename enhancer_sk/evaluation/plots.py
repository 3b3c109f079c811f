"""Figures of model evaluation: ROC / precision-recall curves and per-fold boxplots.

Every function draws with Matplotlib's object API on the Agg renderer (no
pyplot state, no display needed, safe in worker threads) and returns the
:class:`~matplotlib.figure.Figure`; :func:`save_figure` writes it atomically.
Functions take an optional ``ax`` so other modules can compose panels.

* :func:`plot_roc` / :func:`plot_precision_recall`: curves of one or many
  models on one axes, area in the legend.
* :func:`plot_roc_pr`: both side by side (a single model or many).
* :func:`plot_fold_scores`: one boxplot panel per metric, folds as points.
* :func:`reliability_diagram`: calibration curves of one or many models, ECE in the legend.
* :func:`plot_comparison`: both figures of a
  :class:`~enhancer_sk.evaluation.comparison.ModelComparison`, saved to a folder.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from ..io.files import atomic_path
from .metrics import binary_positive_label

__all__ = [
    "new_figure",
    "plot_comparison",
    "plot_fold_scores",
    "plot_precision_recall",
    "plot_roc",
    "plot_roc_pr",
    "reliability_diagram",
    "save_figure",
]



def new_figure(width: float = 6.0, height: float = 4.5, **kwargs) -> Figure:
    """A Figure on the Agg canvas (independent of pyplot and of the configured backend)."""
    fig = Figure(figsize=(width, height), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Save ``fig`` in the format of the suffix (PNG for any other suffix), atomically.

    The image is written to a temporary file in the target folder and moved
    into place.  Returns the path.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in fig.canvas.get_supported_filetypes():  # e.g. Galaxy's dataset_1.dat
        fmt = "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
    return path


def _as_score_dict(scores) -> dict[str, np.ndarray]:
    if isinstance(scores, Mapping):
        if not scores:
            raise ValueError("no scores to plot")
        return {str(k): np.asarray(v, dtype=float).ravel() for k, v in scores.items()}
    return {"model": np.asarray(scores, dtype=float).ravel()}


def _binary_truth(y_true, pos_label) -> np.ndarray:
    _, pos_label = binary_positive_label(y_true, pos_label, purpose="ROC and precision-recall curves")
    return np.asarray(y_true) == pos_label


def _check_lengths(truth: np.ndarray, scores: Mapping[str, np.ndarray]) -> None:
    for name, s in scores.items():
        if len(s) != len(truth):
            raise ValueError(f"scores of {name!r} have length {len(s)}, labels {len(truth)}")


def _axes(ax: Axes | None, width: float = 5.0, height: float = 4.5) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = new_figure(width, height)
    return fig, fig.add_subplot()


def _curve_axes(y_true, scores, pos_label, ax):
    """Checked truth and scores, and the axes to draw the curves on."""
    truth = _binary_truth(y_true, pos_label)
    scores = _as_score_dict(scores)
    _check_lengths(truth, scores)
    fig, ax = _axes(ax)
    return truth, scores, fig, ax


def _finish_figure(fig: Figure, suptitle: str | None, path) -> Figure:
    """Title, tight layout, and the file when ``path`` is given."""
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig


def _finish_curves(ax: Axes, xlabel: str, ylabel: str, title: str | None, legend: str) -> None:
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel=xlabel, ylabel=ylabel, aspect="equal")
    if title:
        ax.set_title(title)
    ax.legend(loc=legend, fontsize="small")
    ax.grid(alpha=0.3)


def plot_roc(y_true, scores, *, pos_label=None, ax: Axes | None = None, title: str | None = "ROC") -> Figure:
    """ROC curves of one or many models on one axes, AUC in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    scores : mapping of name -> array of shape (n,), or one array
        Scores of the positive class (probabilities or decision values).
    pos_label : label, default=None
        The positive class (default: the larger label).
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.
    title : str or None
        Axes title.

    Returns
    -------
    Figure
    """
    truth, scores, fig, ax = _curve_axes(y_true, scores, pos_label, ax)
    for name, s in scores.items():
        fpr, tpr, _ = roc_curve(truth, s)
        ax.plot(fpr, tpr, lw=1.6, label=f"{name} (AUC {roc_auc_score(truth, s):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color="0.6", label="chance")
    _finish_curves(ax, "False positive rate (1 - Sp)", "True positive rate (Sn)", title, "lower right")
    return fig


def plot_precision_recall(y_true, scores, *, pos_label=None, ax: Axes | None = None,
                          title: str | None = "Precision-recall") -> Figure:
    """Precision-recall curves of one or many models, average precision (AUPRC) in the legend.

    Parameters as :func:`plot_roc`; the dashed line is the positive fraction
    (a random classifier's precision).
    """
    truth, scores, fig, ax = _curve_axes(y_true, scores, pos_label, ax)
    for name, s in scores.items():
        precision, recall, _ = precision_recall_curve(truth, s)
        ap = average_precision_score(truth, s)
        ax.step(recall, precision, where="post", lw=1.6, label=f"{name} (AUPRC {ap:.3f})")
    prevalence = float(truth.mean())
    ax.axhline(prevalence, ls="--", lw=0.8, color="0.6", label=f"chance ({prevalence:.2f})")
    _finish_curves(ax, "Recall (Sn)", "Precision", title, "lower left")
    return fig


def plot_roc_pr(y_true, scores, *, pos_label=None, suptitle: str | None = None,
                path: str | os.PathLike | None = None) -> Figure:
    """ROC and precision-recall curves side by side (one model or many).

    Parameters
    ----------
    y_true, scores, pos_label
        As :func:`plot_roc`.
    suptitle : str, optional
        Figure title.
    path : path, optional
        Also save the figure there (PNG).

    Returns
    -------
    Figure
    """
    fig = new_figure(11.0, 5.0)
    ax_roc, ax_pr = fig.subplots(1, 2)
    plot_roc(y_true, scores, pos_label=pos_label, ax=ax_roc)
    plot_precision_recall(y_true, scores, pos_label=pos_label, ax=ax_pr)
    return _finish_figure(fig, suptitle, path)


def reliability_diagram(y_true, probas, *, n_bins: int = 10, strategy: str = "uniform", pos_label=None,
                        ax: Axes | None = None, title: str | None = "Reliability diagram") -> Figure:
    """Reliability (calibration) curves of one or many models, ECE and Brier score in the legend.

    Each point is one bin of predicted probabilities: its mean predicted
    probability (x) against the fraction of positives in it (y); a calibrated
    model lies on the diagonal.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Binary labels.
    probas : mapping of name -> array of shape (n,), or one array
        Probabilities of the positive class (e.g. ``{"before": p, "after": q}``).
    n_bins : int, default=10
        Bins of the curve and of the ECE.
    strategy : {"uniform", "quantile"}, default="uniform"
        Bins of equal width, or of equal numbers of sequences.
    pos_label : label, default=None
        The positive class (default: the larger label).
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.
    title : str or None
        Axes title.

    Returns
    -------
    Figure

    See Also
    --------
    enhancer_sk.evaluation.calibration.calibration_report : the same numbers as a dict.
    """
    from .calibration import calibration_report

    _, pos_label = binary_positive_label(y_true, pos_label, purpose="a reliability diagram")
    probas = _as_score_dict(probas)
    _check_lengths(np.asarray(y_true), probas)
    fig, ax = _axes(ax)
    ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color="0.6", label="perfectly calibrated")
    for name, p in probas.items():
        rep = calibration_report(y_true, p, n_bins=n_bins, strategy=strategy, pos_label=pos_label)["before"]
        ax.plot(rep["prob_pred"], rep["prob_true"], "o-", lw=1.6, ms=4,
                label=f"{name} (ECE {rep['ece']:.3f}, Brier {rep['brier']:.3f})")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="Mean predicted probability", ylabel="Fraction of positives",
           aspect="equal")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def plot_fold_scores(fold_scores: Mapping[str, Mapping[str, Sequence[float]]],
                     metrics: Sequence[str] | None = None, *, suptitle: str | None = None,
                     path: str | os.PathLike | None = None) -> Figure:
    """Boxplots of per-fold scores: one panel per metric, one box per model, folds as dots.

    Parameters
    ----------
    fold_scores : mapping
        ``{model: {metric: scores per fold}}`` (as
        :attr:`ModelComparison.fold_scores <enhancer_sk.evaluation.comparison.ModelComparison>`).
    metrics : sequence of str, optional
        Panels to draw (default: every metric of the first model).
    suptitle : str, optional
    path : path, optional
        Also save the figure there.

    Returns
    -------
    Figure
    """
    if not fold_scores:
        raise ValueError("no fold scores to plot")
    models = list(fold_scores)
    metrics = list(metrics) if metrics is not None else list(next(iter(fold_scores.values())))
    ncols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / ncols)
    width = max(3.2, 0.7 * len(models) + 1.6)
    fig = new_figure(width * ncols, 3.4 * nrows + (0.4 if suptitle else 0.0))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    rng = np.random.RandomState(0)  # horizontal jitter of the fold dots only
    positions = np.arange(1, len(models) + 1)
    for ax, metric in zip(axes, metrics):
        data = [np.asarray(fold_scores[m][metric], dtype=float) for m in models]
        data = [d[~np.isnan(d)] for d in data]
        ax.boxplot(data, positions=positions, widths=0.55, showfliers=False,
                   medianprops={"color": "black"}, patch_artist=True,
                   boxprops={"facecolor": "#dbe9f6", "edgecolor": "#3b6ea5"})
        for pos, d in zip(positions, data):
            ax.plot(pos + rng.uniform(-0.12, 0.12, len(d)), d, "o", ms=3.5, color="#c0392b", alpha=0.8)
        ax.set_xticks(positions, models, rotation=30 if len(models) > 3 else 0,
                      ha="right" if len(models) > 3 else "center")
        ax.set_title(metric)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    return _finish_figure(fig, suptitle, path)


def plot_comparison(result, directory: str | os.PathLike, prefix: str = "") -> dict[str, Path]:
    """Save the figures of a :class:`~enhancer_sk.evaluation.comparison.ModelComparison`.

    Writes ``{prefix}fold_scores.png`` (boxplots of every metric) and
    ``{prefix}roc_pr.png`` (pooled out-of-fold ROC and precision-recall curves
    of all models) into ``directory``.

    Returns
    -------
    dict
        ``{"fold_scores_png": path, "roc_pr_png": path}``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    n = result.n_splits
    box = plot_fold_scores(result.fold_scores, result.metrics,
                           suptitle=f"Scores of {n} cross-validation folds (same folds for every model)")
    curves = plot_roc_pr(result.y_true, result.oof_scores, pos_label=result.pos_label,
                         suptitle=f"Out-of-fold scores pooled over {n} folds")
    return {
        "fold_scores_png": save_figure(box, directory / f"{prefix}fold_scores.png"),
        "roc_pr_png": save_figure(curves, directory / f"{prefix}roc_pr.png"),
    }
