"""Evaluation: the papers' metrics, comparisons on shared folds, figures and HTML reports.

* :mod:`~enhancer_sk.evaluation.metrics`: Sn, Sp, Acc, MCC, AUC, AUPRC and scorers;
* :mod:`~enhancer_sk.evaluation.comparison`: :func:`compare_models` (same folds, paired tests);
* :mod:`~enhancer_sk.evaluation.bootstrap`: paired bootstrap intervals of scores and of differences;
* :mod:`~enhancer_sk.evaluation.calibration`: expected calibration error, calibration reports,
  :func:`calibrate` (Platt / isotonic through ``CalibratedClassifierCV``);
* :mod:`~enhancer_sk.evaluation.conformal`: conformal p-values, prediction sets, Benjamini-Hochberg
  and :class:`ConformalClassifier`;
* :mod:`~enhancer_sk.evaluation.leakage`: train/test overlaps (exact, reverse complement, near) and
  :class:`SimilarityGroupKFold`;
* :mod:`~enhancer_sk.evaluation.plots`: ROC / precision-recall curves, fold boxplots;
* :mod:`~enhancer_sk.evaluation.report`: self-contained HTML reports.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "SCORING": ".metrics",
    "paper_scores": ".metrics",
    "compare_models": ".comparison",
    "paired_bootstrap": ".bootstrap",
    "find_overlaps": ".leakage",
    "SimilarityGroupKFold": ".leakage",
    "similarity_clusters": ".leakage",
    "expected_calibration_error": ".calibration",
    "calibration_report": ".calibration",
    "calibrate": ".calibration",
    "reliability_diagram": ".plots",
    "ConformalClassifier": ".conformal",
    "conformal_pvalues": ".conformal",
    "mondrian_pvalues": ".conformal",
    "conformal_prediction_sets": ".conformal",
    "benjamini_hochberg": ".conformal",
    "plot_roc_pr": ".plots",
    "HtmlReport": ".report",
})
