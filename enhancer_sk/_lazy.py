"""Lazy public names for the package ``__init__`` modules.

A subpackage lists its public names and the module defining each; the module
is imported on first use of a name, so ``import enhancer_sk`` (and the
``enhancer-sk --version`` command) stays fast and torch, numba or matplotlib
load only when a name that needs them is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def attach(package: str, names: Mapping[str, str]) -> tuple[Callable, Callable, list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : mapping of public name -> module
        The module (relative to ``package``, e.g. ``".encoders"``) that defines each name.
    """
    names = dict(names)

    def __getattr__(name: str):
        if name in names:
            module = importlib.import_module(names[name], package)
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__, sorted(names)
