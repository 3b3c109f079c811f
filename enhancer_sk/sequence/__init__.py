"""Sequence basics: the alphabet, integer codes, fixed lengths, encoders and windows.

* :mod:`~enhancer_sk.sequence.alphabet`: letters, codes A=0 C=1 G=2 T=3 N=4, the reverse complement;
* :mod:`~enhancer_sk.sequence.codes`: :class:`SequenceCodes` and the one entry point for sequence
  input (strings, arrays of strings, FASTA paths, one-hot);
* :mod:`~enhancer_sk.sequence.fixed_length`: centre crop / N padding to one length;
* :mod:`~enhancer_sk.sequence.encoders`: one-hot, codes, k-mer spectra, GC content (functions and
  scikit-learn transformers);
* :mod:`~enhancer_sk.sequence.windows`: fixed-length windows over sequences of any length.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "ALPHABET": ".alphabet",
    "reverse_complement": ".alphabet",
    "reverse_complement_codes": ".alphabet",
    "reverse_complement_one_hot": ".alphabet",
    "SequenceCodes": ".codes",
    "as_sequences": ".codes",
    "sequence_codes": ".codes",
    "fixed_length_codes": ".fixed_length",
    "GCContent": ".encoders",
    "SequenceLength": ".encoders",
    "KmerSpectrum": ".encoders",
    "OneHotEncoder": ".encoders",
    "SequenceTokenizer": ".encoders",
    "gc_content": ".encoders",
    "kmer_counts": ".encoders",
    "kmer_window_index": ".encoders",
    "one_hot_encode": ".encoders",
    "tokenize": ".encoders",
    "SlidingWindows": ".windows",
})
