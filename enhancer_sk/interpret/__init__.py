"""Interpretation of fitted models.

* :mod:`~enhancer_sk.interpret.motifs`: first-layer kernels as motifs (PFMs), MEME files, logos,
  Tomtom matches in JASPAR.
* :mod:`~enhancer_sk.interpret.attribution`: per-base attributions of any model (ISM, DeepLIFT/SHAP,
  integrated gradients, gkmexplain).
* :mod:`~enhancer_sk.interpret.discovery`: de novo motifs from attributions (TF-MoDISco), named by
  Tomtom against JASPAR.
* :mod:`~enhancer_sk.interpret.gkm`: exact ISM and GkmExplain of gapped k-mer SVMs.
* :mod:`~enhancer_sk.interpret.tracks`: per-base importance, contribution logos, bigWig tracks.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "extract_motifs": ".motifs",
    "compare_with_jaspar": ".motifs",
    "gkm_ism": ".gkm",
    "gkm_explain": ".gkm",
    "attribute": ".attribution",
    "discover_motifs": ".discovery",
    "MotifResult": ".discovery",
    "attribution_logos": ".tracks",
    "write_bigwig": ".tracks",
})
