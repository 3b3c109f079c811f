"""Tests of enhancer_sk.genome: BED reading and genome regions fetched through pyfaidx."""

from __future__ import annotations

import gc
import gzip
import warnings
from pathlib import Path

import numpy as np
import pytest
from tiny import tiny_deepenhancer

from enhancer_sk.exceptions import (
    BedFormatError,
    DuplicateIdError,
    EmptyInputError,
    GenomeRegionError,
    InvalidCharacterError,
    NotFastaError,
    SequenceInputError,
)
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.io.genome import BedRegions, ReferenceGenome, RegionWarning, fetch_regions, read_bed
from enhancer_sk.sequence.alphabet import reverse_complement
from enhancer_sk.sequence.encoders import one_hot_encode
from enhancer_sk.sequence.windows import SlidingWindows

SIZES = {"chr1": 3000, "chr2": 2000, "chrM": 150}


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """A random genome: (FASTA path, {chrom: normalised sequence}).

    chr1 holds a soft-masked (lower-case) stretch and IUPAC codes, to check
    normalisation; the file has 60-column lines.
    """
    rng = np.random.default_rng(7)
    raw, truth = {}, {}
    for chrom, size in SIZES.items():
        seq = "".join(rng.choice(list("ACGT"), size))
        if chrom == "chr1":
            seq = seq[:500] + seq[500:560].lower() + seq[560:700] + "RYKN" + seq[704:]
        raw[chrom] = seq
        truth[chrom] = seq.upper().translate(str.maketrans("RYK", "NNN"))
    path = tmp_path_factory.mktemp("genome") / "genome.fa"
    write_fasta(path, list(raw), list(raw.values()), width=60)
    return path, truth


def write_bed(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def strand_seq(truth: dict, chrom: str, start: int, end: int, strand: str) -> str:
    s = truth[chrom][start:end]
    return reverse_complement(s) if strand == "-" else s


# ----------------------------------------------------------------------------- read_bed


def test_read_bed_columns_headers_and_default_names(tmp_path):
    bed = write_bed(tmp_path / "r.bed", [
        "browser position chr1:1-100",
        'track name="enhancers"',
        "# a comment",
        "",
        "chr1\t10\t110",
        "chr1\t200\t300\tpeak_a",
        "chr2\t5\t105\tpeak_b\t960\t-",
        "chr2\t5\t105\t.\t0\t+",
        "chr1 400 500",  # space separated
        "chrM\t0\t50\tpeak_c\t0\t.\t12.5\t-1",  # narrowPeak-like extra columns
    ])
    regions = read_bed(bed)
    assert len(regions) == 6
    assert regions.chrom.tolist() == ["chr1", "chr1", "chr2", "chr2", "chr1", "chrM"]
    assert regions.start.tolist() == [10, 200, 5, 5, 400, 0]
    assert regions.end.tolist() == [110, 300, 105, 105, 500, 50]
    assert regions.lengths.tolist() == [100, 100, 100, 100, 100, 50]
    assert regions.name.tolist() == ["chr1:10-110", "peak_a", "peak_b", "chr2:5-105(+)", "chr1:400-500", "peak_c"]
    assert regions.strand.tolist() == [".", ".", "-", "+", ".", "."]
    assert regions.start.dtype == np.int64
    subset = regions[regions.strand == "-"]
    assert subset.name.tolist() == ["peak_b"] and subset.source == str(bed)


def test_read_bed_gzip_equals_plain(tmp_path):
    lines = ["chr1\t10\t110\ta\t0\t+", "chr2\t20\t120\tb\t0\t-"]
    plain = read_bed(write_bed(tmp_path / "r.bed", lines))
    gz = tmp_path / "r.bed.gz"
    gz.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    packed = read_bed(gz)
    for field in ("chrom", "start", "end", "name", "strand"):
        assert getattr(packed, field).tolist() == getattr(plain, field).tolist()


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        ("chr1\t10", "2 column"),
        ("chr1\tten\t110", "start 'ten' is not an integer"),
        ("chr1\t10\t1.5e2", "end '1.5e2' is not an integer"),
        ("chr1\t-5\t110", "start -5 is negative"),
        ("chr1\t110\t110", "end 110 is not after start 110"),
        ("chr1\t120\t110", "end 110 is not after start 120"),
        ("chr1\t10\t110\tx\t0\t*", "strand '*'"),
    ],
)
def test_read_bed_errors_name_file_and_line(tmp_path, bad_line, expected):
    bed = write_bed(tmp_path / "bad.bed", ["track name=x", "chr1\t0\t10\tok", bad_line])
    with pytest.raises(BedFormatError) as info:
        read_bed(bed)
    message = str(info.value)
    assert expected in message and "line 3" in message and "bad.bed" in message
    assert isinstance(info.value, SequenceInputError)


def test_read_bed_duplicate_names(tmp_path):
    bed = write_bed(tmp_path / "dup.bed", ["chr1\t0\t10\tsame", "chr1\t20\t30\tother", "chr2\t0\t10\tsame"])
    with pytest.raises(DuplicateIdError, match=r"line 3: region name 'same' is already used at line 1"):
        read_bed(bed)
    bed = write_bed(tmp_path / "dup3.bed", ["chr1\t0\t10", "chr1\t0\t10"])
    with pytest.raises(DuplicateIdError, match="'chr1:0-10'"):
        read_bed(bed)


def test_read_bed_empty_binary_and_missing(tmp_path):
    with pytest.raises(EmptyInputError, match="no region"):
        read_bed(write_bed(tmp_path / "empty.bed", ["track name=x", "# nothing"]))
    binary = tmp_path / "bin.bed"
    binary.write_bytes(b"\xff\xfe\x00\x01chr1")
    with pytest.raises(BedFormatError, match="not a readable BED"):
        read_bed(binary)
    with pytest.raises(FileNotFoundError, match="no such BED file"):
        read_bed(tmp_path / "missing.bed")


def test_regions_from_records_are_checked():
    regions = BedRegions.from_records([("chr1", 5, 15), ("chr1", np.int64(20), 30, "r", "-")])
    assert regions.name.tolist() == ["chr1:5-15", "r"] and regions.strand.tolist() == [".", "-"]
    with pytest.raises(BedFormatError, match="record 0: end 5 is not after start 5"):
        BedRegions.from_records([("chr1", 5, 5)])
    with pytest.raises(BedFormatError, match="needs chrom, start, end"):
        BedRegions.from_records([("chr1", 5)])


# ----------------------------------------------------------------------------- fetching


def test_fetch_exact_coordinates_strand_and_normalisation(genome, tmp_path):
    path, truth = genome
    rows = [("chr1", 480, 580, "masked", "+"), ("chr1", 650, 750, "iupac", "-"), ("chr2", 0, 100, "first", "-"),
            ("chr2", 1900, 2000, "last", "+"), ("chrM", 10, 110, "dot", ".")]
    bed = write_bed(tmp_path / "r.bed", ["\t".join(map(str, (c, s, e, n, 0, st))) for c, s, e, n, st in rows])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to report
        ids, seqs = fetch_regions(path, bed)
    assert ids.tolist() == ["masked", "iupac", "first", "last", "dot"]
    for (c, s, e, _, st), seq in zip(rows, seqs):
        assert seq == strand_seq(truth, c, s, e, st)
        assert len(seq) == e - s
    assert set("".join(seqs)) <= set("ACGTN")
    assert seqs[0][20:80] == truth["chr1"][500:560]  # soft-masked bases upper-cased
    assert "NNNN" in reverse_complement(seqs[1])  # IUPAC codes as N


@pytest.mark.parametrize("strand", ["+", "-"])
def test_min_length_and_flank_use_real_genome(genome, strand):
    path, truth = genome
    regions = [("chr1", 1000, 1100, "a", strand), ("chr2", 700, 801, "odd", strand),
               ("chr1", 2000, 2400, "long", strand)]
    ids, seqs, report = fetch_regions(path, regions, min_length=300, flank=5, return_report=True)
    assert not report.problems
    # 100 bp -> 300 bp + 2 * 5; 101 bp -> 300 (199 extra: 99 upstream, 100 downstream on its strand) + 10
    # the 400 bp region is already longer than min_length: only the flank is added
    expected = [(1000 - 105, 1100 + 105), (700 - 104, 801 + 105) if strand == "+" else (700 - 105, 801 + 104),
                (1995, 2405)]
    for (c, s, e, _, st), seq, (ws, we), offset in zip(regions, seqs, expected, report.region_offsets):
        assert seq == strand_seq(truth, c, ws, we, st)
        assert seq[offset:offset + e - s] == strand_seq(truth, c, s, e, st)
    assert [len(s) for s in seqs] == [310, 310, 410]
    assert report.region_offsets.tolist() == [105, 104, 5]
    assert report.intervals.start.tolist() == [ws for ws, _ in expected]
    assert report.intervals.end.tolist() == [we for _, we in expected]


def test_widening_at_chromosome_ends_is_clipped_or_padded(genome):
    path, truth = genome
    regions = [("chr1", 20, 120, "near_start", "+"), ("chr2", 1950, 2000, "near_end", "-")]
    ids, seqs, report = fetch_regions(path, regions, min_length=300, return_report=True)
    assert not report.problems  # the regions themselves lie on their chromosomes
    assert seqs[0] == truth["chr1"][0:220]  # wanted [-80, 220): clipped at 0
    assert seqs[1] == reverse_complement(truth["chr2"][1825:2000])  # wanted [1825, 2125)
    assert report.region_offsets.tolist() == [20, 0]
    ids, padded = fetch_regions(path, regions, min_length=300, on_out_of_bounds="pad")
    assert padded[0] == "N" * 80 + truth["chr1"][0:220]
    assert padded[1] == reverse_complement(truth["chr2"][1825:2000] + "N" * 125)
    assert [len(s) for s in padded] == [300, 300]


def test_regions_off_the_genome_are_reported(genome, tmp_path):
    path, truth = genome
    bed = write_bed(tmp_path / "off.bed", [
        "chr1\t100\t200\tinside\t0\t+",
        "chr2\t1950\t2050\toff_end\t0\t-",
        "chrM\t150\t250\tbeyond\t0\t+",
        "chr9\t0\t100\tunknown\t0\t+",
    ])
    expected_ids = {"skip": ["inside"], "clip": ["inside", "off_end"], "pad": ["inside", "off_end"]}
    for mode, kept in expected_ids.items():
        with pytest.warns(RegionWarning) as record:
            ids, seqs, report = fetch_regions(path, bed, on_out_of_bounds=mode, return_report=True)
        message = str(record[0].message)
        assert "3 region(s)" in message and "off.bed" in message
        assert all(name in message for name in ("off_end", "beyond", "unknown"))
        assert ids.tolist() == kept
        assert seqs[0] == truth["chr1"][100:200]
        problems = {p.name: p for p in report.problems}
        assert sorted(problems) == ["beyond", "off_end", "unknown"]
        assert problems["unknown"].chrom_length is None and problems["unknown"].action == "skipped"
        assert problems["beyond"].chrom_length == 150 and problems["beyond"].action == "skipped"
        assert problems["off_end"].chrom_length == 2000
        if mode == "clip":
            assert problems["off_end"].action == "clipped"
            assert seqs[1] == reverse_complement(truth["chr2"][1950:2000])
        if mode == "pad":
            assert problems["off_end"].action == "padded with N"
            assert seqs[1] == reverse_complement(truth["chr2"][1950:2000] + "N" * 50)
            assert report.intervals.end.tolist() == [200, 2050]
    with pytest.raises(GenomeRegionError, match=r"'off_end' \(chr2:1950-2050\) of .*off.bed.* runs off the end"):
        fetch_regions(path, bed, on_out_of_bounds="error")


def test_unknown_chromosome_hint_and_nothing_fetched(genome):
    path, _ = genome
    with pytest.raises(GenomeRegionError, match="chromosome '1' is not in .*did you mean 'chr1'"):
        fetch_regions(path, [("1", 0, 10)], on_out_of_bounds="error")
    with pytest.warns(RegionWarning), pytest.raises(GenomeRegionError, match="none of the 1 region"):
        fetch_regions(path, [("chrUn", 0, 10)])


def test_reference_genome_fetch_and_sizes(genome):
    path, truth = genome
    with ReferenceGenome(path) as g:
        assert g.chrom_sizes == SIZES
        assert "chr2" in g and "chr9" not in g
        assert g.fetch("chr1", 2990, 3000, "-") == reverse_complement(truth["chr1"][2990:3000])
        assert g.fetch("chrM", 0, 150) == truth["chrM"]
        with pytest.raises(GenomeRegionError, match="runs off the end"):
            g.fetch("chrM", 100, 151)
        ids, seqs = fetch_regions(g, [("chrM", 3, 9)])  # an open genome is reused
        assert seqs.tolist() == [truth["chrM"][3:9]]


def test_parameter_validation(genome):
    path, _ = genome
    with pytest.raises(ValueError, match="did you mean 'pad'"):
        fetch_regions(path, [("chr1", 0, 10)], on_out_of_bounds="padd")
    with pytest.raises(ValueError, match="min_length must be an integer >= 1"):
        fetch_regions(path, [("chr1", 0, 10)], min_length=0)
    with pytest.raises(ValueError, match="flank must be an integer >= 0"):
        fetch_regions(path, [("chr1", 0, 10)], flank=-1)


# ----------------------------------------------------------------------------- genome files


def test_bgzip_genome_equals_plain(genome, tmp_path):
    from Bio import bgzf

    path, truth = genome
    packed = tmp_path / "genome.fa.gz"
    with bgzf.BgzfWriter(str(packed), "wb") as out:
        out.write(path.read_bytes())
    regions = [("chr1", 2900, 3000, "a", "-"), ("chr2", 10, 110, "b", "+")]
    assert fetch_regions(packed, regions)[1].tolist() == fetch_regions(path, regions)[1].tolist()
    assert (tmp_path / "genome.fa.gz.fai").exists() and (tmp_path / "genome.fa.gz.gzi").exists()


def test_plain_gzip_genome_is_refused_clearly(genome, tmp_path):
    path, _ = genome
    packed = tmp_path / "genome.fa.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(NotFastaError, match="not with bgzip"):
        fetch_regions(packed, [("chr1", 0, 10)])


def test_bad_genome_files(tmp_path):
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")
    with pytest.raises(NotFastaError, match="ragged.fa.*cannot be indexed"):
        fetch_regions(ragged, [("chr1", 0, 4)])
    headless = tmp_path / "headless.fa"
    headless.write_text("ACGTACGT\nACGT\n")
    with pytest.raises(NotFastaError, match="headless.fa.*cannot be indexed"):
        fetch_regions(headless, [("chr1", 0, 4)])
    binary = tmp_path / "binary.fa"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(NotFastaError, match="binary.fa"):
        fetch_regions(binary, [("chr1", 0, 4)])
    dup = tmp_path / "dup.fa"
    dup.write_text(">chr1\nACGT\n>chr1\nACGT\n")
    with pytest.raises(DuplicateIdError, match="dup.fa"):
        fetch_regions(dup, [("chr1", 0, 4)])
    odd = tmp_path / "odd.fa"
    odd.write_text(">chr1\nACGTXXACGT\n")
    with pytest.raises(InvalidCharacterError, match="region 'chr1:0-8' of .*odd.fa.*'X'"):
        fetch_regions(odd, [("chr1", 0, 8)])
    with pytest.raises(FileNotFoundError, match="no such genome FASTA"):
        fetch_regions(tmp_path / "missing.fa", [("chr1", 0, 4)])


def _deny_writes_in(monkeypatch, folder: Path):
    """Make pyfaidx's index writes into ``folder`` fail as in a read-only folder (tests run as root)."""
    import pyfaidx

    def guarded(original, attr):
        def open_index(self, mode):
            if "w" in mode and Path(getattr(self, attr)).parent == folder:
                raise PermissionError(13, "Permission denied", getattr(self, attr))
            return original(self, mode)
        return open_index

    monkeypatch.setattr(pyfaidx.Faidx, "_open_fai", guarded(pyfaidx.Faidx._open_fai, "indexname"))
    monkeypatch.setattr(pyfaidx.Faidx, "_open_gzi", guarded(pyfaidx.Faidx._open_gzi, "gzi_indexname"))


def test_read_only_genome_folder_uses_a_temporary_index(genome, tmp_path, monkeypatch):
    path, truth = genome
    folder = tmp_path / "readonly"
    folder.mkdir()
    fasta = folder / "genome.fa"
    fasta.write_bytes(path.read_bytes())
    _deny_writes_in(monkeypatch, folder)
    with pytest.warns(RegionWarning, match="cannot write the index .* index_dir="):
        genome_ro = ReferenceGenome(fasta)
    with genome_ro:
        tmp_index = Path(genome_ro.index_path)
        assert tmp_index.parent != folder and tmp_index.exists()
        assert genome_ro.fetch("chr2", 0, 50) == truth["chr2"][:50]
    assert not tmp_index.exists()  # removed on close
    with pytest.warns(RegionWarning):
        forgotten = ReferenceGenome(fasta)
    tmp_index = Path(forgotten.index_path)
    del forgotten
    gc.collect()
    assert not tmp_index.exists()  # removed when garbage-collected too
    assert not (folder / "genome.fa.fai").exists()
    # a kept index folder: no warning, the index stays
    keep = tmp_path / "indexes"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ids, seqs = fetch_regions(fasta, [("chr1", 5, 25, "r", "-")], index_dir=keep)
    assert seqs[0] == reverse_complement(truth["chr1"][5:25])
    assert (keep / "genome.fa.fai").exists()


# ----------------------------------------------------------------------------- DeepEnhancerCNN


def test_deepenhancer_trains_on_real_flanks(genome, tmp_path):
    """Short regions fetched with min_length=window give windows of genome, not N padding."""
    path, truth = genome
    window, stride = 300, 2
    rng = np.random.default_rng(0)
    lines, labels = [], []
    for i in range(24):  # 100-bp regions away from the chromosome ends, both strands
        chrom = "chr1" if i % 2 else "chr2"
        start = int(rng.integers(200, SIZES[chrom] - 300))
        lines.append(f"{chrom}\t{start}\t{start + 100}\tr{i}\t0\t{'+-'[i % 3 == 0]}")
        labels.append(i % 2)
    ends = ["chr1\t30\t130\tnear_start\t0\t-", "chr2\t1880\t1980\tnear_end\t0\t+", "chrM\t25\t125\tshort_chrom\t0\t+"]
    lines += ends
    labels += [1, 0, 1]
    bed = write_bed(tmp_path / "train.bed", lines)
    ids, X, report = fetch_regions(path, bed, min_length=window, return_report=True)
    assert len(ids) == 27 and not report.problems
    at_end = np.isin(ids, ["near_start", "near_end", "short_chrom"])
    lengths = np.array([len(s) for s in X])
    assert (lengths[~at_end] == window).all() and (lengths[at_end] < window).all()
    model = tiny_deepenhancer(architecture="4conv2pool", window=window, stride=stride, max_epochs=1, batch_size=16,
                              module__n_kernels_1=4, module__n_hidden_1=8, module__n_hidden_2=4)
    model.fit(X, np.array(labels))
    assert model.predict_proba(X).shape == (27, 2)
    # the windows the model trains on (encode: the same windows as fit)
    one_hot = model.encode(X)
    windows = SlidingWindows(X, window, stride)
    seq_of = windows.groups()
    n_padding = (one_hot.sum(axis=1) == 0).sum(axis=1)  # N columns per window
    interior = np.flatnonzero(~at_end)
    assert (windows.counts[interior] == 1).all() and (n_padding[~at_end[seq_of]] == 0).all()
    fields = [line.split("\t") for line in lines]
    genome_windows = [strand_seq(truth, f[0], int(f[1]) - 100, int(f[2]) + 100, f[5]) for f in fields]
    np.testing.assert_array_equal(one_hot[windows.offsets[interior]],
                                  one_hot_encode([genome_windows[i] for i in interior]))
    # clipped at a chromosome end: the only N in a window are the bases beyond that end
    assert (n_padding[at_end[seq_of]] == window - lengths[seq_of[at_end[seq_of]]]).all()
    assert (n_padding[at_end[seq_of]] > 0).all()
    # the same regions without the genome: every window is two-thirds N
    plain = SlidingWindows([strand_seq(truth, f[0], int(f[1]), int(f[2]), f[5]) for f in fields], window, stride)
    plain_padding = (plain.codes(0, plain.n_windows) == 4).sum(axis=1)
    assert (plain_padding[~at_end[plain.groups()]] == window - 100).all()
