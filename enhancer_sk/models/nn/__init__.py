"""Neural networks in PyTorch behind skorch.

* :mod:`~enhancer_sk.models.nn.base`: :class:`SequenceNetClassifier`, what every network shares
  (sequence input, labels, seeds, threads, one ``fit`` / ``partial_fit``);
* :mod:`~enhancer_sk.models.nn.lstmatt`: Enhancer-LSTMAtt (Huang et al. 2022);
* :mod:`~enhancer_sk.models.nn.deepenhancer`: DeepEnhancer (Min et al. 2017);
* :mod:`~enhancer_sk.models.nn.windowed`: training and voting on fixed-length windows of sequences of any
  length (sampled windows per epoch, voting validation), shared by both networks;
* :mod:`~enhancer_sk.models.nn.keras_weights`: the Enhancer-LSTMAtt authors' Keras weights;
* :mod:`~enhancer_sk.models.nn.callbacks`: skorch callbacks (learning-rate schedules, progress, the epoch log).
"""

from ..._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "SequenceNetClassifier": ".base",
    "EnhancerLSTMAttClassifier": ".lstmatt",
    "DeepEnhancerCNN": ".deepenhancer",
    "CosineAnnealing": ".callbacks",
})
