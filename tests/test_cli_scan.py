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
