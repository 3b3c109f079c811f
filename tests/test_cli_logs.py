"""The logs of the ``enhancer-sk`` commands: the last stderr line is the result, without paths.

Galaxy shows the last stderr line of a job first (its wrappers move it to the top), so every command ends
a successful run with one ``[<command>] ...`` line that names no file, and a failed run with the error line
of :func:`enhancer_sk.cli.main`.  Also: class names in the model file and in ``predict``'s labels, and the
warning of a network that learned nothing.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import ModelFileError
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.model_files import describe, load, save


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Tiny inputs: per-class FASTA files, a query FASTA, a genome and a VCF."""
    d = tmp_path_factory.mktemp("cli_logs")
    X, y = make_synthetic_enhancers(60, length=80, random_state=0, motifs_per_sequence=4)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    write_fasta(d / "pos.fa", [f"p{i}" for i in pos], X[pos])
    write_fasta(d / "neg.fa", [f"n{i}" for i in neg], X[neg])
    write_fasta(d / "query.fa", [f"q{i}" for i in range(8)], X[:8])
    rng = np.random.default_rng(0)
    chrom = "".join(rng.choice(list("ACGT"), 600))
    write_fasta(d / "genome.fa", ["chr1"], [chrom], width=60)
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    (d / "v.vcf").write_text("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=600>\n"
                             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                             f"chr1\t300\tsnv\t{chrom[299]}\t{other[chrom[299]]}\t.\t.\t.\n")
    return d


@pytest.fixture(scope="module")
def kmer_file(data):
    """A 3-mer SVM model file trained by the command line from --positive/--negative."""
    path = data / "kmer.eskm"
    assert main(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"), "--model", "kmer",
                 "--kmer-k", "3", "--threads", "1", "-o", str(path)]) == 0
    return path


def _last_line(capsys, *folders) -> str:
    """The last stderr line; asserts it names none of ``folders``."""
    lines = capsys.readouterr().err.splitlines()
    assert lines, "nothing on stderr"
    last = lines[-1]
    for folder in folders:
        assert str(folder) not in last, last
    assert not re.search(r"(^|[\s(])/\w", last), last  # no absolute path
    return last


def _read_tsv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# ----------------------------------------------------------------------------- result lines


def test_train_ends_with_the_result(data, tmp_path, capsys):
    assert main(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"), "--model", "gc",
                 "--threads", "1", "-o", str(tmp_path / "gc.eskm"), "--log", str(tmp_path / "log.txt"),
                 "--history", str(tmp_path / "h.tsv")]) == 0
    last = _last_line(capsys, data, tmp_path)
    assert re.fullmatch(r"\[train\] Pipeline trained on 60 sequences \(\d+ enhancer, \d+ non-enhancer\) in "
                        r"[\d.]+ s; training-set AUC [\d.]+ \(optimistic\)", last), last


def test_predict_ends_with_the_result_and_writes_class_names(data, kmer_file, tmp_path, capsys):
    info = describe(kmer_file)
    assert info["classes"] == [0, 1] and info["class_names"] == {"1": "enhancer", "0": "non-enhancer"}
    out = tmp_path / "p.tsv"
    assert main(["predict", "-m", str(kmer_file), "--fasta", str(data / "query.fa"), "-o", str(out),
                 "--threads", "1"]) == 0
    last = _last_line(capsys, data, tmp_path)
    assert re.fullmatch(r"\[predict\] 8 sequences scored \(.*\) in [\d.]+ s on 1 thread\(s\)", last), last
    rows = _read_tsv(out)
    assert {r["label"] for r in rows} <= {"enhancer", "non-enhancer"}
    named = [r["label"] for r in rows]
    assert main(["predict", "-m", str(kmer_file), "--fasta", str(data / "query.fa"), "-o", str(out),
                 "--threads", "1", "--raw-labels"]) == 0
    raw = [r["label"] for r in _read_tsv(out)]
    assert set(raw) <= {"0", "1"}
    assert named == ["enhancer" if v == "1" else "non-enhancer" for v in raw]


def test_cv_logs_as_cv_and_ends_with_the_result(data, tmp_path, capsys):
    report = tmp_path / "r.html"
    assert main(["cv", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"), "--model", "gc",
                 "--folds", "2", "--threads", "1", "--html", str(report), "--summary", str(tmp_path / "s.tsv")]) == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "[compare]" not in err and all(line.startswith("[cv] ") for line in lines), err
    last = lines[-1]
    assert str(tmp_path) not in last and str(data) not in last
    assert re.fullmatch(r"\[cv\] 2-fold cross-validation of gc on 60 sequences: AUC [\d.]+ \+/- [\d.]+, "
                        r"MCC -?[\d.]+ \+/- [\d.]+ \(mean \+/- sd over folds\) in [\d.]+ s", last), last
    text = report.read_text(encoding="utf-8")
    assert text.isascii() and "np." not in text and "&#177;" in text
    assert "positive class 1." in text


def test_compare_ends_with_the_result(data, tmp_path, capsys):
    assert main(["compare", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"),
                 "--models", "gc,kmer", "--param", "k=3", "--folds", "2", "--threads", "1",
                 "-o", str(tmp_path / "out")]) == 0
    last = _last_line(capsys, data, tmp_path)
    assert re.fullmatch(r"\[compare\] gc, kmer compared by 2-fold cross-validation on 60 sequences: best AUC "
                        r"[\d.]+ \+/- [\d.]+ \((gc|kmer)\); (gc|kmer) [\d.]+ \+/- [\d.]+ in [\d.]+ s", last), last


def test_scan_and_variants_end_with_the_result(data, kmer_file, tmp_path, capsys):
    assert main(["scan", "-m", str(kmer_file), "--fasta", str(data / "genome.fa"), "--window", "100", "--step",
                 "50", "--calls", str(tmp_path / "c.bed"), "--bedgraph", str(tmp_path / "s.bedgraph"),
                 "--threads", "1"]) == 0
    last = _last_line(capsys, data, tmp_path)
    assert re.fullmatch(r"\[scan\] scanned 1 sequence\(s\), 600 bp, 11 windows of 100 bp \(step 50\) .*; "
                        r"\d+ call\(s\).*; done in [\d.]+ s", last), last
    assert main(["variants", "-m", str(kmer_file), "--vcf", str(data / "v.vcf"), "--genome", str(data / "genome.fa"),
                 "-o", str(tmp_path / "e.tsv"), "--window", "100", "--threads", "1", "--quiet"]) == 0
    last = _last_line(capsys, data, tmp_path)
    assert re.fullmatch(r"\[variants\] window scores of 1 allele\(s\) in [\d.]+ s: 1 ok", last), last


def test_export_ends_with_the_result(data, tmp_path, capsys):
    gkm = tmp_path / "gkm.eskm"
    assert main(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"), "--model", "gkm",
                 "--gkm-l", "6", "--gkm-k", "4", "--gkm-d", "2", "--threads", "1", "-o", str(gkm)]) == 0
    capsys.readouterr()
    assert main(["export", "-m", str(gkm), "--lsgkm", str(tmp_path / "m.txt"),
                 "--deltasvm", str(tmp_path / "w.txt")]) == 0
    last = _last_line(capsys, tmp_path)
    assert re.fullmatch(r"\[export\] GkmSVM \(l=6 k=4 d=2, \d+ support vectors\) exported as an LS-GKM model file "
                        r"\(exact precision\) and deltaSVM weights of [\d,]+ 6-mers in [\d.]+ s", last), last


def test_motifs_ends_with_the_result(data, tmp_path, capsys):
    model = tmp_path / "cnn.eskm"
    assert main(["motifs", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"), "--preset",
                 "fast", "--architecture", "4conv", "--window", "40", "--stride", "20", "--epochs", "1",
                 "--param", "module__n_kernels_1=3", "--param", "module__n_kernels_2=2",
                 "--param", "module__n_hidden_1=4", "--param", "module__n_hidden_2=4",
                 "--save-model", str(model), "--outdir", str(tmp_path / "m"), "--logos", "none",
                 "--threads", "1", "--quiet"]) == 0
    last = _last_line(capsys, data, tmp_path)
    assert re.fullmatch(r"\[motifs\] 3 kernel motifs extracted; \d+ match JASPAR\d+ CORE vertebrates at "
                        r"E < 0.1 \(\d+ matches\); 0 logos drawn in [\d.]+ s", last), last
    assert describe(model)["class_names"] == {"1": "enhancer", "0": "non-enhancer"}


def test_demo_ends_with_the_result(capsys):
    assert main(["demo", "--models", "gc", "--n-samples", "40", "--folds", "2", "--threads", "1"]) == 0
    last = _last_line(capsys)
    assert re.fullmatch(r"\[demo\] 1 model\(s\) cross-validated \(2-fold\) on 40 synthetic sequences in [\d.]+ s; "
                        r"best AUC [\d.]+ \(.+\)", last), last


@pytest.mark.parametrize("command", ["train", "predict", "cv", "compare", "scan", "variants", "export", "motifs",
                                     "demo"])
def test_errors_end_with_the_error_line(command, data, kmer_file, tmp_path, capsys):
    missing = str(tmp_path / "missing.fa")
    argv = {
        "train": ["--positive", missing, "--negative", str(data / "neg.fa"), "-o", str(tmp_path / "m.eskm")],
        "predict": ["-m", str(kmer_file), "--fasta", missing],
        "cv": ["--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa"), "--folds", "1"],
        "compare": ["--synthetic", "--models", "nope", "-o", str(tmp_path / "o")],
        "scan": ["-m", str(kmer_file), "--fasta", missing, "--calls", str(tmp_path / "c.bed")],
        "variants": ["-m", str(kmer_file), "--vcf", str(data / "v.vcf"), "--genome", str(data / "genome.fa"),
                     "-o", str(tmp_path / "e.tsv"), "--method", "deltasvm"],
        "export": ["-m", str(kmer_file), "--lsgkm", str(tmp_path / "m.txt")],
        "motifs": ["-m", str(kmer_file), "--outdir", str(tmp_path / "m")],
        "demo": ["--models", "nope"],
    }[command]
    assert main([command, *argv]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines and lines[-1].startswith(f"enhancer-sk {command}: error: "), lines


# ----------------------------------------------------------------------------- class names in model files


def test_class_names_are_checked(tmp_path):
    from tiny import tiny_kmer

    X, y = make_synthetic_enhancers(30, length=50, random_state=0)
    model = tiny_kmer().fit(X, y)
    save(model, tmp_path / "plain.eskm")
    assert describe(tmp_path / "plain.eskm")["class_names"] is None  # older files: no names
    save(model, tmp_path / "named.eskm", class_names={1: "enhancer", 0: "non-enhancer"})
    assert describe(tmp_path / "named.eskm")["class_names"] == {"1": "enhancer", "0": "non-enhancer"}
    np.testing.assert_array_equal(load(tmp_path / "named.eskm").classes_, [0, 1])
    for bad in ({1: "enhancer"}, {1: "a", 0: "a"}, {1: "x\ty", 0: "z"}, {1: "x" * 101, 0: "z"}, {1: 3, 0: "z"},
                {1: "a", 0: "b", 2: "c"}, ["enhancer", "non-enhancer"]):
        with pytest.raises(ModelFileError):
            save(model, tmp_path / "bad.eskm", class_names=bad)
    assert not (tmp_path / "bad.eskm").exists()


def test_forged_class_names_are_refused(tmp_path):
    import json

    from safetensors.numpy import load_file, save_file
    from tiny import tiny_kmer

    from enhancer_sk.model_files import METADATA_KEY
    from enhancer_sk.model_files._audit import _read_header

    X, y = make_synthetic_enhancers(30, length=50, random_state=0)
    save(tiny_kmer().fit(X, y), tmp_path / "m.eskm")
    _, meta, _ = _read_header(str(tmp_path / "m.eskm"))
    doc = json.loads(meta[METADATA_KEY])
    arrays = load_file(tmp_path / "m.eskm")
    for bad in ({"1": "enhancer", "0": "x" * 1000}, {"1": "enhancer"}, "enhancer", {"1": "a\nb", "0": "c"}):
        doc["class_names"] = bad
        save_file(arrays, tmp_path / "forged.eskm", metadata={METADATA_KEY: json.dumps(doc)})
        with pytest.raises(ModelFileError, match="class"):
            describe(tmp_path / "forged.eskm")
        with pytest.raises(ModelFileError, match="class"):
            load(tmp_path / "forged.eskm")


def test_predict_without_class_names_writes_raw_labels(data, tmp_path, capsys):
    from tiny import tiny_kmer

    from enhancer_sk.io.labels import read_class_fastas

    _, X, y = read_class_fastas({1: data / "pos.fa", 0: data / "neg.fa"})
    save(tiny_kmer().fit(X, y), tmp_path / "old.eskm")  # as older versions wrote them
    assert main(["predict", "-m", str(tmp_path / "old.eskm"), "--fasta", str(data / "query.fa"),
                 "-o", str(tmp_path / "p.tsv"), "--threads", "1"]) == 0
    assert {r["label"] for r in _read_tsv(tmp_path / "p.tsv")} <= {"0", "1"}
