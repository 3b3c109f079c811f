"""Interpretation of fitted models.

* :mod:`~enhancer_sk.interpret.motifs`: first-layer kernels as motifs (PFMs), MEME files, logos,
  Tomtom matches in JASPAR.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "extract_motifs": ".motifs",
    "compare_with_jaspar": ".motifs",
})
