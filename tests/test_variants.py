"""Variant effects: SNVs, indels, reference mismatches and other statuses; TSV and VCF output."""

from __future__ import annotations

import numpy as np
import pytest

pysam = pytest.importorskip("pysam", reason="pysam is not installed (extra 'variants': pip install "
                                            "'enhancer_sk[variants]')")

from tiny import SCAN_CNN, default_params, tiny_deepenhancer, tiny_kmer  # noqa: E402

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.genomics.variants import INFO_FIELDS, TSV_COLUMNS, score_variants  # noqa: E402
from enhancer_sk.io.fasta import write_fasta  # noqa: E402
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN  # noqa: E402

W = 50


@pytest.fixture(scope="module")
def model():
    X, y = make_synthetic_enhancers(80, (60, 100), random_state=0)
    return tiny_kmer().fit(X, y)


@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(3)
    chrom = "".join(rng.choice(list("ACGT"), 400))
    path = tmp_path / "genome.fa"
    write_fasta(path, ["chr1"], [chrom], width=60)
    return path, chrom


def _vcf(tmp_path, chrom: str):
    """Records: (POS, REF, ALT) with POS 1-based; REF taken from the genome unless a mismatch is wanted."""
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    rows = [
        ("chr1", 101, "rs_snv", chrom[100], other[chrom[100]]),  # SNV
        ("chr1", 151, ".", chrom[150], f"{other[chrom[150]]},{other[other[chrom[150]]]}"),  # two ALTs
        ("chr1", 201, "del", chrom[200:204], chrom[200]),  # 3-bp deletion
        ("chr1", 251, "ins", chrom[250], chrom[250] + "GATTACA"),  # 7-bp insertion
        ("chr1", 301, "mismatch", other[chrom[300]], chrom[300]),  # REF differs from the genome
        ("chr1", 5, "edge", chrom[4], other[chrom[4]]),  # window padded with N on the left
        ("chr1", 311, "sym", chrom[310], "<DEL>"),
        ("chr1", 399, "off", chrom[398:400] + "A", "A"),  # REF runs off the chromosome
        ("chrUn", 10, "unknown", "A", "G"),
    ]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr1,length=400>", "##contig=<ID=chrUn,length=100>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t." for c, p, i, r, a in rows]
    path = tmp_path / "calls.vcf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _centred(chrom: str, start: int, ref_len: int, allele: str) -> str:
    """Independent construction: the genome (N beyond its ends) with allele in place, centred, W long."""
    padded = "N" * W + chrom + "N" * W
    left = (W - len(allele)) // 2
    s = start + W  # in padded coordinates
    return padded[s - left : s] + allele + padded[s + ref_len : s + ref_len + W - len(allele) - left]


def test_scores_of_snvs_indels_and_statuses(tmp_path, model, genome):
    path, chrom = genome
    vcf = _vcf(tmp_path, chrom)
    effects = score_variants(model, vcf, path, window=W, output=tmp_path / "effects.tsv",
                             vcf_output=tmp_path / "annotated.vcf.gz", threads=1, batch_size=3)
    status = {(e.id, e.alt): e.status for e in effects}
    assert [e.id for e in effects] == ["rs_snv", ".", ".", "del", "ins", "mismatch", "edge", "sym", "off", "unknown"]
    assert status[("mismatch", chrom[300])] == "ref_mismatch"
    assert status[("sym", "<DEL>")] == "symbolic"
    assert status[("off", "A")] == "off_chrom" and status[("unknown", "G")] == "unknown_chrom"
    mismatch = next(e for e in effects if e.id == "mismatch")
    assert mismatch.genome_ref == chrom[300] and np.isnan(mismatch.ref_score)
    ok = [e for e in effects if e.status == "ok"]
    assert len(ok) == 6
    for e in ok:
        start = e.pos - 1
        ref_win = _centred(chrom, start, len(e.ref), e.ref)
        alt_win = _centred(chrom, start, len(e.ref), e.alt)
        assert len(ref_win) == len(alt_win) == W
        p_ref, p_alt = model.predict_proba([ref_win, alt_win])[:, 1]
        assert e.ref_score == pytest.approx(p_ref, abs=1e-9) and e.alt_score == pytest.approx(p_alt, abs=1e-9)
        assert e.diff == pytest.approx(p_alt - p_ref, abs=1e-9)
        assert e.log_odds_ratio == pytest.approx(np.log(p_alt / (1 - p_alt)) - np.log(p_ref / (1 - p_ref)))
    assert any(abs(e.diff) > 1e-6 for e in ok)
    edge = next(e for e in ok if e.id == "edge")
    assert _centred(chrom, 4, 1, edge.ref).startswith("N" * 20)

    rows = [line.split("\t") for line in (tmp_path / "effects.tsv").read_text().splitlines()]
    assert rows[0] == list(TSV_COLUMNS) and len(rows) == 1 + len(effects)
    assert rows[6][5:10] == ["NA", "NA", "NA", "NA", "ref_mismatch"]

    with pysam.VariantFile(str(tmp_path / "annotated.vcf.gz")) as fh:
        assert {name for name, *_ in INFO_FIELDS} <= set(fh.header.info)
        records = list(fh)
    assert len(records) == 9
    two = records[1]
    assert two.info["ESK_STATUS"] == ("ok", "ok")
    assert two.info["ESK_ALT"] == pytest.approx([e.alt_score for e in effects[1:3]], rel=1e-5)
    assert two.info["ESK_REF"] == pytest.approx(effects[1].ref_score, rel=1e-5)
    assert records[4].info["ESK_STATUS"] == ("ref_mismatch",) and "ESK_ALT" not in records[4].info


def test_deepenhancer_default_window_and_errors(tmp_path, genome):
    path, chrom = genome
    X, y = make_synthetic_enhancers(60, (60, 100), random_state=0)
    cnn = tiny_deepenhancer(**SCAN_CNN, **default_params(DeepEnhancerCNN, "lr")).fit(X, y)  # at the default lr
    vcf = _vcf(tmp_path, chrom)
    effects = score_variants(cnn, vcf, path)
    snv = effects[0]
    p_ref, p_alt = cnn.predict_proba([_centred64(chrom, 100, snv.ref), _centred64(chrom, 100, snv.alt)])[:, 1]
    assert snv.ref_score == pytest.approx(p_ref, abs=1e-6) and snv.alt_score == pytest.approx(p_alt, abs=1e-6)
    with pytest.raises(FileNotFoundError, match="VCF"):
        score_variants(cnn, tmp_path / "missing.vcf", path)
    (tmp_path / "bad.vcf").write_text("not a vcf\n")
    with pytest.raises(ValueError, match="VCF"):
        score_variants(cnn, tmp_path / "bad.vcf", path)


def _centred64(chrom: str, start: int, allele: str) -> str:
    left = (64 - len(allele)) // 2
    return chrom[start - left : start] + allele + chrom[start + 1 : start + 64 - left]


# ----------------------------------------------------------------------------- deltaSVM (method="deltasvm")


def _centred_span(chrom: str, start: int, allele: str, span: int) -> str:
    """The ``span`` bases centred on a 1-base allele at ``start`` (N beyond the chromosome's ends)."""
    padded = "N" * span + chrom + "N" * span
    s = start + span
    left = (span - 1) // 2
    return padded[s - left : s] + allele + padded[s + 1 : s + span - left]


def _brute_force_deltasvm(model, ref: str, alt: str) -> float:
    l = model.l
    return sum(float(np.diff(model.decision_function([ref[i : i + l], alt[i : i + l]]))[0])
               for i in range(len(ref) - l + 1) if ref[i : i + l] != alt[i : i + l])


@pytest.mark.parametrize("probability", [True, False])
def test_deltasvm_method_scores_snvs(tmp_path, genome, probability):
    from tiny import tiny_gkm

    from enhancer_sk.genomics.variants import DELTASVM_COLUMN

    path, chrom = genome
    X, y = make_synthetic_enhancers(80, (60, 100), random_state=0)
    gkm = tiny_gkm(probability=probability, random_state=0).fit(X, y)
    vcf = _vcf(tmp_path, chrom)
    effects = score_variants(gkm, vcf, path, window=W, method="deltasvm", output=tmp_path / "d.tsv",
                             vcf_output=tmp_path / "d.vcf", threads=1, batch_size=3)
    snvs = [e for e in effects if e.status == "ok" and len(e.ref) == len(e.alt) == 1]
    assert [e.id for e in snvs] == ["rs_snv", ".", ".", "edge"]
    span = 2 * gkm.l - 1
    for e in snvs:
        ref = _centred_span(chrom, e.pos - 1, e.ref, span)
        alt = _centred_span(chrom, e.pos - 1, e.alt, span)
        assert e.deltasvm == pytest.approx(_brute_force_deltasvm(gkm, ref, alt), abs=1e-9)
    assert all(np.isnan(e.deltasvm) for e in effects if e not in snvs)  # indels and unscored alleles
    assert any(abs(e.deltasvm) > 1e-6 for e in snvs)
    if probability:  # the window columns as with the default method
        plain = score_variants(gkm, vcf, path, window=W, threads=1)
        assert [e.alt_score for e in plain] == pytest.approx([e.alt_score for e in effects], nan_ok=True)
        assert all(np.isnan(e.deltasvm) for e in plain)
    else:  # no probabilities: the window columns are NA
        assert all(np.isnan(e.ref_score) for e in effects)
    rows = [line.split("\t") for line in (tmp_path / "d.tsv").read_text().splitlines()]
    assert rows[0] == [*TSV_COLUMNS, DELTASVM_COLUMN]
    assert float(rows[1][-1]) == pytest.approx(snvs[0].deltasvm, rel=1e-5) and rows[4][-1] == "NA"
    with pysam.VariantFile(str(tmp_path / "d.vcf")) as fh:
        assert "ESK_DELTASVM" in fh.header.info
        records = list(fh)
    assert records[1].info["ESK_DELTASVM"] == pytest.approx([snvs[1].deltasvm, snvs[2].deltasvm], rel=1e-5)
    assert "ESK_DELTASVM" not in records[2].info  # the deletion


def test_deltasvm_method_errors(tmp_path, model, genome):
    path, chrom = genome
    vcf = _vcf(tmp_path, chrom)
    with pytest.raises(TypeError, match="needs a GkmSVM"):
        score_variants(model, vcf, path, window=W, method="deltasvm")
    with pytest.raises(ValueError, match="method must be one of window, deltasvm"):
        score_variants(model, vcf, path, window=W, method="delta")
    from tiny import tiny_gkm

    X, y = make_synthetic_enhancers(40, 60, random_state=0)
    with pytest.raises(TypeError, match="gives no probabilities.*use method='deltasvm'"):
        score_variants(tiny_gkm().fit(X, y), vcf, path, window=W)
