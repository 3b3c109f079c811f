"""Leakage checks: find_overlaps, similarity_clusters and SimilarityGroupKFold."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from tiny import tiny_kmer

from enhancer_sk.evaluation.leakage import (
    OverlapTable,
    SimilarityGroupKFold,
    find_overlaps,
    similarity_clusters,
)
from enhancer_sk.exceptions import SequenceInputError
from enhancer_sk.sequence.alphabet import reverse_complement

BASES = np.array(list("ACGT"))


def random_seqs(rng, n, length=200):
    return ["".join(row) for row in BASES[rng.integers(0, 4, (n, length))]]


def mutate(rng, seq, n_subs):
    """``seq`` with exactly ``n_subs`` substitutions (each to another base)."""
    codes = np.searchsorted(BASES, list(seq))
    pos = rng.choice(len(seq), n_subs, replace=False)
    codes[pos] = (codes[pos] + rng.integers(1, 4, n_subs)) % 4
    return "".join(BASES[codes])


def hamming_identity(a, b):
    return np.mean(np.array(list(a)) == np.array(list(b)))


def pairs(table):
    return set(zip(table["train_index"].tolist(), table["test_index"].tolist()))


# ----------------------------------------------------------------------------- find_overlaps


def test_exact_and_reverse_complement_duplicates():
    rng = np.random.default_rng(0)
    train = random_seqs(rng, 20)
    test = random_seqs(rng, 20)
    test[3] = train[7]
    test[5] = reverse_complement(train[2])
    test[9] = train[7].lower()  # soft-masked copy: still exact
    table = find_overlaps(train, test)
    assert isinstance(table, OverlapTable)
    rows = {(r["train_index"], r["test_index"]): r for r in table.to_records()}
    assert set(rows) == {(7, 3), (2, 5), (7, 9)}
    assert rows[(7, 3)]["kind"] == rows[(7, 9)]["kind"] == "exact"
    assert rows[(7, 3)]["strand"] == "+"
    assert rows[(2, 5)]["kind"] == "reverse_complement"
    assert rows[(2, 5)]["strand"] == "-"
    assert all(r["identity"] == 1.0 and r["offset"] == 0 for r in rows.values())
    assert table.columns == ["train_index", "test_index", "kind", "identity", "strand", "offset"]


def test_reverse_complement_palindrome_is_exact_only():
    half = "ACGTTGCAAGGCTTAGC"
    pal = half + reverse_complement(half)
    table = find_overlaps([pal], [pal], k=8)
    assert table["kind"].tolist() == ["exact"]


def test_reverse_complement_false_ignores_minus_strand():
    rng = np.random.default_rng(1)
    train = random_seqs(rng, 5)
    test = [reverse_complement(train[0]), reverse_complement(mutate(rng, train[1], 8))]
    assert len(find_overlaps(train, test)) == 2
    assert len(find_overlaps(train, test, reverse_complement=False)) == 0


def test_planted_near_copies_found_and_unrelated_pairs_not():
    rng = np.random.default_rng(2)
    train = random_seqs(rng, 200)
    test = random_seqs(rng, 200)
    planted = {}
    for t, (s, n_subs) in enumerate(zip(rng.choice(200, 40, replace=False), rng.integers(1, 21, 40))):
        copy = mutate(rng, train[s], int(n_subs))  # about 5% substitutions (0.5-10%)
        expected = hamming_identity(train[s], copy)
        planted[(int(s), t)] = expected
        test[t] = reverse_complement(copy) if t % 3 == 0 else copy
    decoys = rng.choice(200, 20, replace=False)
    for t, s in zip(range(100, 120), decoys):
        test[t] = mutate(rng, train[s], 40)  # identity 0.80: below the threshold
    table = find_overlaps(train, test, identity=0.9, threads=1)
    assert pairs(table) == set(planted)
    for r in table.to_records():
        assert r["kind"] == "near"
        assert r["identity"] == pytest.approx(planted[(r["train_index"], r["test_index"])])
        assert r["identity"] >= 0.9
        assert r["strand"] == ("-" if r["test_index"] % 3 == 0 else "+")
    # a lower threshold (with shorter seeds, as 0.80 leaves few shared 14-mers) reports the decoys too
    low = find_overlaps(train, test, identity=0.75, k=8)
    assert set(zip(decoys.tolist(), range(100, 120))) <= pairs(low)
    assert len(low) == 60


def test_identity_is_over_the_shorter_sequence_with_offset():
    rng = np.random.default_rng(3)
    long = random_seqs(rng, 1, 300)[0]
    inner = long[40:240]
    table = find_overlaps([long], [inner, mutate(rng, inner, 10)])
    assert table["kind"].tolist() == ["near", "near"]
    assert table["identity"].tolist() == pytest.approx([1.0, 0.95])
    assert table["offset"].tolist() == [-40, -40]  # long[p] faces inner[p - 40]
    # overhang counts as mismatch: 190 of 200 positions overlap
    shifted = find_overlaps([inner], [long[50:250]], identity=0.5)
    assert shifted["identity"].tolist() == pytest.approx([0.95])
    assert shifted["offset"].tolist() == [-10]


def test_n_bases_never_match_and_kmers_with_n_are_skipped():
    rng = np.random.default_rng(4)
    seq = random_seqs(rng, 1)[0]
    with_n = seq[:100] + "N" * 10 + seq[110:]
    table = find_overlaps([seq], [with_n, "ACGTN", "N" * 200])
    assert table["test_index"].tolist() == [0]
    assert table["identity"].tolist() == pytest.approx([0.95])
    # an exact copy holding N is still an exact duplicate; an IUPAC code reads as N
    assert find_overlaps([with_n], [with_n.replace("N", "R")])["kind"].tolist() == ["exact"]


def test_ids_and_fasta_input(tmp_path):
    rng = np.random.default_rng(5)
    train = random_seqs(rng, 6)
    test = [train[4].lower(), mutate(rng, train[1], 6), random_seqs(rng, 1)[0]]
    train_fa = tmp_path / "train.fa"
    train_fa.write_text("".join(f">tr{i} desc\n{s[:100]}\n{s[100:]}\n" for i, s in enumerate(train)))
    test_fa = tmp_path / "test.fa.gz"
    with gzip.open(test_fa, "wt") as fh:
        fh.write("".join(f">te{i}\n{s}\n" for i, s in enumerate(test)))
    table = find_overlaps(train_fa, str(test_fa))
    assert table.columns[:4] == ["train_index", "test_index", "train_id", "test_id"]
    assert table["train_id"].tolist() == ["tr1", "tr4"]
    assert table["test_id"].tolist() == ["te1", "te0"]
    assert table["kind"].tolist() == ["near", "exact"]
    given_ids = find_overlaps(train, test, ids_test=["a", "b", "c"])
    assert given_ids["test_id"].tolist() == ["b", "a"]
    assert given_ids["train_id"].tolist() == ["1", "4"]


def test_table_exports(tmp_path):
    table = find_overlaps(["ACGTACGTTTGCAAGT"], ["ACTTGCAAACGTACGT"], k=8)
    frame = table.to_frame()
    assert list(frame.columns) == table.columns
    assert frame.loc[0, "kind"] == "reverse_complement"
    assert "identity" in table and len(table) == 1
    assert "reverse_complement 1" in repr(table)
    path = tmp_path / "overlaps.tsv"
    table.to_tsv(path)
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == table.columns
    assert lines[1].split("\t") == ["0", "0", "reverse_complement", "1.0000", "-", "0"]
    empty = find_overlaps(["ACGTACGTAC"], ["TTTTTTTTTT"], k=4)
    assert len(empty) == 0 and empty.to_records() == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"identity": 0}, "identity"),
        ({"identity": 1.5}, "identity"),
        ({"k": 2}, "k must"),
        ({"k": 40}, "k must"),
        ({"max_occurrences": 0}, "max_occurrences"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        find_overlaps(["ACGT" * 10], ["ACGT" * 10], **kwargs)


def test_invalid_input():
    with pytest.raises(SequenceInputError):
        find_overlaps(["ACGT"], [])
    with pytest.raises(ValueError, match="ids"):
        find_overlaps(["ACGT"], ["ACGT"], ids_train=["a", "b"])


def test_max_occurrences_skips_repeats_but_not_duplicates():
    rng = np.random.default_rng(6)
    train = random_seqs(rng, 10)
    test = [mutate(rng, train[0], 5), train[1]]
    assert len(find_overlaps(train, test)) == 2
    capped = find_overlaps(train, test, max_occurrences=1, k=8)  # every 8-mer occurs several times
    assert ("exact", 1) in set(zip(capped["kind"].tolist(), capped["test_index"].tolist()))


# ----------------------------------------------------------------------------- clusters and splitter


def families(rng, n_families, sizes, length=120):
    """Families of copies of a random root (3% substitutions each, some reverse-complemented), shuffled."""
    seqs, family = [], []
    for f, size in zip(range(n_families), sizes):
        root = random_seqs(rng, 1, length)[0]
        for m in range(size):
            copy = mutate(rng, root, int(0.03 * length)) if m else root
            seqs.append(reverse_complement(copy) if rng.random() < 0.3 else copy)
            family.append(f)
    order = rng.permutation(len(seqs))
    return np.asarray(seqs, dtype=object)[order], np.asarray(family)[order]


def test_similarity_clusters_are_the_families_and_merge_groups():
    rng = np.random.default_rng(7)
    seqs, family = families(rng, 12, rng.integers(1, 5, 12))
    clusters = similarity_clusters(seqs)
    # same partition as the families (copies of one root are >= 0.94 identical to each other)
    assert len(set(zip(clusters, family))) == len(set(family)) == len(set(clusters))
    groups = np.where(family < 3, "chr1", "chr" + family.astype(str))
    merged = similarity_clusters(seqs, groups)
    assert len(set(merged[family < 3])) == 1
    assert len(set(merged)) == len(set(family)) - 2
    with pytest.raises(ValueError, match="groups"):
        similarity_clusters(seqs, groups[:-1])


def check_folds(cv, X, y=None, groups=None):
    """Every sample in exactly one test fold; train and test disjoint and covering; returns fold of each."""
    fold = np.full(len(X), -1)
    n = 0
    for i, (train, test) in enumerate(cv.split(X, y, groups)):
        assert np.intersect1d(train, test).size == 0
        assert train.size + test.size == len(X)
        assert (fold[test] == -1).all()
        fold[test] = i
        n += 1
    assert n == cv.get_n_splits(X, y, groups)
    assert (fold >= 0).all()
    return fold


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(1, 4), min_size=6, max_size=15),
    n_splits=st.integers(2, 5),
    n_groups=st.integers(0, 8),
    shuffle=st.booleans(),
    stratify=st.booleans(),
)
def test_property_no_cluster_or_group_split_across_folds(seed, sizes, n_splits, n_groups, shuffle, stratify):
    rng = np.random.default_rng(seed)
    seqs, family = families(rng, len(sizes), sizes, length=80)
    groups = None if n_groups == 0 else rng.integers(0, n_groups, len(seqs)).astype(str)
    y = rng.integers(0, 2, len(seqs)) if stratify else None
    cv = SimilarityGroupKFold(n_splits, shuffle=shuffle, random_state=0 if shuffle else None, threads=1)
    n_clusters = len(np.unique(similarity_clusters(seqs, groups)))
    if n_clusters < n_splits:
        with pytest.raises(ValueError, match="clusters"):
            list(cv.split(seqs, y, groups))
        return
    fold = check_folds(cv, seqs, y, groups)
    for f in np.unique(family):
        assert len(set(fold[family == f])) == 1
    if groups is not None:
        for g in np.unique(groups):
            assert len(set(fold[groups == g])) == 1


def test_splitter_is_a_scikit_learn_cross_validator():
    params = {
        "n_splits": 3,
        "identity": 0.8,
        "k": 10,
        "reverse_complement": False,
        "shuffle": True,
        "random_state": 1,
        "threads": 1,
    }
    cv = SimilarityGroupKFold(**params)
    assert check_cv(cv) is cv
    # splitters have no get_params / clone: __init__ stores the arguments unchanged, nothing else
    assert vars(cv) == params
    assert vars(SimilarityGroupKFold()) == {
        "n_splits": 5,
        "identity": 0.9,
        "k": 14,
        "reverse_complement": True,
        "shuffle": False,
        "random_state": None,
        "threads": None,
    }
    assert repr(cv).startswith("SimilarityGroupKFold(") and "identity=0.8" in repr(cv)
    assert cv.get_n_splits() == cv.get_n_splits(["ACGT"] * 9) == 3
    # the same folds on every call (deterministic given random_state)
    rng = np.random.default_rng(11)
    seqs, _ = families(rng, 12, rng.integers(1, 4, 12))
    first = [test.tolist() for _, test in cv.split(seqs)]
    assert first == [test.tolist() for _, test in cv.split(seqs)]


def test_stratified_when_y_is_a_class_label():
    rng = np.random.default_rng(8)
    seqs, family = families(rng, 40, np.ones(40, dtype=int))
    y = np.arange(40) % 2
    for _, test in SimilarityGroupKFold(4).split(seqs, y):
        assert y[test].sum() == 5 and len(test) == 10
    # a continuous target: plain group folds
    check_folds(SimilarityGroupKFold(4), seqs, rng.random(40))


def test_too_few_clusters_and_bad_n_splits():
    rng = np.random.default_rng(9)
    root = random_seqs(rng, 1)[0]
    seqs = [root, mutate(rng, root, 4), reverse_complement(root), random_seqs(rng, 1)[0]]
    with pytest.raises(ValueError, match="only 2"):
        list(SimilarityGroupKFold(3).split(seqs))
    with pytest.raises(ValueError, match="n_splits"):
        list(SimilarityGroupKFold(1).split(seqs))


def gc_features(X):
    return np.array([[(s.count("G") + s.count("C")) / len(s)] for s in np.asarray(X, dtype=object).ravel()])


def test_cross_val_score_and_grid_search_with_sequences():
    rng = np.random.default_rng(10)
    seqs, family = families(rng, 30, rng.integers(1, 4, 30))
    y = (family % 2).astype(int)
    groups = (family % 7).astype(str)
    cv = SimilarityGroupKFold(3)
    model = make_pipeline(FunctionTransformer(gc_features), LogisticRegression())
    scores = cross_val_score(model, seqs, y, cv=cv, groups=groups)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    search = GridSearchCV(tiny_kmer(), {"C": [0.1, 1.0]}, cv=cv, scoring="accuracy")
    search.fit(seqs, y)
    assert search.n_splits_ == 3
    assert set(search.cv_results_["params"][0]) == {"C"}
