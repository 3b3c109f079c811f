"""Published models by name (enhancer_sk.model_files.registry), model cards written by train, predict's domain flags.

The tests never touch the network: the authors' weights come from the data home
(``ENHANCER_SK_DATA``; tests needing them are marked ``data`` and skip without
them), the download path reads ``file://`` URLs of a temporary folder, and every
conversion is cached in a temporary data home, never in the shared one.
"""

from __future__ import annotations

import csv
import json
import os
import time

import numpy as np
import pytest

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.io.fasta import read_fasta, write_fasta
from enhancer_sk.model_files import describe, list_models, load_pretrained
from enhancer_sk.model_files.cards import domain_flags, training_summary
from enhancer_sk.model_files.registry import REGISTRY, cached_path, fetch_pretrained, get_pretrained
from enhancer_sk.models.meta.two_layer import TwoLayerEnhancerClassifier

NAME = "enhancer-lstmatt-ienhancer2l"


def _read_tsv(path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _confusion(truth, called) -> dict:
    truth, called = np.asarray(truth, bool), np.asarray(called, bool)
    return {"TP": int(np.sum(truth & called)), "FN": int(np.sum(truth & ~called)),
            "TN": int(np.sum(~truth & ~called)), "FP": int(np.sum(~truth & called))}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def weights(data_path):
    """The authors' two Keras weight files in the data home (skips without them)."""
    return {n: data_path("enhancer_lstmatt_weights", n) for n in ("layer1.h5", "layer2.h5")}


@pytest.fixture(scope="module")
def pretrained_home(tmp_path_factory, weights):
    """A temporary data home holding symlinks to the weights: the conversion is cached there (once)."""
    home = tmp_path_factory.mktemp("data_home")
    (home / "enhancer_lstmatt_weights").mkdir()
    for name, path in weights.items():
        os.symlink(path, home / "enhancer_lstmatt_weights" / name)
    return home


@pytest.fixture(scope="module")
def test_fasta(tmp_path_factory, data_path):
    """The 400 iEnhancer-2L test sequences in one FASTA file, with their classes by id."""
    out = tmp_path_factory.mktemp("ienhancer2l") / "test.fa"
    ids, seqs, classes = [], [], {}
    for cls in ("strong", "weak", "non"):
        rid, s = read_fasta(data_path("ienhancer2l", f"test_{cls}.fa"))
        ids.extend(rid)
        seqs.extend(s)
        classes.update(dict.fromkeys(rid, cls))
    write_fasta(out, ids, seqs)
    return out, classes


# ----------------------------------------------------------------------------- the registry


def test_registry_lists_the_authors_model(tmp_path):
    entries = list_models(tmp_path)
    assert [e["name"] for e in entries] == list(REGISTRY) and entries[0]["name"] == NAME
    entry = entries[0]
    assert entry["cached"] is False and entry["path"] == str(tmp_path / "pretrained" / f"{NAME}.eskm")
    assert "doi:10.3390/biom12070995" in entry["citation"]
    card = entry["card"]
    assert card["trained_on"]["n_sequences"] == 2968 and card["trained_on"]["species"] == "human"
    assert (card["trained_on"]["length_min"], card["trained_on"]["length_max"]) == (200, 200)
    aucs = [s["value"] for s in card["scores"] if s["metric"] == "AUC"]
    assert aucs == [0.859, 0.964]
    assert card["baseline"][0] == {**card["baseline"][0], "metric": "AUC", "value": 0.815, "low": 0.774,
                                   "high": 0.856}
    with pytest.raises(KeyError, match=f"no published model named 'nope'.*{NAME}"):
        get_pretrained("nope")
    with pytest.raises(FileNotFoundError, match="download_if_missing=False"):
        fetch_pretrained(NAME, tmp_path, download_if_missing=False)
    assert not (tmp_path / "pretrained").exists()


@pytest.mark.data
def test_cli_predict_by_name_reproduces_the_authors_confusion_matrices(pretrained_home, test_fasta, data_path,
                                                                       tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ENHANCER_SK_DATA", str(pretrained_home))
    fasta, classes = test_fasta
    out = tmp_path / "pred.tsv"
    t0 = time.perf_counter()
    assert main(["predict", "-m", NAME, "--fasta", str(fasta), "-o", str(out), "--threads", "2", "--quiet"]) == 0
    first = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert "converting it once" in err
    rows = _read_tsv(out)
    assert list(rows[0]) == ["id", "p_enhancer", "p_strong", "label"]  # --domain not asked
    assert len(rows) == 400
    ids = [r["id"] for r in rows]
    p1 = np.array([float(r["p_enhancer"]) for r in rows])
    p2 = np.array([float(r["p_strong"]) for r in rows])
    cls = np.array([classes[i] for i in ids])
    enh = cls != "non"
    assert _confusion(enh, p1 > 0.5) == {"TP": 159, "FN": 41, "TN": 163, "FP": 37}
    assert _confusion(cls[enh] == "strong", p2[enh] > 0.5) == {"TP": 99, "FN": 1, "TN": 80, "FP": 20}
    labels = np.array([r["label"] for r in rows])
    assert set(labels) <= {"non", "weak", "strong"}
    assert np.array_equal(labels == "non", p1 <= 0.5)
    assert np.array_equal(labels[p1 > 0.5] == "strong", p2[p1 > 0.5] > 0.5)
    # the probabilities themselves agree with the authors' Keras model (6 significant digits in the table)
    with open(data_path("enhancer_lstmatt_weights", "reference_probabilities.tsv"), newline="") as fh:
        reference = list(csv.DictReader(fh, delimiter="\t"))
    by_id = dict(zip(ids, zip(p1, p2)))
    for row in reference:
        got = by_id[row["record_id"]][int(row["layer"]) - 1]
        assert abs(got - float(row["probability"])) < 2e-5, row

    # converted once: cached with its sidecar, and read back without converting again
    path = cached_path(NAME, pretrained_home)
    sidecar = json.loads(path.with_name(path.name + ".json").read_text())
    assert sidecar["name"] == NAME and len(sidecar["sha256"]) == 64
    mtime = path.stat().st_mtime_ns
    t0 = time.perf_counter()
    model = load_pretrained(NAME, data_home=pretrained_home, download_if_missing=False)
    cached_load = time.perf_counter() - t0
    assert path.stat().st_mtime_ns == mtime
    assert isinstance(model, TwoLayerEnhancerClassifier) and model.classes_.tolist() == ["non", "strong", "weak"]
    card = describe(path)["card"]
    assert card["name"] == NAME and card["trained_on"]["classes"] == ["non", "weak", "strong"]
    print(f"\nfirst predict (conversion included) {first:.1f} s; cached load {cached_load:.2f} s")


@pytest.mark.data
def test_cached_file_is_converted_again_when_it_does_not_match_its_sidecar(pretrained_home, tmp_path):
    home = tmp_path / "home"
    (home / "enhancer_lstmatt_weights").mkdir(parents=True)
    for name in ("layer1.h5", "layer2.h5"):
        os.symlink(os.readlink(pretrained_home / "enhancer_lstmatt_weights" / name),
                   home / "enhancer_lstmatt_weights" / name)
    path = fetch_pretrained(NAME, home, download_if_missing=False)
    good = path.read_bytes()
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one byte changed in the cached model file
    with pytest.warns(UserWarning, match="does not match the SHA-256"):
        assert fetch_pretrained(NAME, home, download_if_missing=False) == path
    assert path.read_bytes() == good
    path.with_name(path.name + ".json").unlink()  # no sidecar: converted again, silently
    fetch_pretrained(NAME, home, download_if_missing=False)
    assert path.with_name(path.name + ".json").is_file() and path.read_bytes() == good


@pytest.mark.data
def test_download_from_file_url_checks_and_refuses_a_tampered_file(weights, tmp_path):
    entry = get_pretrained(NAME)
    remote = tmp_path / "remote"
    remote.mkdir()
    for local, (url_path, _) in entry.files.items():
        (remote / url_path).write_bytes(weights[local].read_bytes())  # the authors' file names: + ( ) quoted in URLs
    home = tmp_path / "home"
    path = fetch_pretrained(NAME, home, base_url=remote.as_uri())
    assert path == home / "pretrained" / f"{NAME}.eskm" and path.is_file()
    assert sorted(p.name for p in (home / "enhancer_lstmatt_weights").iterdir()) == ["layer1.h5", "layer2.h5"]

    # one byte changed in the remote copy of layer 1: refused, naming the file and both hashes; nothing kept
    url_path, sha = entry.files["layer1.h5"]
    data = bytearray((remote / url_path).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (remote / url_path).write_bytes(bytes(data))
    bad_home = tmp_path / "bad_home"
    with pytest.raises(OSError, match=rf"layer1\.h5.*failed its checksum: SHA-256 [0-9a-f]{{64}} instead of {sha}"):
        fetch_pretrained(NAME, bad_home, base_url=remote.as_uri())
    assert not bad_home.exists() or not any(p.is_file() for p in bad_home.rglob("*"))


def test_tampered_download_is_refused_without_the_data(tmp_path, monkeypatch, capsys):
    entry = get_pretrained(NAME)
    remote = tmp_path / "remote"
    remote.mkdir()
    for url_path, _ in entry.files.values():
        (remote / url_path).write_bytes(b"\x89HDF not the authors' weights")
    with pytest.raises(OSError, match=r"download of layer1\.h5 .*nothing was kept"):
        fetch_pretrained(NAME, tmp_path / "home", base_url=remote.as_uri())
    assert not (tmp_path / "home" / "enhancer_lstmatt_weights").exists()
    assert not (tmp_path / "home" / "pretrained").exists()
    # a present source file with another checksum is refused, not overwritten
    home = tmp_path / "home2"
    (home / "enhancer_lstmatt_weights").mkdir(parents=True)
    (home / "enhancer_lstmatt_weights" / "layer1.h5").write_bytes(b"modified")
    with pytest.raises(OSError, match=r"layer1\.h5 is corrupt or modified: SHA-256 [0-9a-f]{64} instead of"):
        fetch_pretrained(NAME, home, download_if_missing=False)
    # through the command line: one error line, exit code 2
    monkeypatch.setenv("ENHANCER_SK_DATA", str(home))
    fa = tmp_path / "q.fa"
    write_fasta(fa, ["q"], ["ACGT" * 50])
    assert main(["predict", "-m", NAME, "--fasta", str(fa)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("enhancer-sk predict: error: published model enhancer-lstmatt-ienhancer2l: ")
    assert "corrupt or modified" in err[-1]


# ----------------------------------------------------------------------------- the CLI: models, describe, names


def test_cli_models_and_describe_by_name(tmp_path, capsys):
    assert main(["models", "--data-home", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    line = out.strip().splitlines()[0].split("\t")
    assert line[0] == NAME and line[1] == "not cached" and "AUC 0.859" in line[2]
    assert err.strip().splitlines()[-1] == "[models] 1 published model(s), 0 cached in the data home"
    assert main(["describe", NAME, "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"name: {NAME}" in out and "cached: no" in out
    assert "trained on: iEnhancer-2L training set" in out and "2968 sequences" in out
    assert "length 200-200 bp" in out and "GC content alone (logistic regression): AUC 0.815 [0.774, 0.856]" in out
    assert "layer 1 (200 enhancers vs 200 non-enhancers): Acc 0.805, Sn 0.795, Sp 0.815, MCC 0.610, AUC 0.859" in out
    assert "doi:10.3390/biom12070995" in out
    assert main(["describe", NAME, "--json", "--data-home", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["card"]["scores"][4]["value"] == 0.859


@pytest.mark.parametrize("command", [
    ["predict", "-m", "enhancer-lstmat", "--fasta", "q.fa"],
    ["scan", "-m", "enhancer-lstmat", "--fasta", "q.fa", "--bedgraph", "x.bg"],
    ["describe", "enhancer-lstmat"],
])
def test_unknown_model_name_lists_the_published_models(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_fasta(tmp_path / "q.fa", ["q"], ["ACGT" * 50])
    assert main(command) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"no model file 'enhancer-lstmat' and no published model of that name; published models: {NAME}" in err


# ----------------------------------------------------------------------------- cards written by train, domain flags


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 3-mer SVM trained by ``enhancer-sk train`` on 200-bp sequences, and a query FASTA."""
    d = tmp_path_factory.mktemp("card_train")
    X, y = make_synthetic_enhancers(80, length=200, random_state=0, motifs_per_sequence=4)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    write_fasta(d / "pos.fa", [f"p{i}" for i in pos], X[pos])
    write_fasta(d / "neg.fa", [f"n{i}" for i in neg], X[neg])
    model = d / "kmer.eskm"
    assert main(["train", "--positive", str(d / "pos.fa"), "--negative", str(d / "neg.fa"), "--model", "kmer",
                 "--kmer-k", "3", "--threads", "1", "-o", str(model)]) == 0
    rng = np.random.default_rng(1)
    long = "".join(rng.choice(list("ACGT"), 2000))
    n_rich = X[0][:140] + "N" * 60
    write_fasta(d / "query.fa", ["same", "long", "nrich"], [X[1], long, n_rich])
    return d, model, X


def test_train_writes_a_model_card(trained):
    _, model, X = trained
    card = describe(model)["card"]
    assert card["title"] == "KmerSVM trained by enhancer-sk train"
    trained_on = card["trained_on"]
    assert trained_on["n_sequences"] == 80 and trained_on["classes"] == ["non-enhancer", "enhancer"]
    assert (trained_on["length_min"], trained_on["length_max"], trained_on["max_n_fraction"]) == (200, 200, 0.0)
    assert trained_on == {**training_summary(X), "data": trained_on["data"], "classes": trained_on["classes"]}
    assert 0 < trained_on["gc_low"] < trained_on["gc_high"] < 1
    assert trained_on["data"] == "40 positive and 40 negative sequences"
    assert card["recipe"].startswith("KmerSVM(") and "seed 0" in card["recipe"]
    assert card["scores"][0]["metric"] == "AUC" and "optimistic" in card["scores"][0]["benchmark"]
    assert 0.5 < card["scores"][0]["value"] <= 1


def test_predict_flags_sequences_outside_the_training_domain(trained, tmp_path, capsys):
    d, model, _ = trained
    out = tmp_path / "pred.tsv"
    assert main(["predict", "-m", str(model), "--fasta", str(d / "query.fa"), "-o", str(out), "--domain"]) == 0
    err = capsys.readouterr().err
    rows = {r["id"]: r for r in _read_tsv(out)}
    assert list(rows["same"]) == ["id", "probability", "label", "domain"]
    assert rows["same"]["domain"] == ""
    assert rows["long"]["domain"].startswith("length 2000 outside 200-200")
    assert "N fraction 0.30 > 0.05" in rows["nrich"]["domain"]
    warning = [line for line in err.splitlines() if "outside the training domain" in line]
    assert len(warning) == 1 and warning[0].startswith("[predict] warning: 2 of 3 sequences")
    assert "long: length 2000 outside 200-200" in warning[0]
    # without --domain: the columns are unchanged, the warning stays
    assert main(["predict", "-m", str(model), "--fasta", str(d / "query.fa"), "-o", str(out)]) == 0
    assert list(_read_tsv(out)[0]) == ["id", "probability", "label"]
    assert "2 of 3 sequences outside the training domain" in capsys.readouterr().err


def test_domain_flags_reasons():
    card = {"trained_on": {"length_min": 200, "length_max": 200, "gc_low": 0.3, "gc_high": 0.6,
                           "max_n_fraction": 0.0}}
    flags = domain_flags(card, ["ACGT" * 50, "GGGC" * 50, "ACGT" * 500, "N" * 60 + "ACGT" * 35])
    assert flags.tolist() == ["", "GC 1.00 outside 0.300-0.600", "length 2000 outside 200-200",
                              "N fraction 0.30 > 0.05"]
    assert domain_flags(None, ["ACGT"]).tolist() == [""]
    assert domain_flags({"trained_on": {"length_min": 10, "length_max": 20}}, ["A" * 5]).tolist() == \
        ["length 5 outside 10-20"]


def test_two_layer_from_fitted_layers():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from enhancer_sk.sequence.encoders import KmerSpectrum

    X, y = make_synthetic_enhancers(60, length=100, random_state=0)
    layer1 = make_pipeline(KmerSpectrum(k=2), LogisticRegression()).fit(X, y)
    layer2 = make_pipeline(KmerSpectrum(k=3), LogisticRegression()).fit(X, 1 - y)
    model = TwoLayerEnhancerClassifier.from_fitted(layer1, layer2)
    assert model.layer1_ is layer1 and model.layer2_ is layer2 and model.classes_.tolist() == ["non", "strong", "weak"]
    p = model.predict_layer_proba(X)
    assert np.allclose(p[:, 0], layer1.predict_proba(X)[:, 1]) and np.allclose(p[:, 1], layer2.predict_proba(X)[:, 1])
    expected = np.where(p[:, 0] > 0.5, np.where(p[:, 1] > 0.5, "strong", "weak"), "non")
    assert model.predict(X).tolist() == expected.tolist()
    assert not hasattr(model.layer1, "classes_")  # the parameters are unfitted clones: fit() still works
    with pytest.raises(ValueError, match="fitted on 0/1 targets"):
        TwoLayerEnhancerClassifier.from_fitted(layer1, make_pipeline(LogisticRegression()).fit([[0], [1]], [1, 2]))
