"""Tests of the gapped k-mer kernel: brute force, LS-GKM's own output, table and K.v products."""

from __future__ import annotations

from itertools import combinations, product

import numpy as np
import pytest

from enhancer_sk.models.svm._gkm_kernel import GkmKernel, gkm_weights

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _random_sequences(n, low, high, seed):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), int(rng.integers(low, high + 1)))) for _ in range(n)]


def _lmers(seq, l):
    return [seq[i : i + l] for i in range(len(seq) - l + 1)]


def _mismatches(u, v):
    return sum(a != b for a, b in zip(u, v))


def _shared_gapped_kmers(u, v, k):
    """Explicit enumeration: gapped k-mers (k chosen columns with their letters) common to u and v."""
    return sum(all(u[p] == v[p] for p in cols) for cols in combinations(range(len(u)), k))


def _brute_raw_kernel(x, y, l, k, d, weights=None, rc=True):
    """Sum over forward l-mers of x and l-mers of y (and of its reverse complement)."""
    partners = _lmers(y, l) + (_lmers(y.translate(_COMPLEMENT)[::-1], l) if rc else [])
    total = 0.0
    for u in _lmers(x, l):
        for v in partners:
            m = _mismatches(u, v)
            if m <= d:
                total += _shared_gapped_kmers(u, v, k) if weights is None else weights[m]
    return total


def _brute_kernel(X, Y, l, k, d, weights=None, rc=True):
    raw = np.array([[_brute_raw_kernel(x, y, l, k, d, weights, rc) for y in Y] for x in X])
    nx = np.sqrt([_brute_raw_kernel(x, x, l, k, d, weights, rc) for x in X])
    ny = np.sqrt([_brute_raw_kernel(y, y, l, k, d, weights, rc) for y in Y])
    return raw, raw / np.outer(nx, ny)


PARAMS = [(5, 3, 2), (6, 4, 1), (6, 2, 3), (8, 5, 2), (4, 4, 0)]


@pytest.mark.parametrize(("l", "k", "d"), PARAMS)
def test_gkm_kernel_matches_gapped_kmer_enumeration(l, k, d):
    X = _random_sequences(7, 9, 18, seed=l * 100 + k * 10 + d)
    raw_expected, expected = _brute_kernel(X, X, l, k, d)
    raw = GkmKernel(l=l, k=k, d=d, kernel="gkm", threads=1).gram(X, normalize=False)
    np.testing.assert_allclose(raw, raw_expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(GkmKernel(l=l, k=k, d=d, kernel="gkm", threads=1).gram(X), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("kernel", ["gkm_esttrunc", "gkm_estfull"])
@pytest.mark.parametrize(("l", "k", "d"), [(5, 3, 2), (7, 4, 3)])
def test_estimated_lmer_kernels_match_pair_enumeration(kernel, l, k, d):
    X = _random_sequences(6, 10, 20, seed=l + d)
    Y = _random_sequences(4, 10, 20, seed=l + d + 1)
    w = gkm_weights(l, k, d, kernel)
    _, expected = _brute_kernel(X, Y, l, k, d, weights=w)
    np.testing.assert_allclose(GkmKernel(l=l, k=k, d=d, kernel=kernel, threads=1).gram(X, Y), expected, atol=1e-9)
    _, expected_gram = _brute_kernel(X, X, l, k, d, weights=w)
    np.testing.assert_allclose(GkmKernel(l=l, k=k, d=d, kernel=kernel, threads=1).gram(X), expected_gram, atol=1e-9)


def test_without_reverse_complement():
    X = _random_sequences(6, 10, 16, seed=3)
    _, expected = _brute_kernel(X, X, 5, 3, 2, rc=False)
    got = GkmKernel(l=5, k=3, d=2, kernel="gkm", canonical_kmers=False, threads=1).gram(X)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert not np.allclose(got, GkmKernel(l=5, k=3, d=2, kernel="gkm", threads=1).gram(X))


def test_gkm_weights_are_binomials():
    np.testing.assert_array_equal(gkm_weights(11, 7, 3, "gkm"), [330, 120, 36, 8])


def test_estimated_weights_count_lmers_between_two_lmers():
    """h_m of the estimated kernel = sum over all 4^l l-mers z of kappa(m(u,z)) kappa(m(z,v))."""
    from enhancer_sk.models.svm._gkm_kernel import _binom

    l, k, b = 5, 3, 4
    w = np.zeros((l + 1,))
    # the filter kappa_j from LS-GKM's recursion (repeated here); what is checked is the
    # closed-form count of l-mers z at given mismatch distances from u and from v
    w_cur = [[1.0] * (k + 1) for _ in range(k + 1)]
    w_prev = [[1.0] * (k + 1) for _ in range(k + 1)]
    for il in range(1, l + 1):
        for ik in range(1, k + 1):
            w_cur[ik][0] = w_prev[ik][0] + (b - 1) * w_prev[ik - 1][0]
            for jm in range(1, ik + 1):
                w_cur[ik][jm] = w_cur[ik - 1][jm - 1] * (ik - il) / ik
        w_cur, w_prev = w_prev, w_cur
    wm = [w_prev[k][i] / (_binom(l, k) * b**l) for i in range(k + 1)]
    kappa = [sum(wm[i] * _binom(l - j, k - i) * _binom(j, i) for i in range(min(j, k) + 1)) for j in range(l + 1)]
    u = "ACGTA"
    for m in range(l + 1):
        v = "".join("CGTAC"[p] if p < m else u[p] for p in range(l))  # m mismatches with u
        assert _mismatches(u, v) == m
        total = 0.0
        for z in product("ACGT", repeat=l):
            total += kappa[_mismatches(u, z)] * kappa[_mismatches(z, v)]
        w[m] = total
    np.testing.assert_allclose(gkm_weights(l, k, l, "gkm_estfull"), w, rtol=1e-12, atol=1e-15)


def test_cross_kernel_equals_gram_block_and_threads_agree(monkeypatch):
    import enhancer_sk.models.svm._gkm_kernel as module

    monkeypatch.setattr(module, "_SMALL_PAIRS", 0)  # use the threads even on this small input
    X = _random_sequences(30, 25, 60, seed=11)
    G1 = GkmKernel(l=6, k=4, d=2, threads=1).gram(X)
    G2 = GkmKernel(l=6, k=4, d=2, threads=2).gram(X)
    np.testing.assert_allclose(G1, G2, atol=1e-12)
    np.testing.assert_allclose(GkmKernel(l=6, k=4, d=2, threads=2).gram(X[:7], X), G1[:7], atol=1e-12)
    np.testing.assert_allclose(np.diag(G1), 1.0)
    np.testing.assert_allclose(G1, G1.T, atol=0)
    raw = GkmKernel(l=6, k=4, d=2).gram(X, normalize=False)
    np.testing.assert_allclose(GkmKernel(l=6, k=4, d=2).self_kernel(X), np.diag(raw))


def test_large_d_and_many_blocks(monkeypatch):
    """d = l (every pair counts) and several row/column blocks of the tiled accumulation."""
    import enhancer_sk.models.svm._gkm_kernel as module

    monkeypatch.setattr(module, "_BLOCK", 4)
    monkeypatch.setattr(module, "_SMALL_PAIRS", 0)
    X = _random_sequences(11, 6, 12, seed=5)
    _, expected = _brute_kernel(X, X, 3, 2, 3)
    np.testing.assert_allclose(GkmKernel(l=3, k=2, d=3, kernel="gkm", threads=2).gram(X), expected, atol=1e-9)
    _, expected = _brute_kernel(X[:5], X, 4, 2, 2)
    np.testing.assert_allclose(GkmKernel(l=4, k=2, d=2, kernel="gkm", threads=2).gram(X[:5], X), expected, atol=1e-9)


def test_n_is_read_as_a_and_short_sequences_have_zero_rows():
    X = ["ACGTNNACGTTGCA", "ACGTAAACGTTGCA", "ACG", "TTGCAACGTAGGCT"]
    G = GkmKernel(l=5, k=3, d=2).gram(X)
    np.testing.assert_allclose(G[0], G[1])
    np.testing.assert_array_equal(G[2], 0.0)
    np.testing.assert_array_equal(G[:, 2], 0.0)


def test_table_scores_equal_weighted_kernel_sums():
    X = _random_sequences(12, 20, 40, seed=7)
    Q = _random_sequences(5, 15, 30, seed=8)
    coef = np.random.default_rng(0).normal(size=len(X))
    for rc in (True, False):
        T = GkmKernel(l=6, k=4, d=2, canonical_kmers=rc).lmer_table(X, coef)
        raw = GkmKernel(l=6, k=4, d=2, canonical_kmers=rc).gram(Q, X, normalize=False)
        np.testing.assert_allclose(GkmKernel(l=6, k=4, d=2).table_scores(Q, T), raw @ coef, atol=1e-9)


def test_matvec_equals_gram_product():
    X = _random_sequences(15, 20, 35, seed=9)
    V = np.random.default_rng(1).normal(size=(15, 2))
    G = GkmKernel(l=6, k=3, d=2, kernel="gkm").gram(X)
    np.testing.assert_allclose(GkmKernel(l=6, k=3, d=2, kernel="gkm").matvec(X, V), G @ V, atol=1e-9)
    np.testing.assert_allclose(GkmKernel(l=6, k=3, d=2, kernel="gkm").matvec(X, V[:, 0]), G @ V[:, 0], atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"l": 13}, "l must be"),
        ({"k": 12}, "k must be"),
        ({"d": -1}, "d must be"),
        ({"kernel": "rbf"}, "kernel must be"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GkmKernel(**kwargs).gram(["ACGTACGTACGTAC"])


# ----------------------------------------------------------------------------- LS-GKM reference output


def _read_lower_triangle(path):
    rows = [[float(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]
    K = np.zeros((len(rows), len(rows)))
    for i, row in enumerate(rows):
        K[i, : len(row)] = row
    return K + np.tril(K, -1).T


@pytest.mark.parametrize(("t", "kernel"), [(0, "gkm"), (2, "gkm_esttrunc")])
@pytest.mark.parametrize(("l", "k", "d"), [(11, 7, 3), (8, 5, 2)])
def test_kernel_matrices_match_lsgkm(data_path, t, kernel, l, k, d):
    from enhancer_sk.io.fasta import read_fasta

    expected = _read_lower_triangle(data_path("gkm_reference", f"kernel_t{t}_l_{l}_k_{k}_d_{d}.txt"))
    pos = read_fasta(data_path("ienhancer2l", "train_strong.fa"))[1][:20]
    neg = read_fasta(data_path("ienhancer2l", "train_non.fa"))[1][:20]
    got = GkmKernel(l=l, k=k, d=d, kernel=kernel).gram(list(pos) + list(neg))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=0)


@pytest.mark.slow
def test_layer1_decision_values_match_lsgkm(data_home, data_path):
    """gkmtrain/gkmpredict defaults on iEnhancer-2L layer 1 (libsvm eps 1e-3: solvers differ by ~1e-3)."""
    from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l
    from enhancer_sk.models.svm.gkm import GkmSVM

    table = data_path("gkm_reference", "lsgkm_layer1_test_decision_values.tsv")
    expected = dict(line.split("\t") for line in table.read_text().splitlines() if line.strip())
    X, y = load_ienhancer2l(layer=1, split="train", data_home=data_home, download_if_missing=False)
    X_test, _, ids = load_ienhancer2l(
        layer=1, split="test", data_home=data_home, return_ids=True, download_if_missing=False
    )
    clf = GkmSVM().fit(X, y)
    got = clf.decision_function(X_test)
    np.testing.assert_allclose(got, [float(expected[i]) for i in ids], rtol=0, atol=2e-3)
