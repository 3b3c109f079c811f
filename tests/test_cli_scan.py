"""Tests of ``enhancer-sk scan`` and ``enhancer-sk variants`` (enhancer_sk.commands.scan / .variants)."""

from __future__ import annotations

import numpy as np
import pytest
from tiny import tiny_kmer

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.genomics.scanning import scan
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.model_files._persist import save


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    d = tmp_path_factory.mktemp("scan_cli")
    X, y = make_synthetic_enhancers(80, (60, 100), random_state=0)
    model = tiny_kmer().fit(X, y)
    save(model, d / "kmer.eskm")
    rng = np.random.default_rng(0)
    chroms = {"chr1": "".join(rng.choice(list("ACGT"), 1500)), "chr2": "".join(rng.choice(list("ACGT"), 420))}
    write_fasta(d / "genome.fa", list(chroms), list(chroms.values()), width=60)
    return d, model, chroms


def test_scan_command_writes_the_library_outputs(tmp_path, bundle, capsys):
    d, model, _ = bundle
    args = ["--fasta", str(d / "genome.fa"), "--window", "100", "--step", "25", "--threshold", "0.4", "--threads", "1"]
    assert main(["scan", "-m", str(d / "kmer.eskm"), *args, "--bedgraph", str(tmp_path / "s.bedgraph"),
                 "--calls", str(tmp_path / "c.bed"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 sequence(s)" in out and "windows of 100 bp" in out
    scan(model, d / "genome.fa", bedgraph=tmp_path / "ref.bedgraph", calls=tmp_path / "ref.bed", window=100,
         step=25, threshold=0.4, threads=1)
    assert (tmp_path / "s.bedgraph").read_text() == (tmp_path / "ref.bedgraph").read_text()
    assert (tmp_path / "c.bed").read_text() == (tmp_path / "ref.bed").read_text()


def test_scan_command_regions_and_errors(tmp_path, bundle, capsys):
    d, _, _ = bundle
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t600\tr1\t0\t-\nchr2\t300\t900\tr2\t0\t+\n")
    assert main(["scan", "-m", str(d / "kmer.eskm"), "--fasta", str(d / "genome.fa"), "--regions", str(bed),
                 "--window", "100", "--calls", str(tmp_path / "c.bed"), "--threads", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "r2 (chr2:300-900): runs off the end of chr2 (length 420); clipped" in err
    assert main(["scan", "-m", str(d / "kmer.eskm"), "--fasta", str(d / "genome.fa")]) == 2
    assert "at least one output" in capsys.readouterr().err
    assert main(["scan", "-m", str(d / "kmer.eskm"), "--fasta", str(d / "genome.fa"), "--step", "0",
                 "--calls", str(tmp_path / "x.bed")]) == 2
    assert "step must be a positive integer" in capsys.readouterr().err and not (tmp_path / "x.bed").exists()


def test_variants_command(tmp_path, bundle, capsys):
    pytest.importorskip("pysam", reason="pysam is not installed (extra 'variants')")
    d, model, chroms = bundle
    c = chroms["chr1"]
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1500>\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                   f"chr1\t500\tsnv\t{c[499]}\t{other[c[499]]}\t.\t.\t.\n"
                   f"chr1\t700\tbad\t{other[c[699]]}\t{c[699]}\t.\t.\t.\n")
    assert main(["variants", "-m", str(d / "kmer.eskm"), "--vcf", str(vcf), "--genome", str(d / "genome.fa"),
                 "-o", str(tmp_path / "e.tsv"), "--vcf-output", str(tmp_path / "e.vcf.gz"), "--window", "100",
                 "--threads", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "2 allele(s)" in captured.out and "1 ok" in captured.out and "1 ref_mismatch" in captured.out
    assert "not scored (status ref_mismatch)" in captured.err
    rows = [line.split("\t") for line in (tmp_path / "e.tsv").read_text().splitlines()]
    assert [r[9] for r in rows[1:]] == ["ok", "ref_mismatch"]
    left = c[450:499]
    ref_win, alt_win = left + c[499] + c[500:550], left + other[c[499]] + c[500:550]
    p_ref, p_alt = model.predict_proba([ref_win, alt_win])[:, 1]
    assert float(rows[1][5]) == pytest.approx(p_ref, rel=1e-5) and float(rows[1][6]) == pytest.approx(p_alt, rel=1e-5)
    assert (tmp_path / "e.vcf.gz").exists()


# ----------------------------------------------------------------------------- models without probabilities


@pytest.fixture(scope="module")
def lsgkm_file(tmp_path_factory):
    """A tiny GkmSVM written as an LS-GKM model file (read back: no probabilities), and the model."""
    from tiny import tiny_gkm

    X, y = make_synthetic_enhancers(80, (60, 100), random_state=1)
    model = tiny_gkm().fit(X, y)
    path = tmp_path_factory.mktemp("scan_lsgkm") / "tiny.model.txt"
    model.to_lsgkm(path)
    return path, model


def _bedgraph(path) -> tuple[str, list[tuple[str, int, int, float]]]:
    lines = path.read_text().splitlines()
    return lines[0], [(c, int(s), int(e), float(v)) for c, s, e, v in (line.split("\t") for line in lines[1:])]


def test_scan_lsgkm_model_scores_decision_values(tmp_path, bundle, lsgkm_file, capsys):
    d, _, chroms = bundle
    path, model = lsgkm_file
    assert main(["scan", "-m", str(path), "--fasta", str(d / "genome.fa"), "--window", "100", "--step", "25",
                 "--bedgraph", str(tmp_path / "s.bedgraph"), "--calls", str(tmp_path / "c.bed"), "--threads", "1",
                 "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "LS-GKM model file (gkm_esttrunc)" in err and "scanning decision values (threshold default 0)" in err
    track, rows = _bedgraph(tmp_path / "s.bedgraph")
    assert track.endswith('description="window 100 bp, step 25, decision values"')
    want = model.decision_function([chroms[c][s:e] for c, s, e, _ in rows])
    np.testing.assert_allclose([v for *_, v in rows], want, rtol=1e-5, atol=1e-6)  # written with 6 digits
    assert (want < 0).any() and (want > 0).any()
    # calls: the windows with a decision value >= 0, merged (the library's scan with decision=True)
    scan(model, d / "genome.fa", calls=tmp_path / "ref.bed", window=100, step=25, threads=1, decision=True)
    assert (tmp_path / "c.bed").read_text() == (tmp_path / "ref.bed").read_text()
    calls = [line.split("\t") for line in (tmp_path / "c.bed").read_text().splitlines()[1:]]
    assert calls and all(float(c[9]) >= 0 for c in calls)
    assert sum(int(c[10]) for c in calls) == int((want >= 0).sum())
    # any decision value is a threshold (here beyond the probabilities' [0, 1])
    assert main(["scan", "-m", str(path), "--fasta", str(d / "genome.fa"), "--window", "100", "--step", "25",
                 "--threshold", "-0.5", "--calls", str(tmp_path / "low.bed"), "--threads", "1", "--quiet"]) == 0
    low = [line.split("\t") for line in (tmp_path / "low.bed").read_text().splitlines()[1:]]
    assert sum(int(c[10]) for c in low) == int((want >= -0.5).sum())


def test_scan_decision_flag_and_strands_with_a_probability_model(tmp_path, bundle):
    d, model, chroms = bundle
    assert main(["scan", "-m", str(d / "kmer.eskm"), "--fasta", str(d / "genome.fa"), "--window", "100",
                 "--step", "50", "--decision", "--average-strands", "--bedgraph", str(tmp_path / "s.bedgraph"),
                 "--threads", "1", "--quiet"]) == 0
    _, rows = _bedgraph(tmp_path / "s.bedgraph")
    from enhancer_sk.sequence.alphabet import reverse_complement

    windows = [chroms[c][s:e] for c, s, e, _ in rows]
    want = (model.decision_function(windows) + model.decision_function([reverse_complement(w) for w in windows])) / 2
    np.testing.assert_allclose([v for *_, v in rows], want, rtol=1e-5, atol=1e-6)


def test_scan_threshold_and_decision_errors(tmp_path, bundle, lsgkm_file, capsys):
    from enhancer_sk.genomics.scanning import WindowScorer
    from enhancer_sk.model_files import load

    d, model, _ = bundle
    out = ["--fasta", str(d / "genome.fa"), "--window", "100", "--calls", str(tmp_path / "c.bed"), "--quiet"]
    assert main(["scan", "-m", str(d / "kmer.eskm"), *out, "--threshold", "1.5"]) == 2
    assert "threshold must lie in [0, 1] (a probability)" in capsys.readouterr().err
    assert not (tmp_path / "c.bed").exists()
    # the library: a model without probabilities needs decision=True, and says so
    lsgkm = load(lsgkm_file[0])
    with pytest.raises(TypeError, match="no predict_proba .*LS-GKM model file.*pass decision=True"):
        scan(lsgkm, d / "genome.fa", calls=tmp_path / "c.bed", window=100)
    with pytest.raises(ValueError, match="finite decision value"):
        scan(lsgkm, d / "genome.fa", calls=tmp_path / "c.bed", window=100, decision=True, threshold=float("nan"))
    assert not (tmp_path / "c.bed").exists()
    with pytest.raises(ValueError, match="share_convolutions=True needs a DeepEnhancerCNN"):
        WindowScorer(model, 100, share_convolutions=True, decision=True)


def test_scan_decision_refuses_a_two_layer_model(tmp_path, bundle, capsys):
    from tiny import tiny_two_layer

    d, _, _ = bundle
    X, y = make_synthetic_enhancers(90, 80, grades=True, random_state=2)
    y = np.asarray(["non", "weak", "strong"], dtype=object)[y]
    save(tiny_two_layer().fit(X, y), tmp_path / "two.eskm")
    assert main(["scan", "-m", str(tmp_path / "two.eskm"), "--fasta", str(d / "genome.fa"), "--window", "80",
                 "--decision", "--calls", str(tmp_path / "c.bed"), "--quiet"]) == 2
    assert "has no single decision value: --decision needs a binary classifier" in capsys.readouterr().err


def test_motifs_refuses_an_lsgkm_model_with_a_hint(tmp_path, lsgkm_file, capsys):
    assert main(["motifs", "-m", str(lsgkm_file[0]), "--outdir", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "is an LS-GKM model file (a gkm-SVM): motifs reads the first-layer kernels" in err
    assert "enhancer-sk export --deltasvm" in err
