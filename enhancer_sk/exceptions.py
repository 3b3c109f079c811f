"""Exceptions raised on bad sequence input, labels or model files.

Every error about user input derives from :class:`SequenceInputError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers that do
not care about the detail.  Messages name the record (FASTA id or position in
the input) and the offending value.
"""

from __future__ import annotations

__all__ = [
    "SequenceInputError",
    "EmptyInputError",
    "NotFastaError",
    "EmptySequenceError",
    "DuplicateIdError",
    "InvalidCharacterError",
    "MissingLabelError",
    "SingleClassError",
    "BedFormatError",
    "GenomeRegionError",
    "ModelFileError",
    "NotLearningWarning",
]


class SequenceInputError(ValueError):
    """Base class of every error about sequences, labels or their files."""


class EmptyInputError(SequenceInputError):
    """A file or array holds no sequence at all."""


class NotFastaError(SequenceInputError):
    """A file that should be FASTA is not (no ``>`` header, binary content...)."""


class EmptySequenceError(SequenceInputError):
    """A record has a header but no bases."""


class DuplicateIdError(SequenceInputError):
    """Two records share one identifier."""


class InvalidCharacterError(SequenceInputError):
    """A sequence holds a character that is neither a base nor an IUPAC code."""


class MissingLabelError(SequenceInputError):
    """A sequence has no label in the label table (or a label has no sequence)."""


class SingleClassError(SequenceInputError):
    """Training data holds fewer than two classes."""


class BedFormatError(SequenceInputError):
    """A BED file is malformed (too few columns, bad coordinates or strand...)."""


class GenomeRegionError(SequenceInputError):
    """A genome region names an unknown chromosome or runs off a chromosome's end."""


class ModelFileError(ValueError):
    """A model file is unreadable, truncated, unsafe or of an incompatible version."""


class NotLearningWarning(UserWarning):
    """A network finished training without learning anything usable.

    Raised (as a warning) after ``fit`` when the best validation epoch was the
    first one and the network gives (almost) the same answer for every
    training sequence: too little data, too low a learning rate or too few
    epochs for the network.
    """
