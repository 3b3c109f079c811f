"""Encoders: one-hot, tokens, k-mer spectrum, reverse complement (with property tests)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from enhancer_sk.exceptions import SequenceInputError
from enhancer_sk.sequence.alphabet import reverse_complement, reverse_complement_one_hot
from enhancer_sk.sequence.encoders import (
    GCContent,
    KmerSpectrum,
    OneHotEncoder,
    SequenceLength,
    SequenceTokenizer,
    gc_content,
    one_hot_encode,
    tokenize,
)

dna = st.text(alphabet="ACGT", min_size=1, max_size=60)
dna_n = st.text(alphabet="ACGTN", min_size=1, max_size=60)
dna_lists = st.lists(dna, min_size=1, max_size=8)


def _decode_one_hot(x: np.ndarray) -> str:
    out = []
    for col in x.T:
        out.append("ACGT"[int(col.argmax())] if col.sum() else "N")
    return "".join(out)


@given(st.lists(dna_n, min_size=1, max_size=6), st.integers(1, 80))
@settings(max_examples=80, deadline=None)
def test_one_hot_shape_and_centre_policy(seqs, length):
    x = one_hot_encode(seqs, length)
    assert x.shape == (len(seqs), 4, length) and x.dtype == np.float32
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert (x.sum(axis=1) <= 1).all()
    for s, row in zip(seqs, x):
        if len(s) >= length:  # centre crop
            left = (len(s) - length) // 2
            expected = s[left : left + length]
        else:  # N padding, centred
            left = (length - len(s)) // 2
            expected = "N" * left + s + "N" * (length - len(s) - left)
        assert _decode_one_hot(row) == expected


@given(dna_lists)
@settings(max_examples=60, deadline=None)
def test_reverse_complement_roundtrip(seqs):
    rc = reverse_complement(seqs)
    assert list(reverse_complement(rc)) == seqs
    for s, r in zip(seqs, rc):
        assert reverse_complement(s) == r and len(r) == len(s)
    x = one_hot_encode(seqs, 60)
    xr = one_hot_encode(list(rc), 60)
    # centring is symmetric only for even padding; compare sequences of the same parity
    even = [i for i, s in enumerate(seqs) if (60 - len(s)) % 2 == 0]
    assert np.array_equal(reverse_complement_one_hot(x)[even], xr[even])


@given(dna_lists)
@settings(max_examples=60, deadline=None)
def test_tokens_alphabet(seqs):
    length = max(map(len, seqs))
    t = tokenize(seqs, length)
    table = {"A": 0, "C": 1, "G": 2, "T": 3}
    for s, row in zip(seqs, t):
        left = (length - len(s)) // 2
        assert row[left : left + len(s)].tolist() == [table[c] for c in s]
        assert (row[:left] == 4).all() and (row[left + len(s) :] == 4).all()


@given(st.lists(dna_n, min_size=1, max_size=6), st.integers(1, 4), st.booleans())
@settings(max_examples=60, deadline=None)
def test_kmer_counts_match_naive(seqs, k, canonical):
    X = KmerSpectrum(k=k, canonical_kmers=canonical).fit(seqs).transform(seqs).toarray()
    names = list(KmerSpectrum(k=k, canonical_kmers=canonical).get_feature_names_out())
    assert X.shape == (len(seqs), len(names))
    for s, row in zip(seqs, X):
        naive = dict.fromkeys(names, 0)
        for i in range(len(s) - k + 1):
            kmer = s[i : i + k]
            if "N" in kmer:
                continue
            if canonical:
                kmer = min(kmer, reverse_complement(kmer))
            naive[kmer] += 1
        assert row.tolist() == [naive[n] for n in names]


def test_kmer_feature_counts():
    assert len(KmerSpectrum(k=3).get_feature_names_out()) == 64
    assert len(KmerSpectrum(k=3, canonical_kmers=True).get_feature_names_out()) == 32
    assert len(KmerSpectrum(k=4, canonical_kmers=True).get_feature_names_out()) == (256 + 16) // 2
    assert len(KmerSpectrum(k=(1, 3)).get_feature_names_out()) == 4 + 16 + 64


def test_kmer_norms():
    seqs = ["ACGTACGTAA", "GGGG"]
    l1 = KmerSpectrum(k=(1, 2), norm="l1").fit_transform(seqs).toarray()
    assert np.allclose(l1[:, :4].sum(1), 1) and np.allclose(l1[:, 4:].sum(1), 1)
    l2 = KmerSpectrum(k=2, norm="l2").fit_transform(seqs).toarray()
    assert np.allclose(np.linalg.norm(l2, axis=1), 1)
    with pytest.raises(ValueError, match="norm"):
        KmerSpectrum(norm="max").fit(seqs)
    with pytest.raises(ValueError, match="k must"):
        KmerSpectrum(k=0).fit(seqs)


def test_unequal_lengths_need_length():
    with pytest.raises(SequenceInputError, match="differ in length"):
        one_hot_encode(["ACGT", "AC"])
    assert OneHotEncoder(length=3, flatten=True).fit_transform(["ACGT", "AC"]).shape == (2, 12)


def test_transformers_in_pipeline_and_clone():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(40)]
    y = np.array([0, 1] * 20)
    seqs = [s if yi == 0 else s[:10] + "GATAAG" + s[16:] for s, yi in zip(seqs, y)]
    pipe = make_pipeline(KmerSpectrum(k=(1, 3)), LogisticRegression(max_iter=500))
    scores = cross_val_score(clone(pipe), np.asarray(seqs, dtype=object), y, cv=4)
    assert scores.shape == (4,)
    tok = SequenceTokenizer(length=10)
    assert clone(tok).get_params() == {"length": 10}
    assert tok.fit_transform(seqs).shape == (40, 10)


def test_gc_content():
    assert gc_content(["GGCC", "AATT", "GANN", "NNNN"]).tolist() == [1.0, 0.0, 0.5, 0.0]
    assert GCContent().fit_transform(["GC"]).shape == (1, 1)


def test_sequence_length_feature():
    np.testing.assert_allclose(SequenceLength().fit_transform(["A" * 10, "ACGN" * 25]), [[1.0], [2.0]])
    assert SequenceLength().get_feature_names_out().tolist() == ["log10_length"]


def test_every_kmer_named_once():
    names = KmerSpectrum(k=2).get_feature_names_out()
    assert list(names) == ["".join(p) for p in itertools.product("ACGT", repeat=2)]
