"""scikit-learn's estimator checks on the DNA-string estimators of enhancer_sk (as imbalanced-learn's
``imblearn/utils/estimator_checks.py`` serves its samplers).

scikit-learn's checks generate numeric data.  Two ways of running them here:

- ``parametrize_with_checks`` on the networks, which also take encoded arrays: the data checks then feed
  them real-valued 2-D features, which they reject.  ``network_expected_failed_checks`` is the
  ``expected_failed_checks`` of both networks: the failures they share (``NETWORK_FAILED_CHECKS``) and,
  explicitly, the ones of one network only (``NETWORK_EXTRA_FAILED_CHECKS``), each with its reason.
- By name, for estimators whose only input is DNA strings (scikit-learn skips every data check of an
  estimator with the ``string`` input tag): ``DATA_FREE_CHECKS``, the checks that need no numeric data,
  run with ``run_data_free_check``.  The data checks that matter are then written on DNA strings in the
  estimators' own test files.
"""

from __future__ import annotations

import sklearn.utils.estimator_checks as sk_checks
from sklearn.base import clone

from enhancer_sk.models.nn.deepenhancer import DeepEnhancerCNN

__all__ = [
    "DATA_FREE_CHECKS",
    "NETWORK_EXTRA_FAILED_CHECKS",
    "NETWORK_FAILED_CHECKS",
    "network_expected_failed_checks",
    "run_data_free_check",
]

# ----------------------------------------------------------------------------- checks without data

#: scikit-learn checks that need no numeric data, run by name.
DATA_FREE_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_mixin_order",
    "check_do_not_raise_errors_in_init_or_set_params",
]


def run_data_free_check(check: str, estimator) -> None:
    """Run scikit-learn's check named ``check`` on a clone of ``estimator``."""
    getattr(sk_checks, check)(type(estimator).__name__, clone(estimator))


# ----------------------------------------------------------------------------- the networks' failures

_NUMERIC = (
    "the networks take DNA (strings / FASTA), integer tokens 0..4 (Enhancer-LSTMAtt) or one-hot arrays "
    "(n, 4, length) (DeepEnhancer); the check feeds arbitrary real-valued 2-D features, which are rejected"
)

#: the checks both networks fail because they reject real-valued 2-D features
_NUMERIC_CHECKS = (
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_classifiers_one_label_sample_weights",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_decision_proba_consistency",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_partial_fit_n_features",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_requires_y_none",
    "check_supervised_y_2d",
)

#: check name -> reason, for the checks both skorch networks fail
NETWORK_FAILED_CHECKS: dict[str, str] = {
    **dict.fromkeys(_NUMERIC_CHECKS, _NUMERIC),
    "check_complex_data": "complex arrays are rejected as 'not a string' by the sequence reader",
    "check_estimators_empty_data_messages": (
        "a (n, 0) array is rejected as holding no token / not one-hot DNA, not with scikit-learn's feature "
        "wording"
    ),
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet.__init__ sets history_, initialized_, virtual_params_ and stores routed "
        "**kwargs (module__*, iterator_train__*) as attributes (they are returned by get_params)"
    ),
    "check_set_params": "skorch's get_params lists its private _params_to_validate set; the check sets it to a float",
}

#: network class -> the checks only that network fails (check name -> reason)
NETWORK_EXTRA_FAILED_CHECKS: dict[type, dict[str, str]] = {
    # the Enhancer-LSTMAtt's token reader refuses sparse input in scikit-learn's words and passes these
    DeepEnhancerCNN: dict.fromkeys(
        ("check_estimator_sparse_array", "check_estimator_sparse_matrix", "check_estimator_sparse_tag"),
        "the network takes DNA (strings / FASTA) or one-hot arrays (n, 4, length); a sparse matrix is rejected "
        "as not a sequence, without the 'sparse input is not supported' the check looks for",
    ),
}


def network_expected_failed_checks(estimator) -> dict[str, str]:
    """``expected_failed_checks`` of ``parametrize_with_checks`` for the networks: check name -> reason."""
    return {**NETWORK_FAILED_CHECKS, **NETWORK_EXTRA_FAILED_CHECKS.get(type(estimator), {})}
