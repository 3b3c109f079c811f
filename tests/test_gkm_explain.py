"""Per-base explanations of GkmSVM: exact in-silico mutagenesis and GkmExplain (enhancer_sk.interpret.gkm).

Without data: ISM against brute-force re-prediction of every mutant, GkmExplain (importance and
hypothetical importance) against a direct transcription of its definition, the sum of the importances.
With LS-GKM's NFE2 test set (marked ``data``, ``$ENHANCER_SK_DATA/lsgkm_tests``): the ``gkmexplain``
output shipped with LS-GKM.  That file was written by the first gkmexplain (LS-GKM commit 03d354c,
2018), whose per-support-vector explanations are GkmExplain's but whose sum over the support vectors
weighted them by the kernel values K(x, s_i) instead of the coefficients alpha_i (and read the first
class's explanations twice); the test reproduces the file with those weights, which checks the
per-support-vector decomposition exactly, and checks the score column and the sum of our importances.
"""

from __future__ import annotations

import numpy as np
import pytest
from tiny import tiny_gkm

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.interpret import gkm_explain, gkm_ism
from enhancer_sk.interpret.gkm import _explain
from enhancer_sk.io.fasta import read_fasta
from enhancer_sk.models.svm._gkm_kernel import GkmKernel, gkm_weights
from enhancer_sk.models.svm.gkm import GkmSVM
from enhancer_sk.sequence.codes import sequence_codes
from enhancer_sk.threads import numba_threads

BASES = "ACGT"


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic_enhancers(n_samples=120, length=60, random_state=0)


@pytest.fixture(scope="module", params=[True, False], ids=["canonical", "forward-only"])
def tiny(request, synthetic):
    X, y = synthetic
    return tiny_gkm(canonical_kmers=request.param).fit(X, y)


@pytest.fixture(scope="module")
def short_sequences():
    """Random sequences of two lengths (and one shorter than l), one with an N and one with an IUPAC code."""
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list(BASES), n)) for n in (14, 23, 23, 4)]
    seqs[1] = seqs[1][:5] + "N" + seqs[1][6:]
    seqs[2] = seqs[2][:17] + "R" + seqs[2][18:]
    return seqs


def _brute_force_ism(model, seqs) -> np.ndarray:
    width = max(map(len, seqs))
    out = np.zeros((len(seqs), 4, width))
    for i, s in enumerate(seqs):
        mutants, where = [], []
        for p, ch in enumerate(s):
            if ch not in BASES:
                continue
            for b, new in enumerate(BASES):
                if new != ch:
                    mutants.append(s[:p] + new + s[p + 1:])
                    where.append((b, p))
        if mutants:
            delta = model.decision_function(mutants) - model.decision_function([s])[0]
            for (b, p), v in zip(where, delta):
                out[i, b, p] = v
    return out


def _lmer_matrix(seq: str, l: int, reverse: bool) -> np.ndarray:
    codes = np.array(["ACGT".index(c) if c in BASES else 0 for c in seq])  # N read as A, as the model
    if reverse:
        codes = 3 - codes[::-1]
    return np.array([codes[s:s + l] for s in range(len(codes) - l + 1)]).reshape(-1, l)


def _brute_force_explain(model, seq: str, hypothetical: bool) -> np.ndarray:
    """GkmExplain transcribed from its definition: every (window, support-vector l-mer) pair within d."""
    l, d = model.l, model.d
    h = np.zeros(l + 2)
    h[: d + 1] = gkm_weights(l, model.k, d, model.kernel)
    g = np.array([h[m] / (l - m) if m < l else 0.0 for m in range(l + 1)])
    lmers, coef = [], []
    for s, a, norm in zip(model.support_sequences_, model.dual_coef_, model.support_norms_):
        for reverse in ((False, True) if model.canonical_kmers else (False,)):
            v = _lmer_matrix(s, l, reverse)
            lmers.append(v)
            coef.append(np.full(len(v), a / norm))
    V, c = np.concatenate(lmers), np.concatenate(coef)
    U = _lmer_matrix(seq, l, False)
    norm_x = np.sqrt(GkmKernel(l, model.k, d, model.kernel, model.canonical_kmers).self_kernel([seq])[0])
    out = np.zeros((4, len(seq)))
    for s, u in enumerate(U):
        match = V == u
        m = l - match.sum(axis=1)
        keep = m <= d
        for t in range(l):
            hit = keep & match[:, t]
            out[u[t], s + t] += (c[hit] * g[m[hit]]).sum()
            if hypothetical:
                miss = keep & ~match[:, t]
                np.add.at(out[:, s + t], V[miss, t], c[miss] * g[m[miss] - 1])
    out[:, [p for p, ch in enumerate(seq) if ch not in BASES]] = 0.0
    return out / norm_x if norm_x > 0 else out  # shorter than l: no l-mer


# ----------------------------------------------------------------------------- no data


def test_ism_equals_brute_force_predictions(tiny, short_sequences):
    got = gkm_ism(tiny, short_sequences)
    assert got.shape == (4, 4, 23)
    np.testing.assert_allclose(got, _brute_force_ism(tiny, short_sequences), rtol=0, atol=1e-9)
    ref = sequence_codes(short_sequences)
    for i, s in enumerate(short_sequences):
        assert not got[i, :, len(s):].any()  # padding
        for p, ch in enumerate(s):
            if ch in BASES:
                assert got[i, BASES.index(ch), p] == 0.0
            else:
                assert not got[i, :, p].any()  # N / IUPAC positions
    assert not got[3].any()  # shorter than l: always the intercept
    assert ref.lengths.tolist() == [14, 23, 23, 4]


@pytest.mark.parametrize("hypothetical", [False, True], ids=["importance", "hypothetical"])
def test_explain_equals_its_definition(tiny, short_sequences, hypothetical):
    got = gkm_explain(tiny, short_sequences, hypothetical=hypothetical)
    assert got.shape == (4, 4, 23)
    for i, s in enumerate(short_sequences):
        want = _brute_force_explain(tiny, s, hypothetical)
        np.testing.assert_allclose(got[i, :, : len(s)], want, rtol=0, atol=1e-12)
        assert not got[i, :, len(s):].any()
    if not hypothetical:  # one value per position, in the row of the observed base
        assert ((got != 0).sum(axis=1) <= 1).all()


def test_importances_sum_to_the_score_minus_the_intercept(tiny, synthetic, short_sequences):
    X, _ = synthetic
    X = list(X[:20]) + [short_sequences[0]]
    got = gkm_explain(tiny, X).sum(axis=(1, 2))
    np.testing.assert_allclose(got, tiny.decision_function(X) - tiny.intercept_, rtol=0, atol=1e-12)
    hyp = gkm_explain(tiny, X, hypothetical=True)
    actual = gkm_explain(tiny, X)
    mask = actual != 0
    np.testing.assert_array_equal(hyp[mask], actual[mask])  # the observed base's row is the importance


def test_threads_and_fasta_input_give_the_same_values(tmp_path, tiny, synthetic):
    X, _ = synthetic
    path = tmp_path / "x.fa"
    path.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(X[:8])))
    np.testing.assert_allclose(gkm_ism(tiny, path, threads=2), gkm_ism(tiny, list(X[:8]), threads=1), atol=1e-12)
    np.testing.assert_allclose(gkm_explain(tiny, path, threads=2, hypothetical=True),
                               gkm_explain(tiny, list(X[:8]), threads=1, hypothetical=True), atol=1e-12)


def test_other_models_are_refused(synthetic):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(TypeError, match="GkmSVM"):
        gkm_ism(object(), ["ACGT"])
    with pytest.raises(NotFittedError):
        gkm_explain(GkmSVM(l=6, k=4, d=2), ["ACGTACGT"])


# ----------------------------------------------------------------------------- LS-GKM's NFE2 test set (data)


@pytest.fixture(scope="module")
def explain_file(nfe2):
    """ids, scores and per-position values of gkmexplain's output for ``test.fa``."""
    rows = [line.split("\t") for line in nfe2("test.explain.txt").read_text().splitlines() if line]
    return [r[0] for r in rows], np.array([float(r[1]) for r in rows]), [np.array(r[2].split(","), float)
                                                                          for r in rows]


def test_lsgkm_explain_file_scores_and_sums(nfe2, shipped, explain_file):
    ids, scores, _ = explain_file
    file_ids, X = read_fasta(nfe2("test.fa"))
    assert list(file_ids) == ids
    np.testing.assert_allclose(shipped.decision_function(X), scores, rtol=0, atol=1e-5)
    got = gkm_explain(shipped, X)
    # importance of the observed bases, summing to gkmexplain's score + rho
    np.testing.assert_allclose(got.sum(axis=(1, 2)), scores - shipped.intercept_, rtol=0, atol=1e-5)
    assert ((got != 0).sum(axis=1) <= 1).all()


def test_lsgkm_explain_file_is_reproduced_with_its_weights(nfe2, shipped, explain_file):
    """The file's values: the per-support-vector GkmExplain weighted as the 2018 prototype did.

    That prototype summed ``persv[i] * K(x, s_i)`` over the ``n+`` first support vectors (the positive
    class, first in the model file) and ``persv[i] * K(x, s_{n+ + i})`` over ``i < n-``: kernel
    values, not coefficients.
    """
    _, _, values = explain_file
    _, X = read_fasta(nfe2("test.fa"))
    n_pos = int((shipped.dual_coef_ > 0).sum())
    assert (shipped.dual_coef_[:n_pos] > 0).all() and (shipped.dual_coef_[n_pos:] < 0).all()
    n_neg = len(shipped.dual_coef_) - n_pos
    picks = [0, 9, 40]  # lengths 236, 146 and 236
    kernel = GkmKernel(shipped.l, shipped.k, shipped.d, shipped.kernel, threads=2).gram(
        [X[i] for i in picks], shipped.support_sequences_)
    for row, i in enumerate(picks):
        weights = np.zeros(len(shipped.dual_coef_))
        weights[:n_pos] += kernel[row, :n_pos]
        weights[:n_neg] += kernel[row, n_pos:]
        with numba_threads(2):
            got = _explain(shipped, sequence_codes([X[i]]), weights, False, False)[0].sum(axis=0)
        assert got.shape == values[i].shape
        assert np.corrcoef(got, values[i])[0, 1] > 0.999999
        np.testing.assert_allclose(got, values[i], rtol=1e-5, atol=1e-6)  # the file keeps 6 digits


def test_ism_on_the_shipped_model_equals_brute_force(nfe2, shipped):
    _, X = read_fasta(nfe2("test.fa"))
    seqs = [X[9], X[0][:40]]
    np.testing.assert_allclose(gkm_ism(shipped, seqs), _brute_force_ism(shipped, seqs), rtol=0, atol=1e-9)
