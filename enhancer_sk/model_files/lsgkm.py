r"""LS-GKM model files: the text ``gkmtrain`` writes (``<prefix>.model.txt``, also gzip).

:func:`read_lsgkm` parses a file into an :class:`LsgkmModel`, :func:`write_lsgkm`
writes one, :func:`is_lsgkm_file` recognises the format from a file's first
bytes, and :func:`gkmsvm_from_lsgkm` / :func:`lsgkm_from_gkmsvm` convert
between an :class:`LsgkmModel` and a fitted
:class:`~enhancer_sk.models.svm.gkm.GkmSVM` (used by
:meth:`GkmSVM.from_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.from_lsgkm>`,
:meth:`GkmSVM.to_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.to_lsgkm>` and
:func:`enhancer_sk.model_files.load`).  Reading only parses text: nothing in
the file is executed or imported.

Format
------
What LS-GKM's ``svm_save_model`` writes (C locale, ``\n`` line ends), one
header item per line, then one line per support vector::

    svm_type c_svc
    kernel_type gkm_esttrunc      # gkm_cnt (-t 0), gkm_estfull (-t 1), gkm_esttrunc (-t 2),
                                  # gkmrbf (-t 3), wgkm (-t 4), wgkmrbf (-t 5), gkm_cnt_rbf (-t 6)
    L 10                          # word length (%d)
    k 6                           # informative columns (%d)
    d 3                           # maximum mismatches (%d)
    norc 1                        # only in LS-GKM versions with -R: 1 = reverse complements not merged
    gamma 2                       # RBF kernels only (%g)
    M 50                          # centre-weighted kernels only (%d)
    H 50                          # centre-weighted kernels only (%g)
    nr_class 2
    total_sv 958
    rho 0.379216                  # %g: score = sum_i alpha_i K(x, sv_i) - rho
    label 1 -1                    # a score > 0 means label[0] (gkmtrain: 1 = positives, -1 = negatives)
    probA -1.5                    # libsvm's Platt sigmoid, P(label[0]) = 1 / (1 + exp(probA * score + probB));
    probB 0.1                     #   gkmtrain never writes them, its reader accepts them (%g)
    nr_sv 435 523                 # support vectors of label[0], then of label[1]
    SV
    0.3963236613005489 GCGGGC...  # alpha (%.16g) and sequence, label[0]'s support vectors first
    ...

The kernel ``K`` is the normalised one, ``K(x, y) / sqrt(K(x, x) K(y, y))``
(:mod:`enhancer_sk.models.svm._gkm_kernel`), ``alpha_i = y_i a_i`` is signed
(positive for label[0]), and sequences are written as they were read (letters
other than A, C, G, T are read as A).  LS-GKM's reader takes the header items
in any order, refuses any other item and reads numbers with ``%lf`` (so more
digits than it writes are read as well).

Mapping to GkmSVM
-----------------
``kernel_type`` gkm_cnt / gkm_estfull / gkm_esttrunc is ``kernel`` "gkm" /
"gkm_estfull" / "gkm_esttrunc" (:data:`KERNEL_TYPES`); the RBF and
centre-weighted kernels (:data:`UNSUPPORTED_KERNEL_TYPES`) are refused.
``L, k, d`` are ``l, k, d``; ``norc 1`` is ``canonical_kmers=False``.
``classes_`` are the two labels, sorted; ``dual_coef_`` are the alphas and
``intercept_`` is ``-rho`` (signs flipped when label[0] is the smaller label,
since GkmSVM's positive class is ``classes_[1]``), so ``decision_function``
is gkmpredict's score.  ``probA``/``probB``, when present, become ``platt_``;
without them (every file gkmtrain writes) the model has no probabilities.
The whole header is kept as ``lsgkm_header_`` (item -> text).  ``C``,
``tol`` and ``class_weight`` are not in the file: they keep their defaults.

Writing a GkmSVM puts ``classes_[1]`` first in ``label`` (the labels
themselves when they are integers, else ``1 -1``), its support vectors first,
and ``norc 1`` only for ``canonical_kmers=False`` (LS-GKM versions without
``-R`` refuse the item; they cannot represent such a model).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import ModelFileError
from ..sequence.alphabet import ALPHABET, IUPAC_AMBIGUITY

if TYPE_CHECKING:
    from ..models.svm.gkm import GkmSVM

__all__ = [
    "KERNEL_TYPES",
    "UNSUPPORTED_KERNEL_TYPES",
    "LsgkmModel",
    "gkmsvm_from_lsgkm",
    "is_lsgkm_file",
    "lsgkm_from_gkmsvm",
    "read_lsgkm",
    "write_lsgkm",
]

#: LS-GKM ``kernel_type`` names GkmSVM computes -> (``gkmtrain -t`` value, GkmSVM ``kernel``).
KERNEL_TYPES: dict[str, tuple[int, str]] = {
    "gkm_cnt": (0, "gkm"),
    "gkm_estfull": (1, "gkm_estfull"),
    "gkm_esttrunc": (2, "gkm_esttrunc"),
}
#: LS-GKM ``kernel_type`` names GkmSVM does not compute -> (``-t`` value, description).
UNSUPPORTED_KERNEL_TYPES: dict[str, tuple[int, str]] = {
    "gkmrbf": (3, "gkm + RBF"),
    "wgkm": (4, "centre-weighted gkm"),
    "wgkmrbf": (5, "centre-weighted gkm + RBF"),
    "gkm_cnt_rbf": (6, "gapped-kmer + RBF"),
}
_GKMSVM_TO_LSGKM = {kernel: name for name, (_, kernel) in KERNEL_TYPES.items()}

#: Header items and their value types (``int``/``float``: one value; ``(type, 2)``: two values).
_HEADER = {
    "svm_type": str, "kernel_type": str, "L": int, "k": int, "d": int, "norc": int, "gamma": float,
    "M": int, "H": float, "nr_class": int, "total_sv": int, "rho": float, "label": (int, 2),
    "probA": float, "probB": float, "nr_sv": (int, 2),
}
_REQUIRED = ("svm_type", "kernel_type", "L", "k", "d", "nr_class", "total_sv", "rho", "label")
_SEQUENCE_LETTERS = frozenset(ALPHABET + IUPAC_AMBIGUITY + (ALPHABET + IUPAC_AMBIGUITY).lower())
_MAX_L = 12  # LS-GKM's (and GkmSVM's) largest word length
_SNIFF_BYTES = 4096


@dataclass(eq=False)
class LsgkmModel:
    """The content of an LS-GKM model file (binary ``c_svc`` with a gkm kernel).

    Attributes
    ----------
    kernel_type : str
        LS-GKM's kernel name, a key of :data:`KERNEL_TYPES`.
    L, k, d : int
        Word length, informative columns, maximum mismatches.
    rho : float
        The score is ``sum_i alphas[i] K(x, sequences[i]) - rho``.
    labels : tuple of (int, int)
        ``label`` line: a positive score means ``labels[0]``.
    alphas : ndarray of float64, shape (n_sv,)
        Signed coefficients (positive for ``labels[0]``).
    sequences : list of str
        Support vectors, as written in the file.
    norc : bool, default=False
        Reverse complements are not merged (``gkmtrain -R``; ``norc 1``).
    prob : tuple of (float, float) or None, default=None
        ``(probA, probB)`` of libsvm's sigmoid, when the file has them.
    header : dict of str to str, default={}
        Every header item as read (item -> the rest of its line); ignored by
        :func:`write_lsgkm`, which writes the header from the other fields.
    """

    kernel_type: str
    L: int
    k: int
    d: int
    rho: float
    labels: tuple[int, int]
    alphas: np.ndarray
    sequences: list[str]
    norc: bool = False
    prob: tuple[float, float] | None = None
    header: dict[str, str] = field(default_factory=dict)

    @property
    def nr_sv(self) -> tuple[int, int]:
        """Support vectors of ``labels[0]`` (positive alphas) and of ``labels[1]``."""
        n_first = int((np.asarray(self.alphas) > 0).sum())
        return n_first, len(self.sequences) - n_first


# ----------------------------------------------------------------------------- reading


def is_lsgkm_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like an LS-GKM model file (plain or gzip): it begins with ``svm_type``.

    gkmtrain writes ``svm_type`` first.  Only the first bytes are read, and
    they must be text: the binary length prefix of a safetensors model file
    can read as a one-letter header item (``k``, ``L``, ``d``).  A missing
    file or a folder gives False.
    """
    from ..io.fasta import open_binary

    try:
        with open_binary(path, kind="LS-GKM model", error=ModelFileError) as fh:
            head = fh.read(_SNIFF_BYTES)
    except (OSError, ModelFileError, EOFError):
        return False
    words = head.split(None, 1)
    if not words or words[0] != b"svm_type":
        return False
    try:
        head.decode("ascii")
    except UnicodeDecodeError:
        return False
    return True


def _fail(path: str, line: int | None, message: str) -> ModelFileError:
    where = f"{path!r}, line {line}" if line is not None else repr(path)
    return ModelFileError(f"LS-GKM model file {where}: {message}")


def _number(text: str, kind: type, path: str, line: int, item: str):
    try:
        value = int(text) if kind is int else float(text)
    except ValueError:
        raise _fail(path, line, f"{item} must be {'an integer' if kind is int else 'a number'}, "
                                f"got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise _fail(path, line, f"{item} must be finite, got {text!r}")
    return value


def _parse_header(lines, path: str) -> tuple[dict, dict[str, str], dict[str, int], int]:
    """(typed values, raw text, line numbers) of the header items, and the line number of ``SV``."""
    values: dict = {}
    raw: dict[str, str] = {}
    where: dict[str, int] = {}
    for number, text in lines:
        words = text.split()
        if not words:
            continue
        item, rest = words[0], words[1:]
        if item == "SV":
            if rest:
                raise _fail(path, number, f"unexpected text after SV: {' '.join(rest)!r}")
            return values, raw, where, number
        kind = _HEADER.get(item)
        if kind is None:
            raise _fail(path, number, f"unknown header item {item!r} (LS-GKM refuses it too); expected one of "
                                      f"{', '.join(_HEADER)} or SV")
        if item in values:
            raise _fail(path, number, f"{item} given twice (first on line {where[item]})")
        count = kind[1] if isinstance(kind, tuple) else 1
        if len(rest) != count:
            raise _fail(path, number, f"{item} needs {count} value{'s' * (count > 1)}, got {len(rest)}")
        if kind is str:
            values[item] = rest[0]
        elif isinstance(kind, tuple):
            values[item] = tuple(_number(w, kind[0], path, number, item) for w in rest)
        else:
            values[item] = _number(rest[0], kind, path, number, item)
        raw[item] = " ".join(rest)
        where[item] = number
    raise _fail(path, None, "no SV line: the header does not end (truncated, or not an LS-GKM model file)")


def _check_header(values: dict, where: dict[str, int], sv_line: int, path: str) -> None:
    for item in _REQUIRED:
        if item not in values:
            raise _fail(path, sv_line, f"the header has no {item} line")
    if values["svm_type"] != "c_svc":
        raise _fail(path, where["svm_type"], f"svm_type {values['svm_type']!r} is not supported "
                                             "(GkmSVM is a binary c_svc classifier)")
    kernel = values["kernel_type"]
    if kernel in UNSUPPORTED_KERNEL_TYPES:
        t, what = UNSUPPORTED_KERNEL_TYPES[kernel]
        supported = ", ".join(f"{name} (-t {t})" for name, (t, _) in KERNEL_TYPES.items())
        raise _fail(path, where["kernel_type"], f"kernel_type {kernel} (gkmtrain -t {t}, {what}) is not "
                                                f"supported by GkmSVM; supported: {supported}")
    if kernel not in KERNEL_TYPES:
        raise _fail(path, where["kernel_type"], f"unknown kernel_type {kernel!r}; LS-GKM writes one of "
                                                f"{', '.join([*KERNEL_TYPES, *UNSUPPORTED_KERNEL_TYPES])}")
    L, k, d = values["L"], values["k"], values["d"]
    if not 1 <= L <= _MAX_L:
        raise _fail(path, where["L"], f"L must lie in [1, {_MAX_L}], got {L}")
    if not 1 <= k <= L:
        raise _fail(path, where["k"], f"k must lie in [1, L={L}], got {k}")
    if not 0 <= d <= L:
        raise _fail(path, where["d"], f"d must lie in [0, L={L}], got {d}")
    if values.get("norc", 0) not in (0, 1):
        raise _fail(path, where["norc"], f"norc must be 0 or 1, got {values['norc']}")
    if values["nr_class"] != 2:
        raise _fail(path, where["nr_class"], f"nr_class {values['nr_class']}: only binary models are supported")
    labels = values["label"]
    if labels[0] == labels[1]:
        raise _fail(path, where["label"], f"the two labels are equal ({labels[0]})")
    if values["total_sv"] < 1:
        raise _fail(path, where["total_sv"], f"total_sv must be positive, got {values['total_sv']}")
    if "nr_sv" in values and sum(values["nr_sv"]) != values["total_sv"]:
        raise _fail(path, where["nr_sv"], f"nr_sv {values['nr_sv'][0]} + {values['nr_sv'][1]} differs from "
                                          f"total_sv {values['total_sv']} (line {where['total_sv']})")
    if ("probA" in values) != ("probB" in values):
        item = "probA" if "probA" in values else "probB"
        raise _fail(path, where[item], f"{item} without {'probB' if item == 'probA' else 'probA'}")


def _parse_support_vectors(lines, n: int, path: str, sv_line: int) -> tuple[np.ndarray, list[str]]:
    alphas = np.empty(n, dtype=np.float64)
    sequences: list[str] = []
    last = sv_line
    for number, text in lines:
        last = number
        words = text.split()
        if not words:
            continue
        if len(sequences) == n:
            raise _fail(path, number, f"more support vectors than total_sv = {n}")
        if len(words) != 2:
            raise _fail(path, number, f"a support vector line is 'alpha sequence', got {len(words)} fields")
        alphas[len(sequences)] = _number(words[0], float, path, number, "alpha")
        seq = words[1]
        bad = set(seq) - _SEQUENCE_LETTERS
        if bad:
            first = next(ch for ch in seq if ch in bad)
            raise _fail(path, number, f"support vector holds {first!r} at position {seq.index(first) + 1}: only "
                                      "A, C, G, T, N and IUPAC codes are allowed")
        sequences.append(seq)
    if len(sequences) != n:
        raise _fail(path, last, f"{len(sequences)} support vectors, but total_sv says {n} (truncated file?)")
    return alphas, sequences


def read_lsgkm(path: str | os.PathLike) -> LsgkmModel:
    """Parse an LS-GKM model file (plain or gzip) into an :class:`LsgkmModel`.

    Parameters
    ----------
    path : str or path-like
        A ``.model.txt`` written by ``gkmtrain`` (or by :func:`write_lsgkm`).

    Returns
    -------
    LsgkmModel

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFileError
        Malformed file (the message names the line), a kernel type GkmSVM
        does not compute, or a model that is not a binary ``c_svc``.
    """
    from ..io.fasta import open_text

    name = os.fspath(path)
    with open_text(path, kind="LS-GKM model", error=ModelFileError) as fh:
        try:
            numbered = enumerate((line.rstrip("\r\n") for line in fh), start=1)
            values, raw, where, sv_line = _parse_header(numbered, name)
            _check_header(values, where, sv_line, name)
            alphas, sequences = _parse_support_vectors(numbered, values["total_sv"], name, sv_line)
        except (UnicodeDecodeError, EOFError, OSError) as err:
            raise _fail(name, None, f"not a text LS-GKM model file ({type(err).__name__}: {err})") from None
    if "nr_sv" in values:
        n_first = int((alphas > 0).sum())
        if values["nr_sv"][0] != n_first:
            raise _fail(name, where["nr_sv"], f"nr_sv says {values['nr_sv'][0]} support vectors of label "
                                              f"{values['label'][0]}, but {n_first} alphas are positive")
    prob = (values["probA"], values["probB"]) if "probA" in values else None
    return LsgkmModel(kernel_type=values["kernel_type"], L=values["L"], k=values["k"], d=values["d"],
                      rho=values["rho"], labels=values["label"], alphas=alphas, sequences=sequences,
                      norc=bool(values.get("norc", 0)), prob=prob, header=raw)


# ----------------------------------------------------------------------------- writing


def _exact(x: float) -> str:
    """Shortest text that reads back as ``x`` (``repr``, without a trailing ``.0``)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


_FORMATS = {
    "exact": (_exact, _exact),
    "lsgkm": (lambda x: f"{x:.16g}", lambda x: f"{x:g}"),  # gkmtrain's %.16g (alphas) and %g (rho, probA/B)
}


def write_lsgkm(model: LsgkmModel, path: str | os.PathLike, *, precision: str = "exact") -> None:
    """Write ``model`` as an LS-GKM model file (gzip when ``path`` ends in ``.gz``), atomically.

    Header items in gkmtrain's order (module docstring); support vectors in
    the order of ``model.sequences``.

    Parameters
    ----------
    model : LsgkmModel
    path : str or path-like
    precision : {"exact", "lsgkm"}, default="exact"
        ``"exact"``: every number with the fewest digits that read back
        exactly (LS-GKM reads them as written); ``"lsgkm"``: gkmtrain's own
        rounding, alphas ``%.16g`` and ``rho``/``probA``/``probB`` ``%g``
        (6 significant digits: gkmpredict then differs from the model by up to
        ~1e-6).

    Raises
    ------
    ValueError
        Unknown ``precision``, inconsistent fields or non-finite numbers.
    """
    from ..io.files import atomic_open

    if precision not in _FORMATS:
        raise ValueError(f"precision must be 'exact' or 'lsgkm', got {precision!r}")
    alpha_text, number_text = _FORMATS[precision]
    if model.kernel_type not in KERNEL_TYPES:
        raise ValueError(f"kernel_type must be one of {', '.join(KERNEL_TYPES)}, got {model.kernel_type!r}")
    alphas = np.asarray(model.alphas, dtype=np.float64)
    if alphas.shape != (len(model.sequences),) or not alphas.size:
        raise ValueError(f"{alphas.size} alphas for {len(model.sequences)} support vectors")
    numbers = [model.rho, *alphas.tolist(), *(model.prob or ())]
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError("the model holds non-finite numbers")
    lines = [
        "svm_type c_svc",
        f"kernel_type {model.kernel_type}",
        f"L {int(model.L)}",
        f"k {int(model.k)}",
        f"d {int(model.d)}",
    ]
    if model.norc:
        lines.append("norc 1")
    n_first, n_second = model.nr_sv
    lines += [
        "nr_class 2",
        f"total_sv {len(model.sequences)}",
        f"rho {number_text(model.rho)}",
        f"label {int(model.labels[0])} {int(model.labels[1])}",
    ]
    if model.prob is not None:
        lines += [f"probA {number_text(model.prob[0])}", f"probB {number_text(model.prob[1])}"]
    lines += [f"nr_sv {n_first} {n_second}", "SV"]
    with atomic_open(path) as fh:
        fh.write("\n".join(lines) + "\n")
        for alpha, seq in zip(alphas.tolist(), model.sequences):
            fh.write(f"{alpha_text(alpha)} {seq}\n")


# ----------------------------------------------------------------------------- GkmSVM


def gkmsvm_from_lsgkm(model: LsgkmModel, *, threads: int | None = None) -> GkmSVM:
    """A fitted :class:`~enhancer_sk.models.svm.gkm.GkmSVM` whose decision values are gkmpredict's scores.

    Parameters
    ----------
    model : LsgkmModel
    threads : int or None, default=None
        The estimator's ``threads``.

    Returns
    -------
    GkmSVM
        Fitted: ``classes_`` (the two labels, sorted), ``support_sequences_``,
        ``dual_coef_``, ``support_norms_``, ``intercept_``, ``n_features_in_``,
        ``lsgkm_header_``, ``platt_`` (only when the file has ``probA``/``probB``)
        and ``table_``; no ``support_`` (the file does not say where the
        support vectors were in the training data).
    """
    from ..models.svm._gkm_kernel import GkmKernel
    from ..models.svm.gkm import GkmSVM
    from ..sequence.codes import codes_from_strings

    _, kernel = KERNEL_TYPES[model.kernel_type]
    est = GkmSVM(l=int(model.L), k=int(model.k), d=int(model.d), kernel=kernel, canonical_kmers=not model.norc,
                 probability=model.prob is not None, threads=threads)
    positive, negative = model.labels
    sign = 1.0 if positive > negative else -1.0  # GkmSVM: a positive decision value means classes_[1]
    sequences = codes_from_strings(list(model.sequences))
    gkm = GkmKernel(est.l, est.k, est.d, est.kernel, est.canonical_kmers, threads=threads)
    est.classes_ = np.array(sorted(model.labels), dtype=np.int64)
    est.support_sequences_ = sequences.to_strings()
    est.dual_coef_ = sign * np.asarray(model.alphas, dtype=np.float64)
    est.support_norms_ = np.sqrt(gkm.self_kernel(sequences))
    est.intercept_ = -sign * float(model.rho)
    est.n_features_in_ = 1
    est.lsgkm_header_ = dict(model.header)
    if model.prob is not None:  # libsvm: P(labels[0]) = 1 / (1 + exp(A * score + B)), score = sign * decision
        a, b = model.prob
        est.platt_ = np.array([-a, -sign * b])
    est._check_loaded_state()
    return est


def lsgkm_from_gkmsvm(est: GkmSVM) -> LsgkmModel:
    """The :class:`LsgkmModel` of a fitted GkmSVM (``classes_[1]`` becomes ``labels[0]``).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        ``est`` is not fitted.
    ValueError
        Its kernel has no LS-GKM name.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(est, "table_")
    kernel_type = _GKMSVM_TO_LSGKM.get(est.kernel)
    if kernel_type is None:  # pragma: no cover - every GkmSVM kernel has an LS-GKM name
        raise ValueError(f"kernel {est.kernel!r} has no LS-GKM kernel_type")
    classes = list(np.asarray(est.classes_).tolist())
    integers = all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
    labels = (int(classes[1]), int(classes[0])) if integers else (1, -1)
    alphas = np.asarray(est.dual_coef_, dtype=np.float64)
    order = np.argsort(alphas <= 0, kind="stable")  # label[0]'s (positive) support vectors first
    prob = None
    if getattr(est, "platt_", None) is not None:  # P(classes_[1]) = expit(a f + b) = 1 / (1 + exp(-a f - b))
        a, b = np.asarray(est.platt_, dtype=np.float64).tolist()
        prob = (-a, -b)
    return LsgkmModel(kernel_type=kernel_type, L=int(est.l), k=int(est.k), d=int(est.d),
                      rho=-float(est.intercept_), labels=labels, alphas=alphas[order],
                      sequences=[str(s) for s in np.asarray(est.support_sequences_)[order]],
                      norc=not est.canonical_kmers, prob=prob)
