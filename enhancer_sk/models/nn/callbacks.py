"""skorch callbacks of the project.

:class:`CosineAnnealing` decays the learning rate along a half cosine over the
whole fit, however many epochs ``max_epochs`` says, so ``GridSearchCV`` over
``max_epochs`` (or the command line's ``--epochs``) keeps the schedule's shape.
It is the schedule of the from-scratch Enhancer-LSTMAtt recipe in
``benchmarks/ienhancer2l.py``.

:class:`BatchProgress` reports progress inside long epochs (and long
predictions): a tqdm bar on a terminal, plain lines elsewhere (a log file, a
Galaxy job).  :class:`EpochLog` is skorch's ``PrintLog`` without colour codes
when its output is not a terminal.  Both are default callbacks of the
networks (``"batch_progress"``, ``"print_log"``) and speak only when the net's
``verbose`` is 1 or more.  :class:`ValidAccuracy` records the accuracy of
the validation pass from its own predictions (DeepEnhancer's ``valid_acc``:
sequences voted over their windows).
"""

from __future__ import annotations

import math
import numbers
import re
import sys
import time
from collections.abc import Iterable, Iterator

import numpy as np
import torch
import tqdm
from scipy.special import expit
from skorch.callbacks import Callback, LRScheduler, PrintLog
from skorch.dataset import get_len, unpack_data
from torch.optim.lr_scheduler import CosineAnnealingLR

__all__ = ["BatchProgress", "CosineAnnealing", "EpochLog", "ValidAccuracy"]

#: The clock of the progress reports (a module attribute, so tests can replace it).
_now = time.monotonic

#: ANSI escape sequences (skorch's ``Ansi`` colours and their reset code).
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class CosineAnnealing(LRScheduler):
    """Cosine decay of the learning rate from ``lr`` to ``eta_min`` over ``max_epochs``.

    A skorch ``LRScheduler`` running torch's ``CosineAnnealingLR`` with
    ``T_max`` taken from the net's ``max_epochs`` when training starts (the
    parameter is not stored, so ``get_params`` / ``clone`` are unaffected).
    It steps once per epoch; the epoch log's ``event_lr`` column records the
    rate of each epoch.  With ``T_max`` equal to ``max_epochs`` it gives the
    same rates as ``LRScheduler(policy=CosineAnnealingLR, T_max=max_epochs)``.

    Parameters
    ----------
    eta_min : float, default=0.0
        Learning rate reached after the last epoch.
    event_name : str, default="event_lr"
        History key of the per-epoch learning rate.

    Examples
    --------
    >>> from enhancer_sk import EnhancerLSTMAttClassifier  # doctest: +SKIP
    >>> from enhancer_sk.models.nn.callbacks import CosineAnnealing  # doctest: +SKIP
    >>> clf = EnhancerLSTMAttClassifier(lr=1e-3, max_epochs=9, train_split=None,  # doctest: +SKIP
    ...                                 callbacks=[("lr_schedule", CosineAnnealing())])
    """

    def __init__(self, eta_min: float = 0.0, event_name: str = "event_lr"):
        super().__init__(
            policy=CosineAnnealingLR, monitor="train_loss", event_name=event_name, step_every="epoch", eta_min=eta_min
        )

    def __repr__(self) -> str:
        return f"CosineAnnealing(eta_min={self.eta_min!r}, event_name={self.event_name!r})"

    def _get_param_names(self) -> list[str]:
        return ["eta_min", "event_name"]

    @property
    def kwargs(self) -> dict:
        """Arguments of ``CosineAnnealingLR`` besides the optimizer."""
        return {"eta_min": self.eta_min, "T_max": self.t_max_}

    def on_train_begin(self, net, **kwargs) -> None:
        """Read the schedule length from the net, then build the torch scheduler."""
        eta_min = self.eta_min
        if isinstance(eta_min, bool) or not isinstance(eta_min, (int, float)) or eta_min < 0:
            raise ValueError(f"CosineAnnealing: eta_min must be a number >= 0, got {eta_min!r}")
        max_epochs = net.max_epochs
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"CosineAnnealing needs max_epochs to be an integer >= 1, got {max_epochs!r}")
        self.t_max_ = max_epochs
        super().on_train_begin(net, **kwargs)


# ----------------------------------------------------------------------------- output streams


def _is_terminal(stream) -> bool:
    """True when ``stream`` (a file object, or a bound method of one such as ``sys.stderr.write``) is a tty."""
    stream = getattr(stream, "__self__", stream)
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed file
        return False


def _duration(seconds: float) -> str:
    """``41 s``, ``2 min``, ``1.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class _Tracker:
    """Progress over ``total`` batches: silent for ``min_interval`` seconds, then reported.

    On a terminal a tqdm bar (cleared by :meth:`close`); elsewhere a plain line
    at most every ``interval`` seconds, without carriage returns or colours.
    ``total`` None: the number of batches is unknown (no percentage).
    """

    def __init__(self, total: int | None, label: str, *, sink, min_interval: float, interval: float):
        self.total = total
        self.label = label
        self.sink = sys.stderr if sink is None else sink
        self.min_interval = min_interval
        self.interval = interval
        self.done = 0
        self.start = _now()
        self.last_line: float | None = None
        self.bar = None
        if _is_terminal(self.sink):
            self.bar = tqdm.tqdm(total=total, desc=label, unit="batch", leave=False, delay=min_interval,
                                 file=self.sink, dynamic_ncols=True)

    def relabel(self, label: str) -> None:
        """Name what is running now (e.g. the validation pass of an epoch)."""
        self.label = label
        if self.bar is not None:
            self.bar.set_description(label, refresh=False)

    def update(self, n: int = 1) -> None:
        """Count ``n`` finished batches; report if it is time to."""
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = _now()
        if now - self.start < self.min_interval:
            return
        if self.last_line is not None and now - self.last_line < self.interval:
            return
        self.last_line = now
        self.sink.write(self.line(now - self.start) + "\n")
        self.sink.flush()

    def line(self, elapsed: float) -> str:
        """``epoch 3/30: 1,200/4,800 batches (25%), 41 s elapsed, ~2 min left``."""
        done, total = self.done, self.total
        if total and done <= total:
            text = f"{self.label}: {done:,}/{total:,} batches ({100 * done // total}%), {_duration(elapsed)} elapsed"
            if 0 < done < total:
                text += f", ~{_duration(elapsed * (total - done) / done)} left"
            return text
        return f"{self.label}: {done:,} batches, {_duration(elapsed)} elapsed"

    def close(self) -> None:
        """End the report (clears the bar; a plain report needs no ending)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# ----------------------------------------------------------------------------- callbacks


class BatchProgress(Callback):
    """Progress over the batches of long epochs, on a terminal or in a log file.

    Silent for epochs that end within ``min_interval`` seconds, so short fits
    print nothing extra.  Past that, on a terminal (``sink.isatty()``) a single
    tqdm bar counts the batches of the epoch (training, then validation) and
    is cleared when the epoch ends, before the epoch log's line; elsewhere (a
    file, a Galaxy job's stderr) a plain line, without carriage returns or
    colour codes, is written at most every ``interval`` seconds::

        epoch 3/30: 1,200/4,800 batches (25%), 41 s elapsed, ~2 min left
        epoch 3/30 (validation): 4,100/4,800 batches (85%), 2 min elapsed, ~21 s left

    Epochs count from the start of the current ``fit`` / ``partial_fit`` out of
    ``max_epochs``; the number of batches comes from the lengths of the
    training and validation datasets and the iterators' batch sizes.  Nothing
    is reported while the net's ``verbose`` is 0.  The networks of
    enhancer_sk also report the batches of long predictions through this
    callback (:meth:`track`), with its settings; set
    ``callbacks__batch_progress=None`` to turn both off.

    Parameters
    ----------
    min_interval : float, default=10.0
        Seconds an epoch (or a prediction) runs before anything is reported.
    interval : float, default=30.0
        Seconds between two plain lines (not on a terminal: the bar updates
        itself).
    sink : file object or None, default=None
        Where to write; None: ``sys.stderr`` as it is when the epoch starts
        (the command line sends it to the job's log).  Only None can be
        saved in a model file.

    Examples
    --------
    >>> from enhancer_sk.models.nn.callbacks import BatchProgress
    >>> BatchProgress(interval=60).get_params()
    {'min_interval': 10.0, 'interval': 60, 'sink': None}
    """

    def __init__(self, min_interval: float = 10.0, interval: float = 30.0, sink=None):
        self.min_interval = min_interval
        self.interval = interval
        self.sink = sink

    def __repr__(self) -> str:
        return f"BatchProgress(min_interval={self.min_interval!r}, interval={self.interval!r}, sink={self.sink!r})"

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("tracker_", None)  # a bar of a running epoch (holds a stream): never copied
        return state

    def _check_params(self) -> None:
        for name in ("min_interval", "interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
                raise ValueError(f"BatchProgress: {name} must be a number of seconds >= 0, got {value!r}")
        if self.sink is not None and not callable(getattr(self.sink, "write", None)):
            raise ValueError(f"BatchProgress: sink must be None or a file object with write(), got {self.sink!r}")

    def _tracker(self, total: int | None, label: str) -> _Tracker:
        return _Tracker(total, label, sink=self.sink, min_interval=float(self.min_interval),
                        interval=float(self.interval))

    @staticmethod
    def n_batches(net, dataset, training: bool) -> int | None:
        """Batches of ``dataset`` in an epoch of ``net`` (None: length unknown).

        From the dataset's length and the batch size (and ``drop_last``) of
        ``iterator_train`` or ``iterator_valid``, as skorch reads them.
        """
        if dataset is None:
            return 0
        try:
            n = get_len(dataset)
        except (TypeError, ValueError, AttributeError):  # no length: progress without a total
            return None
        params = net.get_params_for("iterator_train" if training else "iterator_valid")
        batch_size = params.get("batch_size", net.batch_size)
        if batch_size == -1:
            batch_size = n
        if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            return None
        return n // batch_size if params.get("drop_last", False) else math.ceil(n / batch_size)

    def track(self, batches: Iterable, total: int | None, label: str = "predict") -> Iterator:
        """Yield ``batches``, reporting progress over them as over an epoch.

        Parameters
        ----------
        batches : iterable
            Batches (or per-batch outputs) of a long loop, e.g. a prediction.
        total : int or None
            Number of batches (None: unknown).
        label : str, default="predict"
            Start of each report.

        Yields
        ------
        object
            The items of ``batches``, unchanged.
        """
        self._check_params()
        tracker = self._tracker(total, label)
        try:
            for batch in batches:
                yield batch
                tracker.update()
        finally:
            tracker.close()

    # -- hooks ------------------------------------------------------------------------
    def initialize(self) -> BatchProgress:
        self.tracker_ = None
        self.epochs_before_ = 0
        return self

    def on_train_begin(self, net, **kwargs) -> None:
        """Check the parameters; remember where this fit's epochs start in the history."""
        self._check_params()
        self.epochs_before_ = len(net.history) if net.history is not None else 0

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs) -> None:
        """Start counting the batches of this epoch (when ``net.verbose`` >= 1)."""
        self._close()
        if not net.verbose or net.verbose < 1:
            return
        n_train = self.n_batches(net, dataset_train, training=True)
        n_valid = self.n_batches(net, dataset_valid, training=False)
        total = None if n_train is None or n_valid is None else n_train + n_valid
        epoch = len(net.history) - getattr(self, "epochs_before_", 0)
        self.label_ = f"epoch {epoch}/{net.max_epochs}" if epoch <= net.max_epochs else f"epoch {epoch}"
        self.validating_ = False
        self.tracker_ = self._tracker(total, self.label_)

    def on_batch_end(self, net, batch=None, training=None, **kwargs) -> None:
        """Count a batch; the first validation batch renames the report."""
        tracker = getattr(self, "tracker_", None)
        if tracker is None:
            return
        if not training and not self.validating_:
            self.validating_ = True
            tracker.relabel(f"{self.label_} (validation)")
        tracker.update()

    def on_epoch_end(self, net, **kwargs) -> None:
        """Clear the bar (before the epoch log writes its line)."""
        self._close()

    def on_train_end(self, net, **kwargs) -> None:
        """Clear the bar of an interrupted epoch."""
        self._close()

    def _close(self) -> None:
        tracker = getattr(self, "tracker_", None)
        if tracker is not None:
            tracker.close()
        self.tracker_ = None


class EpochLog(PrintLog):
    """skorch's ``PrintLog`` (the per-epoch table), coloured only on a terminal.

    skorch colours the best value of each column with ANSI codes; when the
    sink is not a terminal (``print`` with ``sys.stdout`` redirected to a
    file, a Galaxy job's log, a ``logging`` function) the codes are left out,
    so the log reads as plain text.  The parameters are those of
    ``PrintLog``; the table is the same.
    """

    def _to_terminal(self) -> bool:
        return _is_terminal(sys.stdout if self.sink is print else self.sink)

    def _sink(self, text, verbose) -> None:
        if not self._to_terminal():
            text = _ANSI.sub("", text)
        super()._sink(text, verbose)


def _as_flat_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64).reshape(-1)


class ValidAccuracy(Callback):
    """Accuracy of each epoch's validation pass, from the predictions that pass already made.

    Records ``name`` (and ``<name>_best``) in the history, like skorch's
    ``valid_acc``, without predicting the validation set a second time.  A
    prediction is ``classes_[1]`` when the sigmoid of the logit exceeds the
    net's ``threshold``; targets are the encoded 0/1 labels.  When the
    validation set is windows of held-out sequences (a ``Subset`` of a
    :class:`~enhancer_sk.models.nn.windowed.WindowDataset`), the windows of a
    sequence are voted first (the net's ``aggregate``: max logit, or mean
    probability), so the accuracy is that of the sequences, as ``predict``
    gives it.  Nothing is recorded in epochs without validation.

    Parameters
    ----------
    name : str, default="valid_acc"
        History key.
    """

    def __init__(self, name: str = "valid_acc"):
        self.name = name

    def initialize(self) -> ValidAccuracy:
        self.logits_: list[np.ndarray] = []
        self.targets_: list[np.ndarray] = []
        return self

    def on_epoch_begin(self, net, **kwargs) -> None:
        self.logits_, self.targets_ = [], []

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs) -> None:
        if training or y_pred is None or batch is None:
            return
        _, yi = unpack_data(batch)
        self.logits_.append(_as_flat_numpy(y_pred))
        self.targets_.append(_as_flat_numpy(yi))

    def on_epoch_end(self, net, dataset_valid=None, **kwargs) -> None:
        if not self.logits_:
            return
        logits = np.concatenate(self.logits_)
        targets = np.concatenate(self.targets_) > 0.5
        self.logits_, self.targets_ = [], []
        groups = self._window_groups(dataset_valid, len(logits))
        if groups is not None:
            seq, inverse = np.unique(groups, return_inverse=True)
            if getattr(net, "aggregate", "max") == "mean":
                proba = np.bincount(inverse, weights=expit(logits)) / np.bincount(inverse)
            else:
                voted = np.full(len(seq), -np.inf)
                np.maximum.at(voted, inverse, logits)
                proba = expit(voted)
            targets = np.asarray(dataset_valid.dataset.sequence_labels)[seq] > 0.5
        else:
            proba = expit(logits)
        score = float(np.mean((proba > net.threshold) == targets))
        previous = [row[self.name] for row in net.history[:-1] if self.name in row]
        net.history.record(self.name, score)
        net.history.record(f"{self.name}_best", not previous or score > max(previous))

    @staticmethod
    def _window_groups(dataset, n: int) -> np.ndarray | None:
        """The sequence of each validation item when ``dataset`` is windows of sequences (else None)."""
        base = getattr(dataset, "dataset", None)
        indices = getattr(dataset, "indices", None)
        if base is None or indices is None or not hasattr(base, "groups") or not hasattr(base, "sequence_labels"):
            return None
        groups = np.asarray(base.groups)[np.asarray(indices, dtype=np.int64)]
        return groups if len(groups) == n else None
