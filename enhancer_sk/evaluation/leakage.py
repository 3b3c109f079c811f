"""Train/test leakage: duplicated and near-duplicated sequences, and splits that keep them together.

* :func:`find_overlaps` lists every train/test pair that is an exact
  duplicate, a reverse-complement duplicate or a near duplicate;
* :func:`similarity_clusters` labels the connected components of the
  near-duplicate graph among one set of sequences (optionally merged with
  given groups such as chromosomes);
* :class:`SimilarityGroupKFold` is a scikit-learn cross-validator that keeps
  each such cluster (and each group) inside one fold.

What the kinds mean
-------------------
Sequences are read with :func:`enhancer_sk.sequence.codes.as_sequences`
(lower case upper-cased, IUPAC ambiguity codes read as ``N``).

``"exact"``
    The two normalised strings are identical (``N`` equals ``N`` here).
``"reverse_complement"``
    The test sequence is the reverse complement of the training sequence (and
    not also an exact copy: a reverse-complement palindrome is ``"exact"``).
``"near"``
    Any other pair whose *identity* is at least ``identity``.

Identity
--------
The ungapped identity over the shorter sequence: with ``s`` the training
sequence and ``t`` the test sequence (or its reverse complement, strand
``"-"``), placed at offset ``d`` (``s[p]`` faces ``t[p + d]``),

    identity = #{p : s[p] == t[p + d], s[p] != N} / min(len(s), len(t)),

so positions hanging over either end count as mismatches, an ``N`` never
matches, and a sequence contained in a longer one has identity 1.  Indels
are not modelled: a pair differing by an indel is compared on the diagonal
(offset) on either side of it, whichever is better.  The reported identity is
the maximum over both strands and over the offsets proposed by the seeds
(below); with ``reverse_complement=False`` only strand ``"+"`` is compared.

How near duplicates are found (seed and verify)
-----------------------------------------------
Every position of every sequence gives a canonical k-mer (the smaller of the
k-mer and its reverse complement in 2-bit code); k-mers containing ``N`` are
skipped, so sequences shorter than ``k`` (or all ``N``) are only compared as
exact / reverse-complement duplicates.  The k-mers of each set are sorted once
(a k-mer index) and merged; every shared k-mer proposes a (train, test,
strand, offset) candidate, and every distinct candidate is verified with the
exact identity above, in parallel with numba.  A k-mer occurring more than
``max_occurrences`` times in either set (repeats, low-complexity sequence)
proposes no candidates: this bounds the work on repetitive data, at the cost
of missing pairs whose only shared k-mers are such repeats.

Sensitivity: a pair at identity ``q`` with random substitutions shares a
k-mer unless every run of matching positions is shorter than ``k``.  For
200-bp sequences and the default ``k=14`` (simulated, 200,000 placements of
the substitutions each) that happens for fewer than 1 in 200,000 pairs at
identity 0.90, 2.4 in 10,000 at 0.875 and 0.6% at 0.85; with ``k=16``, 1 in
12,000 at 0.90.  Clustered substitutions (or identity set below 0.85) need a
smaller ``k``, which is more sensitive and slower: random k-mer matches grow
as ``(total length)**2 / 4**k`` (``benchmarks/overlaps.py`` measures the
default on 100,000 x 100,000 sequences).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence

import numpy as np
from numba import njit, prange
from sklearn.model_selection import BaseCrossValidator, GroupKFold, StratifiedGroupKFold
from sklearn.utils.multiclass import type_of_target

from ..sequence.alphabet import reverse_complement as _revcomp
from ..sequence.codes import SequenceCodes, SequencesLike, as_sequences, codes_from_strings, is_sequence_path
from ..threads import numba_threads

__all__ = ["OverlapTable", "SimilarityGroupKFold", "find_overlaps", "similarity_clusters"]

#: Default seed length: see the module docstring for its sensitivity.
DEFAULT_K = 14
#: Default cap on how often a k-mer may occur in one set and still propose candidates.
DEFAULT_MAX_OCCURRENCES = 1000

_KINDS = ("exact", "reverse_complement", "near")
_INVALID = np.uint64(0xFFFFFFFFFFFFFFFF)


# ----------------------------------------------------------------------------- result table


class OverlapTable:
    """The pairs found by :func:`find_overlaps`, one row per (train, test) pair.

    A small column store (NumPy arrays) so that the package needs no pandas;
    :meth:`to_frame` returns a :class:`pandas.DataFrame` when pandas is
    installed.

    Columns
    -------
    train_index, test_index : int64
        Positions in ``X_train`` / ``X_test``.
    train_id, test_id : object (str)
        Only when ids were given (or read from FASTA files).
    kind : object (str)
        ``"exact"``, ``"reverse_complement"`` or ``"near"``.
    identity : float64
        Identity over the shorter sequence (1.0 for exact and
        reverse-complement duplicates).
    strand : object (str)
        ``"+"`` or ``"-"`` (the test sequence's reverse complement matched).
    offset : int64
        Diagonal of the best ungapped placement: ``train[p]`` faces
        ``test_strand[p + offset]``.

    Rows are sorted by ``train_index`` then ``test_index``.
    """

    def __init__(self, columns: dict[str, np.ndarray]):
        self._columns = dict(columns)

    @property
    def columns(self) -> list[str]:
        """Column names, in order."""
        return list(self._columns)

    def __len__(self) -> int:
        return len(self._columns["train_index"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __repr__(self) -> str:
        counts = ", ".join(f"{kind} {int(np.sum(self['kind'] == kind))}" for kind in _KINDS)
        return f"OverlapTable({len(self)} pairs: {counts})"

    def to_dict(self) -> dict[str, np.ndarray]:
        """Columns as a dict of NumPy arrays (copies of the references, not the data)."""
        return dict(self._columns)

    def to_records(self) -> list[dict]:
        """Rows as a list of dicts of Python scalars."""
        cols = {name: values.tolist() for name, values in self._columns.items()}
        return [dict(zip(cols, row)) for row in zip(*cols.values())]

    def to_frame(self):
        """Return the table as a :class:`pandas.DataFrame` (needs pandas, not a dependency of the package)."""
        try:
            import pandas as pd
        except ImportError as err:  # pragma: no cover - pandas is usually present
            raise ImportError("OverlapTable.to_frame needs pandas: pip install pandas, or use to_dict()") from err
        return pd.DataFrame(self._columns)

    def to_tsv(self, path) -> None:
        """Write the table as tab-separated text with a header line."""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\t".join(self.columns) + "\n")
            for row in self.to_records():
                fh.write("\t".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()) + "\n")


# ----------------------------------------------------------------------------- numba kernels


@njit(parallel=True, cache=True)
def _kmers(codes, starts, lengths, out_starts, k):
    """Canonical k-mer of every position (``_INVALID`` where it holds an N) and its orientation."""
    total = out_starts[-1]
    kmers = np.empty(total, dtype=np.uint64)
    orient = np.empty(total, dtype=np.uint8)
    mask = np.uint64((1 << (2 * k)) - 1)
    shift = np.uint64(2 * (k - 1))
    for s in prange(lengths.shape[0]):
        base = starts[s]
        o = out_starts[s]
        n_out = out_starts[s + 1] - o
        fwd = np.uint64(0)
        rev = np.uint64(0)
        valid = 0  # consecutive non-N bases ending here
        for p in range(lengths[s]):
            c = codes[base + p]
            if c > 3:
                valid = 0
                fwd = np.uint64(0)
                rev = np.uint64(0)
            else:
                fwd = ((fwd << np.uint64(2)) | np.uint64(c)) & mask
                rev = (rev >> np.uint64(2)) | (np.uint64(3 - c) << shift)
                valid += 1
            q = p - k + 1
            if q >= 0 and q < n_out:
                if valid >= k:
                    if fwd <= rev:
                        kmers[o + q] = fwd
                        orient[o + q] = 0
                    else:
                        kmers[o + q] = rev
                        orient[o + q] = 1
                else:
                    kmers[o + q] = _INVALID
                    orient[o + q] = 0
    return kmers, orient


def _sorted_seeds(sc: SequenceCodes, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Valid canonical k-mers of a set, sorted, with ``occurrence = 2 * position + orientation``.

    ``position`` is the k-mer's start in the concatenated codes.
    """
    n_per = np.maximum(sc.lengths - k + 1, 0)
    out_starts = np.zeros(len(sc) + 1, dtype=np.int64)
    np.cumsum(n_per, out=out_starts[1:])
    kmers, orient = _kmers(sc.codes, sc.starts, sc.lengths, out_starts, k)
    # position of each output slot in the concatenated codes
    seq_of = np.repeat(np.arange(len(sc), dtype=np.int64), n_per)
    pos = np.arange(out_starts[-1], dtype=np.int64) - out_starts[seq_of] + sc.starts[seq_of]
    del seq_of
    keep = kmers != _INVALID
    kmers = kmers[keep]
    occ = pos[keep] * 2 + orient[keep]
    del pos, orient, keep
    occ_bits = max(1, int(occ.max()).bit_length()) if occ.size else 1
    if 2 * k + occ_bits <= 64:  # one packed sort: about twice as fast as argsort
        packed = (kmers << np.uint64(occ_bits)) | occ.astype(np.uint64)
        del kmers, occ
        packed.sort()
        return packed >> np.uint64(occ_bits), (packed & np.uint64((1 << occ_bits) - 1)).astype(np.int64)
    order = np.argsort(kmers, kind="stable")
    return kmers[order], occ[order]


@njit(cache=True)
def _seq_of(starts, position):
    """Index of the sequence holding a position of the concatenated codes (binary search)."""
    lo = 0
    hi = starts.shape[0] - 1
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if starts[mid] <= position:
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(cache=True)
def _emit(occ_a, occ_b, starts_a, starts_b, lengths_b, k, ti, tj, diag, strand, n):
    """Candidate for a k-mer at occurrence ``occ_a`` (set A) and ``occ_b`` (set B)."""
    pa = occ_a >> 1
    pb = occ_b >> 1
    sa = _seq_of(starts_a, pa)
    sb = _seq_of(starts_b, pb)
    p = pa - starts_a[sa]
    q = pb - starts_b[sb]
    ti[n] = sa
    tj[n] = sb
    if (occ_a & 1) == (occ_b & 1):
        strand[n] = 0
        diag[n] = q - p
    else:  # the k-mer of B is read on its reverse complement
        strand[n] = 1
        diag[n] = (lengths_b[sb] - q - k) - p


@njit(cache=True)
def _cross_candidates(km_a, occ_a, km_b, occ_b, starts_a, starts_b, lengths_b, k, max_occ, fill, total):
    """Merge two sorted seed lists; count (``fill`` False) or write the candidate pairs."""
    ti = np.empty(total, dtype=np.int64)
    tj = np.empty(total, dtype=np.int64)
    diag = np.empty(total, dtype=np.int64)
    strand = np.empty(total, dtype=np.int8)
    n = 0
    i = 0
    j = 0
    na = km_a.shape[0]
    nb = km_b.shape[0]
    while i < na and j < nb:
        if km_a[i] < km_b[j]:
            i += 1
        elif km_a[i] > km_b[j]:
            j += 1
        else:
            v = km_a[i]
            ie = i
            while ie < na and km_a[ie] == v:
                ie += 1
            je = j
            while je < nb and km_b[je] == v:
                je += 1
            if ie - i <= max_occ and je - j <= max_occ:
                if fill:
                    for x in range(i, ie):
                        for y in range(j, je):
                            _emit(occ_a[x], occ_b[y], starts_a, starts_b, lengths_b, k, ti, tj, diag, strand, n)
                            n += 1
                else:
                    n += (ie - i) * (je - j)
            i = ie
            j = je
    return n, ti, tj, diag, strand


@njit(cache=True)
def _self_candidates(km, occ, starts, lengths, k, max_occ, fill, total):
    """Candidate pairs (i < j) among one sorted seed list; count or write them."""
    ti = np.empty(total, dtype=np.int64)
    tj = np.empty(total, dtype=np.int64)
    diag = np.empty(total, dtype=np.int64)
    strand = np.empty(total, dtype=np.int8)
    n = 0
    i = 0
    m = km.shape[0]
    while i < m:
        v = km[i]
        ie = i
        while ie < m and km[ie] == v:
            ie += 1
        if 1 < ie - i <= max_occ:
            for x in range(i, ie):
                sx = _seq_of(starts, occ[x] >> 1)
                for y in range(x + 1, ie):
                    sy = _seq_of(starts, occ[y] >> 1)
                    if sx == sy:
                        continue
                    if fill:
                        if sx < sy:
                            _emit(occ[x], occ[y], starts, starts, lengths, k, ti, tj, diag, strand, n)
                        else:
                            _emit(occ[y], occ[x], starts, starts, lengths, k, ti, tj, diag, strand, n)
                    n += 1
        i = ie
    return n, ti, tj, diag, strand


@njit(cache=True)
def _identity(codes_a, start_a, len_a, codes_b, start_b, len_b, strand, d):
    """Ungapped identity of A against B (or B's reverse complement) at offset ``d``, over the shorter."""
    lo = max(0, -d)
    hi = min(len_a, len_b - d)
    matches = 0
    for p in range(lo, hi):
        a = codes_a[start_a + p]
        if a > 3:
            continue
        if strand == 0:
            b = codes_b[start_b + p + d]
        else:
            b = codes_b[start_b + len_b - 1 - (p + d)]
            if b <= 3:
                b = 3 - b
        if a == b:
            matches += 1
    return matches / min(len_a, len_b)


@njit(parallel=True, cache=True)
def _verify(seg, sub, ti, tj, codes_a, starts_a, lengths_a, codes_b, starts_b, lengths_b, span):
    """Best identity, strand and offset of each candidate pair (a segment of the sorted candidates)."""
    n_seg = seg.shape[0] - 1
    best = np.zeros(n_seg, dtype=np.float64)
    best_strand = np.zeros(n_seg, dtype=np.int8)
    best_diag = np.zeros(n_seg, dtype=np.int64)
    for g in prange(n_seg):
        lo = seg[g]
        hi = seg[g + 1]
        a = ti[lo]
        b = tj[lo]
        last = -1
        for c in range(lo, hi):  # sub keys are sorted within the segment: skip repeats
            key = sub[c]
            if key == last:
                continue
            last = key
            st = key // span
            d = key % span - (span // 2)
            ident = _identity(codes_a, starts_a[a], lengths_a[a], codes_b, starts_b[b], lengths_b[b], st, d)
            if ident > best[g]:
                best[g] = ident
                best_strand[g] = st
                best_diag[g] = d
    return best, best_strand, best_diag


def _near_pairs(
    sc_a: SequenceCodes,
    sc_b: SequenceCodes | None,
    *,
    identity: float,
    k: int,
    reverse_complement: bool,
    max_occurrences: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, identity, strand, offset) of every pair at ``>= identity``; ``sc_b=None`` compares A with itself."""
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0, np.int8), np.empty(0, np.int64))
    km_a, occ_a = _sorted_seeds(sc_a, k)
    if sc_b is None:
        total, *_ = _self_candidates(km_a, occ_a, sc_a.starts, sc_a.lengths, k, max_occurrences, False, 0)
        _, ti, tj, diag, strand = _self_candidates(
            km_a, occ_a, sc_a.starts, sc_a.lengths, k, max_occurrences, True, total
        )
        sc_b = sc_a
    else:
        km_b, occ_b = _sorted_seeds(sc_b, k)
        args = (km_a, occ_a, km_b, occ_b, sc_a.starts, sc_b.starts, sc_b.lengths, k, max_occurrences)
        total, *_ = _cross_candidates(*args, False, 0)
        _, ti, tj, diag, strand = _cross_candidates(*args, True, total)
        del km_b, occ_b
    del km_a, occ_a
    if not reverse_complement:
        keep = strand == 0
        ti, tj, diag, strand = ti[keep], tj[keep], diag[keep], strand[keep]
    if ti.size == 0:
        return empty
    max_len = int(max(sc_a.lengths.max(), sc_b.lengths.max()))
    span = 2 * max_len + 1
    pair = ti * len(sc_b) + tj
    sub = strand.astype(np.int64) * span + diag + max_len
    order = np.lexsort((sub, pair))
    pair, sub, ti, tj = pair[order], sub[order], ti[order], tj[order]
    del order, diag, strand
    seg = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1], [True])))
    best, best_strand, best_diag = _verify(
        seg, sub, ti, tj, sc_a.codes, sc_a.starts, sc_a.lengths, sc_b.codes, sc_b.starts, sc_b.lengths, span
    )
    first = seg[:-1]
    keep = best >= identity - 1e-12
    return ti[first][keep], tj[first][keep], best[keep], best_strand[keep], best_diag[keep]


# ----------------------------------------------------------------------------- exact duplicates


def _duplicate_pairs(seqs_a: np.ndarray, seqs_b: np.ndarray | None, *, reverse_complement: bool):
    """Exact (kind 0) and reverse-complement (kind 1) duplicate pairs; ``seqs_b=None``: i < j within A."""
    index: dict[str, list[int]] = {}
    for i, s in enumerate(seqs_a.tolist()):
        index.setdefault(s, []).append(i)
    ti: list[int] = []
    tj: list[int] = []
    kind: list[int] = []
    self_mode = seqs_b is None
    seqs_b = seqs_a if self_mode else seqs_b
    rc_b = _revcomp(seqs_b) if reverse_complement else None
    for j, s in enumerate(seqs_b.tolist()):
        exact = index.get(s, ())
        for i in exact:
            if not self_mode or i < j:
                ti.append(i)
                tj.append(j)
                kind.append(0)
        if rc_b is None:
            continue
        r = rc_b[j]
        if r == s:  # a reverse-complement palindrome: already exact
            continue
        for i in index.get(r, ()):
            if not self_mode or i < j:
                ti.append(i)
                tj.append(j)
                kind.append(1)
    return np.asarray(ti, dtype=np.int64), np.asarray(tj, dtype=np.int64), np.asarray(kind, dtype=np.int8)


# ----------------------------------------------------------------------------- public API


def _check_params(identity: float, k: int, max_occurrences: int) -> None:
    if not isinstance(identity, numbers.Real) or not 0 < identity <= 1:
        raise ValueError(f"identity must be a number in (0, 1], got {identity!r}")
    if not isinstance(k, numbers.Integral) or not 4 <= k <= 31:
        raise ValueError(f"k must be an integer from 4 to 31, got {k!r} (the default is {DEFAULT_K})")
    if not isinstance(max_occurrences, numbers.Integral) or max_occurrences < 1:
        raise ValueError(f"max_occurrences must be a positive integer, got {max_occurrences!r}")


def _read(X: SequencesLike, ids, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    if is_sequence_path(X):
        seqs, file_ids = as_sequences(X, return_ids=True)
        if ids is None:
            ids = file_ids
    else:
        seqs = as_sequences(X)
    if ids is not None:
        ids = np.asarray(ids, dtype=object)
        if ids.shape != (len(seqs),):
            raise ValueError(f"{name} has {len(ids)} ids for {len(seqs)} sequences")
    return seqs, ids


def _combine(dup, near) -> tuple[np.ndarray, ...]:
    """Merge duplicate and near pairs (a pair listed as a duplicate is not repeated as near)."""
    di, dj, dkind = dup
    ni, nj, nident, nstrand, ndiag = near
    if di.size and ni.size:
        width = int(max(dj.max(), nj.max())) + 1
        keep = ~np.isin(ni * width + nj, di * width + dj)
        ni, nj, nident, nstrand, ndiag = ni[keep], nj[keep], nident[keep], nstrand[keep], ndiag[keep]
    ti = np.concatenate([di, ni])
    tj = np.concatenate([dj, nj])
    kind = np.concatenate([dkind, np.full(ni.size, 2, dtype=np.int8)])
    ident = np.concatenate([np.ones(di.size), nident])
    strand = np.concatenate([dkind, nstrand]).astype(np.int8)
    offset = np.concatenate([np.zeros(di.size, dtype=np.int64), ndiag])
    order = np.lexsort((tj, ti))
    return ti[order], tj[order], kind[order], ident[order], strand[order], offset[order]


def find_overlaps(
    X_train: SequencesLike,
    X_test: SequencesLike,
    *,
    identity: float = 0.9,
    k: int = DEFAULT_K,
    reverse_complement: bool = True,
    ids_train: Sequence[str] | None = None,
    ids_test: Sequence[str] | None = None,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    threads: int | None = None,
) -> OverlapTable:
    """Every train/test pair that is an exact, reverse-complement or near duplicate.

    See the module docstring (:mod:`enhancer_sk.evaluation.leakage`) for the
    precise meaning of each kind and of ``identity``, and for how near
    duplicates are found.

    Parameters
    ----------
    X_train, X_test : str, path, list of str or 1-D array of str
        Sequences or FASTA paths (plain or gzip), read by
        :func:`~enhancer_sk.sequence.codes.as_sequences`.
    identity : float, default=0.9
        Smallest ungapped identity over the shorter sequence reported as
        ``"near"``.
    k : int, default=14
        Seed length (4 to 31); smaller is more sensitive and slower.
    reverse_complement : bool, default=True
        Also compare each test sequence's reverse complement.
    ids_train, ids_test : sequence of str, optional
        Record ids, added as ``train_id`` / ``test_id`` columns.  FASTA
        inputs use their record ids when these are not given.
    max_occurrences : int, default=1000
        A k-mer occurring more often than this in either set proposes no
        candidates (exact and reverse-complement duplicates are found
        regardless).
    threads : int, optional
        Numba threads; ``None`` means ``GALAXY_SLOTS`` or all available CPUs
        (:func:`enhancer_sk.threads.resolve_threads`).

    Returns
    -------
    OverlapTable
        Columns ``train_index``, ``test_index`` (then ``train_id``,
        ``test_id`` when known), ``kind``, ``identity``, ``strand``,
        ``offset``; one row per pair, sorted by train then test index.
        ``.to_frame()`` gives a pandas DataFrame.

    Examples
    --------
    >>> table = find_overlaps(["ACGTACGTTTGCAAGT"], ["ACTTGCAAACGTACGT"], k=8)
    >>> table["kind"].tolist(), table["strand"].tolist()
    (['reverse_complement'], ['-'])
    """
    _check_params(identity, k, max_occurrences)
    seqs_a, ids_a = _read(X_train, ids_train, "X_train")
    seqs_b, ids_b = _read(X_test, ids_test, "X_test")
    dup = _duplicate_pairs(seqs_a, seqs_b, reverse_complement=reverse_complement)
    with numba_threads(threads):
        near = _near_pairs(
            codes_from_strings(seqs_a.tolist()),
            codes_from_strings(seqs_b.tolist()),
            identity=identity,
            k=k,
            reverse_complement=reverse_complement,
            max_occurrences=max_occurrences,
        )
    ti, tj, kind, ident, strand, offset = _combine(dup, near)
    columns: dict[str, np.ndarray] = {"train_index": ti, "test_index": tj}
    if ids_a is not None or ids_b is not None:
        columns["train_id"] = (ids_a if ids_a is not None else np.arange(len(seqs_a)).astype(str).astype(object))[ti]
        columns["test_id"] = (ids_b if ids_b is not None else np.arange(len(seqs_b)).astype(str).astype(object))[tj]
    columns["kind"] = np.asarray(_KINDS, dtype=object)[kind]
    columns["identity"] = ident
    columns["strand"] = np.asarray(["+", "-"], dtype=object)[strand]
    columns["offset"] = offset
    return OverlapTable(columns)


def similarity_clusters(
    X: SequencesLike,
    groups=None,
    *,
    identity: float = 0.9,
    k: int = DEFAULT_K,
    reverse_complement: bool = True,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    threads: int | None = None,
) -> np.ndarray:
    """Cluster label of each sequence: connected components of its (near-)duplicate graph.

    Two sequences of ``X`` are linked when they are exact, reverse-complement
    or near duplicates (as in :func:`find_overlaps`, applied to ``X`` against
    itself); when ``groups`` is given, sequences of the same group are linked
    too, so a cluster never spans two folds and neither does a group.

    Parameters
    ----------
    X : str, path, list of str or 1-D array of str
        Sequences or a FASTA path.
    groups : array-like of shape (n_samples,), optional
        Group labels (e.g. chromosome names) merged into the clusters.
    identity, k, reverse_complement, max_occurrences, threads
        As in :func:`find_overlaps`.

    Returns
    -------
    ndarray of int64, shape (n_samples,)
        Labels ``0 .. n_clusters - 1``.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _check_params(identity, k, max_occurrences)
    seqs = as_sequences(X)
    n = len(seqs)
    di, dj, _ = _duplicate_pairs(seqs, None, reverse_complement=reverse_complement)
    with numba_threads(threads):
        ni, nj, *_ = _near_pairs(
            codes_from_strings(seqs.tolist()),
            None,
            identity=identity,
            k=k,
            reverse_complement=reverse_complement,
            max_occurrences=max_occurrences,
        )
    rows = [di, ni]
    cols = [dj, nj]
    n_nodes = n
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape[0] != n:
            raise ValueError(f"groups has {groups.shape[0]} labels for {n} sequences")
        _, group_codes = np.unique(groups, return_inverse=True)
        rows.append(np.arange(n, dtype=np.int64))
        cols.append(n + group_codes.reshape(-1).astype(np.int64))
        n_nodes = n + int(group_codes.max()) + 1
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    graph = coo_matrix((np.ones(r.size, dtype=np.int8), (r, c)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    _, labels = np.unique(labels[:n], return_inverse=True)
    return labels.astype(np.int64)


class SimilarityGroupKFold(BaseCrossValidator):
    """K-fold cross-validation that keeps near-duplicate clusters (and groups) inside one fold.

    ``split(X, y, groups)`` labels the connected components of the
    near-duplicate graph among the sequences ``X``
    (:func:`similarity_clusters`: exact, reverse-complement and near
    duplicates at ``>= identity``), merged with ``groups`` when given (e.g.
    chromosome names such as ``load_vista().groups``, so a chromosome stays in
    one fold too), then splits the clusters with
    :class:`~sklearn.model_selection.StratifiedGroupKFold` when ``y`` is a
    binary or multiclass target, otherwise with
    :class:`~sklearn.model_selection.GroupKFold`.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (at most the number of clusters).
    identity : float, default=0.9
        Identity at which two sequences are near duplicates (see
        :func:`find_overlaps`).
    k : int, default=14
        Seed length of the near-duplicate search.
    reverse_complement : bool, default=True
        Reverse complements count as duplicates.
    shuffle : bool, default=False
        Shuffle the clusters before assigning them to folds.
    random_state : int, RandomState instance or None, default=None
        Used when ``shuffle`` is True.
    threads : int, optional
        Numba threads of the near-duplicate search.

    Examples
    --------
    Two reverse-complement copies stay in one fold:

    >>> X = ["ACGTACGTTTGCAAGT", "ACTTGCAAACGTACGT", "GGGCCCAATTGCATGA", "TTAACCGGTACGATCG"]
    >>> cv = SimilarityGroupKFold(n_splits=3, k=8)
    >>> [test.tolist() for _, test in cv.split(X)]
    [[0, 1], [3], [2]]

    In model selection, pass the sequences as ``X`` and, when known, the
    chromosomes as ``groups``:
    ``cross_val_score(model, sequences, y, cv=cv, groups=chromosomes)``.
    """

    def __init__(
        self,
        n_splits: int = 5,
        *,
        identity: float = 0.9,
        k: int = DEFAULT_K,
        reverse_complement: bool = True,
        shuffle: bool = False,
        random_state=None,
        threads: int | None = None,
    ):
        self.n_splits = n_splits
        self.identity = identity
        self.k = k
        self.reverse_complement = reverse_complement
        self.shuffle = shuffle
        self.random_state = random_state
        self.threads = threads

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Return the number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored, for scikit-learn compatibility.

        Returns
        -------
        int
        """
        return int(self.n_splits)

    def _splitter(self, y):
        if y is not None and type_of_target(y) in ("binary", "multiclass"):
            return StratifiedGroupKFold(self.n_splits, shuffle=self.shuffle, random_state=self.random_state)
        return GroupKFold(self.n_splits, shuffle=self.shuffle, random_state=self.random_state)

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Generate indices of the training and test sets of each fold.

        Parameters
        ----------
        X : str, path, list of str or 1-D array of str, shape (n_samples,)
            The sequences (as given to ``cross_val_score``) or a FASTA path.
        y : array-like of shape (n_samples,), optional
            Class labels: folds are stratified when they are binary or
            multiclass.
        groups : array-like of shape (n_samples,), optional
            Group labels (e.g. chromosomes) kept whole inside one fold.

        Yields
        ------
        train : ndarray of int
        test : ndarray of int
        """
        if not isinstance(self.n_splits, numbers.Integral) or self.n_splits < 2:
            raise ValueError(f"n_splits must be an integer of at least 2, got {self.n_splits!r}")
        clusters = similarity_clusters(
            X,
            groups,
            identity=self.identity,
            k=self.k,
            reverse_complement=self.reverse_complement,
            threads=self.threads,
        )
        n_clusters = int(clusters.max()) + 1
        if n_clusters < self.n_splits:
            raise ValueError(
                f"only {n_clusters} near-duplicate clusters / groups for n_splits={self.n_splits}: "
                "lower n_splits or raise identity"
            )
        if y is not None:
            y = np.asarray(y)
        yield from self._splitter(y).split(np.zeros((len(clusters), 1)), y, clusters)

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover - split is overridden
        for _, test in self.split(X, y, groups):
            yield test
