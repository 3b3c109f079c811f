"""Genome scans: window coordinates, chunking, N and strand handling, calls, every estimator."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from tiny import SCAN_CNN, default_params, tiny_deepenhancer, tiny_gkm, tiny_kmer, tiny_lstmatt

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.genomics.scanning import (
    CALL_COLUMNS,
    DEFAULT_WINDOW,
    WindowScores,
    default_window,
    iter_window_scores,
    merge_calls,
    scan,
    window_starts,
)
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.io.genome import RegionWarning
from enhancer_sk.sequence.alphabet import reverse_complement
from enhancer_sk.sequence.encoders import OneHotEncoder

WINDOW = SCAN_CNN["window"]  # 64


def _random(n: int, seed: int) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


@pytest.fixture(scope="module")
def training():
    X, y = make_synthetic_enhancers(80, (60, 100), random_state=0)
    return X, y


@pytest.fixture(scope="module")
def cnn(training):
    """A tiny fitted DeepEnhancerCNN, non-trivial batch-norm statistics (folding them matters), spread scores."""
    X, y = training
    model = tiny_deepenhancer(**SCAN_CNN).fit(X, y)
    gen = torch.Generator().manual_seed(0)
    for m in model.module_.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-1, 1, generator=gen)
            m.running_var.uniform_(0.5, 2, generator=gen)
    with torch.no_grad():
        model.module_.dense[-1].weight.mul_(30)  # logits of several units, so scores differ visibly
    return model


@pytest.fixture(scope="module")
def kmer(training):
    X, y = training
    return tiny_kmer().fit(X, y)


def _blocks(model, fasta, **kw):
    kw.setdefault("threads", 1)
    blocks = list(iter_window_scores(model, fasta, **kw))
    if not blocks:
        return [], np.empty(0, int), np.empty(0, int), np.empty(0)
    return ([b.source for b in blocks for _ in b.start], np.concatenate([b.start for b in blocks]),
            np.concatenate([b.end for b in blocks]), np.concatenate([b.score for b in blocks]))


def _read_table(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if not line.startswith(("track", "#"))]


# ----------------------------------------------------------------------------- coordinates


def test_window_starts_cover_the_chromosome_end_exactly():
    assert window_starts(0, 1000, 300, 200, last=True).tolist() == [0, 200, 400, 600, 700]
    assert window_starts(0, 1000, 300, 100, last=True).tolist() == list(range(0, 701, 100))  # 700 is on the grid
    assert window_starts(0, 299, 300, 50, last=True).size == 0
    assert window_starts(0, 300, 300, 50, last=True).tolist() == [0]
    # a chunk that is not the last owns only grid windows that fit in it
    assert window_starts(150, 400, 100, 100, last=False).tolist() == [200, 300, 400]


def test_scan_coordinates_at_chromosome_ends(tmp_path, cnn):
    seqs = [_random(1003, 1), _random(WINDOW, 2), _random(WINDOW - 1, 3)]
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["chrA", "chrB", "chrC"], seqs, width=60)
    summary = scan(cnn, fasta, bedgraph=tmp_path / "s.bedgraph", step=8, threads=1)
    rows = _read_table(tmp_path / "s.bedgraph")
    a = [(int(r[1]), int(r[2])) for r in rows if r[0] == "chrA"]
    assert a[0] == (0, WINDOW) and a[-1] == (1003 - WINDOW, 1003)
    assert [s for s, _ in a[:-1]] == list(range(0, 1003 - WINDOW + 1, 8))  # the grid, then the flush window
    assert [(int(r[1]), int(r[2])) for r in rows if r[0] == "chrB"] == [(0, WINDOW)]
    assert summary.short == ["chrC"] and summary.sequences == 3
    assert summary.windows == len(rows) and summary.bases == sum(map(len, seqs))
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically


@pytest.mark.parametrize("chunk_size", [WINDOW + 16, 333, 777])
def test_chunking_does_not_change_the_windows_or_scores(tmp_path, cnn, chunk_size):
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["x", "y"], [_random(2000, 4), _random(333, 5)])
    ref = _blocks(cnn, fasta, step=12, chunk_size=1_000_000)
    got = _blocks(cnn, fasta, step=12, chunk_size=chunk_size)
    assert got[0] == ref[0]
    np.testing.assert_array_equal(got[1], ref[1])
    np.testing.assert_allclose(got[3], ref[3], rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- scores


@pytest.mark.parametrize("reverse_complement", [False, True])
def test_shared_convolutions_equal_window_by_window_scores(tmp_path, cnn, reverse_complement):
    seq = _random(1500, 6)
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["chr"], [seq])
    for step in (4, 6):  # a multiple of the pooling strides, and not
        _, starts, _, fast = _blocks(cnn, fasta, step=step, average_strands=reverse_complement, batch_size=50)
        _, starts2, _, slow = _blocks(cnn, fasta, step=step, average_strands=reverse_complement,
                                      share_convolutions=False)
        np.testing.assert_array_equal(starts, starts2)
        np.testing.assert_allclose(fast, slow, atol=1e-5, rtol=0)
        windows = [seq[s : s + WINDOW] for s in starts]
        p = cnn.predict_proba(windows)[:, 1]
        if reverse_complement:
            p = (p + cnn.predict_proba(reverse_complement_strings(windows))[:, 1]) / 2
        np.testing.assert_allclose(fast, p, atol=1e-5, rtol=0)
    assert np.ptp(fast) > 1e-3  # the scores are not all equal


def reverse_complement_strings(seqs):
    return list(reverse_complement(np.asarray(seqs, dtype=object)))


def test_n_rich_windows_are_skipped(tmp_path, kmer):
    seq = _random(200, 7) + "N" * 300 + _random(200, 8)
    fasta = tmp_path / "n.fa.gz"  # gzip input too
    write_fasta(fasta, ["chr", "gap"], [seq, "N" * 500])
    _, starts, _, scores = _blocks(kmer, fasta, window=50, step=10, max_n_fraction=0.1)
    n_count = np.array([seq[s : s + 50].count("N") for s in starts])
    assert (n_count <= 5).all()
    expected = [s for s in range(0, 651, 10) if seq[s : s + 50].count("N") <= 5]
    assert starts.tolist() == expected
    summary = scan(kmer, fasta, window=50, step=10, max_n_fraction=0.1, threads=1)
    assert summary.skipped_n == 66 - len(expected) + 46 and summary.windows == len(expected)
    _, all_starts, _, _ = _blocks(kmer, fasta, window=50, step=10, max_n_fraction=1.0)
    assert len(all_starts) == 66 + 46


@pytest.mark.parametrize("name", ["cnn", "kmer", "lstmatt", "gkm", "pipeline"])
def test_every_estimator_scans_with_its_own_window(request, tmp_path, training, name):
    X, y = training
    if name in ("cnn", "kmer"):
        model = request.getfixturevalue(name)
        expected_window = WINDOW if name == "cnn" else DEFAULT_WINDOW
    elif name == "lstmatt":
        from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier

        # the tiny network, trained as this test always did: one epoch at the estimator's lr and batch size
        model = tiny_lstmatt(max_epochs=1, train_split=None,
                             **default_params(EnhancerLSTMAttClassifier, "lr", "batch_size")).fit(X, y)
        expected_window = 40
    elif name == "gkm":
        model = tiny_gkm(probability=True, random_state=0).fit(X, y)
        expected_window = DEFAULT_WINDOW
    else:
        model = make_pipeline(OneHotEncoder(length=50, flatten=True), LogisticRegression(max_iter=200)).fit(X, y)
        expected_window = 50
    assert default_window(model) == expected_window
    seq = _random(expected_window + 130, 9)
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["chr"], [seq])
    _, starts, ends, scores = _blocks(model, fasta, step=25)
    assert (ends - starts == expected_window).all() and ends[-1] == len(seq)
    expected = model.predict_proba([seq[s : s + expected_window] for s in starts])[:, 1]
    np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- regions


@pytest.fixture
def genome(tmp_path):
    seqs = {"chr1": _random(3000, 10), "chr2": _random(500, 11)}
    path = tmp_path / "genome.fa"
    write_fasta(path, list(seqs), list(seqs.values()), width=70)
    return path, seqs


def test_regions_respect_strand_and_coordinates(tmp_path, cnn, genome):
    path, seqs = genome
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t900\tplus\t0\t+\nchr1\t100\t900\tminus\t0\t-\nchr1\t1000\t1030\tshort\t0\t-\n")
    sources, starts, ends, scores = _blocks(cnn, path, regions=bed, step=8)
    sources = np.asarray(sources)
    # "+": the windows of chr1[100:900], shifted by 100
    region = seqs["chr1"][100:900]
    plain = tmp_path / "plain.fa"
    write_fasta(plain, ["p", "m"], [region, reverse_complement(region)])
    p_src, p_starts, _, p_scores = _blocks(cnn, plain, step=8)
    p_src = np.asarray(p_src)
    np.testing.assert_array_equal(starts[sources == "plus"], p_starts[p_src == "p"] + 100)
    np.testing.assert_allclose(scores[sources == "plus"], p_scores[p_src == "p"], atol=1e-6)
    # "-": windows laid on the reverse complement from the region's end; genome coordinates
    t = p_starts[p_src == "m"]
    np.testing.assert_array_equal(starts[sources == "minus"], 900 - t - WINDOW)
    np.testing.assert_array_equal(ends[sources == "minus"], 900 - t)
    np.testing.assert_allclose(scores[sources == "minus"], p_scores[p_src == "m"], atol=1e-6)
    # a region shorter than the window: one window of genome centred on it (34 extra bases, 17 upstream on "-")
    assert (starts[sources == "short"].tolist(), ends[sources == "short"].tolist()) == ([983], [1047])
    window = reverse_complement(seqs["chr1"][983:1047])
    np.testing.assert_allclose(scores[sources == "short"], cnn.predict_proba([window])[:, 1], atol=1e-6)


def test_regions_off_the_genome_are_reported_not_fatal(tmp_path, kmer, genome):
    path, seqs = genome
    bed = tmp_path / "r.bed"
    bed.write_text("chr2\t300\t700\toff_end\nchrX\t0\t300\tunknown\nchr2\t600\t900\tbeyond\nchr1\t0\t300\tok\n")
    with pytest.warns(RegionWarning, match="3 region"):
        summary = scan(kmer, path, regions=bed, bedgraph=tmp_path / "r.bedgraph", step=50, threads=1)
    assert [(p.name, p.action) for p in summary.problems] == [
        ("off_end", "clipped"), ("unknown", "skipped"), ("beyond", "skipped")]
    rows = _read_table(tmp_path / "r.bedgraph")
    chr2 = [(int(r[1]), int(r[2])) for r in rows if r[0] == "chr2"]
    assert chr2 == [(300, 500)]  # the part of off_end on chr2: one 200-bp window
    assert summary.sequences == 2


# ----------------------------------------------------------------------------- calls


def _reference_calls(rows, threshold):
    """bedtools-merge of the windows >= threshold, per chromosome, in file order."""
    calls = []
    for chrom, s, e, v in rows:
        if v < threshold:
            continue
        if calls and calls[-1][0] == chrom and s <= calls[-1][2]:
            c = calls[-1]
            c[2] = max(c[2], e)
            if v > c[3]:
                c[3], c[4] = v, s
            c[5] += 1
        else:
            calls.append([chrom, s, e, v, s, 1])
    return calls


def test_calls_merge_windows_above_the_threshold(tmp_path, cnn):
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["c1", "c2"], [_random(3000, 12), _random(800, 13)])
    _, _, _, scores = _blocks(cnn, fasta, step=16)
    threshold = float(np.quantile(scores, 0.6))
    summary = scan(cnn, fasta, bedgraph=tmp_path / "s.bg.gz", calls=tmp_path / "c.bed", step=16,
                   threshold=threshold, threads=1, chunk_size=500)
    rows = [(r[0], int(r[1]), int(r[2]), float(r[3])) for r in _read_table(tmp_path / "s.bg.gz")]
    with open(tmp_path / "c.bed") as fh:
        header = fh.readline()
    assert header.lstrip("#").split() == list(CALL_COLUMNS)
    got = _read_table(tmp_path / "c.bed")
    ref = _reference_calls(rows, threshold)
    assert len(got) == len(ref) == summary.calls > 1
    for g, r in zip(got, ref):
        assert (g[0], int(g[1]), int(g[2]), int(g[6]), int(g[7]), int(g[10])) == (
            r[0], r[1], r[2], r[4], r[4] + WINDOW, r[5])
        assert float(g[9]) == pytest.approx(r[3], rel=1e-5) and int(g[4]) == round(1000 * float(g[9]))
    assert got[0][3] == f"{got[0][0]}_1"


def test_merge_calls_splits_at_gaps_and_sequences():
    def block(source, starts, scores):
        starts = np.asarray(starts)
        return WindowScores(source, "chr", ".", starts, starts + 10, np.asarray(scores, dtype=float))

    calls = list(merge_calls([block("a", [0, 5, 10], [0.9, 0.2, 0.6]), block("a", [15, 30], [0.7, 0.8]),
                              block("b", [0], [0.95])], threshold=0.5))
    assert [(c.name, c.start, c.end, c.best_start, c.max_score, c.n_windows) for c in calls] == [
        ("a_1", 0, 25, 0, 0.9, 3), ("a_2", 30, 40, 30, 0.8, 1), ("b_1", 0, 10, 0, 0.95, 1)]


def test_scan_parameter_errors(tmp_path, kmer):
    fasta = tmp_path / "g.fa"
    write_fasta(fasta, ["chr"], ["ACGT" * 100])
    for kw, match in (({"step": 0}, "step"), ({"chunk_size": 10, "window": 50}, "chunk_size"),
                      ({"max_n_fraction": 2}, "max_n_fraction"), ({"threshold": 1.5}, "threshold"),
                      ({"share_convolutions": True}, "share_convolutions")):
        with pytest.raises(ValueError, match=match):
            scan(kmer, fasta, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scan(kmer, fasta, window=50, step=50).windows == 8


def test_a_failed_scan_leaves_no_output(tmp_path, kmer):
    from enhancer_sk.exceptions import InvalidCharacterError

    fasta = tmp_path / "bad.fa"
    fasta.write_text(">ok\n" + "ACGT" * 100 + "\n>bad\nACGTXACGT\n")
    (tmp_path / "old.bed").write_text("previous\n")
    with pytest.raises(InvalidCharacterError, match="record 'bad'.*'X' at position 5"):
        scan(kmer, fasta, bedgraph=tmp_path / "s.bedgraph", calls=tmp_path / "old.bed", window=50, threads=1)
    assert not (tmp_path / "s.bedgraph").exists() and (tmp_path / "old.bed").read_text() == "previous\n"
    assert not list(tmp_path.glob(".*tmp*"))
