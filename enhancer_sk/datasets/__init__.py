"""Datasets: real benchmarks fetched on demand with checksums, and a synthetic generator.

* :mod:`~enhancer_sk.datasets.ienhancer2l`: the iEnhancer-2L benchmark (:func:`load_ienhancer2l`);
* :mod:`~enhancer_sk.datasets.vista`: the VISTA in-vivo enhancer benchmark, human and mouse,
  variable length (:func:`load_vista`, :func:`fetch_vista`);
* :mod:`~enhancer_sk.datasets.synthetic`: enhancers with planted motifs (:func:`make_synthetic_enhancers`).

Files are read from the data home (:func:`get_data_home`: the ``data_home``
argument, else ``$ENHANCER_SK_DATA``, else ``~/enhancer_sk_data``).
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "get_data_home": "._base",
    "fetch_ienhancer2l": ".ienhancer2l",
    "load_ienhancer2l": ".ienhancer2l",
    "fetch_vista": ".vista",
    "load_vista": ".vista",
    "BUILTIN_MOTIFS": ".synthetic",
    "make_synthetic_enhancers": ".synthetic",
})
