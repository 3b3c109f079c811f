"""Checks shared by the estimators: parameters (scikit-learn's constraints) and training labels.

Every estimator of the project declares ``_parameter_constraints`` (the
scikit-learn pattern: :class:`~sklearn.utils._param_validation.Interval`,
:class:`~sklearn.utils._param_validation.StrOptions` ...) and checks them at
the start of ``fit`` with :func:`validate_params`, which adds a "did you
mean ...?" hint for a misspelt option.  :func:`check_training_labels` checks
``y``.
"""

from __future__ import annotations

import difflib

import numpy as np

from .exceptions import SequenceInputError, SingleClassError

__all__ = ["check_training_labels", "did_you_mean", "validate_params"]


def did_you_mean(value, options) -> str:
    """``"; did you mean 'x'?"`` naming the option closest to ``value``, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def validate_params(estimator) -> None:
    """Check ``estimator.get_params(deep=False)`` against its ``_parameter_constraints``.

    The one parameter check of the project's estimators (scikit-learn's
    constraints, called at the start of ``fit``).

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        (a ``ValueError`` and ``TypeError``) with scikit-learn's message
        (``"The 'C' parameter of KmerSVM must be a float in the range (0.0,
        inf). Got -1 instead."``); for a string option: ``"unknown <name>
        <value>: <name> must be one of [...] (<class>)"``, ending with "did
        you mean ...?" when an allowed value is close.
    """
    from sklearn.utils._param_validation import InvalidParameterError, StrOptions, validate_parameter_constraints

    constraints = getattr(estimator, "_parameter_constraints", {})
    params = estimator.get_params(deep=False)
    caller = type(estimator).__name__
    for name, options in constraints.items():
        if name not in params:
            continue
        value = params[name]
        try:
            validate_parameter_constraints({name: options}, {name: value}, caller_name=caller)
        except InvalidParameterError:
            allowed = [o for c in options if isinstance(c, StrOptions) for o in sorted(c.options)]
            if not (isinstance(value, str) and allowed):
                raise
            raise InvalidParameterError(
                f"unknown {name} {value!r}: {name} must be one of {allowed} ({caller}){did_you_mean(value, allowed)}"
            ) from None


def check_training_labels(y, *, n_samples: int | None = None) -> np.ndarray:
    """Check training labels: 1-D, one per sample, at least two classes.

    Returns the labels as a 1-D array.  Raises :class:`SingleClassError` when
    fewer than two classes are present and :class:`SequenceInputError` when the
    count does not match ``n_samples``.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise SequenceInputError(f"labels must be 1-D, got shape {y.shape}")
    if n_samples is not None and len(y) != n_samples:
        raise SequenceInputError(f"{n_samples} sequences but {len(y)} labels")
    classes = np.unique(y)
    if len(classes) < 2:
        only = f" (only {classes[0].item()!r})" if len(classes) else ""
        raise SingleClassError(
            f"training data must hold at least two classes, got {len(classes)} class{only}"
        )
    return y
