"""Tests of ``enhancer-sk cv`` (enhancer_sk.commands.cv)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from matplotlib.image import imread
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from enhancer_sk.cli import main
from enhancer_sk.cli._training import layer_task
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.models.svm.kmer import KmerSVM
from enhancer_sk.sequence.encoders import GCContent


def _read_tsv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def three_class(tmp_path_factory):
    d = tmp_path_factory.mktemp("cv_data")
    X, y = make_synthetic_enhancers(120, grades=True, random_state=7)
    for code, name in enumerate(("non", "weak", "strong")):
        idx = np.flatnonzero(y == code)
        write_fasta(d / f"{name}.fa", [f"{name}{i}" for i in idx], X[idx])
    return d


def test_all_outputs_and_out_of_fold_scores(tmp_path, capsys):
    out = {n: tmp_path / n for n in ("folds.tsv", "summary.tsv", "oof.tsv", "curves.png", "report.html")}
    assert main(["cv", "--synthetic", "--n-samples", "90", "--model", "kmer", "--kmer-k", "3", "--folds", "3",
                 "--seed", "4", "--threads", "1", "--fold-scores", str(out["folds.tsv"]),
                 "--summary", str(out["summary.tsv"]), "--oof", str(out["oof.tsv"]),
                 "--plot", str(out["curves.png"]), "--html", str(out["report.html"])]) == 0
    captured = capsys.readouterr()
    assert "| kmer" in captured.out and "AUPRC" in captured.out
    assert "[cv] 3-fold stratified cross-validation, seed 4, 1 thread(s)" in captured.err
    folds = _read_tsv(out["folds.tsv"])
    assert [r["fold"] for r in folds] == ["1", "2", "3"]
    assert set(folds[0]) >= {"Sn", "Sp", "Acc", "MCC", "AUC", "AUPRC"}
    summary = _read_tsv(out["summary.tsv"])
    assert float(summary[0]["MCC_mean"]) == pytest.approx(np.mean([float(r["MCC"]) for r in folds]), rel=1e-4)
    # the out-of-fold scores are those of the same model on the same seeded stratified folds
    X, y = make_synthetic_enhancers(90, random_state=4)
    folds_split = StratifiedKFold(3, shuffle=True, random_state=4)
    expected = cross_val_predict(KmerSVM(k=3, random_state=4), X, y, cv=folds_split, method="predict_proba")
    oof = _read_tsv(out["oof.tsv"])
    np.testing.assert_allclose([float(r["kmer"]) for r in oof], expected[:, 1], rtol=1e-5)
    assert imread(out["curves.png"]).shape[1] > 500
    html = out["report.html"].read_text()
    # the curves and the reliability diagram
    assert html.count("data:image/png;base64,") == 2 and "Mean &#177; standard deviation over 3 folds" in html
    assert "Calibration of the pooled out-of-fold probabilities" in html
    assert "<script" not in html and "KmerSVM(k=3, random_state=4)" in html


def test_layer_two_of_three_class_files(three_class, tmp_path, capsys):
    summary = tmp_path / "summary.tsv"
    files = ["--strong", str(three_class / "strong.fa"), "--weak", str(three_class / "weak.fa"),
             "--non", str(three_class / "non.fa")]
    assert main(["cv", *files, "--layer", "2", "--model", "gc", "--C", "2", "--folds", "2",
                 "--positive-label", "0", "--summary", str(summary)]) == 0
    assert "layer 2: strong (1) vs weak (0) enhancers, 60 sequences" in capsys.readouterr().err
    assert _read_tsv(summary)[0]["n_folds"] == "2"
    _fails(["cv", *files, "--model", "gc"], capsys, expect="add --layer 1 or --layer 2")


def test_layer_task():
    y = np.array(["non", "weak", "strong", "non", "strong"], dtype=object)
    X = np.array(list("abcde"), dtype=object)
    keep, y1 = layer_task(X, y, 1)
    assert keep.tolist() == [0, 1, 2, 3, 4] and y1.tolist() == [0, 1, 1, 0, 1]
    keep, y2 = layer_task(X, y, 2)
    assert keep.tolist() == [1, 2, 4] and y2.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="non, weak, strong"):
        layer_task(X, np.array([0, 1, 1, 0, 1]), 1)


def test_deepenhancer_layer_one_on_synthetic_grades(tmp_path, capsys):
    folds = tmp_path / "folds.tsv"
    assert main(["cv", "--synthetic", "--n-samples", "60", "--layer", "1", "--model", "deepenhancer",
                 "--epochs", "1", "--window", "80", "--stride", "60", "--threads", "1", "--folds", "2",
                 "--fold-scores", str(folds)]) == 0
    assert len(_read_tsv(folds)) == 2
    assert "layer 1: enhancer (1) vs non-enhancer (0), 60 sequences" in capsys.readouterr().err


def _fails(argv, capsys, *, expect: str) -> None:
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith("enhancer-sk cv: error: ") and expect in err[-1], err


def test_errors_leave_no_output(tmp_path, capsys):
    X, y = make_synthetic_enhancers(40, random_state=0)
    write_fasta(tmp_path / "pos.fa", [f"p{i}" for i in range(20)], X[y == 1])
    (tmp_path / "neg.fa").write_text(">n1\nACGT\n>n2\nAC-GT\n")
    outputs = ["--summary", str(tmp_path / "s.tsv"), "--html", str(tmp_path / "r.html")]
    _fails(["cv", "--positive", str(tmp_path / "pos.fa"), "--negative", str(tmp_path / "neg.fa"), *outputs],
           capsys, expect="'n2'")
    _fails(["cv", "--synthetic", "--n-samples", "30", "--folds", "1", *outputs], capsys,
           expect="--folds must be at least 2")
    _fails(["cv", "--synthetic", "--n-samples", "30", "--positive-label", "7", *outputs], capsys,
           expect="--positive-label '7' is not one of the labels")
    _fails(["cv", "--synthetic", "--n-samples", "30", "--model", "gc", "--gkm-l", "5", *outputs], capsys,
           expect="--gkm-l does not apply to model gc")
    _fails(["cv", "--synthetic", "--n-samples", "12", "--folds", "8", "--model", "gc", *outputs], capsys,
           expect="n_splits=8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neg.fa", "pos.fa"]


def test_string_labels_and_positive_label(tmp_path):
    X, y = make_synthetic_enhancers(60, random_state=2)
    names = np.where(y == 1, "enhancer", "background")
    write_fasta(tmp_path / "all.fa", [f"s{i}" for i in range(60)], X)
    (tmp_path / "labels.tsv").write_text("".join(f"s{i}\t{v}\n" for i, v in enumerate(names)))
    oof = tmp_path / "oof.tsv"
    assert main(["cv", "--fasta", str(tmp_path / "all.fa"), "--labels", str(tmp_path / "labels.tsv"),
                 "--model", "gc", "--folds", "3", "--positive-label", "background", "--oof", str(oof)]) == 0
    rows = _read_tsv(oof)
    assert rows[0]["id"] == "s0" and [r["label"] for r in rows] == names.tolist()
    # out-of-fold scores are probabilities of the positive class "background" (column 0 of classes_)
    gc = make_pipeline(GCContent(), StandardScaler(), LogisticRegression())  # the gc recipe
    expected = cross_val_predict(gc, X, names, cv=StratifiedKFold(3, shuffle=True, random_state=0),
                                 method="predict_proba")
    np.testing.assert_allclose([float(r["gc"]) for r in rows], expected[:, 0], rtol=1e-5)


def test_similarity_split_and_calibration(tmp_path, capsys):
    X, y = make_synthetic_enhancers(90, random_state=2)
    ids = [f"chr{i % 5 + 1}:{100 * i}-{100 * i + 200}" for i in range(90)]
    originals = [i for i, label in zip(ids, y) if label == 1][:10]
    # exact copies of the first ten enhancers, elsewhere on the same chromosome
    copies = [f"{o.split(':')[0]}:{10**6 + i}-{10**6 + i + 200}" for i, o in enumerate(originals)]
    write_fasta(tmp_path / "pos.fa", [*np.array(ids)[y == 1], *copies],
                [*X[y == 1], *np.asarray(X)[y == 1][:10]])
    write_fasta(tmp_path / "neg.fa", np.array(ids)[y == 0], X[y == 0])
    oof, html = tmp_path / "oof.tsv", tmp_path / "r.html"
    argv = ["cv", "--positive", str(tmp_path / "pos.fa"), "--negative", str(tmp_path / "neg.fa"),
            "--model", "gc", "--folds", "3", "--split", "similarity", "--calibrate", "sigmoid",
            "--calibration-folds", "3", "--threads", "1", "--oof", str(oof), "--html", str(html)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "near-duplicate clusters (identity >= 0.9) kept inside one fold" in captured.err
    assert "| gc+sigmoid" in captured.out and "ECE" in captured.out
    rows = {r["id"]: r for r in _read_tsv(oof)}
    assert all(rows[o]["fold"] == rows[c]["fold"] for o, c in zip(originals, copies))
    assert {"gc", "gc+sigmoid"} <= set(next(iter(rows.values())))
    assert "gc+sigmoid" in html.read_text()
    # chromosomes as groups: each chromosome in one fold
    assert main([*argv[:-4], "--chromosome-groups", "--oof", str(oof)]) == 0
    folds = {}
    for r in _read_tsv(oof):
        folds.setdefault(r["id"].split(":")[0], set()).add(r["fold"])
    assert all(len(f) == 1 for f in folds.values()) and len(folds) == 5


@pytest.mark.parametrize("extra, message", [
    (["--chromosome-groups"], "needs --split similarity"),
    (["--split", "similarity", "--identity", "0.2"], "--identity must lie in"),
    (["--split", "similarity", "--chromosome-groups"], "no coordinates of the form chr:start-end"),
    (["--calibrate", "isotonic", "--calibration-folds", "1"], "--calibration-folds must be at least 2"),
])
def test_honest_option_errors(tmp_path, capsys, extra, message):
    X, y = make_synthetic_enhancers(40, random_state=0)
    write_fasta(tmp_path / "pos.fa", [f"p{i}" for i in range(20)], X[y == 1][:20])
    write_fasta(tmp_path / "neg.fa", [f"n{i}" for i in range(20)], X[y == 0][:20])
    summary = tmp_path / "s.tsv"
    _fails(["cv", "--positive", str(tmp_path / "pos.fa"), "--negative", str(tmp_path / "neg.fa"),
            "--model", "gc", "--folds", "2", "--summary", str(summary), *extra], capsys, expect=message)
    assert not summary.exists()
