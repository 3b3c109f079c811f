"""Tests of enhancer_sk.plots: ROC / PR curves, fold boxplots, atomic PNG output."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread
from sklearn.metrics import average_precision_score, roc_auc_score

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.evaluation.comparison import compare_models
from enhancer_sk.evaluation.plots import (
    new_figure,
    plot_comparison,
    plot_fold_scores,
    plot_precision_recall,
    plot_roc,
    plot_roc_pr,
    save_figure,
)
from enhancer_sk.sequence.encoders import GCContent

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def scores():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 50)
    return y, {"good": y + rng.normal(0, 0.6, 100), "weak": y + rng.normal(0, 2.0, 100)}


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_roc_curves_one_line_per_model_with_auc(scores):
    y, s = scores
    fig = plot_roc(y, s)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3  # two models and the chance line
    texts = _legend_texts(ax)
    assert texts[0] == f"good (AUC {roc_auc_score(y, s['good']):.3f})"
    assert texts[1] == f"weak (AUC {roc_auc_score(y, s['weak']):.3f})"


def test_precision_recall_curves_with_average_precision(scores):
    y, s = scores
    fig = plot_precision_recall(y, s)
    texts = _legend_texts(fig.axes[0])
    assert texts[0] == f"good (AUPRC {average_precision_score(y, s['good']):.3f})"
    assert texts[-1] == "chance (0.50)"


def test_single_model_roc_pr_saved_as_png(scores, tmp_path):
    y, s = scores
    path = tmp_path / "single.png"
    fig = plot_roc_pr(np.where(y == 1, "enh", "bg"), s["good"], suptitle="one model", path=path)
    assert len(fig.axes) == 2
    assert _legend_texts(fig.axes[0])[0].startswith("model (AUC")
    assert path.read_bytes()[:8] == PNG_MAGIC
    height, width = imread(path).shape[:2]
    assert width > height > 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["single.png"]  # no temporary file left


def test_draws_into_a_given_axes(scores):
    y, s = scores
    fig = new_figure()
    ax = fig.add_subplot()
    assert plot_roc(y, s, ax=ax, title=None) is fig
    assert ax.get_title() == ""


def test_fold_score_boxplots_one_panel_per_metric():
    fold_scores = {
        "a": {"AUC": [0.8, 0.82, 0.79], "MCC": [0.5, 0.55, np.nan], "Acc": [0.7, 0.72, 0.71],
              "Sn": [0.7, 0.7, 0.8]},
        "b": {"AUC": [0.7, 0.72, 0.71], "MCC": [0.4, 0.45, 0.42], "Acc": [0.6, 0.62, 0.61],
              "Sn": [0.6, 0.6, 0.7]},
    }
    fig = plot_fold_scores(fold_scores, ["AUC", "MCC", "Acc", "Sn"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["AUC", "MCC", "Acc", "Sn"]
    assert len(fig.axes) == 6  # a 2 x 3 grid, the last two hidden
    # the dots are the fold scores (NaN dropped)
    dots = [line for line in visible[1].get_lines() if line.get_marker() == "o"]
    assert sorted(len(d.get_ydata()) for d in dots) == [2, 3]


def test_input_errors(scores):
    y, s = scores
    with pytest.raises(ValueError, match="two classes"):
        plot_roc(np.arange(100) % 3, s)
    with pytest.raises(ValueError, match="length"):
        plot_roc(y[::2], s)
    with pytest.raises(ValueError, match="pos_label"):
        plot_precision_recall(y, s, pos_label=5)
    with pytest.raises(ValueError, match="no scores"):
        plot_roc(y, {})


def test_plot_comparison_writes_both_figures(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = make_synthetic_enhancers(n_samples=90, random_state=2)
    models = {"gc": make_pipeline(GCContent(), LogisticRegression()),
              "gc_C0.01": make_pipeline(GCContent(), LogisticRegression(C=0.01))}
    result = compare_models(models, X, y, cv=3)
    paths = plot_comparison(result, tmp_path / "figs")
    assert {p.name for p in paths.values()} == {"fold_scores.png", "roc_pr.png"}
    for p in paths.values():
        assert p.read_bytes()[:8] == PNG_MAGIC


def test_save_figure_other_format(tmp_path):
    fig = new_figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "f.svg")
    assert path.read_text().lstrip().startswith("<?xml")
