"""Estimators built from other estimators.

* :mod:`~enhancer_sk.models.meta.ensemble`: :class:`SeedEnsembleClassifier`, one classifier
  trained from several seeds, probabilities averaged;
* :mod:`~enhancer_sk.models.meta.two_layer`: :class:`TwoLayerEnhancerClassifier`, enhancer or not,
  then strong or weak.
"""

from ..._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "SeedEnsembleClassifier": ".ensemble",
    "TwoLayerEnhancerClassifier": ".two_layer",
})
