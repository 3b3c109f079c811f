"""Behaviour shared by every neural network classifier of the project.

:class:`SequenceNetClassifier` is a thin layer over skorch's
``NeuralNetBinaryClassifier`` that adds what the DNA models all need:

* ``X`` as strings, a FASTA path, or an already-encoded array (subclasses say
  how to encode through :meth:`SequenceNetClassifier.encode`);
* arbitrary binary labels (``classes_`` holds them; ``predict`` returns them);
* ``random_state``: seeds torch inside ``fit`` (bitwise-reproducible on the CPU
  for a fixed ``threads``) without touching the caller's global RNG state;
* ``threads``: torch / BLAS thread count applied only during fit and predict
  (see :mod:`enhancer_sk.threads`);
* ``decision_function`` returning the logit;
* an epoch log that shows every epoch the history records, the last one
  included when a callback (early stopping) ends the training;
* a :class:`~enhancer_sk.exceptions.NotLearningWarning` after a fit that
  learned nothing (see :meth:`SequenceNetClassifier.check_learning`);
* transfer learning for the subclasses that have an ``init_from`` parameter:
  the new network starts from the weights of a fitted model of the same class
  (or of a model file holding one), and a fitted ``init_from`` stays fitted
  in a clone.

Model-specific sizes live in the ``module__*`` parameters, so
``GridSearchCV`` can tune them.
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval
from skorch import NeuralNetBinaryClassifier
from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog

from ..._validation import check_training_labels, validate_params
from ...exceptions import NotLearningWarning
from ...sequence.codes import SequenceCodes, as_sequences, is_sequence_path
from ...threads import limit_threads
from .callbacks import BatchProgress, EpochLog

__all__ = ["SequenceNetClassifier", "encoded_accuracy", "pretrained_state", "torch_seed"]


def encoded_accuracy(net, X, y) -> float:
    """Accuracy on the encoded 0/1 targets skorch sees during training (any label values)."""
    proba = net.predict_proba(X)[:, 1]
    y = np.asarray(y.cpu().numpy() if isinstance(y, torch.Tensor) else y)
    return float(np.mean((proba > net.threshold) == (y > 0.5)))


def torch_seed(random_state) -> int | None:
    """Turn a ``random_state`` (None, int or ``RandomState``) into a torch seed."""
    if random_state is None:
        return None
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise ValueError(f"random_state must be None, an int or a numpy RandomState, got {random_state!r}")


def pretrained_state(source, kind: type) -> Mapping[str, torch.Tensor]:
    """The network weights an ``init_from`` value stands for.

    Parameters
    ----------
    source : estimator, str, path or mapping
        A fitted ``kind`` estimator, a model file (:func:`enhancer_sk.save`)
        holding one, or a ``state_dict``.
    kind : class
        The estimator class the source must be.

    Returns
    -------
    mapping of str -> torch.Tensor
        A ``state_dict`` (copied when it comes from a fitted estimator).

    Raises
    ------
    ValueError
        ``source`` is an unfitted estimator or of another type.
    ModelFileError
        The model file is unreadable or holds another kind of model.
    """
    if isinstance(source, kind):
        if not getattr(source, "initialized_", False):
            raise ValueError("init_from model is not fitted")
        return {k: v.detach().clone() for k, v in source.module_.state_dict().items()}
    if isinstance(source, (str, os.PathLike)):
        from ...model_files import load

        return load(source, kind=kind).module_.state_dict()
    if isinstance(source, Mapping):
        return source
    raise ValueError(
        f"init_from must be a fitted {kind.__name__}, a model file path or a state_dict, got {type(source).__name__}"
    )


class SequenceNetClassifier(NeuralNetBinaryClassifier):
    """Binary skorch classifier over DNA sequences (base class, not used directly).

    It owns what every network shares: the defaults below, the one ``fit`` /
    ``partial_fit``, labels, seeds and threads.  A subclass declares only what
    it changes (its module, its own parameters and their
    ``_parameter_constraints``) and how sequences become training data, by
    two hooks:

    * :meth:`encode`: sequences (strings, FASTA path or an encoded array) ->
      the array the module takes (used for prediction, and for training
      unless :meth:`training_data` is overridden);
    * :meth:`training_data`: sequences and their 0/1 targets -> what skorch
      trains on (``(X, y)``, or a ``Dataset`` and ``None``).

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Network returning one logit per sequence.
    optimizer : torch optimizer class, default=torch.optim.Adam
    lr : float, default=1e-4
        Learning rate.
    max_epochs : int, default=30
    batch_size : int, default=64
    random_state : int, RandomState or None, default=None
        Seed for weight initialisation, shuffling and dropout, applied at the
        start of every ``fit`` and ``partial_fit`` (the caller's global torch
        RNG state is left untouched).  Training batches are shuffled every
        epoch (``iterator_train__shuffle=True``).  With the same seed and
        ``threads``, two fits give bitwise-identical results on the CPU.
    threads : int or None, default=None
        Torch threads during fit / predict; None: ``GALAXY_SLOTS`` or all CPUs
        available to the process.
    verbose : int, default=0
        1 prints the skorch epoch log (coloured on a terminal only) and
        reports progress inside epochs and predictions that run longer than
        10 s (callback ``"batch_progress"``, a
        :class:`~enhancer_sk.models.nn.callbacks.BatchProgress`: a bar on a
        terminal, a plain line every 30 s elsewhere).
    **kwargs
        Any skorch ``NeuralNet`` parameter (``callbacks``, ``train_split``,
        ``module__*``, ``optimizer__*``, ``iterator_train__*`` ...).

    Warns
    -----
    NotLearningWarning
        After ``fit`` / ``partial_fit`` when the network learned nothing
        (:meth:`check_learning`).
    """

    #: training sequences :meth:`check_learning` predicts at most
    learning_check_size = 2000
    #: what must match between this network and ``init_from`` (subclasses with ``init_from``)
    init_from_must_match = "module__* sizes"

    _parameter_constraints: dict = {
        "lr": [Interval(numbers.Real, 0.0, None, closed="neither")],
        "max_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, -1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
        "threads": [Interval(numbers.Integral, None, None, closed="neither"), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module,
        *args,
        optimizer=torch.optim.Adam,
        lr: float = 1e-4,
        max_epochs: int = 30,
        batch_size: int = 64,
        random_state=None,
        threads: int | None = None,
        verbose: int = 0,
        **kwargs,
    ):
        # skorch does not shuffle training batches by default; sequence files are often
        # sorted by class, which makes every batch one class and stalls training
        kwargs.setdefault("iterator_train__shuffle", True)
        super().__init__(module, *args, optimizer=optimizer, lr=lr, max_epochs=max_epochs, batch_size=batch_size,
                         verbose=verbose, **kwargs)
        self.random_state = random_state
        self.threads = threads

    @property
    def _default_callbacks(self):
        # skorch's default "valid_acc" compares predictions (our labels) with the encoded
        # 0/1 targets; score the encoded targets instead so any label values work
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("valid_acc", EpochScoring(encoded_accuracy, name="valid_acc", lower_is_better=False)),
            ("batch_progress", BatchProgress()),  # before print_log: the bar is cleared before the epoch line
            ("print_log", EpochLog()),
        ]

    # -- transfer learning (subclasses with an ``init_from`` parameter) ------------------------
    def initialize_module(self):
        """Build the network; copy the pre-trained weights of ``init_from`` (when the class has it) into it."""
        super().initialize_module()
        source = getattr(self, "init_from", None)
        if source is not None:
            state = pretrained_state(source, type(self))
            try:
                self.module_.load_state_dict(state)
            except RuntimeError as err:
                raise ValueError(
                    f"init_from holds weights of a different network ({self.init_from_must_match} must match "
                    f"this model's): {str(err).splitlines()[0]}"
                ) from None
        return self

    def __sklearn_clone__(self):
        init_from = getattr(self, "init_from", None)
        if init_from is None:
            return super().__sklearn_clone__()
        # a fitted init_from model must stay fitted in the clone (sklearn would clone it unfitted)
        self.init_from = None
        try:
            new = super().__sklearn_clone__()
        finally:
            self.init_from = init_from
        new.init_from = init_from
        return new

    # -- hooks ------------------------------------------------------------------------------
    def encode(self, X) -> np.ndarray:  # pragma: no cover - abstract
        """Turn sequences (strings / FASTA path / encoded array) into the module's input."""
        raise NotImplementedError

    def training_data(self, X, targets_of) -> tuple:
        """What skorch trains on: ``(X_train, y_train)``.

        ``targets_of(n)`` returns the 0/1 targets of the ``n`` sequences
        (checked against the labels).  Default: the encoded input and the
        targets.
        """
        Xe = self._encode_input(X)
        return Xe, targets_of(len(Xe))

    def _encode_input(self, X):
        """Encode unless ``X`` is already a torch Dataset."""
        if isinstance(X, torch.utils.data.Dataset):
            return X
        return self.encode(X)

    @staticmethod
    def _is_encoded(X) -> bool:
        """True for numeric NumPy arrays and tensors (not strings / paths)."""
        if is_sequence_path(X):
            return False
        if isinstance(X, torch.Tensor):
            return True
        return isinstance(X, np.ndarray) and X.dtype.kind in "biuf"

    # -- labels -------------------------------------------------------------------------
    @property
    def classes_(self):
        return self.classes_inferred_

    @classes_.setter
    def classes_(self, value):  # allows loaders to set the labels
        self.classes_inferred_ = np.asarray(value)

    def _encode_labels(self, y, n_samples: int) -> np.ndarray:
        """0/1 targets of new training labels; sets ``classes_``."""
        y = check_training_labels(y, n_samples=n_samples)
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) != 2:
            raise ValueError(
                f"{type(self).__name__} is a binary classifier but y holds {len(encoder.classes_)} "
                f"classes {list(encoder.classes_)[:5]}; use TwoLayerEnhancerClassifier or "
                "sklearn.multiclass.OneVsRestClassifier for more classes"
            )
        self.classes_inferred_ = encoder.classes_
        return encoder.transform(y).astype(np.float32)

    def _labels_as_index(self, y, n_samples: int) -> np.ndarray:
        """0/1 targets of labels that must be among the fitted ``classes_`` (``partial_fit``)."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != n_samples:
            raise ValueError(f"{n_samples} sequences but labels of shape {y.shape}")
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(f"label {y[unknown][0]!r} is not one of the fitted classes {list(self.classes_)}")
        return np.searchsorted(self.classes_, y).astype(np.float32)

    # -- fit ----------------------------------------------------------------------------
    def _limit_threads(self):
        """Context manager applying ``threads`` during fit / predict (subclasses may refine it)."""
        return limit_threads(self.threads)

    def fit(self, X, y, **fit_params):
        """Fit on sequences ``X`` (strings, FASTA path or encoded array) and labels ``y`` (any two values).

        Returns
        -------
        self
        """
        return self._train(X, y, partial=False, **fit_params)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Continue training on ``X``, ``y`` without re-initialising (labels among the fitted ``classes_``).

        Returns
        -------
        self
        """
        if fit_params.get("_routing_method") == "fit":
            # skorch's fit hands the training data prepared by _train on to partial_fit
            return super().partial_fit(X, y, **fit_params)
        return self._train(X, y, partial=True, **fit_params)

    def _train(self, X, y, *, partial: bool, **fit_params):
        validate_params(self)
        fitted = partial and hasattr(self, "classes_inferred_") and getattr(self, "initialized_", False)

        def targets_of(n: int) -> np.ndarray:
            return self._labels_as_index(y, n) if fitted else self._encode_labels(y, n)

        X_train, y_train = self.training_data(X, targets_of)
        seed = torch_seed(self.random_state)
        with self._limit_threads(), torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            if partial:
                super().partial_fit(X_train, y_train, **fit_params)
            else:
                super().fit(X_train, y_train, **fit_params)
        self.check_learning(X)
        return self

    def notify(self, method_name, **cb_kwargs):
        """skorch's ``notify``, except that a callback ending the training does not hide the epoch's log line.

        skorch runs the epoch log (``PrintLog``) last; when a callback before
        it (``EarlyStopping``) raises ``KeyboardInterrupt`` at the end of an
        epoch, the epoch log still prints that epoch (which the history
        holds) before the interruption goes on.
        """
        if method_name != "on_epoch_end":
            return super().notify(method_name, **cb_kwargs)
        self.on_epoch_end(self, **cb_kwargs)
        stop = None
        for _, cb in self.callbacks_:
            if stop is not None and not isinstance(cb, PrintLog):
                continue
            try:
                cb.on_epoch_end(self, **cb_kwargs)
            except KeyboardInterrupt as err:
                if stop is not None or isinstance(cb, PrintLog):
                    raise
                stop = err
        if stop is not None:
            raise stop
        return None

    def check_learning(self, X) -> bool:
        """Warn when the fitted network learned nothing; True when it did (or cannot tell).

        The network learned nothing when the best validation loss is that of
        the first epoch (or, without validation, the training loss never fell
        10% below the first epoch's) and, on at most
        :attr:`learning_check_size` training sequences (evenly spaced), it
        predicts one class for all or its probabilities hardly vary
        (standard deviation below 0.001).  Runs one prediction pass only when
        the first condition holds.

        Parameters
        ----------
        X : sequences
            The training sequences (as given to ``fit``).

        Returns
        -------
        bool

        Warns
        -----
        NotLearningWarning
            Naming what happened and what to try.
        """
        history = self.history_ if getattr(self, "history_", None) is not None else []
        if not len(history) or not getattr(self, "initialized_", False):
            return True
        valid = [float(h["valid_loss"]) for h in history if "valid_loss" in h]
        if valid and not np.all(np.isnan(valid)) and int(np.nanargmin(valid)) != 0:
            return True
        train = [float(h["train_loss"]) for h in history if "train_loss" in h]
        if not valid and len(train) > 1 and np.nanmin(train[1:]) < 0.9 * train[0]:
            return True  # no validation, and the training loss fell by over 10%: it learned something
        sample = self._learning_sample(X)
        if sample is None or not len(sample):
            return True
        verbose, self.verbose = self.verbose, 0  # a silent check: no progress report
        try:
            proba = np.asarray(self.predict_proba(sample))[:, 1]
        finally:
            self.verbose = verbose
        called = proba > self.threshold
        spread = float(np.std(proba))
        if called.min() != called.max():
            if spread >= 1e-3:
                return True
            what = f"its probabilities hardly vary (standard deviation {spread:.2g})"
        else:
            label = self.classes_[int(called[0])]
            label = label.item() if hasattr(label, "item") else label
            what = f"it predicts class {label!r} for all {len(proba)} training sequences checked"
        best = "the best validation loss is that of epoch 1" if valid else "there was no validation set"
        higher = 3e-3 if self.lr < 3e-3 else 3 * self.lr
        warnings.warn(NotLearningWarning(
            f"{type(self).__name__} learned nothing: after {len(history)} epoch(s) {best} and {what} "
            f"(probabilities {proba.min():.3f}-{proba.max():.3f}). Try more training data, a higher learning "
            f"rate (now {self.lr:g}; e.g. --lr {higher:g}), more epochs or a larger patience, the fast preset, "
            "or an SVM (kmer or gkm) for small data sets."), stacklevel=4)
        return False

    def _learning_sample(self, X):
        """At most :attr:`learning_check_size` training sequences, evenly spaced (None: cannot sample ``X``)."""
        if isinstance(X, torch.utils.data.Dataset):
            return None
        if is_sequence_path(X):
            X = as_sequences(X)
        try:
            n = len(X)
        except TypeError:
            return None
        limit = int(self.learning_check_size)
        if n <= limit:
            return X
        index = np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
        if isinstance(X, SequenceCodes):
            from .windowed import take_sequences

            return take_sequences(X, index)
        if isinstance(X, torch.Tensor):
            return X[torch.from_numpy(index)]
        if isinstance(X, (list, tuple)):
            return [X[i] for i in index]
        return np.asarray(X)[index]

    # -- predict ------------------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``, shape (n, 2)."""
        Xe = self._encode_input(X)
        # fork_rng: torch's DataLoader draws a seed from the global RNG even when not shuffling
        with self._limit_threads(), torch.random.fork_rng(devices=[]):
            return super().predict_proba(Xe)

    def decision_function(self, X) -> np.ndarray:
        """Logit of ``classes_[1]`` for each sequence, shape (n,)."""
        Xe = self._encode_input(X)
        with self._limit_threads(), torch.random.fork_rng(devices=[]):
            logits = [self.infer_logits(batch) for batch in self._iter_batches(Xe)]
        return np.concatenate(logits) if logits else np.empty(0, dtype=np.float32)

    def _iter_batches(self, Xe):
        dataset = self.get_dataset(Xe)
        batches = self.get_iterator(dataset, training=False)
        for batch in self._report_prediction(batches, BatchProgress.n_batches(self, dataset, training=False)):
            yield batch[0] if isinstance(batch, (tuple, list)) else batch

    def forward_iter(self, X, training=False, device="cpu"):
        """skorch's ``forward_iter`` (behind ``predict_proba``), reporting progress over the batches when verbose."""
        outputs = super().forward_iter(X, training=training, device=device)
        if training:
            return outputs
        return self._report_prediction(outputs, BatchProgress.n_batches(self, X, training=False))

    def _report_prediction(self, batches, n_batches: int | None):
        """``batches`` of a prediction, with progress when ``verbose`` and the net has a ``BatchProgress`` callback.

        Where prediction reports progress (``predict_proba`` through
        :meth:`forward_iter`, ``decision_function`` through :meth:`_iter_batches`),
        with the settings of the net's :class:`~enhancer_sk.models.nn.callbacks.BatchProgress`
        callback; ``n_batches`` None: their number is unknown.
        """
        if not self.verbose or self.verbose < 1:
            return batches
        progress = next((cb for _, cb in getattr(self, "callbacks_", None) or []
                         if isinstance(cb, BatchProgress)), None)
        if progress is None:
            return batches
        return progress.track(batches, n_batches, label="predict")

    def _predict_batch_size(self, default: int = 1024) -> int:
        """Windows or sequences per prediction batch: ``iterator_valid__batch_size``, else ``batch_size``."""
        size = self.get_params_for("iterator_valid").get("batch_size", self.batch_size)
        return int(size) if size and size > 0 else default

    def infer_logits(self, xb) -> np.ndarray:
        """Logits of one batch in evaluation mode, as float32 NumPy."""
        self.module_.eval()
        with torch.no_grad():
            out = self.infer(xb)
        return out.detach().cpu().numpy().astype(np.float32, copy=False)

    def predict(self, X) -> np.ndarray:
        """Labels from ``classes_``: ``classes_[1]`` where its probability exceeds ``threshold``."""
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > self.threshold).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags
