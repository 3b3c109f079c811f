"""Enhancer-LSTMAtt (Huang et al., Biomolecules 2022) in PyTorch, as a scikit-learn estimator.

The network is the one the authors trained (their Keras notebook; see
``<data>/enhancer_lstmatt_weights/README.md``)::

    codes (A=0 C=1 G=2 T=3 N=4) -> Embedding(5, 32) -+-> ResNet branch -------------------+
                                                       +-> 2 x Bi-LSTM(32) -> attention ----+
    concatenate [attention (64), ResNet (64)] -> Dense(16, ReLU) -> Dense(1)  (a logit)

* ResNet branch: Conv1d(32, 8, same) BN ReLU MaxPool(2, stride 1); a down-sampling
  block (main Conv(64, 8, stride 2) BN ReLU Conv(64, 8, same) BN; shortcut
  Conv(64, 8, stride 2) without BN; add, ReLU); two identity blocks (Conv BN ReLU
  Conv BN, add input, ReLU); global max pooling.
* Recurrent branch: two stacked bidirectional LSTMs returning sequences, then the
  authors' feed-forward attention ``e_t = tanh(h_t . w + b_t)`` with one bias per
  position, ``a = exp(e) / (sum_t exp(e_t) + 1e-7)``, output ``sum_t a_t h_t``,
  dropout.

Keras details kept: BatchNorm ``eps=1e-3`` (momentum: see ``bn_momentum``),
``same`` padding of even kernels puts the extra zero on the right, Glorot-uniform
kernels, orthogonal recurrent kernels, forget-gate bias 1, embeddings
uniform(-0.05, 0.05).  The authors number the bases A=0 T=1 C=2 G=3; the project's
one alphabet is A=0 C=1 G=2 T=3 (:mod:`enhancer_sk.sequence.alphabet`), so the
embedding rows are permuted when the authors' weights are read
(:mod:`~enhancer_sk.models.nn.keras_weights`), and a fresh embedding draws its
rows in the authors' order before permuting them (the same seed gives the same
network as in the authors' numbering).

Because the attention has one bias per position, the network has a fixed input
length (``sequence_length``, default 200).  Sequences of another length are
either centre-cropped or padded with ``N`` (code 4) to that length
(``long_inputs="crop"``, the policy of
:func:`enhancer_sk.sequence.fixed_length.fixed_length_codes`), or cut into
windows of that length and scored by voting over the windows
(``long_inputs="windows"``, DeepEnhancer's machinery:
:mod:`enhancer_sk.models.nn.windowed`).  The two branches run as row-block tasks
on one or two threads (:mod:`._branches`).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from scipy.special import expit
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ...exceptions import EmptyInputError
from ...sequence.alphabet import N_CODE, reverse_complement_codes
from ...sequence.codes import SequenceCodes, is_sequence_path, sequence_codes
from ...sequence.encoders import tokenize
from ...sequence.fixed_length import fixed_length_codes
from ...sequence.windows import SlidingWindows
from ...threads import limit_threads, resolve_threads
from ._branches import LSTM_CHUNK_ROWS, RESNET_CHUNK_ROWS, ParallelBranches, join_blocks, row_blocks, run_tasks
from .base import SequenceNetClassifier
from .windowed import SampledWindowDataset, WindowDataset, WindowedTrainingMixin, token_windows, vote

__all__ = ["AUTHORS_BASE_ORDER", "EnhancerLSTMAtt", "EnhancerLSTMAttClassifier", "PaperBCELoss"]

#: The authors' numbering of the embedding rows (A=0 T=1 C=2 G=3 N=4).
AUTHORS_BASE_ORDER = "ATCGN"
#: Row of the authors' embedding holding each of the project's codes A, C, G, T, N.
AUTHORS_ROW_OF_CODE = np.array(["ATCGN".index(b) for b in "ACGTN"], dtype=np.int64)


# --------------------------------------------------------------------------- module


def _same_pad(kernel_size: int) -> tuple[int, int]:
    """Keras / TensorFlow ``same`` padding for stride 1: the extra zero goes right."""
    total = kernel_size - 1
    return total // 2, total - total // 2


class _ConvBN(nn.Module):
    """Conv1d followed by BatchNorm1d (Keras defaults), ``same`` or ``valid`` padding.

    The parameters are a ``Conv1d`` and a ``BatchNorm1d``; the computation runs
    as a 2-D convolution over ``(n, channels, 1, length)`` activations in
    channels-last memory order, which oneDNN executes markedly faster on the CPU
    (forward and backward) than the 1-D layout.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, same=True, bn=True, momentum=0.01):
        super().__init__()
        self.pad = _same_pad(kernel_size) if same else (0, 0)
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride)
        self.bn = nn.BatchNorm1d(out_channels, eps=1e-3, momentum=momentum) if bn else None

    def forward(self, x):
        """``x``: (n, channels, 1, length), channels-last."""
        if self.pad != (0, 0):
            x = F.pad(x, self.pad)
        conv = self.conv
        x = F.conv2d(x, conv.weight.unsqueeze(2), conv.bias, stride=(1, conv.stride[0]))
        bn = self.bn
        if bn is None:
            return x
        if bn.training:
            bn.num_batches_tracked.add_(1)
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.training, bn.momentum, bn.eps)


class _DownBlock(nn.Module):
    """Residual block that halves the length: valid stride-2 convs on both paths."""

    def __init__(self, in_channels, filters, kernel_size, momentum):
        super().__init__()
        self.conv1 = _ConvBN(in_channels, filters, kernel_size, stride=2, same=False, momentum=momentum)
        self.conv2 = _ConvBN(filters, filters, kernel_size, momentum=momentum)
        self.shortcut = _ConvBN(in_channels, filters, kernel_size, stride=2, same=False, bn=False)

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(y + self.shortcut(x))


class _IdentityBlock(nn.Module):
    """Residual block with an identity shortcut."""

    def __init__(self, filters, kernel_size, momentum):
        super().__init__()
        self.conv1 = _ConvBN(filters, filters, kernel_size, momentum=momentum)
        self.conv2 = _ConvBN(filters, filters, kernel_size, momentum=momentum)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))) + x)


class EnhancerLSTMAtt(nn.Module):
    """The Enhancer-LSTMAtt network: tokens (n, L) int64 -> logits (n,).

    Parameters
    ----------
    sequence_length : int, default=200
        Input length L (the attention has one bias per position).
    n_tokens : int, default=5
        Vocabulary size (codes A=0 C=1 G=2 T=3 N=4).
    embedding_dim : int, default=32
    conv_filters : int, default=32
        Filters of the first convolution.
    res_filters : int, default=64
        Filters of the residual blocks (the ResNet branch's output size).
    kernel_size : int, default=8
        Kernel of every convolution.
    n_identity_blocks : int, default=2
    lstm_units : int, default=32
        Units per direction of each Bi-LSTM (output 2 * lstm_units).
    lstm_layers : int, default=2
    dense_units : int, default=16
    dropout : float, default=0.5
        Dropout on the attention output.
    bn_momentum : float, default=0.1
        Weight of each batch in the BatchNorm running statistics (torch
        convention).  Keras' default ``momentum=0.99`` is 0.01 here, but with
        it the evaluation-mode statistics lag far behind the training ones for
        the first few hundred steps (a from-scratch model predicted one class
        on the validation split for 5+ epochs), so the torch default is used.
        The Keras weights carry their own running statistics either way.

    Attributes
    ----------
    parallel_branches : bool
        Run the branch tasks (see ``lstm_chunk_rows``) on two threads, the
        calling one and a worker (set by :class:`EnhancerLSTMAttClassifier`
        from ``threads``; default False).  Same outputs and gradients, bitwise.
    lstm_chunk_rows : int
        Rows per Bi-LSTM task (default ``LSTM_CHUNK_ROWS`` = 32).  The LSTM
        weight gradients are summed over these row blocks in block order.
    resnet_chunk_rows : int
        Rows per ResNet task in evaluation mode without gradients (default
        ``RESNET_CHUNK_ROWS`` = 64); in training the ResNet is one task.
    """

    def __init__(
        self,
        sequence_length: int = 200,
        n_tokens: int = 5,
        embedding_dim: int = 32,
        conv_filters: int = 32,
        res_filters: int = 64,
        kernel_size: int = 8,
        n_identity_blocks: int = 2,
        lstm_units: int = 32,
        lstm_layers: int = 2,
        dense_units: int = 16,
        dropout: float = 0.5,
        bn_momentum: float = 0.1,
    ):
        super().__init__()
        sizes = {
            "sequence_length": sequence_length,
            "n_tokens": n_tokens,
            "embedding_dim": embedding_dim,
            "conv_filters": conv_filters,
            "res_filters": res_filters,
            "kernel_size": kernel_size,
            "lstm_units": lstm_units,
            "lstm_layers": lstm_layers,
            "dense_units": dense_units,
        }
        for name, value in sizes.items():
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"module__{name} must be a positive integer, got {value!r}")
        if not isinstance(n_identity_blocks, (int, np.integer)) or n_identity_blocks < 0:
            raise ValueError(f"module__n_identity_blocks must be an integer >= 0, got {n_identity_blocks!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"module__dropout must be in [0, 1), got {dropout!r}")
        if not 0.0 < float(bn_momentum) <= 1.0:
            raise ValueError(f"module__bn_momentum must be in (0, 1], got {bn_momentum!r}")
        pooled = sequence_length - 1  # MaxPool(2, stride 1)
        if (pooled - kernel_size) // 2 + 1 < 1:
            raise ValueError(
                f"module__sequence_length={sequence_length} is too short for module__kernel_size="
                f"{kernel_size}: the stride-2 valid convolution needs at least {kernel_size + 1} positions"
            )
        self.sequence_length = int(sequence_length)
        self.embedding = nn.Embedding(n_tokens, embedding_dim)
        self.stem = _ConvBN(embedding_dim, conv_filters, kernel_size, momentum=bn_momentum)
        self.down = _DownBlock(conv_filters, res_filters, kernel_size, bn_momentum)
        self.identity = nn.ModuleList(
            _IdentityBlock(res_filters, kernel_size, bn_momentum) for _ in range(n_identity_blocks)
        )
        self.lstm = nn.LSTM(embedding_dim, lstm_units, num_layers=lstm_layers, bidirectional=True)
        self.attention_weight = nn.Parameter(torch.empty(2 * lstm_units))
        self.attention_bias = nn.Parameter(torch.empty(sequence_length))
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(2 * lstm_units + res_filters, dense_units)
        self.output = nn.Linear(dense_units, 1)
        self.parallel_branches = False
        self.lstm_chunk_rows = LSTM_CHUNK_ROWS
        self.resnet_chunk_rows = RESNET_CHUNK_ROWS
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Keras initialisers: Glorot-uniform kernels, zero biases, orthogonal recurrent kernels."""
        # drawn in the authors' row order (AUTHORS_BASE_ORDER), then placed at the project's codes
        drawn = torch.empty_like(self.embedding.weight).uniform_(-0.05, 0.05)
        rows = min(len(AUTHORS_ROW_OF_CODE), drawn.shape[0])
        drawn[:rows] = drawn[torch.from_numpy(AUTHORS_ROW_OF_CODE[:rows])]
        self.embedding.weight.copy_(drawn)
        for m in self.modules():
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                # Keras Glorot fans of a (k, in, out) kernel: k * in and k * out
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm1d):
                m.reset_parameters()
        h = self.lstm.hidden_size
        for name, p in self.lstm.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(p)  # Keras: Glorot-uniform kernel (in, 4h)
            elif name.startswith("weight_hh"):
                nn.init.orthogonal_(p)  # Keras: orthogonal recurrent kernel (h, 4h)
            elif name.startswith("bias_ih"):
                nn.init.zeros_(p)
                p[h : 2 * h] = 1.0  # unit_forget_bias
            elif name.startswith("bias_hh"):
                nn.init.zeros_(p)
        # Keras Glorot-uniform of a 1-D weight: fan_in = fan_out = its size
        bound = float(np.sqrt(3.0 / self.attention_weight.numel()))
        nn.init.uniform_(self.attention_weight, -bound, bound)
        nn.init.zeros_(self.attention_bias)

    # -- branches ---------------------------------------------------------------------------
    def _resnet(self, emb_nlc: torch.Tensor) -> torch.Tensor:
        """ResNet features (n, res_filters) from the (n, L, embedding) embedding."""
        # (n, C, 1, L) view of the (n, L, C) memory: channels-last, no copy
        x = emb_nlc.transpose(1, 2).unsqueeze(2)
        # MaxPool(2, stride 1) then ReLU (= ReLU then MaxPool, cheaper)
        x = F.relu(F.max_pool2d(self.stem(x), (1, 2), stride=1))
        x = self.down(x)
        for block in self.identity:
            x = block(x)
        return F.adaptive_max_pool2d(x, 1).flatten(1)

    def _recurrent(self, emb_lnc: torch.Tensor) -> torch.Tensor:
        """Bi-LSTM outputs, time-major (L, n, 2h)."""
        out, _ = self.lstm(emb_lnc)
        return out

    def _attention_scores(self, h_lnc: torch.Tensor) -> torch.Tensor:
        """Attention weights a, shape (L, n) (time-major)."""
        e = torch.tanh(torch.matmul(h_lnc, self.attention_weight) + self.attention_bias[:, None])
        ex = torch.exp(e)
        return ex / (ex.sum(dim=0, keepdim=True) + 1e-7)

    def _embed(self, tokens: torch.Tensor):
        if tokens.dim() != 2 or tokens.shape[1] != self.sequence_length:
            raise ValueError(f"expected tokens of shape (n, {self.sequence_length}), got {tuple(tokens.shape)}")
        tokens = tokens.long()
        # two lookups: time-major for the LSTM, batch-major (channels-last) for the convolutions
        return self.embedding(tokens.t()), self.embedding(tokens)

    def _branches(self, emb_lnc: torch.Tensor, emb_nlc: torch.Tensor):
        """(Bi-LSTM outputs (L, n, 2h), ResNet features (n, filters)), as tasks on one or two threads."""
        parallel = bool(self.parallel_branches)
        if torch.is_grad_enabled() and (emb_lnc.requires_grad or emb_nlc.requires_grad):
            return ParallelBranches.apply(emb_lnc, emb_nlc, self, parallel)
        n = emb_lnc.shape[1]
        lstm_blocks = row_blocks(n, self.lstm_chunk_rows)
        if torch.is_grad_enabled() or self.training:
            # BatchNorm batch statistics (training) or parameter gradients: one ResNet task
            res_blocks = [slice(0, n)]
        else:
            res_blocks = row_blocks(n, self.resnet_chunk_rows)
        # longest first: the ResNet blocks, then the LSTM blocks
        tasks = [(lambda b=b: self._resnet(emb_nlc[b])) for b in res_blocks]
        tasks += [(lambda b=b: self._recurrent(emb_lnc[:, b])) for b in lstm_blocks]
        out = run_tasks(tasks, parallel)
        return join_blocks(out[len(res_blocks) :], dim=1), join_blocks(out[: len(res_blocks)])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        emb_lnc, emb_nlc = self._embed(tokens)
        h, res = self._branches(emb_lnc, emb_nlc)
        a = self._attention_scores(h)
        att = (a.unsqueeze(2) * h).sum(dim=0)
        features = torch.cat([self.dropout(att), res], dim=1)
        return self.output(F.relu(self.dense(features))).squeeze(1)

    @torch.no_grad()
    def attention(self, tokens: torch.Tensor) -> torch.Tensor:
        """Attention weights per position, shape (n, L)."""
        emb_lnc, _ = self._embed(tokens)
        # the row blocks of forward(), so the weights are those the prediction used, bitwise
        blocks = row_blocks(emb_lnc.shape[1], self.lstm_chunk_rows)
        h = run_tasks([(lambda b=b: self._recurrent(emb_lnc[:, b])) for b in blocks], bool(self.parallel_branches))
        return self._attention_scores(join_blocks(h, dim=1)).t()


# --------------------------------------------------------------------------- losses


class PaperBCELoss(nn.BCEWithLogitsLoss):
    """The authors' training loss: BCE-with-logits applied to the *sigmoid* output.

    Their Keras model ends in a sigmoid and was compiled with
    ``BinaryCrossentropy(from_logits=True)``, so the sigmoid is applied twice.
    Kept for reproducing the paper; ``loss="bce"`` is the correct loss.
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: A002
        return super().forward(torch.sigmoid(input), target)


LOSSES = {"bce": nn.BCEWithLogitsLoss, "paper": PaperBCELoss}


# --------------------------------------------------------------------------- estimator


class EnhancerLSTMAttClassifier(WindowedTrainingMixin, SequenceNetClassifier):
    """Enhancer-LSTMAtt as a scikit-learn / skorch binary classifier.

    Parameters
    ----------
    module : nn.Module class, default=EnhancerLSTMAtt
        Architecture sizes are ``module__*`` parameters (``module__sequence_length``,
        ``module__embedding_dim``, ``module__conv_filters``, ``module__res_filters``,
        ``module__kernel_size``, ``module__n_identity_blocks``, ``module__lstm_units``,
        ``module__lstm_layers``, ``module__dense_units``, ``module__dropout``), so
        ``GridSearchCV`` can tune them.
    loss : {"bce", "paper"}, default="bce"
        ``"bce"``: binary cross-entropy on the logit.  ``"paper"``: the authors'
        BCE-with-logits on the sigmoid output (see :class:`PaperBCELoss`).
    criterion : torch loss class or None, default=None
        Overrides ``loss`` when given.
    parallel_branches : "auto" or bool, default="auto"
        Run the recurrent and the convolutional branch concurrently, each on
        ``threads // 2`` intra-op threads, instead of both on ``threads``
        threads (:mod:`~enhancer_sk.models.nn._branches`).  "auto": when
        ``threads`` resolves to 2 or more.  Both modes run the same row-block
        tasks, so a fit or a prediction on two threads equals the one-thread
        one bitwise.
    augment_strands : bool, default=False
        In training, replace each sequence of a batch by its reverse complement
        with probability 1/2 (drawn from the seeded torch RNG).  Not in the paper.
    average_strands : bool, default=False
        In prediction, average the logits of each sequence and of its reverse
        complement.  Not in the paper.
    long_inputs : {"crop", "windows"}, default="crop"
        Sequences whose length differs from ``module__sequence_length``:
        ``"crop"`` centre-crops or N-pads them to that length (in fit and
        predict); ``"windows"`` cuts them into windows of that length, every
        ``stride`` bp (a shorter sequence is N-padded into every window that
        contains it), trains on the windows with the sequence's label and
        scores a sequence by ``aggregate`` over its windows, as
        :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN` does.  On
        sequences of exactly the input length both modes are the same model.
    stride : int, default=50
        Step between windows (``long_inputs="windows"``).  Each window is a
        full forward pass (nothing is shared between overlapping windows), so
        the step is coarser than DeepEnhancer's.
    aggregate : {"max", "mean"}, default="max"
        How window probabilities make the sequence's (``long_inputs="windows"``).
    train_windows_per_sequence : int or None, default=None
        With ``long_inputs="windows"``: train on this many windows of each
        sequence per epoch, re-drawn every epoch (see
        :class:`~enhancer_sk.models.nn.windowed.SampledWindowDataset`), with the
        validation sequences scored by voting; None: every window every epoch.
    init_from : EnhancerLSTMAttClassifier, str or None, default=None
        Start from the weights of a fitted model (or of a model file written
        by :func:`enhancer_sk.save`, e.g. a layer of the authors' model, see
        :func:`enhancer_sk.model_files.load_pretrained`) instead of a random
        initialisation, for fine-tuning; the ``module__*`` sizes, the input
        length included, must match.  Every layer trains (there is no
        ``freeze_conv``); combine with a lower ``lr``.
    **kwargs
        The parameters of :class:`~enhancer_sk.models.nn.base.SequenceNetClassifier`
        (``lr=1e-4``, the paper's Adam learning rate; ``max_epochs=30``;
        ``batch_size=64``; ``random_state``; ``threads``; ``verbose``) and any
        other skorch ``NeuralNet`` parameter: ``train_split`` (default skorch's
        ``ValidSplit(5, stratified=True)``; None: no validation), ``callbacks``
        (e.g. ``EarlyStopping(patience=5, load_best=True)`` or
        :class:`~enhancer_sk.models.nn.callbacks.CosineAnnealing`) ...

    Notes
    -----
    The defaults are the paper's.  The command line's ``full`` preset
    (:mod:`enhancer_sk.presets`) trains the recipe chosen by cross-validation
    on iEnhancer-2L: ``lr=1e-3, max_epochs=9, train_split=None``, a cosine
    decay of the learning rate (``CosineAnnealing``) and both strands
    (``augment_strands=True, average_strands=True``); the README reports what
    it scores.  For sequences of varying length it sets the input length to
    the training sequences' median and keeps ``long_inputs="crop"``: on the
    VISTA benchmark (0.2-12 kb, ``benchmarks/vista.py``) the windowed mode did
    not score better in chromosome-grouped cross-validation and costs more in
    prediction (one forward pass per window); the README has the numbers.

    Examples
    --------
    >>> from enhancer_sk import EnhancerLSTMAttClassifier  # doctest: +SKIP
    >>> clf = EnhancerLSTMAttClassifier(max_epochs=20, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> clf.predict_proba(X_test)[:, 1]  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        **SequenceNetClassifier._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "parallel_branches": [StrOptions({"auto"}), "boolean"],
        "augment_strands": ["boolean"],
        "average_strands": ["boolean"],
        "long_inputs": [StrOptions({"crop", "windows"})],
        "stride": [Interval(numbers.Integral, 1, None, closed="left")],
        "aggregate": [StrOptions({"max", "mean"})],
        "train_windows_per_sequence": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }
    init_from_must_match = "module__* sizes, the input length module__sequence_length included,"

    def __init__(
        self,
        module=EnhancerLSTMAtt,
        *args,
        loss: str = "bce",
        criterion=None,
        parallel_branches="auto",
        augment_strands: bool = False,
        average_strands: bool = False,
        long_inputs: str = "crop",
        stride: int = 50,
        aggregate: str = "max",
        train_windows_per_sequence: int | None = None,
        init_from=None,
        **kwargs,
    ):
        super().__init__(module, *args, criterion=criterion, **kwargs)
        self.loss = loss
        self.parallel_branches = parallel_branches
        self.augment_strands = augment_strands
        self.average_strands = average_strands
        self.long_inputs = long_inputs
        self.stride = stride
        self.aggregate = aggregate
        self.train_windows_per_sequence = train_windows_per_sequence
        self.init_from = init_from

    # -- parameters ---------------------------------------------------------------------
    @property
    def sequence_length_(self) -> int:
        """Input length of the network (``module__sequence_length``, default 200)."""
        if hasattr(self, "module_") and hasattr(self.module_, "sequence_length"):
            return int(self.module_.sequence_length)
        return int(getattr(self, "module__sequence_length", 200))

    def _branch_parallel_now(self) -> bool:
        if isinstance(self.parallel_branches, str):  # "auto"
            return resolve_threads(self.threads) >= 2
        return bool(self.parallel_branches)

    def _set_branch_mode(self, parallel: bool) -> None:
        self.module_.parallel_branches = parallel

    def _limit_threads(self):
        """Threads for fit / predict: ``threads // 2`` per branch when the branches run in parallel."""
        parallel = self._branch_parallel_now()
        if hasattr(self, "module_"):
            self._set_branch_mode(parallel)
        n = resolve_threads(self.threads)
        return limit_threads(max(1, n // 2) if parallel else n)

    def initialize_module(self):
        """Build the network (from ``init_from``'s weights when given); tell it whether to run its branches in
        parallel."""
        super().initialize_module()
        self._set_branch_mode(self._branch_parallel_now())
        return self

    def initialize_criterion(self):
        """Criterion from ``loss`` unless ``criterion`` is given explicitly."""
        if self.criterion is None:
            kwargs = self.get_params_for("criterion")
            self.criterion_ = LOSSES[self.loss](**kwargs)
            return self
        return super().initialize_criterion()

    # -- encoding ---------------------------------------------------------------------------
    def encode(self, X) -> np.ndarray:
        """Codes (n, sequence_length) int64 from strings / FASTA path / a code array.

        Sequences (and code rows) of another length are centre-cropped or
        padded with N to ``sequence_length``.
        """
        length = self.sequence_length_
        if sp.issparse(X):
            raise TypeError("sparse input is not supported: give sequences, a FASTA path or a dense code array")
        if self._is_encoded(X):
            return fixed_length_codes(SequenceCodes.from_matrix(self._checked_tokens(X)), length).astype(np.int64)
        if not is_sequence_path(X) and isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        return tokenize(X, length)

    @staticmethod
    def _checked_tokens(X) -> np.ndarray:
        """An encoded X (token array or tensor) checked: 2-D, non-empty, integer codes 0..4."""
        tokens = X.cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
        if tokens.ndim != 2:
            raise ValueError(
                f"an encoded X must be a 2-D token array (n, length) of codes A=0 C=1 G=2 T=3 N=4, "
                f"got shape {tokens.shape}"
            )
        if tokens.shape[0] == 0 or tokens.shape[1] == 0:
            raise EmptyInputError(f"an encoded X of shape {tokens.shape} holds no token")
        if tokens.dtype.kind == "f":
            if not np.isfinite(tokens).all():
                raise ValueError("an encoded X contains NaN or infinity; tokens must be integers 0..4")
            if not np.array_equal(tokens, np.round(tokens)):
                raise ValueError("an encoded X must hold integer tokens 0..4, got non-integer floats")
        tokens = tokens.astype(np.int64)
        if tokens.size and (tokens.min() < 0 or tokens.max() > N_CODE):
            raise ValueError(
                f"tokens must lie in 0..{N_CODE} (A=0 C=1 G=2 T=3 N=4), "
                f"got values in {tokens.min()}..{tokens.max()}"
            )
        return tokens

    def _sequence_codes(self, X) -> SequenceCodes:
        """Sequences of any length (strings / FASTA path / token array) as codes, uncropped."""
        if isinstance(X, SequenceCodes):
            return X
        if sp.issparse(X):
            raise TypeError("sparse input is not supported: give sequences, a FASTA path or a dense code array")
        if self._is_encoded(X):
            return SequenceCodes.from_matrix(self._checked_tokens(X))
        if not is_sequence_path(X) and isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
            X = X[:, 0]
        return sequence_codes(X)

    def _windows(self, sequences: SequenceCodes) -> SlidingWindows:
        return SlidingWindows(sequences, self.sequence_length_, self.stride)

    def training_data(self, X, targets_of) -> tuple:
        """Crop mode: the cropped / padded tokens and targets.  Windows mode: a window dataset.

        With ``long_inputs="windows"``: every window (:class:`WindowDataset`)
        or ``train_windows_per_sequence`` per epoch
        (:class:`SampledWindowDataset`), each with its sequence's target.
        """
        if self.long_inputs == "crop" or isinstance(X, torch.utils.data.Dataset):
            return super().training_data(X, targets_of)
        sequences = self._sequence_codes(X)
        windows = self._windows(sequences)
        targets = targets_of(windows.n_sequences)
        if self.train_windows_per_sequence is None:
            return WindowDataset(windows, targets, token_windows, sequences), None
        return SampledWindowDataset(windows, targets, self.train_windows_per_sequence, token_windows, sequences), None

    # -- training ----------------------------------------------------------------------------
    def train_step_single(self, batch, **fit_params):
        """One training step; reverse-complement augmentation when asked."""
        if self.augment_strands:
            xi, yi = batch
            xi = torch.as_tensor(xi)
            flip = torch.rand(len(xi)) < 0.5
            xi = torch.where(flip[:, None].to(xi.device), reverse_complement_codes(xi), xi)
            batch = (xi, yi)
        return super().train_step_single(batch, **fit_params)

    # -- prediction --------------------------------------------------------------------------
    def _infer_eval(self, xi):
        out = self.infer(xi)
        if self.average_strands:
            out = (out + self.infer(reverse_complement_codes(torch.as_tensor(xi)))) / 2
        return out

    def evaluation_step(self, batch, training=False):
        """Forward pass; without gradients (``torch.inference_mode``) when not training."""
        if training:
            return super().evaluation_step(batch, training=True)
        self.check_is_fitted()
        xi = batch[0] if isinstance(batch, (tuple, list)) else batch
        self._set_training(False)
        with torch.inference_mode():
            return self._infer_eval(xi)

    def _windowed(self, X) -> bool:
        return self.long_inputs == "windows" and not isinstance(X, torch.utils.data.Dataset)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``, shape (n, 2)."""
        self.check_is_fitted()
        if self._windowed(X):
            p = expit(self._voting_logits(self._sequence_codes(X)))
            return np.column_stack([1 - p, p])
        return super().predict_proba(X)

    def decision_function(self, X) -> np.ndarray:
        """Logit of ``classes_[1]`` for each sequence, shape (n,)."""
        self.check_is_fitted()
        if self._windowed(X):
            return self._voting_logits(self._sequence_codes(X)).astype(np.float32)
        return super().decision_function(X)

    def _voting_logits(self, sequences: SequenceCodes) -> np.ndarray:
        """Logit of each sequence's vote (``aggregate``) over all its windows (float64)."""
        windows = self._windows(sequences)
        size = self._predict_batch_size(default=256)

        def scores():
            for a in self._report_prediction(range(0, windows.n_windows, size), -(-windows.n_windows // size)):
                b = min(a + size, windows.n_windows)
                yield (self.infer_logits(token_windows(windows.codes(a, b)).to(self.device)),
                       windows.sequence_of(a, b))

        with self._limit_threads(), torch.random.fork_rng(devices=[]):
            return vote(scores(), windows.counts, self.aggregate)

    def infer_logits(self, xb) -> np.ndarray:
        """Logits of one batch in evaluation mode, as float32 NumPy."""
        self._set_training(False)
        with torch.inference_mode():
            out = self._infer_eval(xb)
        return out.cpu().numpy().astype(np.float32, copy=False)

    def attention_weights(self, X) -> np.ndarray:
        """Attention per position for each sequence, shape (n, sequence_length), rows sum to ~1.

        Positions refer to the centre-cropped / N-padded input.
        """
        self.check_is_fitted()
        Xe = self._encode_input(X)
        out = []
        # fork_rng: the DataLoader draws a seed from torch's global RNG even when not shuffling
        with self._limit_threads(), torch.random.fork_rng(devices=[]):
            self._set_training(False)
            for xb in self._iter_batches(Xe):
                xb = torch.as_tensor(xb, device=self.device)
                with torch.inference_mode():
                    out.append(self.module_.attention(xb).cpu().numpy())
        if not out:
            return np.empty((0, self.sequence_length_), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)

    # -- the authors' weights --------------------------------------------------------------
    @classmethod
    def from_keras_weights(cls, path, **params) -> EnhancerLSTMAttClassifier:
        """A fitted classifier holding the authors' trained Keras weights.

        Parameters
        ----------
        path : str or Path
            ``layer1.h5`` or ``layer2.h5`` of the Enhancer-LSTMAtt repository
            (Keras 2 HDF5 weights, read with h5py; TensorFlow is not needed).
        **params
            Other estimator parameters (``threads``, ``batch_size`` ...).  The
            architecture sizes are read from the file.

        Returns
        -------
        EnhancerLSTMAttClassifier
            Fitted, ``classes_ == [0, 1]``; ``predict_proba(X)[:, 1]`` is the
            authors' sigmoid output.
        """
        from .keras_weights import keras_module_params, keras_state_dict, read_keras_weights

        weights = read_keras_weights(path)
        module_params = keras_module_params(weights)
        params = {**{f"module__{k}": v for k, v in module_params.items()}, **params}
        clf = cls(**params)
        clf.initialize()
        state = keras_state_dict(weights, clf.module_)
        clf.module_.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        clf.classes_ = np.array([0, 1])
        return clf
