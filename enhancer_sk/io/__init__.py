"""File formats: FASTA, labelled data, BED regions of an indexed genome, tables and atomic outputs.

* :mod:`~enhancer_sk.io.fasta`: reading (whole, streamed, chunked) and writing FASTA;
* :mod:`~enhancer_sk.io.labels`: one FASTA per class, or a FASTA and a label table;
* :mod:`~enhancer_sk.io.genome`: BED files and regions of an indexed genome FASTA;
* :mod:`~enhancer_sk.io.tables`: tab-separated tables;
* :mod:`~enhancer_sk.io.files`: atomic outputs (complete or absent, never half-written).
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "iter_fasta": ".fasta",
    "iter_fasta_chunks": ".fasta",
    "read_fasta": ".fasta",
    "write_fasta": ".fasta",
    "read_class_fastas": ".labels",
    "read_labelled_fasta": ".labels",
    "BedRegions": ".genome",
    "ReferenceGenome": ".genome",
    "fetch_regions": ".genome",
    "read_bed": ".genome",
    "format_cell": ".tables",
    "write_tsv": ".tables",
    "atomic_open": ".files",
    "atomic_path": ".files",
    "atomic_write_text": ".files",
})
