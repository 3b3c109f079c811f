"""Model cards: what a model was trained on, how, how well it scores, and out-of-domain flags.

A *card* is a small JSON-plain mapping stored in a model file's description
(:func:`~enhancer_sk.model_files.save` ``card=``, returned by
:func:`~enhancer_sk.model_files.describe` as ``"card"``).  Every field is
optional:

``name``, ``title``, ``recipe``, ``intended_use``, ``citation`` : str
    Free text (printable, at most :data:`MAX_TEXT` characters; newlines allowed).
``trained_on`` : dict
    ``data`` (str, description of the training data), ``n_sequences`` (int),
    ``classes`` (list of str), ``species`` (str), ``length_min``,
    ``length_max`` (int, bp), ``gc_low``, ``gc_high`` (1st and 99th percentile
    of the GC fraction of the non-N bases), ``max_n_fraction`` (largest
    fraction of N in a training sequence).
``scores``, ``baseline`` : list of dict
    ``{"benchmark": str, "metric": str, "value": float, "low": float or None,
    "high": float or None}`` (``low`` / ``high``: a confidence interval, when
    measured); ``baseline`` holds the scores of a trivial model (GC content)
    on the same benchmark.

A card is data only: values are JSON null, booleans, finite numbers, strings
(no control characters but newline and tab), lists and objects with string
keys (none starting with ``__``, the typed-JSON markers of the model format),
nested at most :data:`MAX_DEPTH` deep, and the whole card encodes to at most
:data:`MAX_CARD_BYTES` bytes.  :func:`check_card` enforces this when saving
and again when reading; anything else raises
:class:`~enhancer_sk.exceptions.ModelFileError`.

:func:`domain_flags` compares sequences with a card's ``trained_on``: length
outside the training range, more N than tolerated, GC content outside the 1st
to 99th percentile of the training set.  :func:`training_summary` computes
``trained_on`` from training sequences.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..exceptions import ModelFileError

__all__ = [
    "CARD_FIELDS",
    "MAX_CARD_BYTES",
    "MAX_DEPTH",
    "MAX_TEXT",
    "N_FRACTION_TOLERANCE",
    "check_card",
    "domain_flags",
    "format_card",
    "training_summary",
]

#: Top-level fields a card may hold.
CARD_FIELDS = ("name", "title", "trained_on", "recipe", "scores", "baseline", "intended_use", "citation")
#: Fields of ``trained_on``.
TRAINED_ON_FIELDS = ("data", "n_sequences", "classes", "species", "length_min", "length_max", "gc_low", "gc_high",
                     "max_n_fraction")
#: Fields of one score (``scores`` and ``baseline`` entries).
SCORE_FIELDS = ("benchmark", "metric", "value", "low", "high")
#: Longest string a card may hold (characters).
MAX_TEXT = 4000
#: Largest card, JSON-encoded (bytes).
MAX_CARD_BYTES = 65_536
#: Deepest nesting of lists / objects in a card.
MAX_DEPTH = 4
#: Longest list in a card.
MAX_ITEMS = 200
#: A sequence is flagged when its N fraction exceeds max(this, the training set's largest).
N_FRACTION_TOLERANCE = 0.05

_NUMBER_FIELDS = ("length_min", "length_max", "gc_low", "gc_high", "max_n_fraction", "n_sequences")


def _text_ok(s: str) -> bool:
    return len(s) <= MAX_TEXT and all(c.isprintable() or c in "\n\t" for c in s)


def _plain(v, where: str, depth: int = 0):
    """``v`` checked to be JSON-plain data (see the module docstring); a copy with tuples as lists."""
    if depth > MAX_DEPTH:
        raise ModelFileError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ModelFileError(f"{where}: {v!r} is not a finite number")
        return v
    if isinstance(v, str):
        if not _text_ok(v):
            raise ModelFileError(f"{where}: text must be printable and at most {MAX_TEXT} characters "
                                 f"(got {len(v)} characters starting {v[:30]!r})")
        return v
    if isinstance(v, (list, tuple)):
        if len(v) > MAX_ITEMS:
            raise ModelFileError(f"{where}: more than {MAX_ITEMS} items")
        return [_plain(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]
    if isinstance(v, Mapping):
        if len(v) > MAX_ITEMS:
            raise ModelFileError(f"{where}: more than {MAX_ITEMS} items")
        out = {}
        for k, x in v.items():
            if not isinstance(k, str) or not k or k.startswith("__") or not _text_ok(k) or len(k) > 100:
                raise ModelFileError(f"{where}: keys must be short text not starting with '__', got {str(k)[:40]!r}")
            out[k] = _plain(x, f"{where}.{k}", depth + 1)
        return out
    raise ModelFileError(f"{where}: a card holds only JSON data (null, booleans, numbers, text, lists, objects), "
                         f"got an object of type {type(v).__module__}.{type(v).__qualname__}")


def _number(v, where: str, *, optional: bool = True) -> None:
    if v is None and optional:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ModelFileError(f"{where}: expected a number, got {v!r:.40}")


def _scores(v, where: str) -> None:
    if not isinstance(v, list):
        raise ModelFileError(f"{where}: expected a list of scores")
    for i, row in enumerate(v):
        w = f"{where}[{i}]"
        if not isinstance(row, dict):
            raise ModelFileError(f"{w}: expected an object {{benchmark, metric, value, low, high}}")
        extra = sorted(set(row) - set(SCORE_FIELDS))
        if extra:
            raise ModelFileError(f"{w}: unknown fields {extra[:5]} (allowed: {', '.join(SCORE_FIELDS)})")
        for key in ("benchmark", "metric"):
            if not isinstance(row.get(key), str):
                raise ModelFileError(f"{w}.{key}: expected text")
        _number(row.get("value"), f"{w}.value", optional=False)
        _number(row.get("low"), f"{w}.low")
        _number(row.get("high"), f"{w}.high")


def check_card(card, where: str = "card") -> dict:
    """A card checked to be plain, bounded data with the documented fields; a clean copy.

    Parameters
    ----------
    card : mapping
        The card (see the module docstring).
    where : str, default="card"
        Prefix of the error messages (a file name when reading).

    Returns
    -------
    dict
        The card as JSON-plain data (tuples as lists, NumPy scalars as Python numbers).

    Raises
    ------
    ModelFileError
        When the card is not a mapping of the documented fields, holds anything
        but JSON data, text with control characters or longer than
        :data:`MAX_TEXT`, or is larger than :data:`MAX_CARD_BYTES` encoded.
    """
    if not isinstance(card, Mapping):
        raise ModelFileError(f"{where}: a model card must be a JSON object, got {type(card).__name__}")
    extra = sorted(str(k)[:40] for k in card if k not in CARD_FIELDS)
    if extra:
        raise ModelFileError(f"{where}: unknown card fields {extra[:5]} (allowed: {', '.join(CARD_FIELDS)})")
    out = _plain(card, where)
    size = len(json.dumps(out, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    if size > MAX_CARD_BYTES:
        raise ModelFileError(f"{where}: the model card is {size} bytes encoded, more than {MAX_CARD_BYTES}")
    for key in ("name", "title", "recipe", "intended_use", "citation"):
        if key in out and out[key] is not None and not isinstance(out[key], str):
            raise ModelFileError(f"{where}.{key}: expected text")
    trained = out.get("trained_on")
    if trained is not None:
        if not isinstance(trained, dict):
            raise ModelFileError(f"{where}.trained_on: expected an object")
        extra = sorted(set(trained) - set(TRAINED_ON_FIELDS))
        if extra:
            raise ModelFileError(f"{where}.trained_on: unknown fields {extra[:5]} "
                                 f"(allowed: {', '.join(TRAINED_ON_FIELDS)})")
        for key in _NUMBER_FIELDS:
            _number(trained.get(key), f"{where}.trained_on.{key}")
        classes = trained.get("classes")
        if classes is not None and (not isinstance(classes, list) or not all(isinstance(c, str) for c in classes)):
            raise ModelFileError(f"{where}.trained_on.classes: expected a list of text")
    for key in ("scores", "baseline"):
        if out.get(key) is not None:
            _scores(out[key], f"{where}.{key}")
    return out


# ----------------------------------------------------------------------------- the training domain


def _composition(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(length, GC fraction of the non-N bases, N fraction) of each sequence."""
    from ..sequence.codes import sequence_codes

    sc = sequence_codes(X)
    n = len(sc)
    lengths = np.asarray(sc.lengths, dtype=np.int64)
    rows = np.repeat(np.arange(n), lengths)
    n_count = np.bincount(rows, weights=(sc.codes >= 4).astype(np.int64), minlength=n)
    gc_count = np.bincount(rows, weights=((sc.codes == 1) | (sc.codes == 2)).astype(np.int64), minlength=n)
    bases = lengths - n_count
    n_frac = np.divide(n_count, lengths, out=np.zeros(n), where=lengths > 0)
    gc = np.divide(gc_count, bases, out=np.zeros(n), where=bases > 0)  # as sequence.encoders.gc_content
    return lengths, gc, n_frac


def training_summary(X, *, data: str | None = None, classes: Sequence[str] | None = None,
                     species: str | None = None) -> dict:
    """The ``trained_on`` part of a card, measured on training sequences.

    Parameters
    ----------
    X : sequences (list / array of str, FASTA path)
    data : str, optional
        Description of the training data.
    classes : list of str, optional
        Class names.
    species : str, optional

    Returns
    -------
    dict
        ``data``, ``n_sequences``, ``classes``, ``species`` (those given),
        ``length_min``, ``length_max``, ``gc_low`` / ``gc_high`` (1st / 99th
        percentile of the GC fraction, 4 decimals) and ``max_n_fraction``.
    """
    lengths, gc, n_frac = _composition(X)
    out: dict = {}
    if data is not None:
        out["data"] = str(data)[:MAX_TEXT]
    out["n_sequences"] = int(len(lengths))
    if classes is not None:
        out["classes"] = [str(c) for c in classes]
    if species is not None:
        out["species"] = str(species)
    out.update({
        "length_min": int(lengths.min()),
        "length_max": int(lengths.max()),
        "gc_low": round(float(np.percentile(gc, 1)), 4),
        "gc_high": round(float(np.percentile(gc, 99)), 4),
        "max_n_fraction": round(float(n_frac.max()), 4),
    })
    return out


def domain_flags(card: Mapping | None, X) -> np.ndarray:
    """Why each sequence lies outside the training domain of a card ("" when it does not).

    A sequence is flagged when its length lies outside ``length_min``-``length_max``,
    its N fraction exceeds ``max(max_n_fraction, N_FRACTION_TOLERANCE)``, or its GC
    fraction (of the non-N bases) lies outside ``gc_low``-``gc_high``; the
    reasons are joined with ``"; "``, e.g. ``"length 2000 outside 200-200; GC
    0.78 outside 0.235-0.675"``.  Limits the card lacks are not checked.

    Parameters
    ----------
    card : mapping or None
        A model card (its ``trained_on``); None or a card without it flags nothing.
    X : sequences (list / array of str, FASTA path)

    Returns
    -------
    ndarray of str (object), shape (n,)
    """
    lengths, gc, n_frac = _composition(X)
    reasons: list[list[str]] = [[] for _ in range(len(lengths))]
    trained = (card or {}).get("trained_on") or {}
    lo, hi = trained.get("length_min"), trained.get("length_max")
    if lo is not None and hi is not None:
        for i in np.flatnonzero((lengths < lo) | (lengths > hi)):
            reasons[i].append(f"length {lengths[i]} outside {lo}-{hi}")
    if trained.get("max_n_fraction") is not None:
        limit = max(float(trained["max_n_fraction"]), N_FRACTION_TOLERANCE)
        for i in np.flatnonzero(n_frac > limit):
            reasons[i].append(f"N fraction {n_frac[i]:.2f} > {limit:.2f}")
    g_lo, g_hi = trained.get("gc_low"), trained.get("gc_high")
    if g_lo is not None and g_hi is not None:
        for i in np.flatnonzero((gc < g_lo) | (gc > g_hi)):
            reasons[i].append(f"GC {gc[i]:.2f} outside {g_lo:.3f}-{g_hi:.3f}")
    return np.asarray(["; ".join(r) for r in reasons], dtype=object)


# ----------------------------------------------------------------------------- display


def _score_lines(rows) -> list[str]:
    """``benchmark: metric value [low, high], ...``, one line per benchmark (in order of first appearance)."""
    by_benchmark: dict[str, list[str]] = {}
    for row in rows:
        ci = f" [{row['low']:.3f}, {row['high']:.3f}]" if row.get("low") is not None and row.get("high") is not None \
            else ""
        by_benchmark.setdefault(row["benchmark"], []).append(f"{row['metric']} {row['value']:.3f}{ci}")
    return [f"{benchmark}: {', '.join(values)}" for benchmark, values in by_benchmark.items()]


def format_card(card: Mapping | None) -> list[str]:
    """A card as readable ``field: value`` lines (empty for no card)."""
    if not card:
        return []
    lines = []
    for key in ("name", "title"):
        if card.get(key):
            lines.append(f"{key}: {card[key]}")
    trained = card.get("trained_on")
    if trained:
        parts = [str(trained[k]) for k in ("data", "species") if trained.get(k)]
        if trained.get("n_sequences") is not None:
            parts.append(f"{trained['n_sequences']} sequences")
        if trained.get("classes"):
            parts.append("classes " + "/".join(trained["classes"]))
        if trained.get("length_min") is not None:
            parts.append(f"length {trained['length_min']}-{trained['length_max']} bp")
        if trained.get("gc_low") is not None:
            parts.append(f"GC {trained['gc_low']:.3f}-{trained['gc_high']:.3f} (1st-99th percentile)")
        if trained.get("max_n_fraction") is not None:
            parts.append(f"max N fraction {trained['max_n_fraction']:.2f}")
        lines.append("trained on: " + "; ".join(parts))
    if card.get("recipe"):
        lines.append(f"recipe: {card['recipe']}")
    for key, label in (("scores", "score"), ("baseline", "baseline")):
        lines.extend(f"{label}: {line}" for line in _score_lines(card.get(key) or []))
    for key in ("intended_use", "citation"):
        if card.get(key):
            lines.append(f"{key.replace('_', ' ')}: {card[key]}")
    return lines
