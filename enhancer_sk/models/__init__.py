"""The estimators: networks (:mod:`~enhancer_sk.models.nn`), SVMs (:mod:`~enhancer_sk.models.svm`),
and estimators built from other estimators (:mod:`~enhancer_sk.models.meta`).

Every estimator takes sequences as ``X`` (strings, arrays of strings, FASTA
paths), any two labels (``classes_``), a ``random_state`` and, where it
computes in parallel, ``threads``; it declares ``_parameter_constraints`` and
checks them in ``fit`` (:mod:`enhancer_sk._validation`).
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "EnhancerLSTMAttClassifier": ".nn.lstmatt",
    "DeepEnhancerCNN": ".nn.deepenhancer",
    "KmerSVM": ".svm.kmer",
    "GkmSVM": ".svm.gkm",
    "SeedEnsembleClassifier": ".meta.ensemble",
    "TwoLayerEnhancerClassifier": ".meta.two_layer",
})
