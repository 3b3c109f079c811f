"""Model files: one safe bundle format for every estimator of enhancer_sk.

Models travel between users (Galaxy histories, shared folders), so a model file
is treated as untrusted input.  :func:`save` writes, :func:`load` reads and
:func:`describe` summarises one format for every estimator of the project and
the scikit-learn classes listed in :data:`ALLOWED_CLASSES`.  Nothing is ever
unpickled: no ``pickle``, no ``joblib``, no ``torch.load``.

Layout
------
A model file is **one safetensors file** (suffix :data:`SUFFIX`, ``.eskm``; any
name is read; Galaxy datatype ``binary``):

* the tensors hold every numeric array of the model (network weights as
  ``state_dict`` tensors, SVM coefficients, scaler statistics ...), each named
  by where it sits in the model (``model.state.module_state.conv.0.weight``);
* the safetensors string metadata holds, under the key ``"enhancer_sk.model"``
  (:data:`METADATA_KEY`), one JSON document::

      {"format": "enhancer_sk.model", "format_version": 1,
       "package_version": "0.1.0",                    # enhancer_sk.__version__
       "versions": {"python": ..., "numpy": ..., "scikit-learn": ..., "torch": ..., ...},
       "class": "DeepEnhancerCNN",                    # a key of ALLOWED_CLASSES
       "classes": ["background", "enhancer"],         # or null (unfitted / no classes)
       "class_names": {"0": ..., "1": ...},           # optional (save(class_names=...))
       "card": {"trained_on": {...}, "scores": [...], ...},  # optional model card (save(card=...); .cards)
       "fitted": true,
       "estimator": {"__estimator__": "DeepEnhancerCNN",
                     "params": {...},                  # get_params(deep=False), typed JSON
                     "state": {...} or null}}          # fitted state, typed JSON + array refs

The JSON is typed: plain ``null``/booleans/numbers/strings/lists/objects
stand for themselves, and a JSON object whose single marker key starts with
``__`` stands for a value JSON has no literal for: ``{"__tuple__": [...]}``,
``{"__set__": [...]}``, ``{"__float__": "nan"}``, ``{"__scalar__": "int64",
"value": 3}`` (NumPy scalar), ``{"__dtype__": "float64"}``, ``{"__array__":
"<tensor name>"}``, ``{"__tensor__": "<tensor name>"}`` (torch tensor),
``{"__strings__": [...], "dtype": "<U10", "shape": [...]}`` (string arrays; beyond
65,536 characters, e.g. GkmSVM's support sequences, ``{"__utf8__": "<tensor>",
"lengths": "<tensor>", ...}`` instead, to keep the JSON small),
``{"__objects__": [...], "shape": [...]}`` (object arrays of scalars),
``{"__sparse__": "csr", ...}``, ``{"__dict__": [[key, value], ...]}`` (keys
that are not strings), ``{"__estimator__": name, "params", "state"}``
(an allow-listed estimator, recursively: Pipeline steps, the two layers of
:class:`~enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier`, the
members of :class:`~enhancer_sk.models.meta.ensemble.SeedEnsembleClassifier`,
``init_from`` of :class:`~enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN`),
``{"__ref__": name}`` (an allow-listed class or function used as a parameter:
``torch.optim.Adam``, a network module class ...), ``{"__construct__": name,
"kwargs": {...}}`` (an allow-listed small object rebuilt by calling its class:
skorch callbacks, validation splits).  Any other marker, or a name missing
from the allow-lists, is refused.

Allow-list
----------
Estimators (:data:`ALLOWED_CLASSES`): the project's
``EnhancerLSTMAttClassifier``, ``DeepEnhancerCNN``, ``KmerSVM``, ``GkmSVM``,
``TwoLayerEnhancerClassifier``, ``SeedEnsembleClassifier``, ``OneHotEncoder``, ``SequenceTokenizer``,
``KmerSpectrum``, ``GCContent``; scikit-learn's ``Pipeline`` (also from
``make_pipeline``), ``FeatureUnion``, ``StandardScaler``, ``MinMaxScaler``,
``MaxAbsScaler``, ``Normalizer``, ``LogisticRegression``, ``SVC``,
``LinearSVC``, ``CalibratedClassifierCV`` (sigmoid or isotonic).  The class
must match exactly (a subclass is refused when saving).  Parameter values
(:data:`ALLOWED_REFERENCES`, :data:`ALLOWED_CONSTRUCTED`): the network modules
and losses of the project, torch's common optimizers, losses and learning-rate
schedulers, ``DataLoader``, skorch's ``Dataset`` and ``ValidSplit``,
:class:`~enhancer_sk.models.nn.windowed.GroupValidSplit`, the skorch callbacks
``EarlyStopping``, ``LRScheduler``, ``GradientNormClipping``, ``EpochScoring``,
``PassthroughScoring``, ``PrintLog``, ``EpochTimer`` and the project's
:class:`~enhancer_sk.models.nn.callbacks.CosineAnnealing`,
:class:`~enhancer_sk.models.nn.callbacks.BatchProgress` (with ``sink=None``) and
:class:`~enhancer_sk.models.nn.callbacks.EpochLog`.  Loading looks names up
in these tables only (which name fixed import locations); it never imports a
module named by the file.

Policies
--------
* **Parameters.** Every ``get_params(deep=False)`` value is saved, so a loaded
  model has equal parameters, clones and refits.  Values may be None, bool,
  int, float, str, NumPy scalars and dtypes, lists, tuples (kept as tuples),
  sets, dicts of these, allow-listed estimators, classes, functions and
  callbacks.  Anything else (a lambda as callback scoring, a ``Checkpoint``
  callback, a ``RandomState`` object, a ``joblib.Memory``) makes :func:`save`
  raise :class:`~enhancer_sk.exceptions.ModelFileError` naming the parameter:
  nothing is silently dropped.  Values that would make a later call unpickle
  files are refused when saving and when loading: a ``Pipeline`` ``memory``
  (joblib caching) and skorch ``torch_load_kwargs`` without ``weights_only``.
* **Neural networks** (skorch): the module's ``state_dict`` tensors (float32,
  exact), ``classes_`` and the training history (one row per epoch; the
  per-batch lists are dropped) are saved.  Loading builds the
  net from its parameters, ``initialize()`` (under a forked torch RNG, so the
  caller's random state is untouched) and loads the weights; ``init_from`` is
  restored as a parameter but not re-read.  The optimizer state and the
  callbacks' internal state are **not** saved: a loaded model predicts
  exactly, refits from scratch (``fit``) and can be fine-tuned with
  ``partial_fit``, which starts a fresh optimizer (Adam moments reset), so
  it is not an exact continuation of the original training.
* **Derived attributes.** Fitted attributes a class lists in its
  ``_derived_attributes`` are not stored (GkmSVM's ``table_``, ``4**l``
  floats); the class rebuilds them in its ``_check_loaded_state`` on load
  (deterministic, exact).
* **Versions.** Compatibility is decided by ``format_version``: a file of a
  newer format than :data:`FORMAT_VERSION` is refused with a message naming
  both versions; older formats this version knows are read (format 1 is the
  first).  A file written by an enhancer_sk of another major.minor version,
  or holding scikit-learn estimators saved with another scikit-learn
  version, loads with a :class:`ModelVersionWarning` naming both versions.
* **Integrity.** Truncated files, files that are not bundles (FASTA, zip,
  pickle, HDF5, safetensors files of other programs ...), malformed JSON,
  missing or unused tensors and weights that do not fit the parameters raise
  :class:`~enhancer_sk.exceptions.ModelFileError`.  Arrays handed to compiled
  code (libsvm, numba) are checked for consistent sizes after loading: SVC's
  here, the project's estimators' by their own ``_check_loaded_state``; its
  ``ValueError`` is reported as a ``ModelFileError`` naming the estimator's
  place in the file.
* **Writes are atomic**: the file is written to a temporary file in the same
  folder and renamed over the target, so an error never leaves a partial
  bundle.

LS-GKM model files
------------------
:func:`load` (and :func:`describe`) also read the text model files of LS-GKM's
``gkmtrain`` (``.model.txt``, plain or gzip), recognised from their first
line: they become a fitted :class:`~enhancer_sk.models.svm.gkm.GkmSVM` whose
decision values are ``gkmpredict``'s scores (no probabilities: gkmtrain
writes no Platt sigmoid).  The format, its parser and writer and the mapping
to GkmSVM are in :mod:`enhancer_sk.model_files.lsgkm`
(:meth:`GkmSVM.from_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.from_lsgkm>`,
:meth:`GkmSVM.to_lsgkm <enhancer_sk.models.svm.gkm.GkmSVM.to_lsgkm>`); parsing
it never executes anything either.

Modules
-------
``_trusted_types`` (the allow-lists and the look-ups between names and
objects), ``_numpy`` (typed JSON of NumPy and SciPy values), ``_sklearn``
(estimators' fitted state, the SVC check), ``_skorch`` (nets' weights,
classes and history; torch tensors), ``_audit`` (file structure, description,
format versions, unsafe parameters, version warnings), ``_persist`` (the
encoder and decoder dispatching to the others; :func:`save`, :func:`load`,
:func:`describe`), ``lsgkm`` (LS-GKM's text model files), ``cards`` (model cards:
their checks, the training domain and :func:`domain_flags`), ``registry``
(published models by name: :func:`list_models`, :func:`load_pretrained`,
:func:`fetch_pretrained`).

Examples
--------
>>> from enhancer_sk import KmerSVM, load, save  # doctest: +SKIP
>>> from enhancer_sk.model_files import describe  # doctest: +SKIP
>>> save(KmerSVM(k=3).fit(X, y), "kmer.eskm")  # doctest: +SKIP
>>> describe("kmer.eskm")["class"]  # doctest: +SKIP
'KmerSVM'
>>> load("kmer.eskm").predict(X)  # doctest: +SKIP
"""

from .._lazy import attach
from ._audit import FORMAT_NAME, FORMAT_VERSION, METADATA_KEY, SUFFIX, ModelVersionWarning
from ._persist import describe, load, save
from ._trusted_types import ALLOWED_CLASSES, ALLOWED_CONSTRUCTED, ALLOWED_REFERENCES

#: Public names imported on first use (the registry of published models, model cards).
_LAZY = {
    "list_models": ".registry",
    "load_pretrained": ".registry",
    "fetch_pretrained": ".registry",
    "domain_flags": ".cards",
}
__getattr__, _lazy_dir, _lazy_all = attach(__name__, _LAZY)

__all__ = [
    "ALLOWED_CLASSES",
    "ALLOWED_CONSTRUCTED",
    "ALLOWED_REFERENCES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "SUFFIX",
    "ModelVersionWarning",
    "describe",
    "load",
    "save",
    *_lazy_all,
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
