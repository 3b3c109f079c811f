"""Coverage and reproducibility of :func:`enhancer_sk.evaluation.metrics.bootstrap_ci`.

Test sets are drawn from a binormal model: negatives score N(0, 1), positives
N(d, 1), so the true AUROC is P(positive > negative) = Phi(d / sqrt(2)).  A
nominal 95% interval should contain it in about 95% of the test sets.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm, rankdata
from sklearn.metrics import accuracy_score, roc_auc_score

from enhancer_sk.evaluation.metrics import bootstrap_ci

SEPARATION = 1.0  # d: true AUROC Phi(1 / sqrt(2)) = 0.760
TRUE_AUROC = float(norm.cdf(SEPARATION / np.sqrt(2)))


def rank_auroc(y_true, y_score) -> float:
    """AUROC as the Mann-Whitney statistic (ties count half): roc_auc_score without its input checks."""
    ranks = rankdata(y_score)
    pos = y_true == 1
    n_pos = int(pos.sum())
    n_neg = len(y_true) - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def binormal_test_set(rng, n_per_class: int):
    y = np.repeat([0, 1], n_per_class)
    return y, rng.normal(0.0, 1.0, y.size) + SEPARATION * y


def test_rank_auroc_equals_roc_auc_score_with_ties():
    rng = np.random.default_rng(1)
    y, s = binormal_test_set(rng, 100)
    assert rank_auroc(y, s) == pytest.approx(roc_auc_score(y, s))
    idx = rng.integers(0, len(y), len(y))  # a bootstrap resample: duplicated scores
    assert rank_auroc(y[idx], s[idx]) == pytest.approx(roc_auc_score(y[idx], s[idx]))
    s_rounded = np.round(s, 1)
    assert rank_auroc(y, s_rounded) == pytest.approx(roc_auc_score(y, s_rounded))


@pytest.mark.slow
def test_nominal_95_interval_covers_true_auroc_in_93_to_97_percent():
    """200 simulated test sets of 400 sequences (200 per class), 500 resamples each.

    The issue's criterion (93-97% over 200 sets) is itself noisy: with true
    coverage 95% the count of covering sets has a standard deviation of ~3
    (1.5 points), so even an exact interval lands outside the window in
    ~15% of seeds.  The seed is fixed, so the test is deterministic.
    """
    rng = np.random.default_rng(0)
    n_sets = 200
    covered = 0
    for _ in range(n_sets):
        y, s = binormal_test_set(rng, 200)
        score, low, high = bootstrap_ci(y, s, rank_auroc, n_resamples=500, random_state=rng)
        assert low <= score <= high
        covered += low <= TRUE_AUROC <= high
    coverage = covered / n_sets
    assert 0.93 <= coverage <= 0.97, f"coverage {coverage:.3f}"


def test_same_random_state_same_interval():
    rng = np.random.default_rng(2)
    y, s = binormal_test_set(rng, 60)
    first = bootstrap_ci(y, s, n_resamples=200, random_state=7)
    assert bootstrap_ci(y, s, n_resamples=200, random_state=7) == first
    assert bootstrap_ci(y, s, n_resamples=200, random_state=np.random.default_rng(7)) == first
    other = bootstrap_ci(y, s, n_resamples=200, random_state=8)
    assert other[0] == first[0]  # the score itself does not depend on the seed
    assert other[1:] != first[1:]


def test_default_seed_is_reproducible_and_label_metrics_work():
    rng = np.random.default_rng(3)
    y, s = binormal_test_set(rng, 60)
    assert bootstrap_ci(y, s, n_resamples=100) == bootstrap_ci(y, s, n_resamples=100)
    pred = (s > SEPARATION / 2).astype(int)
    acc, low, high = bootstrap_ci(y, pred, accuracy_score, n_resamples=100, random_state=0)
    assert acc == accuracy_score(y, pred)
    assert low <= acc <= high


def test_wider_interval_at_higher_confidence_and_smaller_test_set():
    rng = np.random.default_rng(4)
    y, s = binormal_test_set(rng, 200)
    _, lo90, hi90 = bootstrap_ci(y, s, rank_auroc, confidence=0.90, n_resamples=500, random_state=0)
    _, lo99, hi99 = bootstrap_ci(y, s, rank_auroc, confidence=0.99, n_resamples=500, random_state=0)
    assert lo99 <= lo90 and hi90 <= hi99
    small = np.r_[np.arange(50), 200 + np.arange(50)]
    _, lo_s, hi_s = bootstrap_ci(y[small], s[small], rank_auroc, confidence=0.90, n_resamples=500, random_state=0)
    assert hi_s - lo_s > hi90 - lo90
