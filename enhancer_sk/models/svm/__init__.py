"""Support vector machines on k-mers: the baselines of the enhancer papers.

* :mod:`~enhancer_sk.models.svm.kmer`: :class:`KmerSVM`, an SVM on k-mer spectra;
* :mod:`~enhancer_sk.models.svm.gkm`: :class:`GkmSVM`, the gapped k-mer SVM (gkm-SVM / LS-GKM),
  with its kernels in the private :mod:`~enhancer_sk.models.svm._gkm_kernel`;
* :mod:`~enhancer_sk.models.svm._platt`: Platt scaling of decision values into probabilities.
"""

from ..._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "KmerSVM": ".kmer",
    "GkmSVM": ".gkm",
})
