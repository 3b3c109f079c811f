"""Fine-tuning from the command line: ``enhancer-sk train --init-from FILE|NAME [--freeze-conv]``.

The sources are tiny saved networks (``tiny.py``); a run at a learning rate of
1e-12 shows where the training started (the weights barely move in one epoch),
``--freeze-conv`` that the convolutions stay exactly the source's.  The
published model is read from the data home (marked ``data``; skipped without
it) and converted into a temporary one.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
from tiny import tiny_deepenhancer, tiny_kmer, tiny_lstmatt

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import NotLearningWarning
from enhancer_sk.io.fasta import write_fasta
from enhancer_sk.model_files import describe, load, save
from enhancer_sk.models.meta.two_layer import TwoLayerEnhancerClassifier
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier

REGISTRY_NAME = "enhancer-lstmatt-ienhancer2l"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Training FASTA files (100 bp) and saved source models: DeepEnhancer, LSTMAtt, a two-layer LSTMAtt, KmerSVM."""
    d = tmp_path_factory.mktemp("finetune")
    X, y = make_synthetic_enhancers(80, length=100, random_state=4, motifs_per_sequence=4)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    write_fasta(d / "pos.fa", [f"p{i}" for i in pos], X[pos])
    write_fasta(d / "neg.fa", [f"n{i}" for i in neg], X[neg])
    with warnings.catch_warnings():  # one epoch on 80 sequences: the sources need not have learned anything
        warnings.simplefilter("ignore", NotLearningWarning)
        save(tiny_deepenhancer(max_epochs=1, train_split=None).fit(X, y), d / "deep.eskm")
        lstm = tiny_lstmatt(max_epochs=1, train_split=None).fit(X, y)
        strong = tiny_lstmatt(max_epochs=1, train_split=None, random_state=1).fit(X, 1 - y)
    save(lstm, d / "lstm.eskm")
    save(TwoLayerEnhancerClassifier.from_fitted(lstm, strong), d / "two_layer.eskm")
    save(tiny_kmer().fit(X, y), d / "kmer.eskm")
    return d


def _train(files, tmp_path, *extra: str) -> list[str]:
    return ["train", "--positive", str(files / "pos.fa"), "--negative", str(files / "neg.fa"), "--threads", "1",
            "--quiet", *extra, "-o", str(tmp_path / "m.eskm")]


def _weights(model) -> dict[str, torch.Tensor]:
    """The trainable weights (BatchNorm running statistics left out: they move in any training pass)."""
    return {k: v.detach().clone() for k, v in model.module_.state_dict().items()
            if "running_" not in k and "num_batches" not in k}


def _close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_deepenhancer_starts_from_the_model_file_and_takes_its_shape(files, tmp_path, capsys):
    source = load(files / "deep.eskm")
    assert main(_train(files, tmp_path, "--model", "deepenhancer", "--init-from", str(files / "deep.eskm"),
                       "--epochs", "1", "--lr", "1e-12", "--validation-fraction", "0")) == 0
    err = capsys.readouterr().err
    assert "fine-tuning: fine-tuned from deep.eskm" in err
    tuned = load(tmp_path / "m.eskm")
    assert isinstance(tuned, DeepEnhancerCNN) and tuned.window == 40 and tuned.architecture == source.architecture
    assert tuned.module__n_kernels_1 == 8 and not tuned.freeze_conv  # the source's sizes, not the preset's
    assert _close(_weights(tuned), _weights(source))
    scratch = DeepEnhancerCNN(**{k: v for k, v in tuned.get_params(deep=False).items() if k != "init_from"})
    assert not _close(_weights(scratch.initialize()), _weights(source))  # a fresh network would start elsewhere
    card = describe(tmp_path / "m.eskm")["card"]
    assert card["recipe"].startswith("fine-tuned from deep.eskm;")


def test_freeze_conv_keeps_the_convolutions_of_the_source(files, tmp_path):
    source = load(files / "deep.eskm")
    before = {k: v.detach().clone() for k, v in source.module_.state_dict().items()}
    assert main(_train(files, tmp_path, "--model", "deepenhancer", "--init-from", str(files / "deep.eskm"),
                       "--freeze-conv", "--epochs", "2", "--lr", "1e-2")) == 0
    tuned = load(tmp_path / "m.eskm")
    after = tuned.module_.state_dict()
    conv = [k for k in before if k.startswith("conv.")]
    dense = [k for k in before if k.startswith("dense.")]
    assert conv and all(torch.equal(after[k], before[k]) for k in conv)  # BN statistics included
    assert any(not torch.equal(after[k], before[k]) for k in dense)
    assert tuned.freeze_conv
    assert "fine-tuned from deep.eskm, convolutions frozen" in describe(tmp_path / "m.eskm")["card"]["recipe"]


def test_seed_ensemble_members_all_start_from_the_source(files, tmp_path):
    source = load(files / "deep.eskm")
    conv = {k: v for k, v in source.module_.state_dict().items() if k.startswith("conv.")}
    assert main(_train(files, tmp_path, "--model", "deepenhancer", "--init-from", str(files / "deep.eskm"),
                       "--freeze-conv", "--ensemble", "2", "--epochs", "1")) == 0
    members = load(tmp_path / "m.eskm").estimators_
    assert len(members) == 2
    for member in members:
        assert all(torch.equal(member.module_.state_dict()[k], v) for k, v in conv.items())


def test_lstmatt_starts_from_a_model_file_and_from_a_layer_of_a_two_layer_file(files, tmp_path, capsys):
    source = load(files / "lstm.eskm")
    assert main(_train(files, tmp_path, "--model", "lstmatt", "--init-from", str(files / "lstm.eskm"),
                       "--epochs", "1", "--lr", "1e-12")) == 0
    tuned = load(tmp_path / "m.eskm")
    assert isinstance(tuned, EnhancerLSTMAttClassifier) and tuned.sequence_length_ == 40  # not the data's 100
    assert _close(_weights(tuned), _weights(source))

    layer2 = load(files / "two_layer.eskm").layer2_
    assert main(_train(files, tmp_path, "--model", "lstmatt", "--init-from", str(files / "two_layer.eskm"),
                       "--init-from-layer", "2", "--epochs", "1", "--lr", "1e-12")) == 0
    assert _close(_weights(load(tmp_path / "m.eskm")), _weights(layer2))
    assert "two_layer.eskm layer 2 (strong vs weak)" in describe(tmp_path / "m.eskm")["card"]["recipe"]


def _fails(argv, capsys, *, expect: str) -> None:
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert err[-1].startswith("enhancer-sk train: error: ") and expect in err[-1], err
    assert not any(line.startswith("Traceback") for line in err)


@pytest.mark.parametrize(("extra", "expect"), [
    (["--model", "deepenhancer", "--freeze-conv"], "--freeze-conv needs --init-from"),
    (["--model", "lstmatt", "--init-from-layer", "1"], "--init-from-layer needs --init-from"),
    (["--model", "deepenhancer", "--init-from", "{d}/kmer.eskm"],
     "the model file kmer.eskm holds a KmerSVM; --init-from needs a DeepEnhancerCNN"),
    (["--model", "lstmatt", "--init-from", "{d}/deep.eskm"],
     "holds a DeepEnhancerCNN; --init-from needs an EnhancerLSTMAttClassifier"),
    (["--model", "lstmatt", "--init-from", "{d}/lstm.eskm", "--freeze-conv"],
     "--freeze-conv does not apply to model lstmatt"),
    (["--model", "kmer", "--init-from", "{d}/deep.eskm"], "--init-from does not apply to model kmer"),
    (["--model", "deepenhancer", "--init-from", "{d}/missing.eskm"], "no model file"),
    (["--model", "deepenhancer", "--init-from", "{d}/deep.eskm", "--window", "50"],
     "--window 50 differs from the --init-from model's window=40"),
    (["--model", "lstmatt", "--init-from", "{d}/lstm.eskm", "--param", "module__lstm_units=8"],
     "--param module__lstm_units=8 differs"),
    (["--model", "deepenhancer", "--init-from", "{d}/deep.eskm", "--init-from-layer", "2"],
     "--init-from-layer applies to a two-layer --init-from model; deep.eskm holds a DeepEnhancerCNN"),
])
def test_bad_fine_tuning_options(files, tmp_path, capsys, extra, expect):
    _fails(_train(files, tmp_path, *[a.format(d=files) for a in extra]), capsys, expect=expect)
    assert not (tmp_path / "m.eskm").exists()


def test_two_layer_training_refuses_init_from(files, tmp_path, capsys):
    d = tmp_path / "three"
    d.mkdir()
    X, y = make_synthetic_enhancers(30, grades=True, random_state=2)
    for code, name in enumerate(("non", "weak", "strong")):
        idx = np.flatnonzero(y == code)
        write_fasta(d / f"{name}.fa", [f"{name}{i}" for i in idx], X[idx])
    _fails(["train", "--strong", str(d / "strong.fa"), "--weak", str(d / "weak.fa"), "--non", str(d / "non.fa"),
            "--two-layer", "--model", "lstmatt", "--init-from", str(files / "lstm.eskm"), "-o",
            str(tmp_path / "m.eskm")], capsys, expect="--init-from does not apply with --two-layer")


@pytest.fixture(scope="module")
def pretrained_home(tmp_path_factory, data_path):
    """A temporary data home with links to the authors' weights (the conversion is cached there)."""
    home = tmp_path_factory.mktemp("data_home")
    (home / "enhancer_lstmatt_weights").mkdir()
    for name in ("layer1.h5", "layer2.h5"):
        os.symlink(data_path("enhancer_lstmatt_weights", name), home / "enhancer_lstmatt_weights" / name)
    return home


def test_lstmatt_fine_tunes_the_published_model_by_name(pretrained_home, tmp_path, monkeypatch, capsys):
    from enhancer_sk.model_files import load_pretrained

    monkeypatch.setenv("ENHANCER_SK_DATA", str(pretrained_home))
    X, y = make_synthetic_enhancers(24, length=200, random_state=6, motifs_per_sequence=4)
    write_fasta(tmp_path / "pos.fa", [f"p{i}" for i in np.flatnonzero(y == 1)], X[y == 1])
    write_fasta(tmp_path / "neg.fa", [f"n{i}" for i in np.flatnonzero(y == 0)], X[y == 0])
    assert main(["train", "--positive", str(tmp_path / "pos.fa"), "--negative", str(tmp_path / "neg.fa"),
                 "--model", "lstmatt", "--init-from", REGISTRY_NAME, "--epochs", "1", "--lr", "1e-12",
                 "--validation-fraction", "0", "--threads", "1", "--quiet", "-o", str(tmp_path / "m.eskm")]) == 0
    layer1 = load_pretrained(REGISTRY_NAME, download_if_missing=False).layer1_
    tuned = load(tmp_path / "m.eskm")
    assert tuned.module__lstm_layers == layer1.module__lstm_layers  # the published network, not the fast preset's
    assert _close(_weights(tuned), _weights(layer1))
    recipe = describe(tmp_path / "m.eskm")["card"]["recipe"]
    assert recipe.startswith(f"fine-tuned from {REGISTRY_NAME} layer 1 (enhancer vs non-enhancer);")
