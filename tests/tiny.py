"""Tiny configurations of every estimator of enhancer_sk: the one place for the sizes of the tests.

Each ``tiny_*`` function builds its estimator from a parameter dict below; keyword arguments override
the dict, so a test that deliberately uses other sizes or training settings states only what differs::

    tiny_lstmatt()                       # the tiny Enhancer-LSTMAtt as it is
    tiny_lstmatt(max_epochs=1)           # ... trained for one epoch
    tiny_deepenhancer(**SCAN_CNN)        # the tiny DeepEnhancer that scans genomes

What each configuration is for:

- ``TINY_LSTMATT`` / ``tiny_lstmatt``: an Enhancer-LSTMAtt of the default architecture (every layer kept,
  the sizes shrunk) on 40 bp inputs, two epochs at a high learning rate: fast enough for unit tests,
  still a real network (training, attention, strands, threads, model files, ensembles).
- ``TINY_DEEPENHANCER`` / ``tiny_deepenhancer``: a DeepEnhancer CNN of the default architecture
  (``4conv2pool4norm``; the sizes of the third convolution pair serve the ``6conv`` architectures) on
  40 bp windows every 10 bp, two epochs.
- ``SCAN_CNN``: overrides of ``tiny_deepenhancer`` for the CNN that scans genomes and scores variants:
  64 bp windows, the estimator's own stride and batch size, one epoch on all the data (no validation
  split), so the scores differ from sequence to sequence.
- ``CHECKS_DEEPENHANCER``: overrides of ``tiny_deepenhancer`` for scikit-learn's estimator checks: the
  ``4conv`` architecture on 4 bp windows (width-1 kernels, 2 kernels, 4 hidden units), one epoch at the
  estimator's own learning rate and batch size.
- ``TINY_GKM`` / ``tiny_gkm``: a GkmSVM with short gapped k-mers (l=6, k=4, d=2) on one thread.
- ``TINY_KMER`` / ``tiny_kmer``: a KmerSVM on 3-mers, seeded (its Platt scaling draws folds).
- ``tiny_ensemble``: a silent SeedEnsembleClassifier of two tiny Enhancer-LSTMAtt networks.
- ``tiny_two_layer``: a TwoLayerEnhancerClassifier whose first layer is the tiny KmerSVM.

``default_params`` reads an estimator's own defaults, for tests that always trained with them while
taking the tiny sizes (``tiny_lstmatt(**default_params(EnhancerLSTMAttClassifier, "lr", "batch_size"))``).
"""

from __future__ import annotations

from enhancer_sk.models.meta.ensemble import SeedEnsembleClassifier
from enhancer_sk.models.meta.two_layer import TwoLayerEnhancerClassifier
from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN
from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier
from enhancer_sk.models.svm.gkm import GkmSVM
from enhancer_sk.models.svm.kmer import KmerSVM

__all__ = [
    "CHECKS_DEEPENHANCER",
    "SCAN_CNN",
    "TINY_DEEPENHANCER",
    "TINY_GKM",
    "TINY_KMER",
    "TINY_LSTMATT",
    "default_params",
    "tiny_deepenhancer",
    "tiny_ensemble",
    "tiny_gkm",
    "tiny_kmer",
    "tiny_lstmatt",
    "tiny_two_layer",
]


def default_params(estimator_class, *names: str) -> dict:
    """The default values of the parameters ``names`` of ``estimator_class``."""
    params = estimator_class().get_params(deep=False)
    return {name: params[name] for name in names}


# ----------------------------------------------------------------------------- networks

#: Enhancer-LSTMAtt: the default layers with the sizes shrunk (``module__bn_momentum`` is the default,
#: written out), two epochs at lr 1e-2
TINY_LSTMATT = {
    "module__sequence_length": 40,
    "module__embedding_dim": 6,
    "module__conv_filters": 4,
    "module__res_filters": 6,
    "module__kernel_size": 4,
    "module__n_identity_blocks": 1,
    "module__lstm_units": 4,
    "module__lstm_layers": 1,
    "module__dense_units": 4,
    "module__bn_momentum": 0.1,
    "lr": 1e-2,
    "max_epochs": 2,
    "batch_size": 32,
    "threads": 1,
    "random_state": 0,
}

#: DeepEnhancer CNN: default architecture, 8/4/4 kernels and 16/8 hidden units, 40 bp windows every 10 bp
TINY_DEEPENHANCER = {
    "window": 40,
    "stride": 10,
    "max_epochs": 2,
    "lr": 1e-3,
    "batch_size": 32,
    "random_state": 0,
    "threads": 1,
    "module__n_kernels_1": 8,
    "module__n_kernels_2": 4,
    "module__n_kernels_3": 4,
    "module__n_hidden_1": 16,
    "module__n_hidden_2": 8,
}

#: overrides of TINY_DEEPENHANCER: the CNN of the genome scans and variant scores
SCAN_CNN = {
    "window": 64,
    **default_params(DeepEnhancerCNN, "stride", "batch_size"),
    "max_epochs": 1,
    "train_split": None,
}

#: overrides of TINY_DEEPENHANCER: the smallest network, for scikit-learn's estimator checks
CHECKS_DEEPENHANCER = {
    "architecture": "4conv",
    "window": 4,
    "stride": 1,
    "max_epochs": 1,
    **default_params(DeepEnhancerCNN, "lr", "batch_size"),
    "module__n_kernels_1": 2,
    "module__kernel_width_1": 1,
    "module__n_kernels_2": 2,
    "module__kernel_width_2": 1,
    "module__n_hidden_1": 4,
    "module__n_hidden_2": 4,
}


def tiny_lstmatt(**params) -> EnhancerLSTMAttClassifier:
    """The tiny Enhancer-LSTMAtt (``TINY_LSTMATT``), ``params`` overriding it."""
    return EnhancerLSTMAttClassifier(**{**TINY_LSTMATT, **params})


def tiny_deepenhancer(**params) -> DeepEnhancerCNN:
    """The tiny DeepEnhancer CNN (``TINY_DEEPENHANCER``), ``params`` overriding it."""
    return DeepEnhancerCNN(**{**TINY_DEEPENHANCER, **params})


# ----------------------------------------------------------------------------- SVMs

#: GkmSVM: gapped k-mers of length 6 with 4 informative positions, 2 mismatches, one thread
TINY_GKM = {"l": 6, "k": 4, "d": 2, "threads": 1}

#: KmerSVM: the 3-mer spectrum, seeded
TINY_KMER = {"k": 3, "random_state": 0}


def tiny_gkm(**params) -> GkmSVM:
    """The small GkmSVM (``TINY_GKM``), ``params`` overriding it."""
    return GkmSVM(**{**TINY_GKM, **params})


def tiny_kmer(**params) -> KmerSVM:
    """The small KmerSVM (``TINY_KMER``), ``params`` overriding it."""
    return KmerSVM(**{**TINY_KMER, **params})


# ----------------------------------------------------------------------------- meta-estimators


def tiny_ensemble(estimator=None, **params) -> SeedEnsembleClassifier:
    """A silent seed ensemble of two members, by default tiny Enhancer-LSTMAtt networks."""
    estimator = tiny_lstmatt() if estimator is None else estimator
    return SeedEnsembleClassifier(estimator, **{"n_estimators": 2, "verbose": 0, **params})


def tiny_two_layer(layer1=None, layer2=None, **params) -> TwoLayerEnhancerClassifier:
    """A two-layer classifier, by default the tiny KmerSVM in the first layer (and a clone of it in the second)."""
    layer1 = tiny_kmer() if layer1 is None else layer1
    return TwoLayerEnhancerClassifier(layer1, layer2, **params)
