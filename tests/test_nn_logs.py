"""What the networks tell the user while and after training: the epoch log, ``valid_acc`` and the warning of a
network that learned nothing."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import pytest
from tiny import tiny_deepenhancer, tiny_lstmatt

from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.exceptions import NotLearningWarning
from enhancer_sk.io.fasta import write_fasta

_ROW = re.compile(r"^\s+\d+\s")


@pytest.fixture(scope="module")
def data():
    return make_synthetic_enhancers(80, length=60, random_state=0)


def _fit_logged(net, X, y) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore", NotLearningWarning)
        net.fit(X, y)
    return out.getvalue()


def test_epoch_log_has_no_colour_codes_off_a_terminal(data, capsys):
    text = _fit_logged(tiny_lstmatt(verbose=1), *data)
    text += _fit_logged(tiny_deepenhancer(verbose=1), *data)
    text += capsys.readouterr().err
    assert "train_loss" in text and "\x1b[" not in text


def test_early_stopping_logs_every_epoch(data):
    net = tiny_deepenhancer(max_epochs=30, patience=2, verbose=1)
    text = _fit_logged(net, *data)
    rows = [line for line in text.splitlines() if _ROW.match(line)]
    assert len(net.history_) < 30  # stopped early
    assert len(rows) == len(net.history_)
    assert [int(r.split()[0]) for r in rows] == list(range(1, len(net.history_) + 1))
    lines = text.splitlines()
    stop = next(i for i, line in enumerate(lines) if line.startswith("Stopping since"))
    assert _ROW.match(lines[stop - 1]) and int(lines[stop - 1].split()[0]) == len(net.history_)


@pytest.mark.parametrize("sampled", [None, 2])
def test_deepenhancer_records_the_voted_valid_acc(data, sampled):
    X, y = data
    net = tiny_deepenhancer(max_epochs=2, train_windows_per_sequence=sampled).fit(X, y)
    acc = [h["valid_acc"] for h in net.history_]
    assert len(acc) == 2 and all(0 <= a <= 1 for a in acc)
    n_valid = round(0.1 * len(X))  # GroupValidSplit(0.1): whole sequences, so multiples of 1 / n_valid
    assert all(abs(a * n_valid - round(a * n_valid)) < 1e-9 for a in acc)
    assert "valid_acc" not in tiny_deepenhancer(max_epochs=1, train_split=None).fit(X, y).history_[-1]


def test_not_learning_warns(data):
    X, y = data
    with pytest.warns(NotLearningWarning, match=r"learned nothing.*--lr 0\.003.*SVM"):
        tiny_deepenhancer(max_epochs=1, lr=1e-9).fit(X, y)


def test_a_learning_network_does_not_warn(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotLearningWarning)
        net = tiny_deepenhancer(max_epochs=5, lr=1e-2, train_split=None).fit(X, y)
    assert net.check_learning(X)


def test_train_logs_the_warning(data, tmp_path, capsys):
    X, y = data
    write_fasta(tmp_path / "pos.fa", [f"p{i}" for i in range(int(y.sum()))], X[y == 1])
    write_fasta(tmp_path / "neg.fa", [f"n{i}" for i in range(int((y == 0).sum()))], X[y == 0])
    log, hist = tmp_path / "log.txt", tmp_path / "h.tsv"
    assert main(["train", "--positive", str(tmp_path / "pos.fa"), "--negative", str(tmp_path / "neg.fa"),
                 "--model", "deepenhancer", "--architecture", "4conv", "--window", "40", "--stride", "20",
                 "--epochs", "1", "--lr", "1e-9", "--param", "module__n_kernels_1=3", "--param",
                 "module__n_kernels_2=2", "--param", "module__n_hidden_1=4", "--param", "module__n_hidden_2=4",
                 "--threads", "1", "-o", str(tmp_path / "m.eskm"), "--log", str(log), "--history", str(hist)]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if line.startswith("[train] warning: ")]
    assert len(warned) == 1 and "learned nothing" in warned[0], err
    assert "NotLearningWarning" not in err  # no Python warning line (with a source path)
    assert "warning: DeepEnhancerCNN learned nothing" in log.read_text()
    assert err.splitlines()[-1].startswith("[train] DeepEnhancerCNN trained on 80 sequences")
    rows = [line.split("\t") for line in hist.read_text().splitlines()]
    column = rows[0].index("valid_acc")
    assert rows[1][column] != "NA"
    assert np.isfinite(float(rows[1][column]))
