"""Genome scans called by false discovery rate: conformal p-values against background, Benjamini-Hochberg."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.evaluation.conformal import benjamini_hochberg, conformal_pvalues
from enhancer_sk.genomics.scanning import scan
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.model_files._persist import save
from enhancer_sk.sequence.encoders import KmerSpectrum

WINDOW = 200
#: the generator's settings for training data, genomes and background alike
DATA = {"motifs_per_sequence": 4, "enhancer_gc": 0.55}


def _pool(n: int, seed: int):
    X, y = make_synthetic_enhancers(n, WINDOW, random_state=seed, **DATA)
    return X[y == 0], X[y == 1]


def _genome(path, seed: int, n_chroms: int = 3, blocks: int = 200, enhancer_rate: float = 0.1):
    """Chromosomes of 200-bp generated blocks, about ``enhancer_rate`` of them enhancers; their intervals."""
    rng = np.random.default_rng(seed)
    background, enhancers = _pool(4 * n_chroms * blocks, seed)
    names, seqs, planted = [], [], []
    b = e = 0
    for c in range(n_chroms):
        parts = []
        for i in range(blocks):
            if rng.uniform() < enhancer_rate:
                parts.append(enhancers[e])
                planted.append((f"chr{c + 1}", i * WINDOW, (i + 1) * WINDOW))
                e += 1
            else:
                parts.append(background[b])
                b += 1
        names.append(f"chr{c + 1}")
        seqs.append("".join(parts))
    write_fasta(path, names, seqs, width=60)
    return planted


def _background(path, seed: int, n: int = 2000):
    background, _ = _pool(2 * n + 200, seed)
    write_fasta(path, [f"neg{i}" for i in range(n)], list(background[:n]))


def _read_rows(path):
    return [line.rstrip("\n").split("\t") for line in open(path) if not line.startswith(("#", "track"))]


def _overlaps(chrom, start, end, planted) -> bool:
    return any(c == chrom and s < end and start < e for c, s, e in planted)


@pytest.fixture(scope="module")
def model():
    X, y = make_synthetic_enhancers(2000, WINDOW, random_state=0, **DATA)
    return make_pipeline(KmerSpectrum(k=3), LogisticRegression(max_iter=500)).fit(X, y)


@pytest.mark.parametrize("step", [WINDOW, WINDOW // 2])
def test_scan_fdr_controls_false_discoveries(tmp_path, model, step):
    """Generated genomes with planted enhancers: mean observed FDR <= 0.05 over 20 genomes.

    BH controls the FDR of windows (a window is a true call when it overlaps a planted enhancer).  With
    non-overlapping windows (step = window) the merged calls keep it too; with overlapping windows, the true
    windows of one enhancer merge into one call while false windows stay alone, so the FDR of merged calls
    can exceed that of windows: it is only bounded loosely here.
    """
    window_fdp, call_fdp, power = [], [], []
    for rep in range(20):
        planted = _genome(tmp_path / "genome.fa", seed=100 + rep)
        _background(tmp_path / "bg.fa", seed=1000 + rep)
        summary = scan(model, tmp_path / "genome.fa", fdr=0.05, background=tmp_path / "bg.fa", window=WINDOW,
                       step=step, threads=1, bedgraph=tmp_path / "s.bedgraph", calls=tmp_path / "c.bed",
                       pvalues=tmp_path / "p.bedgraph")
        assert summary.fdr == 0.05 and summary.background_windows == 2000
        windows = _read_rows(tmp_path / "s.bedgraph")
        pvals = _read_rows(tmp_path / "p.bedgraph")
        assert [w[:3] for w in windows] == [p[:3] for p in pvals]
        called = np.array([float(w[3]) >= summary.score_cutoff for w in windows])
        true = np.array([_overlaps(w[0], int(w[1]), int(w[2]), planted) for w in windows])
        window_fdp.append((called & ~true).sum() / max(called.sum(), 1))
        calls = _read_rows(tmp_path / "c.bed")
        assert len(calls) == summary.calls
        false_calls = sum(not _overlaps(c[0], int(c[1]), int(c[2]), planted) for c in calls)
        call_fdp.append(false_calls / max(len(calls), 1))
        found = sum(any(c[0] == chrom and int(c[1]) < e and s < int(c[2]) for c in calls) for chrom, s, e in planted)
        power.append(found / len(planted))
    print(f"step {step}: mean FDP windows {np.mean(window_fdp):.4f}, calls {np.mean(call_fdp):.4f}; "
          f"planted enhancers found {np.mean(power):.3f}")
    assert np.mean(window_fdp) <= 0.05
    assert np.mean(call_fdp) <= (0.05 if step == WINDOW else 0.1)
    assert np.mean(power) > 0.2


def test_scan_fdr_matches_benjamini_hochberg(tmp_path, model):
    """The calls are the windows BH rejects on the p-values written, merged; the p-values are conformal."""
    _genome(tmp_path / "genome.fa", seed=7, n_chroms=1)
    _background(tmp_path / "bg.fa", seed=8, n=500)
    bg_seqs = [line.strip() for line in open(tmp_path / "bg.fa") if not line.startswith(">")]
    summary = scan(model, tmp_path / "genome.fa", fdr=0.1, background=tmp_path / "bg.fa", window=WINDOW,
                   step=WINDOW, threads=1, bedgraph=tmp_path / "s.bedgraph", pvalues=tmp_path / "p.bedgraph")
    scores = np.array([float(r[3]) for r in _read_rows(tmp_path / "s.bedgraph")])
    p = np.array([float(r[3]) for r in _read_rows(tmp_path / "p.bedgraph")])
    np.testing.assert_allclose(p, conformal_pvalues(model.predict_proba(bg_seqs)[:, 1], None, scores), rtol=1e-5,
                               atol=1e-6)
    rejected = benjamini_hochberg(p, 0.1)
    assert rejected.any()
    np.testing.assert_array_equal(rejected, scores >= summary.score_cutoff)
    assert "at FDR 0.1" in str(summary)
    # background given as strings: the same calls
    again = scan(model, tmp_path / "genome.fa", fdr=0.1, background=bg_seqs, window=WINDOW, step=WINDOW, threads=1)
    assert again.score_cutoff == summary.score_cutoff and again.calls == summary.calls


def test_scan_fdr_errors(tmp_path, model):
    _genome(tmp_path / "genome.fa", seed=9, n_chroms=1, blocks=5)
    fa = tmp_path / "genome.fa"
    with pytest.raises(ValueError, match="not both"):
        scan(model, fa, fdr=0.05, threshold=0.5, background=["ACGT" * 50])
    with pytest.raises(ValueError, match="needs background"):
        scan(model, fa, fdr=0.05)
    with pytest.raises(ValueError, match=r"fdr must be a number in \(0, 1\)"):
        scan(model, fa, fdr=1.5, background=["ACGT" * 50])
    with pytest.raises(ValueError, match="go with fdr"):
        scan(model, fa, background=["ACGT" * 50])
    with pytest.raises(ValueError, match="no background window"):
        scan(model, fa, fdr=0.05, background=["ACGT"], window=WINDOW, threads=1)


def test_scan_command_fdr(tmp_path, model, capsys):
    save(model, tmp_path / "m.eskm")
    _genome(tmp_path / "genome.fa", seed=11)
    _background(tmp_path / "bg.fa", seed=12)
    common = ["scan", "-m", str(tmp_path / "m.eskm"), "--fasta", str(tmp_path / "genome.fa"), "--window", "200",
              "--step", "100", "--threads", "1", "--quiet"]
    assert main([*common, "--fdr", "0.05", "--background", str(tmp_path / "bg.fa"), "--calls",
                 str(tmp_path / "c.bed"), "--pvalues", str(tmp_path / "p.bedgraph")]) == 0
    out = capsys.readouterr().out
    assert "at FDR 0.05" in out and "2,000 background windows" in out
    scan(model, tmp_path / "genome.fa", fdr=0.05, background=tmp_path / "bg.fa", window=200, step=100, threads=1,
         calls=tmp_path / "ref.bed", pvalues=tmp_path / "ref.bedgraph")
    assert (tmp_path / "c.bed").read_text() == (tmp_path / "ref.bed").read_text()
    assert (tmp_path / "p.bedgraph").read_text() == (tmp_path / "ref.bedgraph").read_text()
    assert main([*common, "--fdr", "0.05", "--calls", str(tmp_path / "x.bed")]) == 2
    assert "--fdr needs --background" in capsys.readouterr().err
    assert main([*common, "--fdr", "0.05", "--threshold", "0.5", "--background", str(tmp_path / "bg.fa"),
                 "--calls", str(tmp_path / "x.bed")]) == 2
    assert "not both" in capsys.readouterr().err
    assert main([*common, "--background", str(tmp_path / "bg.fa"), "--calls", str(tmp_path / "x.bed")]) == 2
    assert "go with --fdr" in capsys.readouterr().err and not (tmp_path / "x.bed").exists()
