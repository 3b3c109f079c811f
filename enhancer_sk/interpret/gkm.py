r"""Per-base explanations of a gapped k-mer SVM: exact in-silico mutagenesis and GkmExplain.

Both functions take a fitted :class:`~enhancer_sk.models.svm.gkm.GkmSVM` (or one read from an LS-GKM
model file by :meth:`~enhancer_sk.models.svm.gkm.GkmSVM.from_lsgkm`) and return an array of shape
``(n_sequences, 4, max_length)`` (rows A, C, G, T; shorter sequences zero-padded on the right).

The decision function
---------------------
With the support vectors :math:`s_i`, their coefficients :math:`\alpha_i` (``dual_coef_``) and
norms :math:`\|s_i\|` (``support_norms_``, square roots of raw self-kernels), the model is

.. math::

    f(x) = \frac{1}{\|x\|} \sum_{u \in F(x)} T_u + b, \qquad
    T_u = \sum_v c_v\, h_{m(u, v)}, \qquad
    c_v = \sum_i \frac{\alpha_i}{\|s_i\|}\, \#\{v \in F(s_i) \cup R(s_i)\},

where :math:`F(x)` are the forward l-mers of :math:`x`, :math:`R` those of the reverse complement (only
with ``canonical_kmers=True``), :math:`m(u, v)` the number of mismatches of two l-mers,
:math:`h_m` the kernel's mismatch weights (0 beyond ``d``), :math:`T` the model's ``table_`` and
:math:`\|x\| = \sqrt{K(x, x)}` with :math:`K(x, x) = \sum_{u \in F(x)} \sum_{w \in F(x) \cup R(x)}
h_{m(u, w)}` (:mod:`enhancer_sk.models.svm._gkm_kernel`).  The normalisation makes ``f`` not a sum of
l-mer weights: a substitution changes both the numerator and :math:`\|x\|`.

:func:`gkm_ism`
---------------
``out[i, b, j] = f(x_i with base b at j) - f(x_i)``, computed exactly without re-predicting: the
numerator changes by the table values of the (at most ``l``) forward l-mers overlapping ``j``, and the
self-kernel by the pairs of windows (forward x forward and forward x reverse) whose alignment involves
position ``j``; a pair at ``m`` mismatches changes by at most 2 mismatches under one substitution, so
only pairs with :math:`m \le d + 2` are visited position by position (a numba loop over sequences).
The reference base and non-ACGT positions (``N`` / IUPAC codes, which the model reads as ``A``) get 0.

:func:`gkm_explain`
-------------------
GkmExplain (Shrikumar, Prakash & Kundaje 2019) as LS-GKM's ``gkmexplain`` computes it.  Each pair of a
forward l-mer :math:`u` of :math:`x` and a support-vector l-mer :math:`v` (both strands) within ``d``
mismatches adds :math:`\alpha_i h_m / (\|x\| \|s_i\|)` to the score; GkmExplain splits it equally among
the :math:`l - m` *matching* positions of :math:`u`.  With :math:`g_m = h_m / (l - m)`:

* **importance** (``gkmexplain`` mode 0, the default here): position :math:`j` of :math:`x` receives,
  over the windows :math:`u` covering it (offset :math:`t`),
  :math:`\frac{1}{\|x\|} \sum_v c_v\, g_{m(u, v)} [u_t = v_t]`; the importances of a sequence sum to
  :math:`f(x) - b` (the score minus the intercept, i.e. ``score + rho`` of LS-GKM).  The value is put
  in the row of the observed base (one non-zero per column).
* **hypothetical importance** (``gkmexplain -m 1``, ``hypothetical=True``): the row of the observed
  base holds the importance; a row :math:`b \ne x_j` receives, for each pair within ``d``
  mismatches that mismatches at :math:`j` with :math:`v_t = b`, the share that position would get if
  it matched, :math:`c_v\, g_{m - 1} / \|x\|`.

Both are computed through tables over all :math:`4^l` l-mers: for each offset :math:`t`,
:math:`E_t[u] = \sum_v c_v g_{m(u, v)} [u_t = v_t]` is the model's smoothed table with the mismatch
smoothing skipped at offset :math:`t` (the dynamic programme of ``_smooth_table``, its prefix over
offsets shared), and the hypothetical rows read the same table truncated at :math:`d - 1`
mismatches at the mutated l-mer.  Memory: two arrays of :math:`(d + 1)\, 4^l` float64 (64 MB at
l = 10, d = 3; 256 MB at l = 11; 1 GB at l = 12).

**LS-GKM's test file.**  The ``gkmexplain`` output shipped in LS-GKM's ``tests/`` folder (NFE2,
written by the first gkmexplain, LS-GKM commit 03d354c, one value per position) is not this
importance: that prototype computed the same per-support-vector explanations but summed them weighted
by the kernel values :math:`K(x, s_i)` instead of the coefficients :math:`\alpha_i` (and, for the
second class, paired the kernel value of support vector :math:`n_+ + i` with the explanation of
support vector :math:`i`), so its values are all positive and do not sum to the score.  Weighted
that way, the explanations computed here reproduce the file (per sequence correlation > 0.999999,
largest difference 4e-7 at the file's 6 digits; ``tests/test_gkm_explain.py``); the
coefficient-weighted importance here is what later gkmexplain versions and the paper compute, and it
sums to the file's score plus ``rho``.

References
----------
Shrikumar A, Prakash E, Kundaje A (2019) GkmExplain: fast and accurate interpretation of nonlinear
gapped k-mer SVMs.  Bioinformatics 35: i173-i182, doi:10.1093/bioinformatics/btz322.

Lee D (2016) LS-GKM: a new gkm-SVM for large-scale datasets.  Bioinformatics 32: 2196-2198,
doi:10.1093/bioinformatics/btw142.

Ghandi M, Lee D, Mohammad-Noori M, Beer MA (2014) Enhanced regulatory sequence prediction using
gapped k-mer features.  PLoS Comput Biol 10: e1003711, doi:10.1371/journal.pcbi.1003711.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange
from sklearn.utils.validation import check_is_fitted

from ..models.svm._gkm_kernel import smooth_position
from ..sequence.codes import SequenceCodes, SequencesLike, sequence_codes
from ..threads import numba_threads

if TYPE_CHECKING:
    from ..models.svm.gkm import GkmSVM

__all__ = ["gkm_explain", "gkm_ism"]

_ISM_BATCH = 512  # sequences per numba call (progress granularity with verbose)


# ----------------------------------------------------------------------------- helpers


def _check_model(model) -> None:
    from ..models.svm.gkm import GkmSVM

    if not isinstance(model, GkmSVM):
        raise TypeError(f"expected a GkmSVM (fitted, or read by GkmSVM.from_lsgkm), got {type(model).__name__}")
    check_is_fitted(model, "table_")


def _padded_weights(model) -> tuple[np.ndarray, int]:
    """The model's mismatch weights h[m] padded with zeros to length l + 3, and the last non-zero m."""
    h = np.asarray(model._weights(), dtype=np.float64)
    out = np.zeros(model.l + 3)
    out[: len(h)] = h
    return out, len(h) - 1


def _threads(model, threads: int | None) -> int | None:
    return model.threads if threads is None else threads


def _empty_output(sc: SequenceCodes) -> np.ndarray:
    width = int(sc.lengths.max()) if len(sc) else 0
    return np.zeros((len(sc), 4, width))


# ----------------------------------------------------------------------------- ISM


@njit(cache=True, inline="always")
def _mismatches(a, b, even):
    v = a ^ b
    v = (v | (v >> 1)) & even
    # popcount of the bits at even positions (at most 24 bits for l <= 12)
    v = (v & 0x33333333) + ((v >> 2) & 0x33333333)
    v = (v + (v >> 4)) & 0x0F0F0F0F
    return ((v * 0x01010101) & 0xFFFFFFFF) >> 24


@njit(cache=True)
def _ism_one(x, valid, l, table, h, dmax, use_rc, out):
    """Exact ISM deltas of one sequence (codes 0..3 in ``x``) into ``out`` of shape (4, len(x))."""
    n = x.shape[0]
    nw = n - l + 1
    if nw <= 0:
        return
    even = np.int64(0)
    for t in range(l):
        even |= np.int64(1) << (2 * t)
    mask = (np.int64(1) << (2 * l)) - 1
    fwd = np.empty(nw, np.int64)
    rc = np.empty(nw, np.int64)
    f = np.int64(0)
    for p in range(n):
        f = ((f << 2) | x[p]) & mask
        if p >= l - 1:
            fwd[p - l + 1] = f
    for s in range(nw):  # reverse complement of window s (the same span)
        r = np.int64(0)
        for t in range(l):
            r = (r << 2) | (3 - x[s + l - 1 - t])
        rc[s] = r
    raw = 0.0
    for s in range(nw):
        raw += table[fwd[s]]
    self_k = 0.0
    dK = np.zeros((n, 4))
    kinds = 2 if use_rc else 1
    for a in range(nw):
        fa = fwd[a]
        for kind in range(kinds):
            # pairs (a, j) and (j, a) have the same mismatches before and after any substitution
            # (m(u, rc v) = m(v, rc u)): visit j >= a and count j > a twice
            for j in range(a, nw):
                weight = 1.0 if j == a else 2.0
                g = fwd[j] if kind == 0 else rc[j]
                m0 = _mismatches(fa, g, even)
                h0 = h[m0] if m0 <= dmax else 0.0
                self_k += weight * h0
                if m0 > dmax + 2:
                    continue  # one substitution moves m by 2 at most: stays beyond d
                # offsets t of window a (position p = a + t) and the offset t2 of p in window j, if any
                for t in range(l):
                    p = a + t
                    if not valid[p]:
                        continue
                    xp = x[p]
                    if kind == 0:
                        t2 = p - j
                        q1 = j + t
                        g1 = x[q1]
                    else:
                        t2 = j + l - 1 - p
                        q1 = j + l - 1 - t
                        g1 = 3 - x[q1]
                    second = 0 <= t2 < l and t2 != t
                    old1 = 1 if xp != g1 else 0
                    old2 = 0
                    a2 = 0
                    if second:
                        a2 = x[a + t2]
                        g2 = xp if kind == 0 else 3 - xp
                        old2 = 1 if a2 != g2 else 0
                    for b in range(4):
                        if b == xp:
                            continue
                        gb = b if kind == 0 else 3 - b
                        new1g = gb if q1 == p else g1
                        m = m0 - old1 + (1 if b != new1g else 0)
                        if second:
                            m += (1 if a2 != gb else 0) - old2
                        hn = h[m] if m <= dmax else 0.0
                        dK[p, b] += weight * (hn - h0)
                # positions of window j outside window a: only its offset t2 changes
                for t2 in range(l):
                    p = j + t2 if kind == 0 else j + l - 1 - t2
                    if a <= p < a + l or not valid[p]:
                        continue
                    xp = x[p]
                    a2 = x[a + t2]
                    g2 = xp if kind == 0 else 3 - xp
                    old2 = 1 if a2 != g2 else 0
                    for b in range(4):
                        if b == xp:
                            continue
                        gb = b if kind == 0 else 3 - b
                        m = m0 - old2 + (1 if a2 != gb else 0)
                        hn = h[m] if m <= dmax else 0.0
                        dK[p, b] += weight * (hn - h0)
    if self_k <= 0.0:
        return
    f0 = raw / np.sqrt(self_k)
    shift_top = 2 * (l - 1)
    for p in range(n):
        if not valid[p]:
            continue
        xp = x[p]
        s_lo = max(0, p - l + 1)
        s_hi = min(p, nw - 1)
        for b in range(4):
            if b == xp:
                continue
            draw = 0.0
            for s in range(s_lo, s_hi + 1):
                shift = shift_top - 2 * (p - s)
                u = fwd[s] ^ (np.int64(xp ^ b) << shift)
                draw += table[u] - table[fwd[s]]
            k_new = self_k + dK[p, b]
            f1 = (raw + draw) / np.sqrt(k_new) if k_new > 0.0 else 0.0
            out[b, p] = f1 - f0


@njit(parallel=True, cache=True)
def _ism_batch(codes, starts, lengths, l, table, h, dmax, use_rc, out):
    for i in prange(starts.shape[0]):
        n = lengths[i]
        seq = codes[starts[i] : starts[i] + n]
        x = np.empty(n, np.int64)
        valid = np.empty(n, np.bool_)
        for p in range(n):
            c = seq[p]
            valid[p] = c <= 3
            x[p] = c if c <= 3 else 0  # N / IUPAC read as A, as the model does
        _ism_one(x, valid, l, table, h, dmax, use_rc, out[i])


def gkm_ism(model: GkmSVM, X: SequencesLike, *, threads: int | None = None, verbose: bool = False) -> np.ndarray:
    r"""Exact in-silico mutagenesis of a gapped k-mer SVM: the change of the decision value per substitution.

    ``out[i, b, j] = f(x_i with base b at j) - f(x_i)`` for the model's
    :meth:`~enhancer_sk.models.svm.gkm.GkmSVM.decision_function` ``f``, computed from the decision table
    and an exact update of the sequence's self-kernel (the normalisation of the gkm kernel), not by
    re-predicting the ``3 L`` mutants (module docstring).  Equal to the brute-force deltas within
    rounding (1e-12 in practice).

    Parameters
    ----------
    model : GkmSVM
        Fitted, or read by :meth:`GkmSVM.from_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.from_lsgkm>`.
    X : FASTA path, list or 1-D array of str
        Sequences (any lengths).
    threads : int or None, default=None
        Numba threads (``None``: the model's ``threads``).
    verbose : bool, default=False
        Progress on stderr.

    Returns
    -------
    ndarray of float64, shape (n_sequences, 4, max_length)
        Rows A, C, G, T; 0 at the reference base, in all four rows at positions that are not A, C, G
        or T (which the model reads as A), and right of a sequence's end.  Sequences shorter than
        ``l`` (no l-mer: the decision value is the intercept whatever the bases) are all 0.

    Notes
    -----
    Cost per sequence of ``L`` bp: the ``2 (L - l + 1)**2`` window pairs of its self-kernel once,
    plus ``6 l`` updates for each pair within ``d + 2`` mismatches, plus ``3 l L`` table look-ups;
    1,000 sequences of 200 bp take about 1.2 s on 2 threads with l = 10, d = 3
    (``benchmarks/explain_gkm.py``), against about 150 s to re-predict the 600,000 mutants.

    References
    ----------
    Ghandi M, Lee D, Mohammad-Noori M, Beer MA (2014) PLoS Comput Biol 10: e1003711 (gkm-SVM);
    Lee D, Gorkin DU, Baker M, et al. (2015) Nat Genet 47: 955-961 (the model's response to single
    substitutions, deltaSVM).
    """
    _check_model(model)
    sc = sequence_codes(X)
    out = _empty_output(sc)
    h, dmax = _padded_weights(model)
    table = np.ascontiguousarray(model.table_, dtype=np.float64)
    starts = sc.starts.astype(np.int64)
    lengths = sc.lengths.astype(np.int64)
    n = len(sc)
    with numba_threads(_threads(model, threads)):
        for lo in range(0, n, _ISM_BATCH):
            hi = min(n, lo + _ISM_BATCH)
            _ism_batch(sc.codes, starts[lo:hi], lengths[lo:hi], model.l, table, h, dmax,
                       bool(model.canonical_kmers), out[lo:hi])
            if verbose:
                print(f"[gkm_ism] {hi}/{n} sequences", file=sys.stderr, flush=True)
    return out


# ----------------------------------------------------------------------------- GkmExplain


@njit(parallel=True, cache=True)
def _combine(F, g, m_actual, m_hyp, E, Ep):
    """E[u] = sum_{m <= m_actual} g[m] F[m, u]; Ep the same up to m_hyp (when m_hyp >= 0)."""
    size = F.shape[1]
    for u in prange(size):
        s = 0.0
        sh = 0.0
        for m in range(m_actual + 1):
            v = g[m] * F[m, u]
            s += v
            if m <= m_hyp:
                sh += v
        E[u] = s
        if m_hyp >= 0:
            Ep[u] = sh


@njit(parallel=True, cache=True)
def _accumulate_offset(codes, starts, lengths, fwd, wstart, wcount, l, q, E, Ep, hypothetical, inv_norm, out):
    """Add table values at offset t = l - 1 - q of every window (and the hypothetical rows) to ``out``."""
    t = l - 1 - q
    shift = 2 * q
    for i in prange(starts.shape[0]):
        scale = inv_norm[i]
        if scale == 0.0:
            continue
        s0 = starts[i]
        w0 = wstart[i]
        for s in range(wcount[i]):
            p = s + t
            c = codes[s0 + p]
            if c > 3:
                continue  # N / IUPAC: no importance
            u = fwd[w0 + s]
            out[i, c, p] += E[u] * scale
            if hypothetical:
                for b in range(4):
                    if b != c:
                        out[i, b, p] += Ep[u ^ (np.int64(c ^ b) << shift)] * scale


def _lmer_mass(model, sv_weights: np.ndarray) -> np.ndarray:
    """c_v = sum_i sv_weights[i] * (count of l-mer v in support vector i, both strands with canonical_kmers)."""
    from ..models.svm._gkm_kernel import _as_windows, _lmer_coefficients

    sv = _as_windows(sequence_codes(model.support_sequences_), model.l)
    return _lmer_coefficients(sv.fwd, sv.rc, sv.start, sv.count, np.ascontiguousarray(sv_weights, dtype=np.float64),
                              bool(model.canonical_kmers), 4**model.l)


def _explain(model, sc: SequenceCodes, sv_weights: np.ndarray, hypothetical: bool, verbose: bool) -> np.ndarray:
    """GkmExplain of coded sequences with support vector i weighted by ``sv_weights[i] / (||x|| ||s_i||)``.

    ``sv_weights = dual_coef_`` gives :func:`gkm_explain`; other weights decompose other sums
    :math:`\\sum_i w_i K(x, s_i)` over positions (call inside ``numba_threads``).
    """
    from ..models.svm._gkm_kernel import _as_windows, _self_norms

    out = _empty_output(sc)
    l = model.l
    h, dmax = _padded_weights(model)
    g = np.zeros(dmax + 1)
    for m in range(min(dmax, l - 1) + 1):  # l - m matching positions share h_m (none when m = l)
        g[m] = h[m] / (l - m)
    m_hyp = min(int(model.d) - 1, dmax) if hypothetical else -1
    use_rc = bool(model.canonical_kmers)
    w = _as_windows(sc, l)
    norms = _self_norms(w, model._weights(), l, use_rc)
    inv_norm = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    sv_norms = np.asarray(model.support_norms_, dtype=np.float64)
    coef = np.divide(np.asarray(sv_weights, dtype=np.float64), sv_norms, out=np.zeros_like(sv_norms),
                     where=sv_norms > 0)
    prefix = np.zeros((dmax + 1, 4**l))
    prefix[0] = _lmer_mass(model, coef)
    work = np.empty_like(prefix)
    E = np.empty(prefix.shape[1])
    Ep = np.empty(prefix.shape[1]) if hypothetical else np.empty(1)
    starts = sc.starts.astype(np.int64)
    lengths = sc.lengths.astype(np.int64)
    for q in range(l):  # bit position q = offset l - 1 - q of the l-mer; prefix has positions < q smoothed
        np.copyto(work, prefix)
        for r in range(q + 1, l):
            smooth_position(work, r)
        _combine(work, g, dmax, m_hyp, E, Ep)
        _accumulate_offset(sc.codes, starts, lengths, w.fwd, w.start, w.count, l, q, E, Ep,
                           bool(hypothetical), inv_norm, out)
        if q + 1 < l:
            smooth_position(prefix, q)
        if verbose:
            print(f"[gkm_explain] l-mer offset {q + 1}/{l}", file=sys.stderr, flush=True)
    return out


def gkm_explain(
    model: GkmSVM, X: SequencesLike, *, hypothetical: bool = False, threads: int | None = None,
    verbose: bool = False,
) -> np.ndarray:
    r"""GkmExplain importance scores of a gapped k-mer SVM (LS-GKM's ``gkmexplain``).

    Each pair of an l-mer of the sequence (forward strand) and an l-mer of a support vector (both
    strands) within ``d`` mismatches contributes :math:`\alpha_i h_m / (\|x\| \|s_i\|)` to the
    decision value; GkmExplain gives an equal share of it to each of the :math:`l - m` matching
    positions (module docstring).  The default output is ``gkmexplain``'s importance (mode 0), whose
    values on LS-GKM's NFE2 test set agree with ``gkmexplain``'s file (``tests/test_gkm_explain.py``);
    the importances of a sequence without ``N`` sum to ``decision_function(x) - intercept_``.

    Parameters
    ----------
    model : GkmSVM
        Fitted, or read by :meth:`GkmSVM.from_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.from_lsgkm>`.
    X : FASTA path, list or 1-D array of str
        Sequences (any lengths).
    hypothetical : bool, default=False
        Return hypothetical importance (``gkmexplain -m 1``): the row of the observed base holds its
        importance, the other rows the importance each other base would receive from the pairs
        (within ``d`` mismatches) in which it would turn a mismatch into a match.  Otherwise the
        importance only, in the row of the observed base.
    threads : int or None, default=None
        Numba threads (``None``: the model's ``threads``).
    verbose : bool, default=False
        Progress on stderr (one line per l-mer offset).

    Returns
    -------
    ndarray of float64, shape (n_sequences, 4, max_length)
        Rows A, C, G, T; 0 at positions that are not A, C, G or T (the model reads them as A; their
        share of the score is dropped) and right of a sequence's end.

    Notes
    -----
    Cost: ``l`` passes of the table dynamic programme over :math:`(d + 1)\, 4^l` entries (a prefix
    over offsets is shared: about ``l (l + 1) / 2`` position steps) and ``l`` passes over the
    sequences' windows; memory about :math:`(2 (d + 1) + 2)\, 4^l` float64.

    References
    ----------
    Shrikumar A, Prakash E, Kundaje A (2019) GkmExplain: fast and accurate interpretation of
    nonlinear gapped k-mer SVMs.  Bioinformatics 35: i173-i182, doi:10.1093/bioinformatics/btz322.

    Lee D (2016) LS-GKM: a new gkm-SVM for large-scale datasets.  Bioinformatics 32: 2196-2198.
    """
    _check_model(model)
    sc = sequence_codes(X)
    with numba_threads(_threads(model, threads)):
        return _explain(model, sc, model.dual_coef_, bool(hypothetical), verbose)
