"""DeepEnhancer: convolutional enhancer classifiers over fixed-length windows.

After Min, Zeng, Chen, Jiang & Jiang (2017), "Predicting enhancers with deep
convolutional neural networks", BMC Bioinformatics 18(Suppl 13):478
(doi:10.1186/s12859-017-1878-3).

:class:`DeepEnhancerCNN` is a scikit-learn classifier (skorch underneath) that

* cuts every sequence into one-hot windows of ``window`` bp (the paper's data
  augmentation; see :mod:`enhancer_sk.sequence.windows`): longer sequences give all
  windows with step ``stride``, shorter ones are padded with ``N`` into every
  window that contains them;
* trains on the windows, each with its sequence's label, holding out whole
  *sequences* for early stopping (:class:`GroupValidSplit`; windows of one
  sequence never straddle the split): every window in every epoch (the
  paper's augmentation), or ``train_windows_per_sequence`` windows per
  sequence re-drawn every epoch, so that an epoch costs the same whatever the
  sequences' length (:mod:`enhancer_sk.models.nn.windowed`);
* scores a sequence of any length by the maximum (the paper's voting) or the
  mean of its window probabilities, optionally averaging both strands;
* can start from another fitted model (``init_from``) with the convolutional
  layers frozen (``freeze_conv``) for transfer learning.

Models are saved without pickle by :func:`enhancer_sk.save` (the project's
model file format, :mod:`enhancer_sk.model_files`).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from scipy.special import expit
from sklearn.utils._param_validation import Interval, StrOptions
from skorch import NeuralNetBinaryClassifier
from skorch.callbacks import EarlyStopping, EpochTimer, LRScheduler, PassthroughScoring
from torch import nn

from ..._validation import did_you_mean
from ...sequence.alphabet import reverse_complement_one_hot
from ...sequence.codes import as_sequence_codes
from ...sequence.encoders import codes_to_one_hot
from ...sequence.windows import SlidingWindows
from .._proba import logit
from .base import SequenceNetClassifier
from .callbacks import BatchProgress, EpochLog, ValidAccuracy
from .windowed import (
    GroupValidSplit,
    SampledWindowDataset,
    WindowDataset,
    WindowedTrainingMixin,
    vote,
)

__all__ = [
    "ARCHITECTURES",
    "DeepEnhancerCNN",
    "DeepEnhancerNet",
]

#: architecture name -> (number of convolution pairs, max-pooling, batch normalisation)
ARCHITECTURES: dict[str, tuple[int, bool, bool]] = {
    "4conv": (2, False, False),
    "4conv2pool": (2, True, False),
    "4conv2pool4norm": (2, True, True),
    "6conv3pool": (3, True, False),
    "6conv3pool6norm": (3, True, True),
}


def _check_architecture(name) -> tuple[int, bool, bool]:
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}: choose one of {sorted(ARCHITECTURES)}"
                         f"{did_you_mean(name, ARCHITECTURES)}")
    return ARCHITECTURES[name]


class _EarlyStopping(EarlyStopping):
    """skorch's EarlyStopping, tolerating a run of zero epochs (``max_epochs=0``).

    Its "Stopping since ..." line is written when training ends, after the
    epoch log's line of the last epoch.
    """

    def on_train_begin(self, net, **kwargs):
        self.pending_message_ = None
        return super().on_train_begin(net, **kwargs)

    def _sink(self, text, verbose):
        if str(text).startswith("Stopping since"):
            self.pending_message_ = (text, verbose)
            return
        super()._sink(text, verbose)

    def on_train_end(self, net, **kwargs):
        pending = getattr(self, "pending_message_", None)
        self.pending_message_ = None
        if pending is not None:
            super()._sink(*pending)
        if len(net.history):
            super().on_train_end(net, **kwargs)


class DeepEnhancerNet(nn.Module):
    """The DeepEnhancer convolutional networks (one logit per window).

    Layer lists (``Conv(k, w)``: 1-D convolution with ``k`` kernels of width
    ``w``, stride 1, no padding ("valid", as Keras' default), with bias;
    ``BN``: batch normalisation; ``MaxPool 2``: size 2, stride 2, floor):

    ``"4conv2pool4norm"`` (default, the paper's best)::

        Conv(128, 8) BN ReLU, Conv(128, 8) BN ReLU, MaxPool 2,
        Conv(64, 3) BN ReLU, Conv(64, 3) BN ReLU, MaxPool 2,
        Flatten, Dense 256 ReLU, Dropout 0.5, Dense 128 ReLU, Dense 1

    ``"4conv2pool"``: the same without the four BN layers.

    ``"4conv"``: the same without BN and without the two MaxPool layers.

    ``"6conv3pool6norm"``: the default stack followed, before Flatten, by
    ``Conv(16, 2) BN ReLU, Conv(16, 2) BN ReLU, MaxPool 2``.

    ``"6conv3pool"``: ``"6conv3pool6norm"`` without the six BN layers.

    Reconstructed details (the paper's Table 1 with the exact layer lists is
    not public; the text gives the default stack and how the variants derive
    from it): the place of the third pooling layer (after the sixth
    convolution, mirroring the two conv-conv-pool blocks); BN placed between
    the convolution and its ReLU; the output is one logit with a sigmoid
    (equivalent to the paper's 2-way softmax); no dropout between
    convolutions.

    Parameters
    ----------
    architecture : str, default="4conv2pool4norm"
        One of :data:`ARCHITECTURES`.
    window : int, default=300
        Input length (bp).
    n_kernels_1, kernel_width_1 : int, default=128, 8
        First convolution pair (the motif detectors).
    n_kernels_2, kernel_width_2 : int, default=64, 3
        Second convolution pair.
    n_kernels_3, kernel_width_3 : int, default=16, 2
        Third pair (6-convolution architectures only).
    pool_size : int, default=2
        Max-pooling size and stride.
    n_hidden_1, n_hidden_2 : int, default=256, 128
        Dense layer sizes.
    dropout : float, default=0.5
        Dropout after the first dense layer.
    freeze_conv : bool, default=False
        Do not train the convolutional part (weights and BN statistics
        stay fixed): for fine-tuning a pre-trained model.
    """

    def __init__(
        self,
        architecture: str = "4conv2pool4norm",
        window: int = 300,
        n_kernels_1: int = 128,
        kernel_width_1: int = 8,
        n_kernels_2: int = 64,
        kernel_width_2: int = 3,
        n_kernels_3: int = 16,
        kernel_width_3: int = 2,
        pool_size: int = 2,
        n_hidden_1: int = 256,
        n_hidden_2: int = 128,
        dropout: float = 0.5,
        freeze_conv: bool = False,
    ):
        super().__init__()
        n_pairs, pooling, batch_norm = _check_architecture(architecture)
        pairs = [(n_kernels_1, kernel_width_1), (n_kernels_2, kernel_width_2), (n_kernels_3, kernel_width_3)]
        layers: list[nn.Module] = []
        channels, length = 4, int(window)
        for n_kernels, width in pairs[:n_pairs]:
            for _ in range(2):
                layers.append(nn.Conv1d(channels, n_kernels, width))
                if batch_norm:
                    layers.append(nn.BatchNorm1d(n_kernels))
                layers.append(nn.ReLU())
                channels, length = n_kernels, length - width + 1
            if pooling:
                layers.append(nn.MaxPool1d(pool_size))
                length //= pool_size
        if length < 1:
            raise ValueError(
                f"window={window} is too short for architecture {architecture!r}: "
                "the convolutions and poolings leave no positions; use a longer window"
            )
        self.conv = nn.Sequential(*layers)
        self.window = int(window)
        self.feature_length = length
        self.dense = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * length, n_hidden_1),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(n_hidden_1, n_hidden_2),
            nn.ReLU(),
            nn.Linear(n_hidden_2, 1),
        )
        self.freeze_conv = bool(freeze_conv)
        if self.freeze_conv:
            for p in self.conv.parameters():
                p.requires_grad_(False)

    @property
    def first_conv(self) -> nn.Conv1d:
        """The first convolution (its kernels are the motif detectors)."""
        return self.conv[0]

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_conv:
            self.conv.eval()  # frozen BN statistics too
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.conv(x)).squeeze(-1)

    def window_logits(self, x: torch.Tensor, segment: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        """Logits of many overlapping windows, sharing the convolutions (evaluation mode only).

        Equal to ``self(windows)`` where window ``i`` is
        ``x[segment[i], :, starts[i]:starts[i] + window]``, but the
        convolutions run once over each segment: they are shift-equivariant
        ("valid" padding), BN in evaluation mode and ReLU act per position,
        and a max-pooling of size ``k`` is computed once for each phase
        ``start % k`` present.  Windows then differ only in the dense layers.

        Parameters
        ----------
        x : tensor (n_segments, 4, length)
            One-hot segments (zero columns beyond the windows are ignored).
        segment, starts : long tensors (n_windows,)
            Segment and start of each window (``starts + window <= length``).
        """
        if self.training:
            raise RuntimeError("window_logits is for evaluation mode (call .eval())")
        features = x.new_empty((len(starts), self._out_channels(), self.feature_length))
        self._shared_features(x, self._inference_layers(), segment, starts, torch.arange(len(starts)), features)
        return self.dense(features).squeeze(-1)

    def _inference_layers(self) -> list[nn.Module]:
        """The convolutional stack for evaluation: each BN folded into its convolution, ReLU in place.

        Same function as ``self.conv`` in evaluation mode (up to float
        rounding), with two passes over the activations fewer per pair.
        """
        layers: list[nn.Module] = []
        mods = list(self.conv)
        i = 0
        while i < len(mods):
            m = mods[i]
            if isinstance(m, nn.Conv1d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm1d):
                bn = mods[i + 1]
                scale = torch.rsqrt(bn.running_var + bn.eps)
                if bn.weight is not None:
                    scale = scale * bn.weight
                shift = -bn.running_mean * scale
                if bn.bias is not None:
                    shift = shift + bn.bias
                folded = nn.Conv1d(m.in_channels, m.out_channels, m.kernel_size[0]).to(m.weight)
                folded.weight.data = m.weight.detach() * scale[:, None, None]
                bias = m.bias.detach() if m.bias is not None else torch.zeros_like(shift)
                folded.bias.data = bias * scale + shift
                layers.append(folded)
                i += 2
                continue
            layers.append(nn.ReLU(inplace=True) if isinstance(m, nn.ReLU) else m)
            i += 1
        return layers

    def _out_channels(self) -> int:
        return [m for m in self.conv if isinstance(m, nn.Conv1d)][-1].out_channels

    def _shared_features(self, x, layers, segment, starts, rows, out) -> None:
        i = 0
        while i < len(layers) and not isinstance(layers[i], nn.MaxPool1d):
            x = layers[i](x)
            i += 1
        if i == len(layers):
            idx = starts[:, None] + torch.arange(self.feature_length)[None, :]  # (n, L)
            out[rows] = x[segment[:, None], :, idx].permute(0, 2, 1)
            return
        k = layers[i].kernel_size if isinstance(layers[i].kernel_size, int) else layers[i].kernel_size[0]
        phase = starts % k
        for r in torch.unique(phase).tolist():
            sel = phase == r
            pooled = layers[i](x[:, :, r:])
            self._shared_features(pooled, layers[i + 1:], segment[sel], (starts[sel] - r) // k, rows[sel], out)


class DeepEnhancerCNN(WindowedTrainingMixin, SequenceNetClassifier):
    """DeepEnhancer CNN classifier for DNA sequences of any length.

    Genome regions: plain sequences shorter than ``window`` are padded with
    ``N`` because their flanks are unknown.  With a BED file and an indexed
    genome FASTA, :func:`enhancer_sk.io.genome.fetch_regions` widens them with
    the real flanking bases instead (strand ``-`` reverse complemented;
    regions off a chromosome's end reported)::

        ids, X = fetch_regions("hg38.fa", "enhancers.bed", min_length=300)
        clf = DeepEnhancerCNN(window=300).fit(X, y)  # y in the order of ids

    Each short region then gives one window of genome centred on it; only a
    chromosome end still forces ``N`` padding.

    Parameters
    ----------
    architecture : str, default="4conv2pool4norm"
        ``"4conv"``, ``"4conv2pool"``, ``"4conv2pool4norm"``, ``"6conv3pool"``
        or ``"6conv3pool6norm"``; layer lists in :class:`DeepEnhancerNet`.
        Sizes are tunable as ``module__n_kernels_1`` etc.
    window : int, default=300
        Window length in bp.
    stride : int, default=2
        Step between windows, in fit and predict.
    max_windows_per_sequence : int or None, default=None
        At most this many evenly spaced windows per sequence (fit and
        predict); None: all.
    train_windows_per_sequence : int or None, default=None
        Train on this many windows of each sequence per epoch, re-drawn every
        epoch (:class:`~enhancer_sk.models.nn.windowed.SampledWindowDataset`:
        all windows are drawn over ``ceil(windows / this)`` epochs), so an
        epoch's cost depends on the number of sequences, not on their
        length; the validation sequences are then scored as ``predict_proba``
        scores them (every window, then ``aggregate``).  None: every window
        in every epoch (the paper), validated window by window.
    aggregate : {"max", "mean"}, default="max"
        How window probabilities make the sequence's (max: the paper's voting).
    average_strands : bool, default=False
        Average each window's probability over both strands when predicting.
    init_from : DeepEnhancerCNN, str or None, default=None
        Start from the weights of a fitted model (or of a model file written
        by :func:`enhancer_sk.save`) instead of a random initialisation; the
        architecture and window must match.
    freeze_conv : bool, default=False
        Keep the convolutional layers fixed (train the dense layers only);
        combine with a lower ``lr`` for fine-tuning.
    patience : int or None, default=8
        Early stopping on the validation loss (best weights restored);
        None disables it.
    lr_decay : float or None, default=0.95
        Learning rate multiplied by this after every epoch; None: constant.
    batch_size : int, default=128
    train_split : callable or None, default=GroupValidSplit(0.1)
        Validation split by sequence; None trains on everything (and disables
        early stopping).
    **kwargs
        The parameters of :class:`~enhancer_sk.models.nn.base.SequenceNetClassifier`
        (``lr=1e-4``, ``max_epochs=30``, ``random_state``, ``threads``,
        ``verbose``) and other skorch parameters (``module__*``,
        ``optimizer__*``, ``callbacks`` ...).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    module_ : DeepEnhancerNet
    history_ : skorch History

    Examples
    --------
    >>> from enhancer_sk import DeepEnhancerCNN  # doctest: +SKIP
    >>> clf = DeepEnhancerCNN(window=200, max_epochs=5).fit(X, y)  # doctest: +SKIP
    >>> clf.predict_proba(["ACGT" * 100])  # any length  # doctest: +SKIP
    """

    init_from_must_match = "architecture, window and module__* sizes"

    _parameter_constraints: dict = {
        **SequenceNetClassifier._parameter_constraints,
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "window": [Interval(numbers.Integral, 1, None, closed="left")],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_windows_per_sequence": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "train_windows_per_sequence": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "aggregate": [StrOptions({"max", "mean"})],
        "average_strands": ["boolean"],
        "freeze_conv": ["boolean"],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "lr_decay": [Interval(numbers.Real, 0.0, 1.0, closed="right"), None],
    }

    def __init__(
        self,
        architecture: str = "4conv2pool4norm",
        *,
        window: int = 300,
        stride: int = 2,
        max_windows_per_sequence: int | None = None,
        train_windows_per_sequence: int | None = None,
        aggregate: str = "max",
        average_strands: bool = False,
        init_from=None,
        freeze_conv: bool = False,
        patience: int | None = 8,
        lr_decay: float | None = 0.95,
        module=DeepEnhancerNet,
        batch_size: int = 128,
        train_split=GroupValidSplit(0.1),  # noqa: B008 - immutable, as skorch's ValidSplit default
        **kwargs,
    ):
        super().__init__(module, batch_size=batch_size, train_split=train_split, **kwargs)
        self.architecture = architecture
        self.window = window
        self.stride = stride
        self.max_windows_per_sequence = max_windows_per_sequence
        self.train_windows_per_sequence = train_windows_per_sequence
        self.aggregate = aggregate
        self.average_strands = average_strands
        self.init_from = init_from
        self.freeze_conv = freeze_conv
        self.patience = patience
        self.lr_decay = lr_decay

    # -- skorch plumbing ----------------------------------------------------------------
    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("valid_acc", ValidAccuracy()),  # of the validation pass itself (sequences voted)
        ]
        if self.lr_decay is not None:
            callbacks.append(
                ("lr_scheduler", LRScheduler(policy=torch.optim.lr_scheduler.ExponentialLR, gamma=self.lr_decay))
            )
        if self.patience is not None and self.train_split is not None:
            callbacks.append(
                ("early_stopping", _EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True))
            )
        callbacks.append(("batch_progress", BatchProgress()))  # before print_log: bar cleared first
        callbacks.append(("print_log", EpochLog()))
        return callbacks

    def get_params_for(self, prefix: str) -> dict:
        """skorch's routing, plus the estimator-level sizes the module needs."""
        params = super().get_params_for(prefix)
        if prefix == "module":
            params.update(architecture=self.architecture, window=self.window, freeze_conv=self.freeze_conv)
        return params

    # -- encoding ---------------------------------------------------------------------
    def _windows(self, X) -> SlidingWindows:
        return SlidingWindows(as_sequence_codes(X), self.window, self.stride, self.max_windows_per_sequence)

    def encode(self, X) -> np.ndarray:
        """All windows of ``X`` as one-hot, shape (n_windows, 4, window) (materialised; for inspection)."""
        w = self._windows(X)
        return w.one_hot(0, w.n_windows)

    def training_data(self, X, targets_of) -> tuple:
        """The windows to train on, each carrying its sequence's 0/1 target.

        Every window of every sequence (a :class:`WindowDataset`), or
        ``train_windows_per_sequence`` of them per epoch (a
        :class:`SampledWindowDataset`).  The validation split
        (``train_split``) holds out whole sequences.
        """
        sequences = as_sequence_codes(X)
        windows = self._windows(sequences)
        targets = targets_of(windows.n_sequences)
        if self.train_windows_per_sequence is None:
            return WindowDataset(windows, targets, sequences=sequences), None
        return SampledWindowDataset(windows, targets, self.train_windows_per_sequence, sequences=sequences), None

    # -- predict ------------------------------------------------------------------------
    def window_logits(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Logit of every window of every sequence, and the window's sequence index.

        With ``average_strands`` the logit is that of the strand-averaged
        probability.  Materialises one value per window (see
        :meth:`predict_proba` for the streamed, aggregated scores).
        """
        self.check_is_fitted()
        logits, seqs = [], []
        for lg, seq in self._iter_window_scores(self._windows(X)):
            logits.append(lg)
            seqs.append(seq)
        if not logits:
            return np.empty(0, np.float64), np.empty(0, np.int64)
        return np.concatenate(logits), np.concatenate(seqs)

    def _iter_window_scores(self, windows: SlidingWindows, shared: bool | None = None):
        """Yield (logits, sequence index) per batch of windows.

        ``shared`` (default: when the module offers ``window_logits``) runs the
        convolutions once per stretch of overlapping windows instead of once
        per window: identical scores up to float rounding, many times faster
        at stride 2.
        """
        self.check_is_fitted()
        module = self.module_
        if shared is None:
            shared = hasattr(module, "window_logits")
        was_training = module.training
        module.eval()
        try:
            with self._limit_threads(), torch.inference_mode():
                batches = (self._shared_batches(windows) if shared else
                           ((torch.from_numpy(xb), None, None, seq)
                            for xb, seq in windows.iter_batches(self._predict_batch_size())))
                batches = self._report_prediction(batches, -(-windows.n_windows // self._predict_batch_size()))
                for x, segment, starts, seq in batches:
                    yield self._strand_logits(module, x, segment, starts, self.average_strands), seq
        finally:
            module.train(was_training)

    def _strand_logits(self, module, x, segment, starts, average_strands: bool) -> np.ndarray:
        """Logits of a batch (see :meth:`_logits`), strand-averaged in probability when asked."""
        x = x.to(self.device)
        lg = self._logits(module, x, segment, starts)
        if average_strands:
            flipped = reverse_complement_one_hot(x)
            rc_starts = None if starts is None else x.shape[2] - starts - self.window
            rc = self._logits(module, flipped, segment, rc_starts)
            lg = logit((expit(lg) + expit(rc)) / 2)
        return lg

    @staticmethod
    def _logits(module, x, segment, starts) -> np.ndarray:
        out = module(x) if segment is None else module.window_logits(x, segment, starts)
        return out.double().cpu().numpy()

    def window_proba(
        self,
        codes: np.ndarray,
        starts: np.ndarray,
        *,
        batch_size: int | None = None,
        average_strands: bool | None = None,
        shared: bool | None = None,
    ) -> np.ndarray:
        """Probability of ``classes_[1]`` for windows of one long coded sequence (genome scans).

        Window ``i`` is ``codes[starts[i]:starts[i] + window]``.  Batches of
        ``batch_size`` windows are scored together; when they overlap, the
        convolutions run once over the stretch they span
        (:meth:`DeepEnhancerNet.window_logits`; equal to window-by-window
        scoring up to float rounding) and only the dense layers run per
        window.  Memory is bounded by the batch, whatever ``len(codes)``.

        Parameters
        ----------
        codes : ndarray of uint8, shape (length,)
            Codes A=0 C=1 G=2 T=3 N=4 (see :class:`~enhancer_sk.sequence.codes.SequenceCodes`).
        starts : array of int, shape (n_windows,)
            Window starts, ``0 <= start <= length - window``; ascending order
            gives the best sharing.
        batch_size : int, optional
            Windows per batch (default: the estimator's prediction batch size).
        average_strands : bool, optional
            Average both strands' probabilities (default: the estimator's
            ``average_strands``).
        shared : bool, optional
            Share the convolutions (default True); False scores window by window.

        Returns
        -------
        ndarray of float64, shape (n_windows,)
        """
        self.check_is_fitted()
        codes = np.asarray(codes, dtype=np.uint8)
        starts = np.asarray(starts, dtype=np.int64)
        window = self.window
        if starts.size and (starts.min() < 0 or starts.max() + window > len(codes)):
            raise ValueError(f"window starts must lie in [0, {len(codes) - window}] for {len(codes)} codes")
        size = int(batch_size) if batch_size else self._predict_batch_size()
        if size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size!r}")
        rc = self.average_strands if average_strands is None else bool(average_strands)
        module = self.module_
        shared = hasattr(module, "window_logits") if shared is None else bool(shared)
        out = np.empty(len(starts), dtype=np.float64)
        offsets = np.arange(window, dtype=np.int64)
        was_training = module.training
        module.eval()
        try:
            with self._limit_threads(), torch.inference_mode():
                for a in self._report_prediction(range(0, len(starts), size), -(-len(starts) // size)):
                    st = starts[a : a + size]
                    lo, hi = int(st.min()), int(st.max()) + window
                    if shared and hi - lo < len(st) * window:
                        x = torch.from_numpy(codes_to_one_hot(codes[None, lo:hi]))
                        lg = self._strand_logits(module, x, torch.zeros(len(st), dtype=torch.long),
                                                 torch.from_numpy(st - lo), rc)
                    else:  # window by window (or windows too far apart to share anything)
                        x = torch.from_numpy(codes_to_one_hot(codes[st[:, None] + offsets[None, :]]))
                        lg = self._strand_logits(module, x, None, None, rc)
                    out[a : a + len(st)] = expit(lg)
        finally:
            module.train(was_training)
        return out

    def _shared_batches(self, windows: SlidingWindows):
        """Batches of windows as (segments one-hot, window segment, window start, sequence index).

        A segment is the stretch of a sequence's padded strip spanned by its
        windows in the batch; segments of a batch are N-padded on the right
        to a common length.  A batch whose segments would be longer than its
        windows laid end to end (windows far apart, e.g. capped by
        ``max_windows_per_sequence``) is given window by window instead
        (window segment None), so memory stays bounded by the batch.
        """
        size = self._predict_batch_size()
        for a in range(0, windows.n_windows, size):
            b = min(a + size, windows.n_windows)
            seq, t = windows.window_index(a, b)
            first = np.flatnonzero(np.r_[True, seq[1:] != seq[:-1]])
            seg_of = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(seq)]))
            t_min = np.minimum.reduceat(t, first)
            t_max = np.maximum.reduceat(t, first)
            seg_len = t_max - t_min + windows.window
            if seg_len.sum() >= len(seq) * windows.window:  # sparse windows (capped): nothing to share
                yield torch.from_numpy(windows.one_hot(a, b)), None, None, seq
                continue
            codes = windows.segment_codes(seq[first], t_min, seg_len, int(seg_len.max()))
            x = torch.from_numpy(codes_to_one_hot(codes))
            yield (x, torch.from_numpy(seg_of), torch.from_numpy(t - t_min[seg_of]), seq)

    def _sequence_logits(self, X) -> np.ndarray:
        self.check_is_fitted()
        return self._voting_logits(as_sequence_codes(X))

    def _voting_logits(self, sequences) -> np.ndarray:
        """Logit of each sequence's vote (``aggregate``) over all its windows."""
        windows = self._windows(sequences)
        return vote(self._iter_window_scores(windows), windows.counts, self.aggregate)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]`` per sequence, shape (n, 2).

        Every window of a sequence is scored (streamed in batches, memory
        independent of the number of windows) and the window probabilities
        are aggregated by ``aggregate``.  Overlapping windows share their
        convolutions (:meth:`DeepEnhancerNet.window_logits`; exact), so the
        cost per window at stride 2 is mostly the dense layers.  A torch Dataset of windows is scored
        window by window instead.
        """
        if isinstance(X, torch.utils.data.Dataset):
            with self._limit_threads():
                return NeuralNetBinaryClassifier.predict_proba(self, X)
        p = expit(self._sequence_logits(X))
        return np.column_stack([1 - p, p])

    def decision_function(self, X) -> np.ndarray:
        """Logit of the aggregated probability of ``classes_[1]``, shape (n,)."""
        return self._sequence_logits(X)

