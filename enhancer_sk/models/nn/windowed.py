"""Training and scoring networks on fixed-length windows of sequences of any length.

DeepEnhancer (Min et al. 2017) cuts every sequence into windows of its input
length and scores a sequence by voting over its windows;
:class:`~enhancer_sk.models.nn.lstmatt.EnhancerLSTMAttClassifier` does the same
in its ``long_inputs="windows"`` mode.  This module holds what both share:

* :class:`WindowDataset`: every window of every sequence, each with its
  sequence's label (the paper's augmentation; an epoch costs the number of
  windows, which grows with the sequences' length);
* :class:`SampledWindowDataset`: a fixed number of windows per sequence and
  epoch, re-drawn every epoch, so an epoch costs the same whatever the
  length.  Sequence ``s`` with ``c`` windows gets one random order of its
  windows per fit (drawn from the seeded torch generator when training
  starts); epoch ``e`` takes the next ``m`` windows of that order, cyclically
  (``(e * m + j) mod c`` for ``j < m``), so every window is drawn within
  ``ceil(c / m)`` epochs and each sequence weighs the same in every epoch;
* :class:`SequenceVotingDataset`: held-out *sequences* (not windows) for the
  validation of a sampled fit: their validation loss is that of the
  prediction, the vote over all their windows;
* :class:`GroupValidSplit`: the skorch ``train_split`` that holds out whole
  sequences, so windows of one sequence never straddle the split;
* :class:`WindowedTrainingMixin`: the skorch hooks that re-draw the windows at
  every epoch, validate sampled fits by voting, and turn a skorch
  ``ValidSplit`` into the equivalent :class:`GroupValidSplit` for window data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.special import expit
from skorch.dataset import ValidSplit, unpack_data

from ...sequence.codes import SequenceCodes
from ...sequence.encoders import codes_to_one_hot
from ...sequence.windows import SlidingWindows
from .._proba import logit

__all__ = [
    "GroupValidSplit",
    "vote",
    "SampledWindowDataset",
    "SequenceVotingDataset",
    "WindowDataset",
    "WindowedTrainingMixin",
    "one_hot_windows",
    "token_windows",
]


def one_hot_windows(codes: np.ndarray) -> torch.Tensor:
    """Window codes (n, window) -> one-hot float32 tensor (n, 4, window) (DeepEnhancer's input)."""
    return torch.from_numpy(codes_to_one_hot(codes))


def token_windows(codes: np.ndarray) -> torch.Tensor:
    """Window codes (n, window) -> int64 token tensor (n, window) (Enhancer-LSTMAtt's input)."""
    return torch.from_numpy(np.ascontiguousarray(codes, dtype=np.int64))


def vote(scores, counts: np.ndarray, aggregate: str) -> np.ndarray:
    """Logit of each sequence's vote over its windows.

    Parameters
    ----------
    scores : iterable of (logits, sequence index) array pairs
        Window logits in batches, with each window's sequence (windows of a
        sequence contiguous within a batch, as :class:`SlidingWindows` gives them).
    counts : array of shape (n_sequences,)
        Windows per sequence.
    aggregate : {"max", "mean"}
        The maximum logit (DeepEnhancer's voting) or the logit of the mean probability.

    Returns
    -------
    ndarray of float64, shape (n_sequences,)
    """
    n = len(counts)
    if aggregate == "max":
        out = np.full(n, -np.inf)
        for lg, seq in scores:
            first = np.flatnonzero(np.r_[True, seq[1:] != seq[:-1]])
            np.maximum.at(out, seq[first], np.maximum.reduceat(np.asarray(lg, dtype=np.float64), first))
        return out
    total = np.zeros(n)
    for lg, seq in scores:
        total += np.bincount(seq, weights=expit(np.asarray(lg, dtype=np.float64)), minlength=n)
    return logit(total / counts)


def take_sequences(sc: SequenceCodes, index: np.ndarray) -> SequenceCodes:
    """The sequences ``index`` of ``sc`` as a new :class:`SequenceCodes` (codes copied)."""
    index = np.asarray(index, dtype=np.int64)
    lengths = sc.lengths[index].astype(np.int64)
    starts = np.zeros(len(index), dtype=np.int64)
    if len(index):
        np.cumsum(lengths[:-1], out=starts[1:])
    total = int(lengths.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    codes = sc.codes[np.repeat(sc.starts[index].astype(np.int64), lengths) + within]
    ids = None if sc.ids is None else [sc.ids[i] for i in index.tolist()]
    return SequenceCodes(codes, starts, lengths, ids)


class WindowDataset(torch.utils.data.Dataset):
    """Every window of labelled sequences, built lazily batch by batch.

    Item ``i`` is ``(transform(window codes), label float32)``; the label is
    the one of the window's sequence.  ``groups`` gives the sequence of every
    item and ``sequence_labels`` the label of every sequence.

    Parameters
    ----------
    windows : SlidingWindows
    sequence_labels : array of shape (n_sequences,)
        0/1 target of each sequence.
    transform : callable, default=one_hot_windows
        Codes (n, window) -> the network's input tensor.
    sequences : SequenceCodes, optional
        The sequences ``windows`` was built from (needed to split off
        sequences for voting validation).
    """

    def __init__(
        self,
        windows: SlidingWindows,
        sequence_labels: np.ndarray,
        transform: Callable[[np.ndarray], torch.Tensor] = one_hot_windows,
        sequences: SequenceCodes | None = None,
    ):
        self.windows = windows
        self.sequence_labels = np.asarray(sequence_labels, dtype=np.float32)
        self.transform = transform
        self.sequences = sequences
        self.groups = windows.groups()

    def __len__(self) -> int:
        return self.windows.n_windows

    def _window_numbers(self, k: np.ndarray) -> np.ndarray:
        return k

    def __getitems__(self, indices):
        k = self._window_numbers(np.asarray(indices, dtype=np.int64))
        x = self.transform(self.windows.codes_at(k))
        y = torch.from_numpy(self.sequence_labels[self.windows.groups_at(k)])
        return list(zip(x.unbind(0), y.unbind(0)))

    def __getitem__(self, i):
        return self.__getitems__([int(i)])[0]

    def split_sequences(self, is_valid: np.ndarray) -> tuple:
        """Training and validation datasets holding out the sequences where ``is_valid`` (all their windows)."""
        in_valid = is_valid[self.groups]
        return (torch.utils.data.Subset(self, np.flatnonzero(~in_valid).tolist()),
                torch.utils.data.Subset(self, np.flatnonzero(in_valid).tolist()))


class SampledWindowDataset(WindowDataset):
    """``per_sequence`` windows of every sequence per epoch, re-drawn every epoch.

    Item ``s * per_sequence + j`` is slot ``j`` of sequence ``s``.  Before the
    first epoch, :meth:`set_epoch` draws one random order of each sequence's
    windows (seeded from torch's generator, which the estimator seeds from its
    ``random_state``); epoch ``e`` (1-based) gives slot ``j`` the window at
    position ``((e - 1) * per_sequence + j) mod c`` of that order, ``c`` being
    the sequence's number of windows.  Over ``ceil(c / per_sequence)`` epochs
    every window is drawn; a sequence with fewer windows than slots repeats
    them within the epoch.

    Parameters
    ----------
    windows : SlidingWindows
    sequence_labels : array of shape (n_sequences,)
    per_sequence : int
        Windows per sequence and epoch.
    transform : callable, default=one_hot_windows
    sequences : SequenceCodes, optional
    """

    def __init__(
        self,
        windows: SlidingWindows,
        sequence_labels: np.ndarray,
        per_sequence: int,
        transform: Callable[[np.ndarray], torch.Tensor] = one_hot_windows,
        sequences: SequenceCodes | None = None,
    ):
        if int(per_sequence) < 1:
            raise ValueError(f"per_sequence must be a positive integer, got {per_sequence!r}")
        self.per_sequence = int(per_sequence)
        self._order: np.ndarray | None = None
        self.epoch = 1
        super().__init__(windows, sequence_labels, transform, sequences)
        self.groups = np.repeat(np.arange(windows.n_sequences, dtype=np.int64), self.per_sequence)

    def __len__(self) -> int:
        return self.windows.n_sequences * self.per_sequence

    def set_epoch(self, epoch: int, seed: int | None = None) -> None:
        """Draw the windows of ``epoch`` (1-based).

        The windows' order is drawn on the first call, from ``seed`` or, when
        None, from torch's generator.
        """
        if self._order is None:
            if seed is None:
                seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
            keys = np.random.default_rng(seed).random(self.windows.n_windows)
            # per sequence, its window numbers in random order
            self._order = np.lexsort((keys, self.windows.groups()))
        self.epoch = int(epoch)

    def _window_numbers(self, k: np.ndarray) -> np.ndarray:
        if self._order is None:
            self.set_epoch(self.epoch)
        seq, slot = np.divmod(k, self.per_sequence)
        counts = self.windows.counts[seq]
        rank = ((self.epoch - 1) * self.per_sequence + slot) % counts
        return self._order[self.windows.offsets[seq] + rank]

    def split_sequences(self, is_valid: np.ndarray) -> tuple:
        """Training slots of the kept sequences, and the held-out sequences for voting validation."""
        in_valid = is_valid[self.groups]
        valid_seqs = np.flatnonzero(is_valid)
        if self.sequences is None:
            raise ValueError("voting validation needs the sequences (SampledWindowDataset(..., sequences=...))")
        valid = SequenceVotingDataset(take_sequences(self.sequences, valid_seqs), self.sequence_labels[valid_seqs])
        return _EpochSubset(self, np.flatnonzero(~in_valid).tolist()), valid


class _EpochSubset(torch.utils.data.Subset):
    """A Subset passing :meth:`SampledWindowDataset.set_epoch` through."""

    def set_epoch(self, epoch: int, seed: int | None = None) -> None:
        self.dataset.set_epoch(epoch, seed)


class SequenceVotingDataset(torch.utils.data.Dataset):
    """Held-out sequences for validation by voting over all their windows.

    Item ``i`` is ``(i, label)``: the estimator's validation step scores
    sequences ``i`` of :attr:`sequences` as its ``predict_proba`` does (every
    window, then the vote) and takes the loss of that score.
    """

    def __init__(self, sequences: SequenceCodes, sequence_labels: np.ndarray):
        self.sequences = sequences
        self.sequence_labels = np.asarray(sequence_labels, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.sequence_labels)

    def __getitem__(self, i):
        return torch.tensor(int(i)), torch.tensor(self.sequence_labels[int(i)])


class GroupValidSplit:
    """skorch ``train_split`` holding out whole sequences of a window dataset.

    With :class:`WindowDataset` the validation set is every window of the
    held-out sequences; with :class:`SampledWindowDataset` it is the held-out
    sequences themselves, scored by voting over all their windows
    (:class:`SequenceVotingDataset`).

    Parameters
    ----------
    fraction : float, default=0.1
        Fraction of the sequences (with all their windows) used for validation.
    stratified : bool, default=True
        Keep the class proportions (falls back to a plain split when a class
        is too small).
    random_state : int or None, default=None
        Seed of the split; None draws it from torch's generator, which the
        estimator seeds from its ``random_state``.
    """

    def __init__(self, fraction: float = 0.1, stratified: bool = True, random_state: int | None = None):
        self.fraction = fraction
        self.stratified = stratified
        self.random_state = random_state

    @classmethod
    def from_valid_split(cls, split: ValidSplit) -> GroupValidSplit:
        """The sequence-level equivalent of a skorch ``ValidSplit`` (its fraction, stratification and seed)."""
        cv = split.cv
        fraction = cv if isinstance(cv, float) else 1.0 / int(cv)
        return cls(fraction, stratified=bool(split.stratified), random_state=split.random_state)

    def __repr__(self) -> str:
        return (f"GroupValidSplit(fraction={self.fraction!r}, stratified={self.stratified!r}, "
                f"random_state={self.random_state!r})")

    def __call__(self, dataset, y=None, **fit_params):
        from sklearn.model_selection import train_test_split

        if not hasattr(dataset, "split_sequences") or not hasattr(dataset, "sequence_labels"):
            raise TypeError("GroupValidSplit needs a WindowDataset (with groups and sequence_labels)")
        if not 0 < self.fraction < 1:
            raise ValueError(f"fraction must lie in (0, 1), got {self.fraction!r}")
        labels = dataset.sequence_labels
        n = len(labels)
        seed = self.random_state
        if seed is None:
            seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
        idx = np.arange(n)
        n_valid = max(1, int(round(self.fraction * n)))
        if n_valid >= n:
            raise ValueError(f"cannot hold out {self.fraction:.0%} of only {n} sequences for validation")
        try:
            stratify = labels if self.stratified else None
            _, valid = train_test_split(idx, test_size=n_valid, stratify=stratify, random_state=seed)
        except ValueError:  # a class too small to stratify
            _, valid = train_test_split(idx, test_size=n_valid, random_state=seed)
        is_valid = np.zeros(n, dtype=bool)
        is_valid[valid] = True
        return dataset.split_sequences(is_valid)


class WindowedTrainingMixin:
    """skorch hooks for window datasets (mix in before the skorch net class).

    * each training epoch first calls ``set_epoch`` on a
      :class:`SampledWindowDataset` (through a Subset), so the windows are
      re-drawn every epoch;
    * a :class:`SequenceVotingDataset` validation set is scored by
      :meth:`_voting_logits` (the estimator's own vote over all windows).

    The estimator provides ``_voting_logits(sequences: SequenceCodes) -> ndarray``.
    """

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is not None and training:
            dataset = iterator.dataset
            if hasattr(dataset, "set_epoch"):
                dataset.set_epoch(max(len(self.history), 1))
        return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def get_split_datasets(self, X, y=None, **fit_params):
        if isinstance(X, WindowDataset) and isinstance(self.train_split, ValidSplit):
            # skorch's split of items would scatter a sequence's windows over both sides
            dataset_train, dataset_valid = GroupValidSplit.from_valid_split(self.train_split)(X)
        else:
            dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        # (trailing underscore: skorch takes attributes without one for parameters)
        self._voting_valid_ = dataset_valid if isinstance(dataset_valid, SequenceVotingDataset) else None
        return dataset_train, dataset_valid

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs, **fit_params)
        finally:  # the held-out sequences are not kept with the fitted model
            self._voting_valid_ = None

    def validation_step(self, batch, **fit_params):
        voting = getattr(self, "_voting_valid_", None)
        if voting is None:
            return super().validation_step(batch, **fit_params)
        index, yi = unpack_data(batch)
        sequences = take_sequences(voting.sequences, np.asarray(index, dtype=np.int64).reshape(-1))
        logits = torch.as_tensor(self._voting_logits(sequences), dtype=torch.float32, device=self.device)
        self._set_training(False)
        with torch.no_grad():
            loss = self.get_loss(logits, yi, training=False)
        return {"loss": loss, "y_pred": logits}

    def _voting_logits(self, sequences: SequenceCodes) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError
