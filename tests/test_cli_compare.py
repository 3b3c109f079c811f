"""Tests of ``enhancer-sk compare`` (enhancer_sk.cli.compare) and the model recipes (enhancer_sk.presets)."""

from __future__ import annotations

import argparse
import csv

import numpy as np
import pytest
from matplotlib.image import imread

from enhancer_sk.cli import compare
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier
from enhancer_sk.models.svm.gkm import GkmSVM
from enhancer_sk.models.svm.kmer import KmerSVM
from enhancer_sk.presets import build_model

OUTPUTS = {"fold_scores.tsv", "summary.tsv", "wilcoxon.tsv", "oof_scores.tsv", "intervals.tsv", "paired_bootstrap.tsv",
           "calibration.tsv",
           "fold_scores.png", "roc_pr.png"}


def run_compare(argv: list[str]) -> int:
    """Parse ``argv`` with the compare subcommand alone and run it (as ``enhancer-sk compare``)."""
    parser = argparse.ArgumentParser(prog="enhancer-sk")
    compare.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["compare", *argv])
    return args.func(args)


def _read_tsv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_synthetic_kmer_and_gc(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_compare(["--synthetic", "--n-samples", "150", "--models", "kmer,gc", "--folds", "3",
                        "--seed", "2", "--threads", "1", "-o", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == OUTPUTS
    folds = _read_tsv(out / "fold_scores.tsv")
    assert [(r["model"], r["fold"]) for r in folds] == [(m, str(f)) for m in ("kmer", "gc") for f in (1, 2, 3)]
    summary = _read_tsv(out / "summary.tsv")
    kmer_auc = [float(r["AUC"]) for r in folds if r["model"] == "kmer"]
    assert float(summary[0]["AUC_mean"]) == pytest.approx(np.mean(kmer_auc), rel=1e-5)
    tests = _read_tsv(out / "wilcoxon.tsv")
    assert {r["metric"] for r in tests} == {"Sn", "Sp", "Acc", "MCC", "AUC", "AUPRC"}
    assert len(_read_tsv(out / "oof_scores.tsv")) == 150
    assert imread(out / "roc_pr.png").shape[1] > 500
    stdout, stderr = capsys.readouterr()
    assert "| kmer" in stdout and "| gc" in stdout and "AUPRC" in stdout
    assert "[compare]" in stderr and "wrote" in stderr


def test_same_seed_gives_identical_tables(tmp_path):
    argv = ["--synthetic", "--n-samples", "120", "--models", "kmer,gc", "--folds", "3", "--threads", "1"]
    run_compare([*argv, "-o", str(tmp_path / "a")])
    run_compare([*argv, "-o", str(tmp_path / "b")])
    for name in ("summary.tsv", "wilcoxon.tsv", "oof_scores.tsv"):
        a = [{k: v for k, v in r.items() if "time" not in k} for r in _read_tsv(tmp_path / "a" / name)]
        b = [{k: v for k, v in r.items() if "time" not in k} for r in _read_tsv(tmp_path / "b" / name)]
        assert a == b, name


def test_one_fasta_per_class_with_string_labels(tmp_path):
    X, y = make_synthetic_enhancers(n_samples=90, random_state=4)
    ids = [f"pos{i}" for i in np.flatnonzero(y == 1)] + [f"neg{i}" for i in np.flatnonzero(y == 0)]
    write_fasta(tmp_path / "all.fa", ids, np.concatenate([X[y == 1], X[y == 0]]))
    labels = ["enhancer"] * int(y.sum()) + ["background"] * int((y == 0).sum())
    (tmp_path / "labels.tsv").write_text("".join(f"{i}\t{v}\n" for i, v in zip(ids, labels)))
    out = tmp_path / "out"
    assert run_compare(["--fasta", str(tmp_path / "all.fa"), "--labels", str(tmp_path / "labels.tsv"),
                        "--models", "gc,kmer", "--folds", "3", "--prefix", "x_", "-o", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {f"x_{n}" for n in OUTPUTS}
    oof = _read_tsv(out / "x_oof_scores.tsv")
    assert {r["label"] for r in oof} == {"enhancer", "background"}
    assert oof[0]["id"].startswith("pos")


def test_fasta_with_label_table(tmp_path):
    X, y = make_synthetic_enhancers(n_samples=60, random_state=5)
    ids = [f"r{i}" for i in range(len(X))]
    write_fasta(tmp_path / "all.fa", ids, X)
    (tmp_path / "labels.tsv").write_text("id\tlabel\n" + "".join(f"{i}\t{v}\n" for i, v in zip(ids, y)))
    out = tmp_path / "out"
    assert run_compare(["--fasta", str(tmp_path / "all.fa"), "--labels", str(tmp_path / "labels.tsv"),
                        "--models", "gc", "--folds", "2", "--positive-label", "0", "-o", str(out)]) == 0
    assert [r["id"] for r in _read_tsv(out / "oof_scores.tsv")][:2] == ["r0", "r1"]


@pytest.mark.parametrize("model", ["gkm", "deepenhancer"])
def test_slow_model_presets_run(tmp_path, model):
    out = tmp_path / "out"
    assert run_compare(["--synthetic", "--n-samples", "60", "--models", model, "--folds", "2",
                        "--threads", "1", "-o", str(out)]) == 0
    assert [r["model"] for r in _read_tsv(out / "fold_scores.tsv")] == [model, model]


def test_build_model_presets():
    assert isinstance(build_model("kmer", seed=3), KmerSVM)
    gkm = build_model("gkm", seed=3, threads=1)
    assert isinstance(gkm, GkmSVM) and gkm.random_state == 3 and gkm.threads == 1
    deep = build_model("deepenhancer", seed=3, threads=1, length=150)
    assert isinstance(deep, DeepEnhancerCNN) and deep.window == 150 and deep.random_state == 3
    lstm = build_model("lstmatt", preset="full", seed=1, threads=1, length=180)
    assert isinstance(lstm, EnhancerLSTMAttClassifier) and lstm.module__sequence_length == 180
    # "full": the published sizes with the iEnhancer-2L recipe of benchmarks/ienhancer2l.py
    params = lstm.get_params()
    assert not any(k.startswith("module__") and k != "module__sequence_length" for k in params)
    assert (params["lr"], params["max_epochs"], params["train_split"]) == (1e-3, 9, None)
    assert params["augment_strands"] and params["average_strands"]
    assert [(n, type(c).__name__) for n, c in params["callbacks"]] == [("lr_schedule", "CosineAnnealing")]
    assert lstm.random_state == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--synthetic", "--models", "kmer,svm"], "unknown model"),
        (["--synthetic", "--models", "kmer,kmer"], "twice"),
        (["--synthetic", "--folds", "1"], "--folds"),
        (["--fasta", "x.fa"], "--labels"),
        (["--positive", "a.fa"], "--negative"),
        (["--synthetic", "--positive-label", "7"], "--positive-label"),
    ],
)
def test_input_errors(tmp_path, argv, message):
    with pytest.raises(ValueError, match=message):
        run_compare([*argv, "-o", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_data_source_is_required(tmp_path):
    with pytest.raises(ValueError, match="one source of training data"):
        run_compare(["-o", str(tmp_path)])


def test_registered_in_the_enhancer_sk_command(tmp_path, capsys):
    from enhancer_sk.cli import main

    assert main(["compare", "--synthetic", "--models", "kmer,nope", "-o", str(tmp_path)]) == 2
    assert "unknown model" in capsys.readouterr().err
