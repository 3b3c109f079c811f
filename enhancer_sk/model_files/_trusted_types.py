"""The allow-lists of model files, and the look-ups between names and objects.

Names map to fixed (module, attribute) locations written here in the code: a file
only selects a key of these tables, it never names a module to import.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping
from typing import Any

from ..exceptions import ModelFileError


def _table(names: str, *, key: str) -> Mapping[str, tuple[str, str]]:
    """``{name: (module, attribute)}`` of whitespace-separated dotted names.

    ``key="attribute"`` names an entry by its attribute (the estimator classes),
    ``key="dotted"`` by its full dotted name.
    """
    table = {}
    for dotted in names.split():
        module, attr = dotted.rsplit(".", 1)
        table[attr if key == "attribute" else dotted] = (module, attr)
    return types.MappingProxyType(table)


#: Estimator classes a model file may hold: name -> (module, attribute).
ALLOWED_CLASSES: Mapping[str, tuple[str, str]] = _table("""
    enhancer_sk.models.nn.lstmatt.EnhancerLSTMAttClassifier
    enhancer_sk.models.nn.deepenhancer.DeepEnhancerCNN enhancer_sk.models.svm.kmer.KmerSVM
    enhancer_sk.models.svm.gkm.GkmSVM enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier
    enhancer_sk.models.meta.ensemble.SeedEnsembleClassifier enhancer_sk.sequence.encoders.OneHotEncoder
    enhancer_sk.sequence.encoders.SequenceTokenizer enhancer_sk.sequence.encoders.KmerSpectrum
    enhancer_sk.sequence.encoders.GCContent enhancer_sk.sequence.encoders.SequenceLength
    sklearn.pipeline.Pipeline sklearn.pipeline.FeatureUnion
    sklearn.preprocessing.StandardScaler sklearn.preprocessing.MinMaxScaler
    sklearn.preprocessing.MaxAbsScaler sklearn.preprocessing.Normalizer
    sklearn.linear_model.LogisticRegression sklearn.svm.SVC sklearn.svm.LinearSVC
    sklearn.calibration.CalibratedClassifierCV
""", key="attribute")

#: Fitted parts of allowed estimators (not saved on their own): name -> location.
_PART_CLASSES: Mapping[str, tuple[str, str]] = _table("""
    sklearn.calibration._CalibratedClassifier sklearn.calibration._SigmoidCalibration
    sklearn.isotonic.IsotonicRegression
""", key="dotted")

#: Classes and functions a parameter may name (stored by name, never called on load).
ALLOWED_REFERENCES: Mapping[str, tuple[str, str]] = _table("""
    enhancer_sk.models.nn.lstmatt.EnhancerLSTMAtt enhancer_sk.models.nn.lstmatt.PaperBCELoss
    enhancer_sk.models.nn.deepenhancer.DeepEnhancerNet enhancer_sk.models.nn.base.encoded_accuracy
    torch.nn.BCEWithLogitsLoss torch.nn.BCELoss torch.optim.Adam torch.optim.AdamW torch.optim.SGD
    torch.optim.RMSprop torch.optim.Adagrad torch.optim.lr_scheduler.ExponentialLR
    torch.optim.lr_scheduler.StepLR torch.optim.lr_scheduler.MultiStepLR
    torch.optim.lr_scheduler.CosineAnnealingLR torch.optim.lr_scheduler.ReduceLROnPlateau
    torch.optim.lr_scheduler.OneCycleLR torch.optim.lr_scheduler.CyclicLR torch.utils.data.DataLoader
    skorch.dataset.Dataset skorch.utils.noop skorch.utils.to_numpy builtins.print
""", key="dotted")

#: Small objects a parameter may hold, rebuilt by calling their class with their saved parameters
#: (``deepenhancer.GroupValidSplit``: where files written before the class moved to ``windowed`` name it).
ALLOWED_CONSTRUCTED: Mapping[str, tuple[str, str]] = _table("""
    skorch.dataset.ValidSplit enhancer_sk.models.nn.windowed.GroupValidSplit
    enhancer_sk.models.nn.deepenhancer.GroupValidSplit
    skorch.callbacks.EarlyStopping skorch.callbacks.LRScheduler skorch.callbacks.GradientNormClipping
    skorch.callbacks.EpochScoring skorch.callbacks.PassthroughScoring skorch.callbacks.PrintLog
    skorch.callbacks.EpochTimer enhancer_sk.models.nn.callbacks.CosineAnnealing
    enhancer_sk.models.nn.callbacks.BatchProgress enhancer_sk.models.nn.callbacks.EpochLog
""", key="dotted")

#: LRScheduler policies given by name (skorch resolves them in its own module)
_LR_POLICY_NAMES = frozenset(["WarmRestartLR", "ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR",
                              "ReduceLROnPlateau", "CyclicLR"])

_RESOLVED: dict[tuple[str, str], Any] = {}


def _resolve(table: Mapping[str, tuple[str, str]], name, what: str, where: str):
    """The object a table names (its module imported from the table's fixed location).

    Parameters
    ----------
    table : mapping
        One of the allow-lists of this module.
    name : object
        The name read from the file (anything: it is checked).
    what : str
        What the name stands for, for the error message ("estimator class" ...).
    where : str
        Place in the file, for the error message.

    Raises
    ------
    ModelFileError
        ``name`` is not a key of ``table``, or its module is not installed.
    """
    if not isinstance(name, str) or name not in table:
        raise ModelFileError(
            f"{where}: {what} {name!r} is not allowed in a model file (not in enhancer_sk's allow-list); "
            "refused without running it"
        )
    location = table[name]
    if location not in _RESOLVED:
        module, attr = location
        try:
            _RESOLVED[location] = getattr(importlib.import_module(module), attr)
        except ImportError as err:
            raise ModelFileError(f"{where}: {what} {name!r} needs {module}, which is not installed ({err})") from None
    return _RESOLVED[location]


def _name_of(table: Mapping[str, tuple[str, str]], obj) -> str | None:
    """Allow-list name of ``obj`` (by identity), looking only at modules already imported."""
    for name, (module, _attr) in table.items():
        if module not in sys.modules:
            continue  # obj cannot come from a module nobody imported (nor its package): no import needed
        try:
            if _resolve(table, name, "name", "") is obj:
                return name
        except ModelFileError:
            continue
    return None


def _estimator_name(est) -> str | None:
    """Allow-list name of an estimator's exact class (project classes, sklearn classes, parts)."""
    cls = type(est)
    for table in (ALLOWED_CLASSES, _PART_CLASSES):
        name = _name_of(table, cls)
        if name is not None:
            return name
    return None


def _estimator_class(name, where: str) -> type:
    """The estimator class or fitted part a file names (refused when not allow-listed)."""
    table = ALLOWED_CLASSES if name in ALLOWED_CLASSES else _PART_CLASSES
    return _resolve(table, name, "estimator class", where)
