"""The project's skorch callbacks."""

import io
import itertools
import math
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import LRScheduler
from tiny import tiny_deepenhancer, tiny_lstmatt

from enhancer_sk import load, save
from enhancer_sk.cli import main
from enhancer_sk.datasets.synthetic import make_synthetic_enhancers
from enhancer_sk.models.nn import callbacks
from enhancer_sk.models.nn.callbacks import BatchProgress, CosineAnnealing, EpochLog


@pytest.fixture(scope="module")
def data():
    return make_synthetic_enhancers(n_samples=96, length=40, random_state=0)


def test_same_rates_and_model_as_torch_cosine_annealing(data):
    X, y = data
    ours = tiny_lstmatt(train_split=None, max_epochs=3, callbacks=[("lr", CosineAnnealing())]).fit(X, y)
    torch_policy = LRScheduler(policy=torch.optim.lr_scheduler.CosineAnnealingLR, T_max=3)
    theirs = tiny_lstmatt(train_split=None, max_epochs=3, callbacks=[("lr", torch_policy)]).fit(X, y)
    assert ours.history[:, "event_lr"] == theirs.history[:, "event_lr"]
    np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))


def test_schedule_follows_max_epochs(data):
    X, y = data
    clf = tiny_lstmatt(train_split=None, max_epochs=2, callbacks=[("lr", CosineAnnealing(eta_min=1e-4))])
    clf.set_params(max_epochs=5).fit(X, y)
    expected = [1e-4 + (1e-2 - 1e-4) * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)]
    np.testing.assert_allclose(clf.history[:, "event_lr"], expected, rtol=1e-12)
    # the length read at fit time is fitted state, not a parameter
    assert clf.callbacks[0][1].get_params() == {"eta_min": 1e-4, "event_name": "event_lr"}
    assert clone(clf.callbacks[0][1]).get_params() == {"eta_min": 1e-4, "event_name": "event_lr"}
    assert repr(CosineAnnealing()) == "CosineAnnealing(eta_min=0.0, event_name='event_lr')"


@pytest.mark.parametrize("bad", [-1.0, "0", True])
def test_invalid_eta_min(data, bad):
    X, y = data
    with pytest.raises(ValueError, match="eta_min must be a number >= 0"):
        tiny_lstmatt(train_split=None, max_epochs=1, callbacks=[("lr", CosineAnnealing(eta_min=bad))]).fit(X, y)


def test_model_file_round_trip(data, tmp_path):
    X, y = data
    clf = tiny_lstmatt(train_split=None, max_epochs=2, callbacks=[("lr", CosineAnnealing(eta_min=1e-5))]).fit(X, y)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    (name, callback), = loaded.callbacks
    assert name == "lr" and isinstance(callback, CosineAnnealing) and callback.eta_min == 1e-5
    refit = clone(loaded).fit(X, y)  # the rebuilt callback trains like the original one
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))



# ----------------------------------------------------------------------------- progress and the epoch log

#: a plain progress line (``epoch 1/2: 3/13 batches (23%), 12 s elapsed, ~40 s left``)
PLAIN_LINE = re.compile(r"(epoch \d+/\d+( \(validation\))?|predict): [\d,]+/[\d,]+ batches \(\d+%\), "
                        r"\d+ (s|min) elapsed(, ~\d+ (s|min) left)?")


class TtyIO(io.StringIO):
    """A text sink that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def fake_clock(monkeypatch):
    """The progress clock advancing 4 s at every reading (about one reading per batch)."""
    ticks = itertools.count(0, 4)
    monkeypatch.setattr(callbacks, "_now", lambda: next(ticks))


def _progress(sink, **params):
    return {"verbose": 1, "batch_size": 8, "callbacks__batch_progress__sink": sink,
            **{f"callbacks__batch_progress__{k}": v for k, v in params.items()}}


def test_plain_lines_off_a_terminal(data, fake_clock, capsys):
    X, y = data
    sink = io.StringIO()
    tiny_lstmatt(**_progress(sink)).fit(X, y)  # 77 training + 19 validation sequences: 10 + 3 batches
    text = sink.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    # silent for the first 10 s (min_interval), then a line at most every 30 s (interval)
    assert lines == ["epoch 1/2: 3/13 batches (23%), 12 s elapsed, ~40 s left",
                     "epoch 1/2 (validation): 11/13 batches (84%), 44 s elapsed, ~8 s left",
                     "epoch 2/2: 3/13 batches (23%), 12 s elapsed, ~40 s left",
                     "epoch 2/2 (validation): 11/13 batches (84%), 44 s elapsed, ~8 s left"]
    assert "train_loss" in capsys.readouterr().out  # the epoch log still follows each epoch


def test_interval_and_min_interval(data, fake_clock):
    X, y = data
    every, never = io.StringIO(), io.StringIO()
    tiny_lstmatt(**_progress(every, min_interval=0, interval=0), max_epochs=1).fit(X, y)
    lines = every.getvalue().splitlines()
    assert len(lines) == 13 and all(PLAIN_LINE.fullmatch(line) for line in lines)
    assert lines[-1] == "epoch 1/1 (validation): 13/13 batches (100%), 52 s elapsed"
    tiny_lstmatt(**_progress(never, min_interval=1000), max_epochs=1).fit(X, y)
    assert never.getvalue() == ""


@pytest.mark.parametrize("sink", [io.StringIO, TtyIO])
def test_fast_epochs_print_nothing(data, sink, capsys):
    X, y = data
    out = sink()
    tiny_lstmatt(**_progress(out)).fit(X, y)  # the real clock: epochs far shorter than 10 s
    assert out.getvalue() == ""
    assert "batches" not in capsys.readouterr().err


def test_verbose_0_reports_nothing(data, fake_clock):
    X, y = data
    sink = io.StringIO()
    clf = tiny_lstmatt(**{**_progress(sink, min_interval=0, interval=0), "verbose": 0}).fit(X, y)
    clf.predict_proba(X)
    assert sink.getvalue() == ""


def test_terminal_gets_one_bar_cleared_at_epoch_end(data):
    X, y = data
    sink = TtyIO()
    tiny_lstmatt(**_progress(sink, min_interval=0)).fit(X, y)
    text = sink.getvalue()
    assert "epoch 1/2" in text and "epoch 2/2" in text and "batch" in text  # tqdm's bar
    assert "\n" not in text and text.endswith("\r")  # updated in place, then cleared (leave=False)
    assert "batches (" not in text  # no plain line


def test_prediction_progress(data, fake_clock):
    X, y = data
    sink = io.StringIO()
    clf = tiny_lstmatt(**_progress(sink), train_split=None).fit(X, y)
    sink.seek(0), sink.truncate()
    proba, logits = clf.predict_proba(X), clf.decision_function(X)
    lines = sink.getvalue().splitlines()
    # 96 sequences in 12 batches, for predict_proba then decision_function
    assert lines == ["predict: 3/12 batches (25%), 12 s elapsed, ~36 s left",
                     "predict: 11/12 batches (91%), 44 s elapsed, ~4 s left"] * 2
    quiet = clf.set_params(verbose=0)
    np.testing.assert_array_equal(quiet.predict_proba(X), proba)
    np.testing.assert_array_equal(quiet.decision_function(X), logits)
    assert len(sink.getvalue().splitlines()) == 4


def test_batch_progress_parameters(data):
    progress = BatchProgress(interval=60)
    assert progress.get_params() == {"interval": 60, "min_interval": 10.0, "sink": None}
    assert clone(progress).get_params() == progress.get_params()
    assert repr(BatchProgress()) == "BatchProgress(min_interval=10.0, interval=30.0, sink=None)"
    X, y = data
    for params, name in [({"interval": -1}, "interval"), ({"min_interval": "10"}, "min_interval"),
                         ({"sink": "log.txt"}, "sink")]:
        with pytest.raises(ValueError, match=f"BatchProgress: {name} must be"):
            tiny_lstmatt(max_epochs=1, callbacks=[("p", BatchProgress(**params))]).fit(X, y)


def test_epoch_log_colours_only_a_terminal(data, capsys):
    X, y = data
    tiny_lstmatt(verbose=1).fit(X, y)  # print, stdout captured: not a terminal
    out = capsys.readouterr().out
    assert "valid_acc" in out and "\x1b" not in out
    tty = TtyIO()
    tiny_lstmatt(verbose=1, callbacks__print_log__sink=tty.write).fit(X, y)
    assert "\x1b[" in tty.getvalue()  # skorch's colours on a terminal
    plain = io.StringIO()
    tiny_lstmatt(verbose=1, callbacks__print_log__sink=plain.write).fit(X, y)
    assert _strip_ansi(tty.getvalue()).split()[:5] == plain.getvalue().split()[:5]
    assert "\x1b" not in plain.getvalue()


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


CLI_TRAIN = ["train", "--synthetic", "--n-samples", "60", "--model", "lstmatt", "--length", "60", "--epochs", "2",
             "--param", "module__lstm_units=4", "--param", "module__embedding_dim=4", "--param", "batch_size=8",
             "--threads", "1"]


def test_cli_train_writes_plain_stderr(fake_clock, tmp_path, capsys):
    assert main([*CLI_TRAIN, "-o", str(tmp_path / "m.eskm")]) == 0
    captured = capsys.readouterr()
    assert "train_loss" in captured.err and "valid_acc" in captured.err  # the epoch log, on stderr
    assert "\x1b[" not in captured.err and "\r" not in captured.err
    progress = [line for line in captured.err.splitlines() if " batches (" in line]
    assert progress and all(PLAIN_LINE.fullmatch(line) for line in progress)
    assert captured.out == ""


def test_cli_train_quiet_reports_no_progress(fake_clock, tmp_path, capsys):
    assert main([*CLI_TRAIN, "--quiet", "-o", str(tmp_path / "m.eskm")]) == 0
    err = capsys.readouterr().err
    assert "batches" not in err and "train_loss" not in err and "\x1b[" not in err


@pytest.mark.parametrize("make", [tiny_lstmatt, tiny_deepenhancer])
def test_default_callbacks_survive_model_files(data, make, tmp_path):
    X, y = data
    clf = make(verbose=1, callbacks__batch_progress__min_interval=0).fit(X, y)
    assert isinstance(dict(clf.callbacks_)["batch_progress"], BatchProgress)
    assert isinstance(dict(clf.callbacks_)["print_log"], EpochLog)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert isinstance(dict(loaded.callbacks_)["batch_progress"], BatchProgress)


def test_explicit_progress_callbacks_survive_model_files(data, tmp_path):
    X, y = data
    given = [("progress", BatchProgress(min_interval=5, interval=60)), ("log", EpochLog(floatfmt=".3f"))]
    clf = tiny_lstmatt(callbacks=given, callbacks__batch_progress=None, callbacks__print_log=None).fit(X, y)
    save(clf, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    (_, progress), (_, log) = loaded.callbacks
    assert isinstance(progress, BatchProgress) and progress.get_params() == given[0][1].get_params()
    assert isinstance(log, EpochLog) and log.floatfmt == ".3f"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
