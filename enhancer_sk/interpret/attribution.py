"""Per-base attributions of any fitted model of the suite: ISM, DeepLIFT/SHAP, integrated gradients, gkmexplain.

:func:`attribute` explains one score per sequence, the model's
``decision_function`` (the logit of the networks, the margin of the SVMs, the
log-odds of the meta models) or, for a model without one, the log-odds of
``predict_proba[:, 1]``, by a contribution per base and position, shape
``(n, 4, L)`` with rows A, C, G, T (tangermeme's convention).

Methods
-------
``"ism"`` (every model)
    In-silico saturation mutagenesis, batched: every substitution of every
    sequence is scored, many at a time, through the model's own scoring (the
    torch module directly for a cropping Enhancer-LSTMAtt, exactly from the
    k-mer weights for a KmerSVM with weights, ``gkm_ism`` for a GkmSVM).
``"deep_lift_shap"`` (DeepEnhancer)
    tangermeme's DeepLIFT/SHAP against dinucleotide-shuffled references.
``"integrated_gradients"`` (both networks)
    captum's integrated gradients from the mean of those references.
``"gkmexplain"`` (GkmSVM)
    gkmexplain (:mod:`enhancer_sk.interpret.gkm`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np

from ..sequence.codes import SequenceCodes, as_sequence_codes, codes_to_strings
from ..sequence.encoders import kmer_window_index

__all__ = ["METHODS", "attribute", "model_scores", "pick_layer", "supported_methods"]

#: Every method :func:`attribute` knows.
METHODS = ("ism", "deep_lift_shap", "integrated_gradients", "gkmexplain")

#: Integration steps of ``method="integrated_gradients"`` (Gauss-Legendre, captum's default rule).
IG_STEPS = 128

_LSTMATT_DLS_REASON = (
    "DeepLIFT has no rule for the multiplicative gates of the LSTM (nor for the attention's "
    "normalisation), so DeepLIFT/SHAP attributions of Enhancer-LSTMAtt do not add up to the "
    "change of its logit; use method='integrated_gradients' (or 'ism')"
)


# ----------------------------------------------------------------------------- public function


def attribute(
    model,
    X,
    method: str = "ism",
    *,
    hypothetical: bool = False,
    layer: int | None = None,
    n_shuffles: int = 20,
    batch_size: int | None = None,
    threads: int | None = None,
    random_state=None,
    verbose: bool = False,
) -> np.ndarray:
    """Contribution of every base of every sequence to a fitted model's score.

    Parameters
    ----------
    model : fitted estimator
        :class:`~enhancer_sk.models.nn.lstmatt.EnhancerLSTMAttClassifier`,
        :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN`,
        :class:`~enhancer_sk.models.svm.kmer.KmerSVM`,
        :class:`~enhancer_sk.models.svm.gkm.GkmSVM`, the GC-content baseline
        pipeline (``build_model("gc")``) or any binary classifier taking
        sequences, a
        :class:`~enhancer_sk.models.meta.ensemble.SeedEnsembleClassifier` or a
        :class:`~enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier`
        (with ``layer``).
    X : list / array of str, FASTA path, or one-hot array (n, 4, L)
        Sequences of any lengths (lower case is upper-cased; ``N`` and IUPAC
        codes are allowed and read as ``N``).
    method : {"ism", "deep_lift_shap", "integrated_gradients", "gkmexplain"}, default="ism"
        ``"ism"``: every model.  ``"deep_lift_shap"``: DeepEnhancer (and seed
        ensembles of it); not Enhancer-LSTMAtt, see Notes.
        ``"integrated_gradients"``: both networks (and their seed ensembles).
        ``"gkmexplain"``: GkmSVM.
    hypothetical : bool, default=False
        Return the hypothetical contributions (every base at every position)
        instead of the actual ones (the observed base only).
    layer : {1, 2} or None, default=None
        For a two-layer model (required there): the layer whose estimator is
        explained (1: enhancer vs not, 2: strong vs weak).
    n_shuffles : int, default=20
        Dinucleotide-shuffled references per sequence (``deep_lift_shap``,
        ``integrated_gradients``).
    batch_size : int or None, default=None
        ISM: mutant sequences scored per call (memory bound; default 512 for
        the networks, 2048 otherwise).  Gradient methods: sequence-reference
        pairs (DeepLIFT/SHAP) or interpolation points (integrated gradients)
        per forward and backward pass (default 256; memory grows with it: about
        1.7 GB at 256 for the full Enhancer-LSTMAtt on 200 bp with both strands).
    threads : int or None, default=None
        Torch / BLAS threads during the work
        (:func:`~enhancer_sk.threads.limit_threads`; None: ``GALAXY_SLOTS`` or
        all CPUs); when given, also the ``threads`` of the model (and of its
        members) while it is scored.
    random_state : int, RandomState or None, default=None
        Seeds the references of the gradient methods (same seed, same result).
    verbose : bool, default=False
        A tqdm progress bar over the batches.

    Returns
    -------
    ndarray of float32, shape (n, 4, L_max)
        ``L_max`` is the longest sequence; each row is zero-padded on the
        right beyond its sequence's length.  Positions holding ``N`` (or any
        IUPAC code) are 0 for every base.

    Raises
    ------
    ValueError
        Unknown ``method``; a method the model does not support (naming the
        model class and the methods it supports); empty ``X``; a two-layer
        model without ``layer`` (or ``layer`` for another model).

    Notes
    -----
    **Score.** ``decision_function`` when the model has one (the logit of the
    networks, after their voting over windows and strands; the SVM margin;
    the log-odds of the mean probability of a seed ensemble; the logistic
    regression's logit of the GC baseline), else ``log(p / (1 - p))`` of
    ``predict_proba[:, 1]``.

    **Actual and hypothetical.** The actual contributions are the
    hypothetical ones times the one-hot sequence, so only the observed base
    of a position is non-zero (tangermeme's convention).

    * ISM: ``delta[i, b, j] = f(x with base b at j) - f(x)`` (0 for the
      observed base); the hypothetical contribution is ``delta`` minus its
      mean over the four bases at each position, so the actual contribution
      at ``j`` is ``f(x) - mean_b f(x_j<-b)``.  Mutants are scored through the
      model's own ``decision_function`` on batches of sequences (so ISM
      reflects the model's window voting, strand averaging and crop / pad
      policy), through the torch module directly for a cropping
      Enhancer-LSTMAtt (the same computation), exactly from the k-mer weights
      for a KmerSVM whose decision is linear in its (normalised) spectrum
      (linear kernel or ``svm="linear"``; only the k-mers overlapping the
      substitution change), with :func:`enhancer_sk.interpret.gkm.gkm_ism`
      for a GkmSVM (batched predictions when that module is unavailable).
    * DeepLIFT/SHAP and integrated gradients: tangermeme's hypothetical
      contributions, ``m_b - sum_c r_c m_c`` at each position (``m`` the
      multipliers, ``r`` the reference), averaged over the references; the
      actual contributions add up to ``f(x) - mean_r f(r)`` (DeepLIFT/SHAP) or
      ``f(x) - f(mean_r r)`` (integrated gradients, up to the integration
      error) over the attributed input.

    **References.** ``n_shuffles`` dinucleotide shuffles (tangermeme's
    ``dinucleotide_shuffle``) of each attributed input's non-N bases, put
    back at the non-N positions, so ``N`` stays in place and contributes
    nothing (a sequence whose dinucleotide shuffles are all identical gets
    random permutations of its bases instead).  Integrated gradients
    integrates from the mean of the references (at each position, the
    frequencies of the bases over the shuffles) along the straight line, in
    ``IG_STEPS`` Gauss-Legendre steps.

    **Windows and crops (gradient methods).** A DeepEnhancer (or a windowed
    Enhancer-LSTMAtt) scores a sequence by voting over its windows: with
    ``aggregate="max"`` the window of highest logit (the one the vote
    selects) is attributed, with ``aggregate="mean"`` every window is and
    their contributions are averaged (the summation then holds for the mean
    window logit, not the logit of the mean probability); a window's
    contributions are placed at its offset in the sequence.  A sequence
    shorter than the window is N-padded into windows, as the model predicts
    it, and the padding gets nothing.  A cropping Enhancer-LSTMAtt attributes
    its centre-cropped / N-padded input, placed back at the sequence's
    positions (bases cropped away get 0: the model does not see them; ISM
    gives them 0 too).

    **Strands.** A network that averages both strands (``average_strands``)
    is explained, in the gradient methods, by the mean of the attributions of
    the two strands (those of the reverse complement, reverse-complemented):
    exact for Enhancer-LSTMAtt, which averages logits; DeepEnhancer averages
    probabilities, and the summation then holds for the mean of its two
    strand logits.  ISM covers strands through the model itself.

    **Meta models.** ISM scores the ensemble itself; the gradient methods
    average the members' attributions (each of its own logit).  A two-layer
    model is explained through the estimator of ``layer``.

    **Enhancer-LSTMAtt and DeepLIFT.** DeepLIFT's rules (tangermeme) cover
    element-wise non-linearities and pooling; the LSTM's gates multiply two
    functions of the input, for which DeepLIFT has no rule, so the
    attributions of Enhancer-LSTMAtt do not add up to its logit change (on a
    trained tiny model, 10 sequences, 20 references: errors of 0.04 to 1.4
    logits for logit changes of at most 0.7; DeepEnhancer: below 1e-7).
    ``method="deep_lift_shap"`` raises a ValueError there; integrated
    gradients satisfies completeness up to its integration error (a few
    percent of the largest logit change with ``IG_STEPS`` = 128 steps on the
    tiny test networks).

    Examples
    --------
    >>> from enhancer_sk.interpret import attribute  # doctest: +SKIP
    >>> contrib = attribute(model, ["ACGT" * 50], method="ism")  # doctest: +SKIP
    >>> contrib.shape  # doctest: +SKIP
    (1, 4, 200)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    model = _pick_layer(model, layer)
    supported = supported_methods(model)
    if method not in supported:
        reason = ""
        if method == "deep_lift_shap" and _is_lstmatt_like(model):
            reason = f": {_LSTMATT_DLS_REASON}"
        raise ValueError(
            f"{type(model).__name__} does not support method={method!r}; it supports "
            f"{', '.join(repr(m) for m in supported)}{reason}"
        )
    if int(n_shuffles) < 1:
        raise ValueError(f"n_shuffles must be a positive integer, got {n_shuffles!r}")
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    sc = _as_codes(X)
    from ..threads import limit_threads

    with limit_threads(threads), _model_threads(model, threads):
        if method == "gkmexplain":
            return _finish(_gkm_call("gkm_explain", model, sc, hypothetical=hypothetical, verbose=verbose), sc, True)
        if method == "ism":
            delta = _ism_deltas(model, sc, batch_size, verbose)
            hyp = delta - delta.mean(axis=1, keepdims=True)
        else:
            hyp = _gradient_hypothetical(model, sc, method, int(n_shuffles), batch_size, random_state, verbose)
    return _finish(hyp, sc, hypothetical)


# ----------------------------------------------------------------------------- model dispatch


def _model_classes():
    from ..models.meta.ensemble import SeedEnsembleClassifier
    from ..models.meta.two_layer import TwoLayerEnhancerClassifier
    from ..models.nn.deepenhancer import DeepEnhancerCNN
    from ..models.nn.lstmatt import EnhancerLSTMAttClassifier
    from ..models.svm.gkm import GkmSVM
    from ..models.svm.kmer import KmerSVM

    return {
        "ensemble": SeedEnsembleClassifier,
        "two_layer": TwoLayerEnhancerClassifier,
        "deepenhancer": DeepEnhancerCNN,
        "lstmatt": EnhancerLSTMAttClassifier,
        "gkm": GkmSVM,
        "kmer": KmerSVM,
    }


def _kind(model) -> str:
    for name, cls in _model_classes().items():
        if isinstance(model, cls):
            return name
    return "other"


def _is_lstmatt_like(model) -> bool:
    if _kind(model) == "lstmatt":
        return True
    return _kind(model) == "ensemble" and any(_kind(m) == "lstmatt" for m in getattr(model, "estimators_", []))


def pick_layer(model, layer: int | None = None):
    """The estimator :func:`attribute` explains: a two-layer model's ``layer`` (1 or 2), else ``model`` itself."""
    return _pick_layer(model, layer)


def model_scores(model, X, *, layer: int | None = None) -> np.ndarray:
    """The score :func:`attribute` decomposes, for each sequence of ``X`` (float64, shape (n,)).

    ``decision_function`` of the model (of its ``layer`` for a two-layer
    model), else the log-odds of ``predict_proba[:, 1]``.
    """
    return _score(_pick_layer(model, layer), X)


def _pick_layer(model, layer):
    if _kind(model) == "two_layer":
        if layer not in (1, 2):
            raise ValueError(
                f"{type(model).__name__} has two layers: pass layer=1 (enhancer vs non-enhancer) or layer=2 "
                f"(strong vs weak), got layer={layer!r}"
            )
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(model, "layer1_")
        return model.layer1_ if layer == 1 else model.layer2_
    if layer is not None:
        raise ValueError(f"layer={layer!r} is only for two-layer models, not {type(model).__name__}")
    return model


def supported_methods(model) -> tuple[str, ...]:
    """The methods :func:`attribute` supports for ``model`` (a two-layer model: those of its layers)."""
    kind = _kind(model)
    if kind == "deepenhancer":
        return ("ism", "deep_lift_shap", "integrated_gradients")
    if kind == "lstmatt":
        return ("ism", "integrated_gradients")
    if kind == "gkm":
        return ("ism", "gkmexplain")
    if kind == "ensemble":
        members = getattr(model, "estimators_", None) or [model.estimator]
        common = [m for m in ("deep_lift_shap", "integrated_gradients")
                  if all(m in supported_methods(e) for e in members)]
        return ("ism", *common)
    if kind == "two_layer":
        layers = [getattr(model, "layer1_", model.layer1), getattr(model, "layer2_", model.layer2 or model.layer1)]
        return tuple(m for m in METHODS if all(m in supported_methods(e) for e in layers))
    return ("ism",)


def _walk(model) -> Iterator:
    yield model
    for member in getattr(model, "estimators_", None) or []:
        yield from _walk(member)
    for name in ("layer1_", "layer2_"):
        if hasattr(model, name):
            yield from _walk(getattr(model, name))
    steps = getattr(model, "steps", None)
    if isinstance(steps, list):
        for step in steps:
            if isinstance(step, tuple) and len(step) == 2 and hasattr(step[1], "get_params"):
                yield from _walk(step[1])


@contextlib.contextmanager
def _model_threads(model, threads):
    """Set ``threads`` on the model and its members while it runs (restored afterwards); None: leave them."""
    saved = []
    try:
        if threads is not None:
            for est in _walk(model):
                try:
                    has = "threads" in est.get_params(deep=False)
                except Exception:  # noqa: BLE001 - estimators without get_params
                    has = False
                if has:
                    saved.append((est, est.threads))
                    est.threads = threads
        yield
    finally:
        for est, value in reversed(saved):
            est.threads = value


# ----------------------------------------------------------------------------- input / output


def _as_codes(X) -> SequenceCodes:
    if X is None:
        raise ValueError("X is empty: give at least one sequence")
    if isinstance(X, (list, tuple)) and len(X) == 0:
        raise ValueError("X is empty: give at least one sequence")
    if isinstance(X, np.ndarray) and X.size == 0:
        raise ValueError("X is empty: give at least one sequence")
    sc = as_sequence_codes(X)
    if len(sc) == 0:
        raise ValueError("X is empty: give at least one sequence")
    return sc


def _padded_codes(sc: SequenceCodes) -> np.ndarray:
    """(n, L_max) codes, N (4) beyond each sequence's end."""
    n = len(sc)
    lmax = int(sc.lengths.max())
    out = np.full((n, lmax), 4, dtype=np.uint8)
    for i in range(n):
        s, ln = int(sc.starts[i]), int(sc.lengths[i])
        out[i, :ln] = sc.codes[s : s + ln]
    return out


def _one_hot(codes: np.ndarray, dtype=np.float32) -> np.ndarray:
    from ..sequence.encoders import codes_to_one_hot

    return codes_to_one_hot(codes, dtype)


def _finish(hyp, sc: SequenceCodes, hypothetical: bool) -> np.ndarray:
    hyp = np.asarray(hyp, dtype=np.float64)
    codes = _padded_codes(sc)
    if hyp.shape != (len(sc), 4, codes.shape[1]):
        raise RuntimeError(f"attributions of shape {hyp.shape}, expected {(len(sc), 4, codes.shape[1])}")
    hyp = np.where((codes < 4)[:, None, :], hyp, 0.0)
    if not hypothetical:
        hyp = hyp * _one_hot(codes, np.float64)
    return hyp.astype(np.float32)


def _score(model, X) -> np.ndarray:
    """The attributed score: ``decision_function``, else the log-odds of ``predict_proba[:, 1]``."""
    if hasattr(model, "decision_function"):
        d = np.asarray(model.decision_function(X), dtype=np.float64)
        if d.ndim == 2 and d.shape[1] == 1:
            d = d[:, 0]
        if d.ndim != 1:
            raise ValueError(f"{type(model).__name__} is not a binary classifier (decision of shape {d.shape})")
        return d
    p = np.asarray(model.predict_proba(X), dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"{type(model).__name__} is not a binary classifier (probabilities of shape {p.shape})")
    p = np.clip(p[:, 1], 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def _progress(total: int, verbose: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not verbose, desc=desc, unit="batch")


# ----------------------------------------------------------------------------- ISM


def _ism_deltas(model, sc: SequenceCodes, batch_size, verbose) -> np.ndarray:
    """Raw ISM deltas ``f(x_j<-b) - f(x)``, shape (n, 4, L_max), float64 (0 at the observed base and at N)."""
    kind = _kind(model)
    if kind == "kmer" and hasattr(model, "coef_") and getattr(model, "input_kind_", "sequences") == "sequences":
        return _kmer_ism(model, sc)
    if kind == "kmer" and getattr(model, "input_kind_", "sequences") != "sequences":
        raise ValueError("this KmerSVM was fitted on a numeric feature matrix, not on sequences: it cannot be "
                         "attributed to bases")
    if kind == "gkm":
        try:
            from . import gkm as gkm_module

            gkm_ism = gkm_module.gkm_ism
        except (ImportError, AttributeError):
            gkm_ism = None
        if gkm_ism is not None:
            delta = np.asarray(gkm_ism(model, sc.to_strings(), verbose=verbose), dtype=np.float64)
            return np.where((_padded_codes(sc) < 4)[:, None, :], delta, 0.0)
    if kind == "lstmatt" and model.long_inputs == "crop":
        return _ism_generic(model, sc, "tokens", batch_size or 512, verbose)
    if kind in ("lstmatt", "deepenhancer"):
        return _ism_generic(model, sc, "codes", batch_size or 512, verbose)
    return _ism_generic(model, sc, "strings", batch_size or 2048, verbose)


def _views(model, sc: SequenceCodes, how: str):
    """Per sequence: the code row the model sees and the sequence position of its first column."""
    if how == "tokens":
        from ..sequence.fixed_length import fixed_length_codes

        length = model.sequence_length_
        rows = fixed_length_codes(sc, length)
        lengths = sc.lengths.astype(np.int64)
        shift = np.maximum(lengths - length, 0) // 2 - np.maximum(length - lengths, 0) // 2
        return [rows[i] for i in range(len(sc))], shift
    rows = [sc.codes[int(s) : int(s) + int(n)] for s, n in zip(sc.starts, sc.lengths)]
    return rows, np.zeros(len(sc), dtype=np.int64)


def _scorer(model, how: str):
    """Callable: list of code matrices (r_i, L_i) -> scores of all their rows, float64."""
    if how == "tokens":
        import torch

        def score(mats):
            tokens = torch.from_numpy(np.concatenate(mats).astype(np.int64))
            with model._limit_threads(), torch.random.fork_rng(devices=[]):
                return np.asarray(model.infer_logits(tokens.to(model.device)), dtype=np.float64).reshape(-1)

        return score
    if how == "codes":

        def score(mats):
            lengths = np.concatenate([np.full(len(m), m.shape[1], dtype=np.int64) for m in mats])
            starts = np.zeros(len(lengths), dtype=np.int64)
            np.cumsum(lengths[:-1], out=starts[1:])
            codes = np.concatenate([np.ascontiguousarray(m, dtype=np.uint8).reshape(-1) for m in mats])
            return _score(model, SequenceCodes(codes, starts, lengths))

        return score

    def score(mats):
        return _score(model, np.concatenate([codes_to_strings(m) for m in mats]))

    return score


def _ism_generic(model, sc: SequenceCodes, how: str, batch_size: int, verbose: bool) -> np.ndarray:
    rows, shift = _views(model, sc, how)
    score = _scorer(model, how)
    n = len(sc)
    out = np.zeros((n, 4, int(sc.lengths.max())), dtype=np.float64)
    # reference scores, in batches of sequences
    f0 = np.empty(n, dtype=np.float64)
    per = max(1, batch_size)
    positions = [np.flatnonzero(r < 4) for r in rows]
    n_mutants = 3 * sum(len(p) for p in positions)
    bar = _progress(-(-n // per) + -(-n_mutants // batch_size), verbose, "ISM")
    try:
        for a in range(0, n, per):
            f0[a : a + per] = score([r[None, :] for r in rows[a : a + per]])
            bar.update(1)
        pending: list = []  # (sequence, positions, alt bases, mutant codes)
        filled = 0

        def flush():
            nonlocal pending, filled
            if not pending:
                return
            scores = score([m for *_, m in pending])
            k = 0
            for i, pos, alt, m in pending:
                out[i, alt, pos + shift[i]] = scores[k : k + len(m)] - f0[i]
                k += len(m)
            pending, filled = [], 0
            bar.update(1)

        shifts = np.array([1, 2, 3], dtype=np.int64)
        for i, row in enumerate(rows):
            pos_i = positions[i]
            p = 0
            while p < len(pos_i):
                room = max(1, (batch_size - filled) // 3)
                pos = pos_i[p : p + room]
                p += len(pos)
                ref = row[pos].astype(np.int64)
                alt = ((ref[:, None] + shifts[None, :]) % 4).reshape(-1)
                pos_rep = np.repeat(pos, 3)
                mats = np.repeat(row[None, :], len(alt), axis=0)
                mats[np.arange(len(alt)), pos_rep] = alt
                pending.append((i, pos_rep, alt, mats))
                filled += len(alt)
                if filled + 3 > batch_size:
                    flush()
        flush()
    finally:
        bar.close()
    return out


def _kmer_ism(model, sc: SequenceCodes) -> np.ndarray:
    """Exact ISM of a KmerSVM whose decision is linear in its (l1 / l2 / un-normalised) spectrum.

    Only the k-mers overlapping a substitution change: for each mutant the
    changed columns and counts give the new dot product with the weights and,
    for ``norm="l2"``, the new norm (``norm="l1"`` divides by the number of
    valid k-mers per k, which a substitution between bases does not change).
    """
    spectrum = model._spectrum()
    ks = spectrum._ks()
    w = np.asarray(model.coef_, dtype=np.float64).ravel()
    b0 = float(model.intercept_[0])
    norm = model.norm
    columns, offsets = [], []
    off = 0
    for k in ks:
        col, kept = spectrum._columns(k)
        columns.append(np.asarray(col, dtype=np.int64) + off)
        offsets.append(off)
        off += len(kept)
    n = len(sc)
    out = np.zeros((n, 4, int(sc.lengths.max())), dtype=np.float64)
    for i in range(n):
        c = sc.codes[int(sc.starts[i]) : int(sc.starts[i]) + int(sc.lengths[i])].astype(np.int64)
        L = len(c)
        pos = np.flatnonzero(c < 4)
        if not len(pos):
            continue
        ref = c[pos]
        alt = (ref[:, None] + np.array([1, 2, 3])[None, :]) % 4  # (P, 3)
        mut_pos = np.repeat(pos, 3)
        mut_diff = (alt - ref[:, None]).reshape(-1)  # alt - ref per mutant
        n_mut = len(mut_pos)
        mids, cols, signs, blocks = [], [], [], []
        all_cols, all_block = [], []
        totals = []
        for kb, k in enumerate(ks):
            col = columns[kb]
            if L < k:
                totals.append(0)
                continue
            m = L - k + 1
            idx, has_n = kmer_window_index(c, k)
            valid = ~has_n
            totals.append(int(valid.sum()))
            all_cols.append(col[idx[valid]])
            all_block.append(np.full(int(valid.sum()), kb))
            for o in range(k):
                s = mut_pos - o
                ok = (s >= 0) & (s < m)
                ok[ok] = valid[s[ok]]
                mi = np.flatnonzero(ok)
                old = idx[s[ok]]
                new = old + mut_diff[ok] * (4 ** (k - 1 - o))
                mids += [mi, mi]
                cols += [col[old], col[new]]
                signs += [np.full(len(mi), -1.0), np.full(len(mi), 1.0)]
                blocks += [np.full(len(mi), kb), np.full(len(mi), kb)]
        if not all_cols:
            continue
        base_cols, base_counts = np.unique(np.concatenate(all_cols), return_counts=True)
        base_counts = base_counts.astype(np.float64)
        block_of = np.concatenate(all_block)
        scale = np.ones(len(ks))
        if norm == "l1":
            scale = np.array([1.0 / t if t > 0 else 0.0 for t in totals])
        # counts of the sequence by block for the dot product
        col_block = np.zeros(len(base_cols), dtype=np.int64)
        full_cols = np.concatenate(all_cols)
        col_block[np.searchsorted(base_cols, full_cols)] = block_of
        dot0 = float(np.sum(base_counts * w[base_cols] * scale[col_block]))
        sq0 = float(np.sum(base_counts**2))
        if not mids:
            continue
        mids = np.concatenate(mids)
        cols = np.concatenate(cols)
        signs = np.concatenate(signs)
        blocks = np.concatenate(blocks)
        ddot = np.bincount(mids, weights=signs * w[cols] * scale[blocks], minlength=n_mut)
        if norm == "l2":
            key = mids * (int(cols.max()) + 1) + cols
            ukey, inv = np.unique(key, return_inverse=True)
            d = np.bincount(inv, weights=signs)
            ucol = ukey % (int(cols.max()) + 1)
            umid = ukey // (int(cols.max()) + 1)
            where = np.searchsorted(base_cols, ucol)
            where = np.minimum(where, len(base_cols) - 1)
            cur = np.where(base_cols[where] == ucol, base_counts[where], 0.0)
            dsq = np.bincount(umid, weights=(cur + d) ** 2 - cur**2, minlength=n_mut)
            f0 = dot0 / np.sqrt(sq0) if sq0 > 0 else 0.0
            sq = sq0 + dsq
            f1 = np.divide(dot0 + ddot, np.sqrt(np.maximum(sq, 0.0)), out=np.zeros(n_mut), where=sq > 0)
            delta = (f1 + b0) - (f0 + b0)
        else:
            delta = ddot
        out[i, alt.reshape(-1), mut_pos] = delta
    return out


# ----------------------------------------------------------------------------- gkm


def _gkm_call(name: str, model, sc: SequenceCodes, **kwargs) -> np.ndarray:
    try:
        from . import gkm as gkm_module
    except ImportError as err:
        raise ImportError(f"method='gkmexplain' needs enhancer_sk.interpret.gkm ({err})") from None
    return np.asarray(getattr(gkm_module, name)(model, sc.to_strings(), **kwargs), dtype=np.float64)


# ----------------------------------------------------------------------------- gradient methods


def _unit_seeds(random_state, n: int) -> np.ndarray:
    """One reference seed per attributed input, from ``random_state``."""
    from sklearn.utils import check_random_state

    return check_random_state(random_state).randint(0, 2**31 - 1, size=n).astype(np.int64)


def _shuffled_references(codes: np.ndarray, n_shuffles: int, seeds: np.ndarray) -> np.ndarray:
    """Dinucleotide-shuffled references of code rows (m, W): one-hot (m, n_shuffles, 4, W), N kept in place."""
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle

    codes = np.asarray(codes, dtype=np.uint8)
    m, width = codes.shape
    out = np.zeros((m, n_shuffles, 4, width), dtype=np.float32)
    for i in range(m):
        keep = np.flatnonzero(codes[i] < 4)
        bases = codes[i, keep]
        shuffled = None
        if len(bases) >= 3:
            x = torch.from_numpy(_one_hot(bases[None, :]))
            try:
                shuffled = dinucleotide_shuffle(x, n=n_shuffles, random_state=int(seeds[i]))[0].numpy()
            except ValueError:  # every dinucleotide shuffle is the sequence itself (low diversity)
                shuffled = None
        if shuffled is None:
            rng = np.random.default_rng(int(seeds[i]))
            perms = np.stack([bases[rng.permutation(len(bases))] for _ in range(n_shuffles)])
            shuffled = _one_hot(perms) if len(bases) else np.zeros((n_shuffles, 4, 0), np.float32)
        out[i][:, :, keep] = shuffled
    return out


def _wrapper(model):
    """A torch module: one-hot (m, 4, W) -> the network's logit (m, 1), strands averaged when the model does."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    net = model.module_
    average = bool(getattr(model, "average_strands", False))

    if _kind(model) == "deepenhancer":

        class DeepEnhancerLogit(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, x):
                y = self.net(x)
                if average:
                    y = (y + self.net(x.flip((1, 2)))) / 2
                return y.unsqueeze(1)

        return DeepEnhancerLogit()

    class LSTMAttLogit(nn.Module):
        """Enhancer-LSTMAtt on one-hot input: one-hot times the embedding rows A, C, G, T, and row N where all-zero."""

        def __init__(self):
            super().__init__()
            self.net = net

        def _one(self, x):
            w = self.net.embedding.weight
            emb = torch.matmul(x.transpose(1, 2), w[:4]) + (1 - x.sum(1)).unsqueeze(-1) * w[4]
            h = self.net._recurrent(emb.transpose(0, 1))
            res = self.net._resnet(emb)
            a = self.net._attention_scores(h)
            att = (a.unsqueeze(2) * h).sum(dim=0)
            features = torch.cat([self.net.dropout(att), res], dim=1)
            return self.net.output(F.relu(self.net.dense(features))).squeeze(1)

        def forward(self, x):
            y = self._one(x)
            if average:
                y = (y + self._one(x.flip((1, 2)))) / 2
            return y.unsqueeze(1)

    return LSTMAttLogit()


def _window_units(model, sc: SequenceCodes):
    """What the gradient methods attribute: (codes (m, W), sequence (m,), first position (m,), weight (m,))."""
    import torch

    kind = _kind(model)
    if kind == "lstmatt" and model.long_inputs == "crop":
        rows, shift = _views(model, sc, "tokens")
        return np.stack(rows), np.arange(len(sc)), shift, np.ones(len(sc))
    if kind == "deepenhancer":
        windows = model._windows(sc)
        logits, seq = model.window_logits(sc)
    else:  # windowed Enhancer-LSTMAtt
        from ..models.nn.windowed import token_windows

        windows = model._windows(sc)
        size = model._predict_batch_size(default=256)
        parts = []
        with model._limit_threads(), torch.random.fork_rng(devices=[]):
            for a in range(0, windows.n_windows, size):
                b = min(a + size, windows.n_windows)
                parts.append(model.infer_logits(token_windows(windows.codes(a, b)).to(model.device)))
        logits = np.concatenate(parts).astype(np.float64)
        seq = windows.sequence_of(0, windows.n_windows)
    starts = windows.relative_starts(0, windows.n_windows)
    if model.aggregate == "max":
        order = np.lexsort((-np.asarray(logits, dtype=np.float64), seq))
        first = order[np.r_[True, seq[order][1:] != seq[order][:-1]]]
        k = first[np.argsort(seq[first])]
        weight = np.ones(len(k))
    else:
        k = np.arange(windows.n_windows)
        weight = 1.0 / windows.counts[seq]
    return windows.codes_at(k), seq[k], starts[k], weight


def _gradient_hypothetical(model, sc, method, n_shuffles, batch_size, random_state, verbose) -> np.ndarray:
    if _kind(model) == "ensemble":
        total = None
        for member in model.estimators_:
            part = _gradient_hypothetical(member, sc, method, n_shuffles, batch_size, random_state, verbose)
            total = part if total is None else total + part
        return total / len(model.estimators_)
    import torch

    codes, seq, first, weight = _window_units(model, sc)
    seeds = _unit_seeds(random_state, len(codes))
    out = np.zeros((len(sc), 4, int(sc.lengths.max())), dtype=np.float64)
    wrapper = _wrapper(model).eval()
    pairs = int(batch_size or 256)
    chunk = max(1, pairs // n_shuffles) if method == "deep_lift_shap" else max(1, pairs // IG_STEPS)
    was_training = model.module_.training
    bar = _progress(-(-len(codes) // chunk), verbose, method)
    try:
        model.module_.eval()
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            for a in range(0, len(codes), chunk):
                c = codes[a : a + chunk]
                x = torch.from_numpy(_one_hot(c))
                refs = torch.from_numpy(_shuffled_references(c, n_shuffles, seeds[a : a + chunk]))
                if method == "deep_lift_shap":
                    hyp = _deep_lift_shap(wrapper, x, refs, pairs)
                else:
                    hyp = _integrated_gradients(wrapper, x, refs.mean(dim=1), pairs)
                _place(out, hyp, seq[a : a + chunk], first[a : a + chunk], weight[a : a + chunk], sc.lengths)
                bar.update(1)
    finally:
        bar.close()
        model.module_.train(was_training)
    return out


def _deep_lift_shap(wrapper, x, refs, pairs: int) -> np.ndarray:
    from tangermeme.deep_lift_shap import deep_lift_shap

    with warnings.catch_warnings():
        # N is an all-zero column, which tangermeme's input check flags (the references keep it in place)
        warnings.filterwarnings("ignore", message="X must be one-hot encoded")
        hyp = deep_lift_shap(wrapper, x, references=refs, hypothetical=True, batch_size=pairs,
                             device="cpu", only_warn=True)
    return hyp.detach().double().numpy()


def _integrated_gradients(wrapper, x, baseline, points: int) -> np.ndarray:
    """Hypothetical IG contributions ``g_b - sum_c x0_c g_c`` (``g`` the path-averaged gradient)."""
    from captum.attr import IntegratedGradients

    def forward(inp):
        return wrapper(inp)[:, 0]

    ig = IntegratedGradients(forward, multiply_by_inputs=False)
    g = ig.attribute(x, baselines=baseline, n_steps=IG_STEPS, internal_batch_size=max(points, IG_STEPS))
    g = g.detach().double()
    hyp = g - (baseline.double() * g).sum(dim=1, keepdim=True)
    return hyp.numpy()


def _place(out, hyp, seq, first, weight, lengths) -> None:
    """Add each unit's contributions (m, 4, W), times its weight, at its offset in its sequence."""
    width = hyp.shape[2]
    for h, i, s, wt in zip(hyp, seq.tolist(), np.asarray(first).tolist(), np.asarray(weight).tolist()):
        lo, hi = max(0, -s), min(width, int(lengths[i]) - s)
        if hi > lo:
            out[i, :, s + lo : s + hi] += wt * h[:, lo:hi]
