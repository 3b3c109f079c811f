"""Tests of ``enhancer-sk explain`` (enhancer_sk.cli.explain) on the project's Galaxy test data."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from enhancer_sk.cli import main
from enhancer_sk.interpret.attribution import attribute, model_scores
from enhancer_sk.io.fasta import read_fasta
from enhancer_sk.io.genome import fetch_regions
from enhancer_sk.model_files import load

DATA = Path(__file__).resolve().parents[1] / "test-data"


def _read_tsv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _fails(argv, capsys, *, expect: str) -> None:
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith("enhancer-sk explain: error: ") and expect in err[-1], err


def test_kmer_model_fasta_every_output(tmp_path, capsys):
    out = {n: tmp_path / n for n in ("a.npz", "s.tsv", "logos.png", "motifs.tsv", "m.meme", "r.html")}
    argv = ["explain", "-m", str(DATA / "kmer_model.safetensors"), "--fasta", str(DATA / "query.fa"),
            "--top", "2", "--threads", "1", "--quiet", "--attributions", str(out["a.npz"]),
            "--scores", str(out["s.tsv"]), "--logos", str(out["logos.png"]), "--motif-table", str(out["motifs.tsv"]),
            "--meme", str(out["m.meme"]), "--html", str(out["r.html"])]
    assert main(argv) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("[explain] 20 sequences explained by ism (KmerSVM)")
    ids, X = read_fasta(DATA / "query.fa")
    lengths = np.array([len(s) for s in X])
    with np.load(out["a.npz"]) as npz:
        attributions = npz["attributions"]
        assert attributions.dtype == np.float32 and attributions.shape == (20, 4, lengths.max())
        assert npz["ids"].tolist() == list(ids) and npz["lengths"].tolist() == lengths.tolist()
        assert str(npz["method"]) == "ism"
        scores = npz["scores"]
    model = load(DATA / "kmer_model.safetensors")
    np.testing.assert_allclose(scores, model_scores(model, X), rtol=1e-6)
    np.testing.assert_allclose(attributions, attribute(model, X, "ism", threads=1), atol=1e-6)
    for i, (seq, length) in enumerate(zip(X, lengths)):
        assert not attributions[i, :, length:].any()  # padding
        n_positions = [j for j, base in enumerate(seq.upper()) if base not in "ACGT"]
        assert not attributions[i][:, n_positions].any()  # N bases contribute nothing
    rows = _read_tsv(out["s.tsv"])
    assert [r["id"] for r in rows] == list(ids)
    np.testing.assert_allclose([float(r["contribution_sum"]) for r in rows], attributions.sum(axis=(1, 2)), rtol=1e-4,
                               atol=1e-6)
    for r in rows:
        assert 1 <= int(r["top_window_start"]) <= int(r["top_window_end"]) <= int(r["length"])
    assert out["logos.png"].read_bytes().startswith(b"\x89PNG")
    assert _read_tsv(out["motifs.tsv"]) == [] or "best_match" in _read_tsv(out["motifs.tsv"])[0]
    assert out["motifs.tsv"].read_text().startswith("motif\t")
    assert "MEME version" in out["m.meme"].read_text()
    html = out["r.html"].read_text()
    assert "in-silico saturation mutagenesis" in html and "data:image/png;base64," in html


@pytest.fixture()
def genome(tmp_path) -> Path:
    """A copy of the test genome (its FASTA index is written beside it, not into test-data)."""
    path = tmp_path / "genome" / "genome.fa"
    path.parent.mkdir()
    shutil.copy(DATA / "genome.fa", path)
    return path


def test_gkm_regions_bigwig(tmp_path, genome, capsys):
    pyBigWig = pytest.importorskip("pyBigWig")
    bw, npz = tmp_path / "c.bw", tmp_path / "a.npz"
    assert main(["explain", "-m", str(DATA / "gkm_model.safetensors"), "--regions", str(DATA / "regions_on_genome.bed"),
                 "--genome", str(genome), "--threads", "1", "--quiet", "--bigwig", str(bw),
                 "--attributions", str(npz)]) == 0
    assert "explained by gkmexplain (GkmSVM)" in capsys.readouterr().err
    ids, X = fetch_regions(genome, DATA / "regions_on_genome.bed")
    with np.load(npz) as data:
        importance = data["attributions"].sum(axis=1)
    track = pyBigWig.open(str(bw))
    try:
        assert track.chroms() == {"chr1": 6000, "chr2": 3000}
        plus = np.array(track.values("chr1", 900, 1300))
        np.testing.assert_allclose(plus, importance[0, :400], rtol=1e-5, atol=1e-6)
        minus = np.array(track.values("chr1", 2900, 3300))  # strand -: back to genome order
        np.testing.assert_allclose(minus, importance[1, :400][::-1], rtol=1e-5, atol=1e-6)
    finally:
        track.close()


def test_two_layer_model_needs_a_layer(tmp_path, capsys):
    scores = tmp_path / "s.tsv"
    base = ["explain", "-m", str(DATA / "two_layer_model.safetensors"), "--fasta", str(DATA / "query.fa"),
            "--threads", "1", "--quiet", "--scores", str(scores)]
    _fails(base, capsys, expect="layer")
    assert not scores.exists()
    assert main([*base, "--layer", "2"]) == 0
    assert len(_read_tsv(scores)) == 20


def test_errors_leave_no_output(tmp_path, genome, capsys):
    outputs = ["--scores", str(tmp_path / "s.tsv"), "--html", str(tmp_path / "r.html"),
               "--attributions", str(tmp_path / "a.npz")]
    kmer = ["-m", str(DATA / "kmer_model.safetensors")]
    _fails(["explain", *kmer, "--fasta", str(DATA / "query.fa"), "--method", "gkmexplain", *outputs], capsys,
           expect="--method gkmexplain does not apply to KmerSVM; it supports ism")
    _fails(["explain", "-m", str(DATA / "gkm_model.safetensors"), "--regions", str(DATA / "regions.bed"),
            "--genome", str(genome), *outputs], capsys, expect="off_the_end")
    (tmp_path / "empty.fa").write_text("")
    _fails(["explain", *kmer, "--fasta", str(tmp_path / "empty.fa"), *outputs], capsys, expect="empty.fa")
    with gzip.open(tmp_path / "bad.fa.gz", "wt") as fh:
        fh.write(">ok\nACGTACGTAC\n>prot\nMKVLQE\n")
    _fails(["explain", *kmer, "--fasta", str(tmp_path / "bad.fa.gz"), *outputs], capsys, expect="'prot'")
    _fails(["explain", *kmer, "--fasta", str(DATA / "query.fa"), "--bigwig", str(tmp_path / "c.bw")], capsys,
           expect="--bigwig writes genome coordinates")
    _fails(["explain", *kmer, "--fasta", str(DATA / "query.fa"), "--regions", str(DATA / "regions.bed")], capsys,
           expect="give the sequences with --fasta, or genome regions")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.fa.gz", "empty.fa", "genome"]
