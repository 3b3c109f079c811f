"""Named model recipes: the one registry of the command line, the demo, the benchmarks and Galaxy.

Every model the command line trains is built here, by name and preset:

* ``kmer``: :class:`~enhancer_sk.models.svm.kmer.KmerSVM` (RBF SVM on canonical 6-mer spectra);
* ``gkm``: :class:`~enhancer_sk.models.svm.gkm.GkmSVM` (LS-GKM's defaults l=11, k=7, d=3, with
  Platt probabilities);
* ``lstmatt``: :class:`~enhancer_sk.models.nn.lstmatt.EnhancerLSTMAttClassifier` (input length: the
  median training length, other lengths centre-cropped / N-padded; see its Notes for why not windows);
* ``deepenhancer``: :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN` (``full``: 300-bp
  windows, 4 per sequence and epoch re-drawn every epoch, so an epoch costs the same at any length);
* ``gc``: GC content, standardised, and a logistic regression: the composition-only floor that a
  useful model must beat.

Presets: ``fast`` (small networks, few epochs: minutes on 2 cores for ~1,000
sequences) and ``full`` (the published architectures; Enhancer-LSTMAtt with the
recipe chosen by cross-validation on iEnhancer-2L, see ``benchmarks/ienhancer2l.py``).
The presets change only the networks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MODEL_NAMES", "NETWORKS", "PRESETS", "Recipe", "RECIPES", "build_model", "feature_baseline"]

#: Model names, in display order.
MODEL_NAMES = ("kmer", "gkm", "lstmatt", "deepenhancer", "gc")
#: Preset names.
PRESETS = ("fast", "full")
#: DeepEnhancer windows per sequence and epoch in the ``full`` preset.
FULL_WINDOWS_PER_SEQUENCE = 4


def _kmer(preset: str, length: int) -> dict:
    return {}


def _gkm(preset: str, length: int) -> dict:
    return {"probability": True}


def _lstmatt(preset: str, length: int) -> dict:
    params = {"module__sequence_length": length}
    if preset == "fast":  # small network, few epochs at a higher learning rate
        params.update(max_epochs=10, lr=1e-3, module__lstm_units=16, module__lstm_layers=1,
                      module__n_identity_blocks=1)
    else:  # the published network with the recipe chosen by 5-fold CV on iEnhancer-2L
        from .models.nn.callbacks import CosineAnnealing

        params.update(max_epochs=9, lr=1e-3, train_split=None, callbacks=[("lr_schedule", CosineAnnealing())],
                      augment_strands=True, average_strands=True)
    return params


def _deepenhancer(preset: str, length: int) -> dict:
    if preset == "fast":  # one window per sequence, no batch norm, narrow layers, early stopping
        return {"architecture": "4conv2pool", "window": length, "max_epochs": 30, "lr": 3e-3,
                "module__n_kernels_1": 32, "module__n_kernels_2": 32, "module__n_hidden_1": 32,
                "module__n_hidden_2": 16}
    # the paper's network and 300-bp windows; 4 windows per sequence and epoch (re-drawn every epoch), so an
    # epoch costs the same for 200-bp and 2-kb sequences
    return {"train_windows_per_sequence": FULL_WINDOWS_PER_SEQUENCE}


def _kmer_class():
    from .models.svm.kmer import KmerSVM

    return KmerSVM


def _gkm_class():
    from .models.svm.gkm import GkmSVM

    return GkmSVM


def _lstmatt_class():
    from .models.nn.lstmatt import EnhancerLSTMAttClassifier

    return EnhancerLSTMAttClassifier


def _deepenhancer_class():
    from .models.nn.deepenhancer import DeepEnhancerCNN

    return DeepEnhancerCNN


@dataclass(frozen=True)
class Recipe:
    """One named model: how to build it and how to describe it."""

    #: command-line name
    name: str
    #: what it is, in a few words
    title: str
    #: the estimator class (imported on call)
    estimator_class: Callable[[], type] | None
    #: preset, typical length -> parameters set on top of the class defaults (seed and threads aside)
    params: Callable[[str, int], dict]
    #: the model depends on a seed and has epochs / a learning rate
    network: bool = False


RECIPES: dict[str, Recipe] = {
    "kmer": Recipe("kmer", "k-mer spectrum SVM (RBF SVM on canonical 6-mer spectra)", _kmer_class, _kmer),
    "gkm": Recipe("gkm", "gapped k-mer SVM (gkm-SVM, LS-GKM kernels, l=11, k=7, d=3)", _gkm_class, _gkm),
    "lstmatt": Recipe("lstmatt", "Enhancer-LSTMAtt (ResNet and Bi-LSTM with attention)", _lstmatt_class,
                      _lstmatt, network=True),
    "deepenhancer": Recipe("deepenhancer", "DeepEnhancer CNN (one-hot windows, max voting)", _deepenhancer_class,
                           _deepenhancer, network=True),
    "gc": Recipe("gc", "GC content + logistic regression (the composition-only floor)", None,
                 lambda preset, length: {}),
}


#: The models that are neural networks (epochs, learning rate, seeds, presets apply).
NETWORKS = tuple(name for name, recipe in RECIPES.items() if recipe.network)


def _check(name: str, preset: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    return RECIPES[name]


def build_model(name: str, *, preset: str = "fast", seed: int = 0, threads: int | None = None, length: int = 200):
    """A model by its name and preset (not fitted).

    Parameters
    ----------
    name : {"kmer", "gkm", "lstmatt", "deepenhancer", "gc"}
    preset : {"fast", "full"}, default="fast"
        Only the networks differ between presets (see the module docstring).
    seed : int, default=0
        ``random_state`` of the model (the GC baseline has none).
    threads : int or None, default=None
        ``threads`` of the models that compute in parallel.
    length : int, default=200
        Typical (median) training length: the input length of Enhancer-LSTMAtt
        and the window of the fast DeepEnhancer.

    Returns
    -------
    estimator
    """
    recipe = _check(name, preset)
    if recipe.estimator_class is None:  # gc
        from .sequence.encoders import GCContent

        return feature_baseline(GCContent())
    cls = recipe.estimator_class()
    params = {"random_state": seed, **recipe.params(preset, length)}
    if "threads" in cls().get_params(deep=False):
        params["threads"] = threads
    return cls(**params)


def feature_baseline(encoder):
    """A one-feature baseline: ``encoder`` (e.g. ``GCContent()``, ``SequenceLength()``), standardised, and a
    logistic regression (the ``gc`` recipe; the length-only floor of the benchmarks and ``enhancer-sk audit``).

    Parameters
    ----------
    encoder : transformer
        Sequences -> one feature column.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Not fitted.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(encoder, StandardScaler(), LogisticRegression())
