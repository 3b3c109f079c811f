"""Model files: one safe format for every estimator of the project (see :mod:`._persist`)."""

from ._persist import (
    ALLOWED_CLASSES,
    ALLOWED_CONSTRUCTED,
    ALLOWED_REFERENCES,
    FORMAT_NAME,
    FORMAT_VERSION,
    METADATA_KEY,
    SUFFIX,
    ModelVersionWarning,
    describe,
    load,
    save,
)

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
]
