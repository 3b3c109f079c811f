"""Tests of ``enhancer-sk train`` and ``enhancer-sk predict`` (enhancer_sk.commands.train / predict)."""

from __future__ import annotations

import csv
import gzip
import shutil

import numpy as np
import pytest
from tiny import tiny_two_layer

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.io.fasta import read_fasta, write_fasta
from enhancer_sk.io.labels import read_class_fastas, read_labelled_fasta
from enhancer_sk.model_files._persist import describe, load
from enhancer_sk.models.meta.ensemble import SeedEnsembleClassifier
from enhancer_sk.models.meta.two_layer import TwoLayerEnhancerClassifier
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier
from enhancer_sk.models.nn.windowed import GroupValidSplit
from enhancer_sk.models.svm.gkm import GkmSVM
from enhancer_sk.models.svm.kmer import KmerSVM


def _read_tsv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Small labelled FASTA inputs: binary (per class and FASTA + TSV), three classes, a query set."""
    d = tmp_path_factory.mktemp("train_data")
    X, y = make_synthetic_enhancers(120, random_state=1, motifs_per_sequence=5)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    write_fasta(d / "pos.fa", [f"pos{i}" for i in pos], X[pos])
    write_fasta(d / "neg.fa.gz", [f"neg{i}" for i in neg], X[neg])  # gzip input
    write_fasta(d / "all.fa", [f"s{i}" for i in range(len(X))], X)
    with open(d / "labels.tsv", "w") as fh:
        fh.write("id\tlabel\n")
        fh.writelines(f"s{i}\t{'enhancer' if v else 'background'}\n" for i, v in enumerate(y))
    X3, y3 = make_synthetic_enhancers(150, grades=True, random_state=2, motifs_per_sequence=6)
    for code, name in enumerate(("non", "weak", "strong")):
        idx = np.flatnonzero(y3 == code)
        write_fasta(d / f"{name}.fa", [f"{name}{i}" for i in idx], X3[idx])
    Q, _ = make_synthetic_enhancers(12, length=(120, 300), random_state=3)
    Q = [q.lower() if i == 0 else q for i, q in enumerate(Q)]
    Q[1] = Q[1][:50] + "NNNN" + Q[1][54:]
    write_fasta(d / "query.fa", [f"q{i}" for i in range(len(Q))], Q)
    (d / "bad.fa").write_text(">good\nACGT\n>broken\nACGTXYZ\n")
    return d


def _outputs(tmp_path, *names):
    return [tmp_path / n for n in names]


def test_kmer_round_trip_matches_in_memory_model(data, tmp_path, capsys):
    bundle, log, hist, out = _outputs(tmp_path, "kmer.eskm", "train.log", "history.tsv", "pred.tsv")
    assert main(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa.gz"),
                 "--model", "kmer", "--kmer-k", "4", "--C", "2", "--seed", "3", "--threads", "1",
                 "-o", str(bundle), "--log", str(log), "--history", str(hist)]) == 0
    err = capsys.readouterr().err
    assert "[train]" in err and "support vectors" in err
    info = describe(bundle)
    assert info["class"] == "KmerSVM" and info["params"]["k"] == 4 and info["params"]["C"] == 2.0
    text = log.read_text()
    assert "training-set scores" in text and "KmerSVM(C=2.0, k=4, random_state=3)" in text
    assert hist.read_text() == "layer\tepoch\ttrain_loss\tvalid_loss\tvalid_acc\tlr\tdur\n"

    assert main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out),
                 "--threads", "1"]) == 0
    rows = _read_tsv(out)
    assert list(rows[0]) == ["id", "probability", "label"]
    ids, Q = read_fasta(data / "query.fa")
    assert [r["id"] for r in rows] == ids.tolist()
    _, X, y = read_class_fastas({1: data / "pos.fa", 0: data / "neg.fa.gz"})
    reference = KmerSVM(k=4, C=2.0, random_state=3).fit(X, y)
    proba = reference.predict_proba(Q)[:, 1]
    np.testing.assert_allclose([float(r["probability"]) for r in rows], proba, rtol=1e-5)
    # default --threshold 0.5; the model file names the classes of --positive / --negative
    assert [r["label"] for r in rows] == ["enhancer" if p > 0.5 else "non-enhancer" for p in proba]
    assert "KmerSVM, classes [0, 1]" in capsys.readouterr().err


def test_predict_threshold_and_stdout(data, tmp_path, capsys):
    bundle = tmp_path / "gc.eskm"
    assert main(["train", "--fasta", str(data / "all.fa"), "--labels", str(data / "labels.tsv"),
                 "--model", "gc", "--C", "0.5", "-o", str(bundle)]) == 0
    assert describe(bundle)["classes"] == ["background", "enhancer"]
    capsys.readouterr()
    assert main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "--threshold", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id\tprobability\tlabel" and len(lines) == 13
    probs = np.array([float(line.split("\t")[1]) for line in lines[1:]])
    labels = [line.split("\t")[2] for line in lines[1:]]
    assert labels == ["enhancer" if p > 0.5 else "background" for p in probs]
    # a threshold of 0 calls every sequence positive, 1 none
    main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "--threshold", "0"])
    assert {line.split("\t")[2] for line in capsys.readouterr().out.splitlines()[1:]} == {"enhancer"}
    model = load(bundle)
    assert model.steps[-1][1].C == 0.5


def test_deepenhancer_options_history_and_both_strands(data, tmp_path, capsys):
    bundle, hist, out = _outputs(tmp_path, "cnn.eskm", "history.tsv", "pred.tsv")
    argv = ["--fasta", str(data / "all.fa"), "--labels", str(data / "labels.tsv"), "--model", "deepenhancer",
            "--architecture", "4conv", "--window", "100", "--stride", "50", "--epochs", "3",
            "--batch-size", "32", "--lr", "0.01", "--validation-fraction", "0.25", "--patience", "0",
            "--average-strands", "--param", "module__n_kernels_1=8", "--param", "module__n_hidden_1=16",
            "--seed", "5", "--threads", "1"]
    assert main(["train", *argv, "-o", str(bundle), "--history", str(hist)]) == 0
    history = _read_tsv(hist)
    assert [r["epoch"] for r in history] == ["1", "2", "3"]  # --patience 0: no early stopping
    assert all(r["valid_loss"] != "NA" and r["layer"] == "model" for r in history)
    assert "train_loss" in capsys.readouterr().err  # skorch epoch table on stderr

    assert main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out),
                 "--threads", "1"]) == 0
    _, X, y = read_labelled_fasta(data / "all.fa", data / "labels.tsv")
    reference = DeepEnhancerCNN(
        "4conv", window=100, stride=50, max_epochs=3, batch_size=32, lr=0.01, patience=None,
        train_split=GroupValidSplit(0.25), average_strands=True, random_state=5, threads=1,
        module__n_kernels_1=8, module__n_kernels_2=32, module__n_hidden_1=16, module__n_hidden_2=16,
    ).fit(X, y)
    _, Q = read_fasta(data / "query.fa")
    np.testing.assert_allclose([float(r["probability"]) for r in _read_tsv(out)],
                               reference.predict_proba(Q)[:, 1], rtol=1e-5)


def test_predict_both_strands_switches_a_network_on(data, tmp_path, capsys):
    bundle = tmp_path / "lstm.eskm"
    assert main(["train", "--synthetic", "--n-samples", "60", "--model", "lstmatt", "--length", "120",
                 "--epochs", "1", "--validation-fraction", "0", "--param", "module__lstm_units=4",
                 "--threads", "1", "--quiet", "-o", str(bundle)]) == 0
    assert "train_loss" not in capsys.readouterr().err  # --quiet: no epoch table
    model = load(bundle)
    assert isinstance(model, EnhancerLSTMAttClassifier)
    assert model.module__sequence_length == 120 and model.train_split is None and model.max_epochs == 1
    plain, both = tmp_path / "plain.tsv", tmp_path / "both.tsv"
    main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(plain), "--threads", "1"])
    main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(both), "--threads", "1",
          "--average-strands"])
    _, Q = read_fasta(data / "query.fa")
    p_plain = [float(r["probability"]) for r in _read_tsv(plain)]
    p_both = [float(r["probability"]) for r in _read_tsv(both)]
    np.testing.assert_allclose(p_plain, model.predict_proba(Q)[:, 1], rtol=1e-5)
    np.testing.assert_allclose(p_both, model.set_params(average_strands=True).predict_proba(Q)[:, 1],
                               rtol=1e-5)
    assert not np.allclose(p_plain, p_both)


def test_seed_ensemble_train_history_and_predict(data, tmp_path, capsys):
    bundle, hist, out, both = _outputs(tmp_path, "ens.eskm", "history.tsv", "pred.tsv", "both.tsv")
    argv = ["--synthetic", "--n-samples", "60", "--model", "lstmatt", "--length", "120", "--epochs", "2",
            "--validation-fraction", "0", "--param", "module__lstm_units=4", "--ensemble", "2", "--seed", "3",
            "--threads", "1"]
    assert main(["train", *argv, "-o", str(bundle), "--history", str(hist)]) == 0
    err = capsys.readouterr().err
    assert "member 1/2, random_state=3" in err and "member 2/2, random_state=4" in err
    assert "SeedEnsembleClassifier(n_estimators=2, random_state=3" in err
    assert "fitted model.1: EnhancerLSTMAttClassifier" in err and "fitted model.2: EnhancerLSTMAttClassifier" in err
    assert [(r["layer"], r["epoch"]) for r in _read_tsv(hist)] == [
        ("model.1", "1"), ("model.1", "2"), ("model.2", "1"), ("model.2", "2")]
    model = load(bundle)
    assert isinstance(model, SeedEnsembleClassifier) and model.seeds_ == [3, 4]
    assert all(m.threads is None for m in model.estimators_)  # the bundle takes the threads of where it runs
    main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out), "--threads", "1"])
    main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(both), "--threads", "1",
          "--average-strands"])
    _, Q = read_fasta(data / "query.fa")
    np.testing.assert_allclose([float(r["probability"]) for r in _read_tsv(out)], model.predict_proba(Q)[:, 1],
                               rtol=1e-5)
    # the members are the single networks of seeds 3 and 4
    X, y = make_synthetic_enhancers(60, random_state=3)
    single = EnhancerLSTMAttClassifier(**{**model.estimator.get_params(deep=False), "random_state": 4, "threads": 1})
    np.testing.assert_allclose(single.fit(X, y).predict_proba(Q)[:, 1],
                               model.estimators_[1].predict_proba(Q)[:, 1], rtol=1e-6)
    for member in model.estimators_:
        member.set_params(average_strands=True)
    np.testing.assert_allclose([float(r["probability"]) for r in _read_tsv(both)], model.predict_proba(Q)[:, 1],
                               rtol=1e-5)


def test_gkm_options(data, tmp_path, capsys):
    bundle, out = _outputs(tmp_path, "gkm.eskm", "pred.tsv")
    assert main(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa.gz"),
                 "--model", "gkm", "--gkm-l", "6", "--gkm-k", "4", "--gkm-d", "1", "--C", "0.5",
                 "--threads", "1", "-o", str(bundle)]) == 0
    model = load(bundle)
    assert isinstance(model, GkmSVM) and (model.l, model.k, model.d, model.C) == (6, 4, 1, 0.5)
    assert model.probability and model.threads is None  # threads are not frozen into the bundle
    assert main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out),
                 "--average-strands"]) == 0
    assert "no strand option" in capsys.readouterr().err
    assert len(_read_tsv(out)) == 12


def test_two_layer_train_and_predict(data, tmp_path):
    bundle, log, out = _outputs(tmp_path, "two.eskm", "train.log", "pred.tsv")
    files = ["--strong", str(data / "strong.fa"), "--weak", str(data / "weak.fa"), "--non", str(data / "non.fa")]
    assert main(["train", *files, "--two-layer", "--layer1-model", "kmer", "--layer2-model", "gc",
                 "--param", "layer1__k=3", "--C", "3", "-o", str(bundle), "--log", str(log)]) == 0
    text = log.read_text()
    assert "fitted layer1: KmerSVM" in text and "fitted layer2: Pipeline" in text
    assert describe(bundle)["class"] == "TwoLayerEnhancerClassifier"
    assert main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out)]) == 0
    rows = _read_tsv(out)
    assert list(rows[0]) == ["id", "p_enhancer", "p_strong", "label"]

    from enhancer_sk.presets import build_model

    _, X, y = read_class_fastas({"strong": data / "strong.fa", "weak": data / "weak.fa", "non": data / "non.fa"})
    gc = build_model("gc").set_params(logisticregression__C=3.0)  # the gc recipe: GC content, scaled, LR
    reference = TwoLayerEnhancerClassifier(KmerSVM(k=3, C=3.0, random_state=0), gc).fit(X, y)
    _, Q = read_fasta(data / "query.fa")
    layers = reference.predict_layer_proba(Q)
    np.testing.assert_allclose([float(r["p_enhancer"]) for r in rows], layers[:, 0], rtol=1e-5)
    np.testing.assert_allclose([float(r["p_strong"]) for r in rows], layers[:, 1], rtol=1e-5)
    for threshold in (0.5, 0.4):
        if threshold != 0.5:
            assert main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out),
                         "--threshold", str(threshold)]) == 0
        expected = np.where(layers[:, 0] > threshold, np.where(layers[:, 1] > threshold, "strong", "weak"), "non")
        assert [r["label"] for r in _read_tsv(out)] == expected.tolist()


def test_two_layer_on_synthetic_grades(tmp_path):
    bundle = tmp_path / "two.eskm"
    assert main(["train", "--synthetic", "--n-samples", "90", "--two-layer", "--model", "gc",
                 "-o", str(bundle)]) == 0
    assert describe(bundle)["classes"] == ["non", "strong", "weak"]


def test_galaxy_slots_sets_the_default_threads(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GALAXY_SLOTS", "1")
    assert main(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa.gz"),
                 "--model", "gc", "-o", str(tmp_path / "m.eskm")]) == 0
    assert "1 thread(s)" in capsys.readouterr().err


# ----------------------------------------------------------------------------- errors


def _fails(argv, capsys, *, expect: str) -> str:
    """Run a command that must fail: exit code 2 and a one-line error (after any progress lines)."""
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith(f"enhancer-sk {argv[0]}: error: ") and expect in err[-1], err
    assert not any(line.startswith("Traceback") for line in err)
    return err[-1]


@pytest.mark.parametrize(("extra", "expect"), [
    (["--param", "kk=3"], "'kk' is not a parameter of KmerSVM; did you mean 'k'?"),
    (["--param", "nothing"], "NAME=VALUE"),
    (["--param", "C=-1"], "'C' parameter of KmerSVM"),
    (["--epochs", "3"], "--epochs does not apply to model kmer"),
    (["--architecture", "4conv"], "--architecture does not apply"),
    (["--kmer-k", "0"], "--kmer-k must be positive"),
    (["--layer2-model", "gc"], "need --two-layer"),
    (["--ensemble", "3"], "--ensemble does not apply to model kmer"),
    (["--ensemble", "0"], "--ensemble must be at least 1"),
])
def test_bad_model_options(data, tmp_path, capsys, extra, expect):
    bundle = tmp_path / "m.eskm"
    _fails(["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa.gz"), *extra,
            "-o", str(bundle)], capsys, expect=expect)
    assert not bundle.exists()


def test_param_validation_of_networks_and_layers(data, tmp_path, capsys):
    base = ["train", "--positive", str(data / "pos.fa"), "--negative", str(data / "neg.fa.gz"),
            "-o", str(tmp_path / "m.eskm")]
    _fails([*base, "--model", "deepenhancer", "--param", "module__n_kernel_1=8"], capsys,
           expect="'module__n_kernel_1' is not a parameter of DeepEnhancerCNN")
    _fails(["train", "--strong", str(data / "strong.fa"), "--weak", str(data / "weak.fa"), "--non",
            str(data / "non.fa"), "--two-layer", "--param", "layer2__gamma2=1", "-o", str(tmp_path / "m.eskm")],
           capsys, expect="'gamma2' is not a parameter of KmerSVM")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("data_args", "expect"), [
    (["--positive", "{d}/pos.fa"], "--positive/--negative go together"),
    (["--positive", "{d}/pos.fa", "--negative", "{d}/neg.fa.gz", "--synthetic"], "one source of training data"),
    (["--fasta", "{d}/all.fa"], "--fasta/--labels go together"),
    ([], "give one source of training data"),
    (["--strong", "{d}/strong.fa", "--weak", "{d}/weak.fa", "--non", "{d}/non.fa"], "add --two-layer"),
    (["--positive", "{d}/pos.fa", "--negative", "{d}/bad.fa"], "'broken'"),
    (["--positive", "{d}/pos.fa", "--negative", "{d}/missing.fa"], "missing.fa"),
    (["--positive", "{d}/pos.fa", "--negative", "{d}/pos.fa"], "appears in both"),
])
def test_bad_training_data_leaves_no_output(data, tmp_path, capsys, data_args, expect):
    outputs = _outputs(tmp_path, "m.eskm", "log.txt", "history.tsv")
    argv = ["train", *[a.format(d=data) for a in data_args], "-o", str(outputs[0]), "--log", str(outputs[1]),
            "--history", str(outputs[2])]
    _fails(argv, capsys, expect=expect)
    assert list(tmp_path.iterdir()) == []


def test_two_layer_needs_three_classes(data, tmp_path, capsys):
    _fails(["train", "--fasta", str(data / "all.fa"), "--labels", str(data / "labels.tsv"), "--two-layer",
            "-o", str(tmp_path / "m.eskm")], capsys, expect="needs the labels non, weak, strong")


def test_output_folder_must_exist(data, tmp_path, capsys):
    _fails(["train", "--synthetic", "--n-samples", "20", "--model", "gc", "-o", str(tmp_path / "no" / "m.eskm")],
           capsys, expect="does not exist")
    _fails(["train", "--synthetic", "--n-samples", "20", "--model", "gc", "-o", str(tmp_path / "m"),
            "--log", str(tmp_path / "m")], capsys, expect="same file")


def test_predict_errors_leave_no_output(data, tmp_path, capsys):
    bundle = tmp_path / "gc.eskm"
    assert main(["train", "--synthetic", "--n-samples", "40", "--model", "gc", "-o", str(bundle)]) == 0
    out = tmp_path / "pred.tsv"
    _fails(["predict", "-m", str(bundle), "--fasta", str(data / "bad.fa"), "-o", str(out)], capsys,
           expect="'broken'")
    not_a_model = tmp_path / "model.eskm"
    shutil.copy(data / "pos.fa", not_a_model)
    _fails(["predict", "-m", str(not_a_model), "--fasta", str(data / "query.fa"), "-o", str(out)], capsys,
           expect="predict: error")
    _fails(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa"), "-o", str(out),
            "--threshold", "1.5"], capsys, expect="--threshold must lie in [0, 1]")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gc.eskm", "model.eskm"]


def test_gzip_query(data, tmp_path, capsys):
    bundle = tmp_path / "gc.eskm"
    main(["train", "--synthetic", "--n-samples", "40", "--model", "gc", "-o", str(bundle)])
    with open(data / "query.fa", "rb") as src, gzip.open(tmp_path / "q.fa.gz", "wb") as dst:
        dst.write(src.read())
    capsys.readouterr()
    assert main(["predict", "-m", str(bundle), "--fasta", str(tmp_path / "q.fa.gz")]) == 0
    plain = capsys.readouterr().out
    main(["predict", "-m", str(bundle), "--fasta", str(data / "query.fa")])
    assert capsys.readouterr().out == plain


def test_predict_table_with_the_models_own_decision(data):
    from enhancer_sk.cli.predict import predict_table

    _, X, y = read_class_fastas({"strong": data / "strong.fa", "weak": data / "weak.fa", "non": data / "non.fa"})
    _, Q = read_fasta(data / "query.fa")
    two = tiny_two_layer().fit(X, y)
    columns, values = predict_table(two, Q, threshold=None)
    assert columns == ["p_enhancer", "p_strong", "label"]
    assert values["label"].tolist() == two.predict(Q).tolist()
    binary = two.layer1_
    columns, values = predict_table(binary, Q, threshold=None)
    assert columns == ["probability", "label"] and values["label"].tolist() == binary.predict(Q).tolist()
    with pytest.raises(ValueError, match="no probabilities"):
        predict_table(KmerSVM(k=3, probability=False).fit(X, (y == "non").astype(int)), Q)


def test_full_preset_and_validation_split_of_the_lstm(tmp_path):
    import argparse

    from skorch.dataset import ValidSplit

    from enhancer_sk.cli._options import add_runtime_arguments
    from enhancer_sk.cli._training import add_data_arguments, add_model_arguments, model_from_args

    bundle = tmp_path / "full.eskm"
    assert main(["train", "--synthetic", "--n-samples", "40", "--model", "deepenhancer", "--preset", "full",
                 "--epochs", "1", "--window", "60", "--stride", "70", "--param", "module__n_kernels_1=4",
                 "--param", "module__n_kernels_2=4", "--param", "module__n_hidden_1=8", "--param",
                 "module__n_hidden_2=4", "--threads", "1", "--quiet", "-o", str(bundle)]) == 0
    model = load(bundle)
    assert model.architecture == "4conv2pool4norm" and model.lr == 1e-4 and model.window == 60  # full: defaults
    parser = argparse.ArgumentParser()
    add_data_arguments(parser)
    add_model_arguments(parser)
    add_runtime_arguments(parser, seed=True)
    args = parser.parse_args(["--model", "lstmatt", "--validation-fraction", "0.2", "--seed", "7"])
    split = model_from_args(args, length=150).train_split
    assert isinstance(split, ValidSplit) and split.cv == 0.2 and split.stratified and split.random_state == 7
    with pytest.raises(ValueError, match=r"--validation-fraction must lie in \[0, 1\)"):
        model_from_args(parser.parse_args(["--model", "lstmatt", "--validation-fraction", "1"]), length=150)
