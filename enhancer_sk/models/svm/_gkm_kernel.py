r"""The gapped k-mer (gkm) string kernel of gkm-SVM / LS-GKM, computed fast.

Definition
----------
A sequence :math:`x` is read as its *l-mers* (windows of length ``l``); with
``canonical_kmers=True`` (LS-GKM's behaviour, always on there) the l-mers of
its reverse complement count as features of the same sequence.  For two
l-mers :math:`u, v` let :math:`m(u, v)` be their number of mismatching
positions.  The raw kernel is

.. math::

    K(x, y) = \sum_{u \in F(x)} \sum_{v \in F(y) \cup R(y)} h_{m(u, v)}
              \, [m(u, v) \le d],

where :math:`F(x)` are the forward l-mers of :math:`x` and :math:`R(y)` those of
the reverse complement of :math:`y` (this sum is symmetric in :math:`x, y`
because :math:`m(u, \bar v) = m(\bar u, v)`; without reverse complements the
inner sum runs over :math:`F(y)` only).  The kernel used for training and
prediction is the normalised one, :math:`K(x, y) / \sqrt{K(x, x) K(y, y)}`
(a sequence shorter than ``l`` has no l-mer and a zero row).  Letters other
than A, C, G, T (``N`` and IUPAC codes) are read as ``A``, as LS-GKM does.

Mismatch-count weights :math:`h_m(l, k)` (LS-GKM's ``g_weights``; only
:math:`m \le d` is used):

* ``kernel="gkm"`` (LS-GKM ``-t 0``, the full gapped k-mer kernel of Ghandi et
  al. 2014): two l-mers at :math:`m` mismatches share
  :math:`h_m = \binom{l - m}{k}` gapped k-mers (k informative columns out of
  l), so the kernel is the dot product of gapped-k-mer count vectors
  truncated at :math:`d` mismatches.
* ``kernel="gkm_esttrunc"`` (LS-GKM ``-t 2``, its default; "estimated l-mer
  with truncated filter") and ``"gkm_estfull"`` (``-t 1``, untruncated):
  the kernel of l-mer counts *estimated* from gapped k-mer counts.  With
  :math:`b = 4` letters, the estimation filter over mismatch counts is

  .. math::

      \kappa_j = \sum_{i=0}^{\min(j, k)} w_i \binom{l - j}{k - i}\binom{j}{i},

  where :math:`w_i` are Ghandi et al.'s coefficients (LS-GKM computes them by
  the recursion :math:`w^{(L)}_{K,0} = w^{(L-1)}_{K,0} + (b - 1)\,w^{(L-1)}_{K-1,0}`,
  :math:`w^{(L)}_{K,j} = w^{(L)}_{K-1,j-1}(K - L)/K`, scaled by
  :math:`1/(\binom{l}{k} b^l)`).  The truncated filter :math:`\tilde\kappa`
  sets :math:`\kappa_j` and every later entry to 0 from the first
  :math:`j` with :math:`\kappa_j < 10^{-50}`.  Then, with :math:`q = l - m`
  matching positions,

  .. math::

      h_m = \sum_{m_1, m_2, t} \binom{q}{t}\binom{m}{m_1 - t}\binom{m_1 - t}{r}
            (b - 1)^t (b - 2)^r \, \tilde\kappa_{m_1} \tilde\kappa_{m_2},
      \qquad r = m_1 + m_2 - 2t - m,

  summed over :math:`t \le q`, :math:`m_1 - t \le m`, :math:`0 \le r \le m_1 - t`:
  the number of l-mers :math:`z` at :math:`m_1` mismatches from :math:`u` and
  :math:`m_2` from :math:`v` (:math:`t` of them at positions where :math:`u`
  and :math:`v` agree), each weighted by the two filter values.

Algorithms
----------
* **Gram matrix by pigeonhole bucketing.**  Two l-mers within :math:`d`
  mismatches agree on at least :math:`s = l - d` positions.  For each of the
  :math:`\binom{l}{s}` position subsets :math:`S`, all windows (both strands)
  are bucketed by their letters at :math:`S` (a counting sort), and every pair
  in a bucket is counted only when :math:`S` is its *canonical* subset, the
  first :math:`s` positions where the two l-mers agree; so each pair within
  :math:`d` mismatches is counted exactly once (a pair at :math:`m`
  mismatches is seen in :math:`\binom{l - m}{s}` buckets and counted in one).
  The accumulation is tiled: sequences form blocks of 256, each block's
  windows are counting-sorted by bucket key, and one task (over ``threads``
  numba threads, no atomics) fills one 256 x 256 tile of the Gram matrix
  (upper triangle only) by walking the row block's forward windows in key
  order, so the column block's bucket runs are read in increasing order and
  the tile stays in cache; the canonical test is branch-free.
* **Decision-value table by dynamic programming.**  Mismatch counts add up
  over positions, so for coefficients :math:`c_w` on l-mers the smoothed
  table :math:`T_u = \sum_w h_{m(u, w)} c_w` over all :math:`4^l` l-mers is
  built position by position over a :math:`(d + 1) \times 4^l` array
  (:meth:`GkmKernel.lmer_table`).  A trained SVM's decision value is then a sum of
  table entries over the windows of a sequence (:meth:`GkmKernel.table_scores`), and
  :meth:`GkmKernel.matvec` gives exact :math:`K v` products the same way.

References
----------
Ghandi M, Lee D, Mohammad-Noori M, Beer MA (2014) Enhanced regulatory
sequence prediction using gapped k-mer features.  PLoS Comput Biol 10:
e1003711, doi:10.1371/journal.pcbi.1003711.

Lee D (2016) LS-GKM: a new gkm-SVM for large-scale datasets.
Bioinformatics 32: 2196-2198, doi:10.1093/bioinformatics/btw142.
"""

from __future__ import annotations

import sys
from itertools import combinations
from math import comb

import numba
import numpy as np
from numba import njit, prange

from ...sequence.codes import SequenceCodes, SequencesLike, sequence_codes
from ...threads import numba_threads

__all__ = ["KERNEL_TYPES", "MAX_TABLE_L", "GkmKernel", "gkm_weights"]

#: Kernel types, named as in LS-GKM's model files (``-t 0``, ``-t 1``, ``-t 2``).
KERNEL_TYPES = ("gkm", "gkm_estfull", "gkm_esttrunc")
#: Largest word length (LS-GKM's own limit); the 4^l table holds 16.7 M entries at l = 12.
MAX_TABLE_L = 12
_CHUNK_BITS = 12  # key look-up tables index 12 bits (6 positions) at a time
_MAX_KEY_POSITIONS = 10  # buckets are keyed on at most 10 positions (4^10 buckets)


# ----------------------------------------------------------------------------- weights


def _binom(n: int, r: int) -> float:
    if r < 0 or n < 0 or n < r:
        return 0.0
    return float(comb(n, r))


def _lmer_estimate_weights(l: int, k: int, truncated: bool, b: int = 4) -> np.ndarray:
    """h_m for m = 0..l of the estimated-l-mer kernels (LS-GKM ``-t 1`` / ``-t 2``)."""
    # Ghandi et al.'s coefficients w_i by LS-GKM's recursion (two buffers swapped per l)
    w_cur = [[1.0] * (k + 1) for _ in range(k + 1)]
    w_prev = [[1.0] * (k + 1) for _ in range(k + 1)]
    for il in range(1, l + 1):
        for ik in range(1, k + 1):
            w_cur[ik][0] = w_prev[ik][0] + (b - 1) * w_prev[ik - 1][0]
            for jm in range(1, ik + 1):
                w_cur[ik][jm] = (w_cur[ik - 1][jm - 1] * (ik - il)) / ik
        w_cur, w_prev = w_prev, w_cur
    norm = _binom(l, k) * float(b) ** l
    wm = [w_prev[k][i] / norm for i in range(k + 1)]
    # estimation filter kappa_j over mismatch counts j, and its truncation
    kappa = [sum(wm[i] * _binom(l - j, k - i) * _binom(j, i) for i in range(min(j, k) + 1)) for j in range(l + 1)]
    if truncated:
        kept, out = True, []
        for value in kappa:
            if value < 1e-50:
                kept = False
            out.append(value if kept else 0.0)
        kappa = out
    h = np.zeros(l + 1)
    for q in range(l + 1):  # q matching positions, m = l - q mismatches
        m = l - q
        total = 0.0
        for m1 in range(l + 1):
            for m2 in range(l + 1):
                for t in range(l + 1):
                    r = m1 + m2 - 2 * t - l + q
                    if t <= q and m1 - t <= m and 0 <= r <= m1 - t:
                        total += (
                            _binom(q, t)
                            * _binom(m, m1 - t)
                            * _binom(m1 - t, r)
                            * float(b - 1) ** t
                            * float(b - 2) ** r
                            * kappa[m1]
                            * kappa[m2]
                        )
        h[m] = total
    return h


def _check_params(l: int, k: int, d: int, kernel: str) -> None:
    for name, value in (("l", l), ("k", k), ("d", d)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if not 1 <= l <= MAX_TABLE_L:
        raise ValueError(f"l must be in [1, {MAX_TABLE_L}] (LS-GKM's limit), got l={l}")
    if not 1 <= k <= l:
        raise ValueError(f"k must be in [1, l={l}], got k={k}")
    if not 0 <= d <= l:
        raise ValueError(f"d must be in [0, l={l}], got d={d}")
    if kernel not in KERNEL_TYPES:
        raise ValueError(f"kernel must be one of {KERNEL_TYPES}, got {kernel!r}")


def gkm_weights(l: int = 11, k: int = 7, d: int = 3, kernel: str = "gkm_esttrunc") -> np.ndarray:
    """Mismatch-count weights ``h[m]``, m = 0..d, of a gkm kernel (see the module docstring).

    Parameters
    ----------
    l, k, d : int
        Word length, informative columns, maximum mismatches.
    kernel : {"gkm", "gkm_estfull", "gkm_esttrunc"}
        LS-GKM kernel type ``-t 0``, ``-t 1``, ``-t 2``.

    Returns
    -------
    ndarray of float64, shape (d + 1,)
        Up to a constant factor (irrelevant after normalisation), the values
        LS-GKM uses.
    """
    _check_params(l, k, d, kernel)
    if kernel == "gkm":
        h = np.array([_binom(l - m, k) for m in range(l + 1)])
    else:
        h = _lmer_estimate_weights(l, k, truncated=kernel == "gkm_esttrunc")
    return h[: d + 1].copy()


def _effective_weights(l, k, d, kernel) -> np.ndarray:
    """Weights with trailing zeros dropped (mismatch counts that cannot contribute)."""
    h = gkm_weights(l, k, d, kernel)
    nz = np.flatnonzero(h)
    return h[: nz[-1] + 1] if nz.size else h[:1] * 0.0


# ----------------------------------------------------------------------------- windows


@njit(cache=True, inline="always")
def _popcount_even(v):
    # v has bits only at even positions below bit 32: count them
    v = (v & 0x33333333) + ((v >> 2) & 0x33333333)
    v = (v + (v >> 4)) & 0x0F0F0F0F
    return ((v * 0x01010101) & 0xFFFFFFFF) >> 24


@njit(cache=True)
def _window_codes_nb(codes, starts, lengths, l):
    n = starts.shape[0]
    counts = np.maximum(lengths - l + 1, 0)
    wstart = np.zeros(n, np.int64)
    for i in range(1, n):
        wstart[i] = wstart[i - 1] + counts[i - 1]
    total = wstart[n - 1] + counts[n - 1] if n else 0
    fwd = np.empty(total, np.int64)
    rc = np.empty(total, np.int64)
    mask = (1 << (2 * l)) - 1
    top = 2 * (l - 1)
    for i in range(n):
        w_count = counts[i]
        if w_count == 0:
            continue
        s = starts[i]
        f = 0
        r = 0
        for p in range(lengths[i]):
            b = np.int64(codes[s + p])
            if b > 3:  # N / IUPAC read as A, as LS-GKM does
                b = 0
            f = ((f << 2) | b) & mask
            r = (r >> 2) | ((3 - b) << top)
            if p >= l - 1:
                j = p - l + 1
                fwd[wstart[i] + j] = f
                rc[wstart[i] + w_count - 1 - j] = r
    return fwd, rc, wstart, counts


class _Windows:
    """2-bit codes (first base most significant) of every l-mer of every sequence."""

    __slots__ = ("fwd", "rc", "start", "count", "n")

    def __init__(self, sc: SequenceCodes, l: int):
        self.fwd, self.rc, self.start, self.count = _window_codes_nb(
            sc.codes, sc.starts.astype(np.int64), sc.lengths.astype(np.int64), l
        )
        self.n = len(sc)


def _as_windows(X, l: int) -> _Windows:
    if isinstance(X, _Windows):
        return X
    sc = X if isinstance(X, SequenceCodes) else sequence_codes(X)
    return _Windows(sc, l)


@njit(cache=True)
def _packed_reference(fwd, rc, wstart, wcount, use_rc):
    """The windows of sequences ``wstart, wcount`` (numbered from 0), one after another, as (seq << 32) | code."""
    n = wstart.shape[0]
    per = 2 if use_rc else 1
    out = np.empty(wcount.sum() * per, np.int64)
    t = 0
    for i in range(n):
        hi = np.int64(i) << 32
        for w in range(wstart[i], wstart[i] + wcount[i]):
            out[t] = hi | fwd[w]
            t += 1
        if use_rc:
            for w in range(wstart[i], wstart[i] + wcount[i]):
                out[t] = hi | rc[w]
                t += 1
    return out


# ----------------------------------------------------------------------------- bucketing plan


class _SubsetPlan:
    """Position subsets and their bucket-key look-up tables for given (l, d)."""

    def __init__(self, l: int, d: int):
        s = l - d
        self.subsets = list(combinations(range(l), s))
        n_key = min(s, _MAX_KEY_POSITIONS)
        self.n_keys = 4**n_key
        self.n_chunks = -(-2 * l // _CHUNK_BITS)
        values = np.arange(1 << _CHUNK_BITS, dtype=np.int64)
        self.tables = np.zeros((len(self.subsets), self.n_chunks, 1 << _CHUNK_BITS), np.int64)
        self.s_masks = np.zeros(len(self.subsets), np.int64)
        self.b_masks = np.zeros(len(self.subsets), np.int64)
        for si, subset in enumerate(self.subsets):
            for idx, p in enumerate(subset[:n_key]):
                off = 2 * (l - 1 - p)
                ch, shift = divmod(off, _CHUNK_BITS)
                self.tables[si, ch] |= ((values >> shift) & 3) << (2 * idx)
            in_s = set(subset)
            self.s_masks[si] = sum(1 << (2 * (l - 1 - p)) for p in subset)
            last = max(subset) if subset else -1
            self.b_masks[si] = sum(1 << (2 * (l - 1 - q)) for q in range(last) if q not in in_s)
        self.even_mask = sum(1 << (2 * p) for p in range(l))


@njit(parallel=True, cache=True)
def _block_bucket_sort(packed, seg, block, cbits, table, n_chunks, n_keys, offsets, out):
    """Counting sort of each block's windows by bucket key (stable: sequence order kept per bucket).

    ``packed[seg[b]:seg[b + 1]]`` (``(seq << 32) | code``) are the windows of
    block ``b``; ``offsets[b, key]`` receives the absolute start of bucket ``key``
    of block ``b`` in ``out``, whose entries are 32-bit
    ``(seq - b * block) << cbits | code`` (half the cache footprint of the input).
    """
    n_blocks = seg.shape[0] - 1
    for b in prange(n_blocks):
        lo = seg[b]
        hi = seg[b + 1]
        base = np.int64(b) * block
        off = offsets[b]
        off[:] = 0
        keys = np.empty(hi - lo, np.int64)
        for t in range(lo, hi):
            c = packed[t] & 0xFFFFFFFF
            key = 0
            for ch in range(n_chunks):
                key |= table[ch, (c >> (12 * ch)) & 4095]
            keys[t - lo] = key
            off[key + 1] += 1
        off[0] = lo
        for kk in range(n_keys):
            off[kk + 1] += off[kk]
        cursor = off[:n_keys].copy()
        for t in range(lo, hi):
            kk = keys[t - lo]
            p = packed[t]
            out[cursor[kk]] = np.uint32((((p >> 32) - base) << cbits) | (p & 0xFFFFFFFF))
            cursor[kk] += 1


@njit(parallel=True, cache=True)
def _accumulate_tiles(
    G, q_sorted, q_seg, r_sorted, r_off, block, cbits, tile_i, tile_j, table, n_chunks, s_mask, b_mask, even,
    weights, symmetric,
):  # fmt: skip
    """Add one position subset's canonical pairs to G, one (row block, column block) tile per task.

    Queries of row block I are visited in bucket order, so the partner runs of
    column block J are read in increasing order and the G tile stays in cache.
    """
    for task in prange(tile_i.shape[0]):
        bi = tile_i[task]
        bj = tile_j[task]
        diagonal = symmetric and bi == bj
        off = r_off[bj]
        row0 = np.int64(bi) * block
        col0 = np.int64(bj) * block
        cmask = (np.int64(1) << cbits) - 1
        for t in range(q_seg[bi], q_seg[bi + 1]):
            q = np.int64(q_sorted[t])
            c = q & cmask
            x = row0 + (q >> cbits)
            key = 0
            for ch in range(n_chunks):
                key |= table[ch, (c >> (12 * ch)) & 4095]
            a = off[key]
            u = off[key + 1] - 1
            low = (q >> cbits) << cbits
            while u >= a:
                p = np.int64(r_sorted[u])
                if diagonal and p < low:
                    break  # bucket members are sorted by sequence: the rest lie below the diagonal
                v = c ^ (p & cmask)
                v = (v | (v >> 1)) & even
                # branch-free: a non-canonical pair adds 0 (mispredicted branches cost more than the add)
                canonical = ((v & s_mask) == 0) & ((v & b_mask) == b_mask)
                G[x, col0 + (p >> cbits)] += weights[_popcount_even(v)] * canonical
                u -= 1


@njit(parallel=True, cache=True)
def _mirror_upper(G):
    n = G.shape[0]
    bs = 64
    nb = (n + bs - 1) // bs
    for bi in prange(nb):
        for bj in range(bi + 1):
            for x in range(bi * bs, min(n, (bi + 1) * bs)):
                for y in range(bj * bs, min(x, (bj + 1) * bs)):
                    G[x, y] = G[y, x]


@njit(parallel=True, cache=True)
def _normalise(G, norm_rows, norm_cols):
    for x in prange(G.shape[0]):
        for y in range(G.shape[1]):
            den = norm_rows[x] * norm_cols[y]
            G[x, y] = G[x, y] / den if den > 0.0 else 0.0


@njit(parallel=True, cache=True)
def _self_kernel_nb(fwd, rc, wstart, wcount, weights, use_rc, even):
    n = wstart.shape[0]
    dmax = weights.shape[0] - 1
    out = np.zeros(n)
    for i in prange(n):
        total = 0.0
        w0 = wstart[i]
        w1 = w0 + wcount[i]
        for a in range(w0, w1):
            ca = fwd[a]
            for b in range(w0, w1):
                v = ca ^ fwd[b]
                m = _popcount_even((v | (v >> 1)) & even)
                if m <= dmax:
                    total += weights[m]
                if use_rc:
                    v = ca ^ rc[b]
                    m = _popcount_even((v | (v >> 1)) & even)
                    if m <= dmax:
                        total += weights[m]
        out[i] = total
    return out


# ----------------------------------------------------------------------------- threads / progress


def _progress(iterable, total: int, verbose: bool, desc: str):
    if not verbose:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False)


# ----------------------------------------------------------------------------- kernels


_SMALL_PAIRS = 2e9  # window pairs below which the Gram matrix is accumulated on one thread
_BLOCK = 256  # sequences per block: a 256 x 256 float64 tile of G is 512 KiB (L2)


def _block_segments(packed: np.ndarray, n: int, block: int) -> np.ndarray:
    bounds = np.arange(0, n + block, block, dtype=np.int64)
    bounds[-1] = max(bounds[-1], n)
    bounds = np.minimum(bounds, n)
    return np.searchsorted(packed >> 32, bounds, side="left").astype(np.int64)


def _raw_kernel(qw: _Windows, rw: _Windows, weights, l, use_rc, symmetric, verbose=False) -> np.ndarray:
    d_eff = len(weights) - 1
    plan = _SubsetPlan(l, d_eff)
    query = _packed_reference(qw.fwd, qw.rc, qw.start, qw.count, False)
    ref = _packed_reference(rw.fwd, rw.rc, rw.start, rw.count, use_rc)
    cbits = 2 * l  # sorted windows hold (block-local sequence << cbits) | code in 32 bits
    block = min(_BLOCK, 1 << (32 - cbits))
    q_seg = _block_segments(query, qw.n, block)
    r_seg = _block_segments(ref, rw.n, block)
    padded = np.zeros(l + 1)  # non-canonical pairs may be farther than d: they index a 0 weight
    padded[: len(weights)] = weights
    G = np.zeros((qw.n, rw.n))
    if query.shape[0] * ref.shape[0] < _SMALL_PAIRS:
        threads = 1  # a few ms per subset: thread wake-ups would cost more than they save
    else:
        threads = numba.get_num_threads()
    with numba_threads(threads):
        _accumulate_all(G, query, ref, q_seg, r_seg, block, cbits, plan, padded, symmetric, verbose)
    if symmetric:
        _mirror_upper(G)
    return G


def _accumulate_all(G, query, ref, q_seg, r_seg, block, cbits, plan, padded, symmetric, verbose) -> None:
    nq_blocks, nr_blocks = len(q_seg) - 1, len(r_seg) - 1
    if symmetric:
        tiles = [(i, j) for i in range(nq_blocks) for j in range(i, nr_blocks)]
    else:
        tiles = [(i, j) for i in range(nq_blocks) for j in range(nr_blocks)]
    tile_i = np.array([t[0] for t in tiles], dtype=np.int64)
    tile_j = np.array([t[1] for t in tiles], dtype=np.int64)
    q_sorted = np.empty(query.shape[0], np.uint32)
    r_sorted = np.empty(ref.shape[0], np.uint32)
    q_off = np.empty((nq_blocks, plan.n_keys + 1), np.int64)
    r_off = np.empty((nr_blocks, plan.n_keys + 1), np.int64)
    # blocks and tiles are handed out one at a time (dynamic scheduling): a thread slowed down
    # by other load on the machine takes fewer of them
    with numba.parallel_chunksize(1):
        for si in _progress(range(len(plan.subsets)), len(plan.subsets), verbose, "gkm kernel"):
            table = plan.tables[si]
            _block_bucket_sort(query, q_seg, block, cbits, table, plan.n_chunks, plan.n_keys, q_off, q_sorted)
            _block_bucket_sort(ref, r_seg, block, cbits, table, plan.n_chunks, plan.n_keys, r_off, r_sorted)
            _accumulate_tiles(
                G, q_sorted, q_seg, r_sorted, r_off, block, cbits, tile_i, tile_j, table, plan.n_chunks,
                plan.s_masks[si], plan.b_masks[si], plan.even_mask, padded, symmetric,
            )  # fmt: skip


def _gram(w: _Windows, weights, l, use_rc, normalize=True, verbose=False) -> tuple[np.ndarray, np.ndarray]:
    """Gram matrix of one set and the square roots of its raw self-kernels."""
    G = _raw_kernel(w, w, weights, l, use_rc, symmetric=True, verbose=verbose)
    norms = np.sqrt(np.maximum(np.diag(G), 0.0))
    if normalize:
        _normalise(G, norms, norms)
    return G, norms


def _self_norms(w: _Windows, weights, l, use_rc) -> np.ndarray:
    even = sum(1 << (2 * p) for p in range(l))
    return np.sqrt(np.maximum(_self_kernel_nb(w.fwd, w.rc, w.start, w.count, weights, use_rc, even), 0.0))


# ----------------------------------------------------------------------------- packed triangle


def _triangle_size(n: int) -> int:
    """Entries of the packed upper triangle (diagonal included) of an n x n matrix."""
    return n * (n + 1) // 2


@njit(cache=True, inline="always")
def _triangle_offset(x, n):
    """Position of entry (x, x) in the packed upper triangle (rows of n - x entries, one after another)."""
    return x * n - (x * (x - 1)) // 2


@njit(parallel=True, cache=True)
def _pack_strip(G, norms, r0, tri):
    """Normalise a strip of raw kernel rows (columns ``r0:``) into the packed float32 triangle."""
    n = norms.shape[0]
    for xl in prange(G.shape[0]):
        x = r0 + xl
        off = _triangle_offset(np.int64(x), n) - x
        nx = norms[x]
        for y in range(x, n):
            den = nx * norms[y]
            tri[off + y] = G[xl, y - r0] / den if den > 0.0 else 0.0


_STRIP_BYTES = 1024 * 2**20  # float64 raw-kernel rows held at once by _gram_triangle (at most)


def _strip_rows(n_columns: int, block: int, strip_bytes: float) -> int:
    """Rows of a strip (a multiple of ``block``) whose float64 rows of ``n_columns`` fit ``strip_bytes``."""
    rows = int(strip_bytes // (8 * max(n_columns, 1))) // block * block
    return max(block, rows)


def _gram_triangle(
    w: _Windows, weights, l, use_rc, *, strip_bytes: float | None = None, verbose: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The normalised Gram matrix as its packed upper triangle in float32, computed in strips of rows.

    Row ``x`` holds ``K[x, x:]`` from position ``x * n - x * (x - 1) // 2``;
    ``n * (n + 1) / 2`` entries in all (half the float32 matrix, a quarter of
    the float64 one).  A strip of rows ``r0:r1`` is accumulated in float64
    against columns ``r0:`` with the tiles of :func:`_accumulate_all` (upper
    triangle only), normalised and rounded to float32; strips get taller as
    the triangle narrows, keeping ``rows x columns x 8 <= strip_bytes``.  The
    column windows are bucket-sorted again for every strip, which costs one
    sort per (strip, position subset) on top of the dense computation.

    Returns
    -------
    tri : ndarray of float32, shape (n * (n + 1) // 2,)
    norms : ndarray of float64, shape (n,)
        Square roots of the raw self-kernels.
    """
    n = w.n
    strip_bytes = _STRIP_BYTES if strip_bytes is None else strip_bytes
    norms = _self_norms(w, weights, l, use_rc)
    tri = np.empty(_triangle_size(n), np.float32)
    d_eff = len(weights) - 1
    plan = _SubsetPlan(l, d_eff)
    cbits = 2 * l
    block = min(_BLOCK, 1 << (32 - cbits))
    padded = np.zeros(l + 1)
    padded[: len(weights)] = weights
    bounds = [0]
    while bounds[-1] < n:
        bounds.append(min(n, bounds[-1] + _strip_rows(n - bounds[-1], block, strip_bytes)))
    strips = list(zip(bounds[:-1], bounds[1:]))
    for r0, r1 in _progress(strips, len(strips), verbose, "gkm kernel strips"):
        query = _packed_reference(w.fwd, w.rc, w.start[r0:r1], w.count[r0:r1], False)
        ref = _packed_reference(w.fwd, w.rc, w.start[r0:], w.count[r0:], use_rc)
        q_seg = _block_segments(query, r1 - r0, block)
        r_seg = _block_segments(ref, n - r0, block)
        G = np.zeros((r1 - r0, n - r0))
        threads = 1 if query.shape[0] * ref.shape[0] < _SMALL_PAIRS else numba.get_num_threads()
        with numba_threads(threads):
            _accumulate_all(G, query, ref, q_seg, r_seg, block, cbits, plan, padded, True, False)
        _pack_strip(G, norms, r0, tri)
        del G
    return tri, norms


# ----------------------------------------------------------------------------- table


@njit(cache=True)
def _lmer_coefficients(fwd, rc, wstart, wcount, coef, use_rc, size):
    c = np.zeros(size)
    for i in range(wstart.shape[0]):
        a = coef[i]
        if a == 0.0:
            continue
        for w in range(wstart[i], wstart[i] + wcount[i]):
            c[fwd[w]] += a
            if use_rc:
                c[rc[w]] += a
    return c


@njit(parallel=True, cache=True)
def smooth_position(F, q):
    """One step of the mismatch dynamic programme at l-mer letter ``q`` (bits ``2q, 2q + 1``), in place.

    ``F[m]`` holds, for every l-mer u, the mass at m mismatches over the
    positions smoothed so far; after the step position q is smoothed too.
    :func:`_smooth_table` smooths every position; GkmExplain
    (:mod:`enhancer_sk.interpret.gkm`) smooths all but one.
    """
    dmax = F.shape[0] - 1
    size = F.shape[1]
    shift = 2 * q
    stride = np.int64(1) << shift
    low_mask = stride - 1
    n_groups = size >> 2
    for m in range(dmax, 0, -1):  # descending: F[m - 1] still holds the values before this position
        prev = F[m - 1]
        cur = F[m]
        for g in prange(n_groups):
            base = ((g >> shift) << (shift + 2)) | (g & low_mask)
            v0 = prev[base]
            v1 = prev[base + stride]
            v2 = prev[base + 2 * stride]
            v3 = prev[base + 3 * stride]
            cur[base] += v1 + v2 + v3
            cur[base + stride] += v0 + v2 + v3
            cur[base + 2 * stride] += v0 + v1 + v3
            cur[base + 3 * stride] += v0 + v1 + v2


@njit(parallel=True, cache=True)
def _smooth_table(c, l, weights):
    """T[u] = sum_w weights[m(u, w)] c[w], by a dynamic programme over positions."""
    dmax = weights.shape[0] - 1
    size = c.shape[0]
    F = np.zeros((dmax + 1, size))
    F[0, :] = c
    for j in range(l):
        smooth_position(F, j)
    T = np.empty(size)
    for u in prange(size):
        s = 0.0
        for m in range(dmax + 1):
            s += weights[m] * F[m, u]
        T[u] = s
    return T


@njit(parallel=True, cache=True)
def _table_scores_nb(fwd, wstart, wcount, T):
    n = wstart.shape[0]
    out = np.zeros(n)
    for i in prange(n):
        s = 0.0
        for w in range(wstart[i], wstart[i] + wcount[i]):
            s += T[fwd[w]]
        out[i] = s
    return out


def _table_from_windows(w: _Windows, coef, weights, l, use_rc) -> np.ndarray:
    c = _lmer_coefficients(w.fwd, w.rc, w.start, w.count, np.asarray(coef, dtype=np.float64), use_rc, 4**l)
    return _smooth_table(c, l, weights)


def _normalised_products(w: _Windows, norms, weights, l, use_rc, cols, coef, rows) -> np.ndarray:
    """Exact ``K[rows][:, cols] @ coef`` of the normalised kernel, by one l-mer table (no kernel row).

    Parameters
    ----------
    w : _Windows
        Windows of all the sequences; ``rows`` and ``cols`` index them.
    norms : ndarray of shape (n,)
        Square roots of the raw self-kernels (:func:`_self_norms`).
    cols, coef : ndarray of shape (p,)
        Sequences and their coefficients.
    rows : ndarray of int, shape (q,)
        Sequences whose products are wanted.

    Returns
    -------
    ndarray of float64, shape (q,)
    """
    c = np.zeros(w.n)
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    np.add.at(c, cols, np.asarray(coef, dtype=np.float64) * scale[cols])
    table = _table_from_windows(w, c, weights, l, use_rc)
    rows = np.asarray(rows, dtype=np.int64)
    raw = _table_scores_nb(w.fwd, w.start[rows], w.count[rows], table)
    return raw * scale[rows]



class GkmKernel:
    """The gapped k-mer kernel of one (l, k, d, kernel, canonical_kmers) and its fast operations.

    Parameters
    ----------
    l, k, d : int, default=11, 7, 3
        Word length, informative columns, maximum mismatches.
    kernel : {"gkm", "gkm_estfull", "gkm_esttrunc"}, default="gkm_esttrunc"
        Mismatch weights (module docstring).
    canonical_kmers : bool, default=True
        Count reverse-complement l-mers as the same features.
    threads : int or None, default=None
        Threads (``None``: ``GALAXY_SLOTS`` or all available CPUs).

    Examples
    --------
    >>> K = GkmKernel(l=6, k=4, d=2).gram(["ACGTACGTAC", "TTGACGTACG"])
    >>> K.shape, float(K[0, 0])
    ((2, 2), 1.0)
    """

    def __init__(self, l: int = 11, k: int = 7, d: int = 3, kernel: str = "gkm_esttrunc",
                 canonical_kmers: bool = True, threads: int | None = None):
        _check_params(l, k, d, kernel)
        self.l, self.k, self.d, self.kernel = l, k, d, kernel
        self.canonical_kmers = bool(canonical_kmers)
        self.threads = threads
        self.weights = _effective_weights(l, k, d, kernel)

    def gram(self, X: SequencesLike, Y: SequencesLike | None = None, *, normalize: bool = True,
             verbose: bool = False) -> np.ndarray:
        """Kernel matrix between sequences (LS-GKM's definition).

        Parameters
        ----------
        X : FASTA path, list or 1-D array of str
            Row sequences.
        Y : same as X, optional
            Column sequences; ``None`` computes the Gram matrix of ``X``.
        normalize : bool, default=True
            Return :math:`K(x, y) / \\sqrt{K(x, x) K(y, y)}` (else raw sums).
        verbose : bool, default=False
            Progress bar on stderr over the position subsets.

        Returns
        -------
        ndarray of float64, shape (n_X, n_Y)
        """
        l, rc, weights = self.l, self.canonical_kmers, self.weights
        with numba_threads(self.threads):
            xw = _as_windows(X, l)
            if Y is None:
                return _gram(xw, weights, l, rc, normalize=normalize, verbose=verbose)[0]
            yw = _as_windows(Y, l)
            G = _raw_kernel(xw, yw, weights, l, rc, symmetric=False, verbose=verbose)
            if normalize:
                _normalise(G, _self_norms(xw, weights, l, rc), _self_norms(yw, weights, l, rc))
            return G

    def self_kernel(self, X: SequencesLike) -> np.ndarray:
        """Raw self-kernels :math:`K(x, x)` (the squares of the normalisers), shape (n,)."""
        with numba_threads(self.threads):
            return _self_norms(_as_windows(X, self.l), self.weights, self.l, self.canonical_kmers) ** 2

    def lmer_table(self, X: SequencesLike, coef) -> np.ndarray:
        """Score of every l-mer against weighted sequences: :math:`T_u = \\sum_i a_i \\sum_{v} h_{m(u, v)}`.

        ``v`` runs over the l-mers of sequence ``i`` (and of its reverse complement
        when ``canonical_kmers``); pairs beyond ``d`` mismatches count 0.  Then
        the raw kernel products are ``sum_i a_i K(x, x_i) = self.table_scores(x, T)``.

        Parameters
        ----------
        X : FASTA path, list or 1-D array of str
            The weighted sequences (for an SVM: the support vectors).
        coef : array-like of float, shape (n,)
            Weights ``a_i`` (for a normalised kernel: coefficient / norm).

        Returns
        -------
        ndarray of float64, shape (4 ** l,)
            Indexed by the l-mer's 2-bit code, first base most significant, A=0 C=1 G=2 T=3.
        """
        w = _as_windows(X, self.l)
        coef = np.asarray(coef, dtype=np.float64).ravel()
        if coef.shape[0] != w.n:
            raise ValueError(f"{w.n} sequences but {coef.shape[0]} coefficients")
        with numba_threads(self.threads):
            return _table_from_windows(w, coef, self.weights, self.l, self.canonical_kmers)

    def table_scores(self, X: SequencesLike, table: np.ndarray) -> np.ndarray:
        """Sum of ``table`` (from :meth:`lmer_table`) over the forward l-mers of each sequence, shape (n,)."""
        table = np.asarray(table, dtype=np.float64)
        if table.shape != (4**self.l,):
            raise ValueError(f"table must have shape (4**l,) = ({4**self.l},), got {table.shape}")
        w = _as_windows(X, self.l)
        with numba_threads(self.threads):
            return _table_scores_nb(w.fwd, w.start, w.count, table)

    def matvec(self, X: SequencesLike, v) -> np.ndarray:
        """Product ``K @ v`` of the normalised Gram matrix of ``X`` without forming it.

        Costs one table build (:meth:`lmer_table`) and one pass over the windows,
        so solvers can work with large ``n`` in O(n) memory.

        Returns
        -------
        ndarray of float64, shape (n,) (or (n, p) when ``v`` has p columns)
        """
        l, rc, weights = self.l, self.canonical_kmers, self.weights
        w = _as_windows(X, l)
        v = np.asarray(v, dtype=np.float64)
        columns = v.reshape(w.n, -1)
        with numba_threads(self.threads):
            norms = _self_norms(w, weights, l, rc)
            inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
            out = np.empty_like(columns)
            for j in range(columns.shape[1]):
                T = _table_from_windows(w, columns[:, j] * inv, weights, l, rc)
                out[:, j] = _table_scores_nb(w.fwd, w.start, w.count, T) * inv
        return out.reshape(v.shape)
