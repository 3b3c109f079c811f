"""Genome applications of a fitted model.

* :mod:`~enhancer_sk.genomics.scanning`: :func:`scan`, sliding windows along genomes or BED regions;
* :mod:`~enhancer_sk.genomics.variants`: :func:`score_variants`, reference vs alternate allele scores;
* :mod:`~enhancer_sk.genomics.distributed`: running scans and model selection on a Dask cluster.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "scan": ".scanning",
    "score_variants": ".variants",
})
