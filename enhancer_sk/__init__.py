"""enhancer_sk: DNA enhancer recognition with deep learning and k-mer baselines.

Every model is a scikit-learn estimator; every capability is also a command
(``enhancer-sk``) and a Galaxy tool.  The package is layered (see the README's
Architecture section):

* :mod:`enhancer_sk.sequence`: alphabet, codes, fixed length, encoders, windows;
* :mod:`enhancer_sk.io`: FASTA, labels, BED / genome, tables, atomic files;
* :mod:`enhancer_sk.datasets`: iEnhancer-2L and VISTA (fetched with checksums), synthetic enhancers;
* :mod:`enhancer_sk.models`: the networks (``nn``), the SVMs (``svm``), ensembles and
  the two-layer classifier (``meta``);
* :mod:`enhancer_sk.presets`: the named model recipes of the command line, the
  demo, the benchmarks and Galaxy;
* :mod:`enhancer_sk.model_files`: the safe model file format, model cards, the registry of published models;
* :mod:`enhancer_sk.evaluation`: metrics, model comparison, bootstrap intervals, leakage checks and
  splitters, conformal p-values, plots, reports;
* :mod:`enhancer_sk.genomics`: genome scans, variant effects, Dask;
* :mod:`enhancer_sk.interpret`: per-base attributions, motif discovery, kernel motifs, logos and tracks;
* :mod:`enhancer_sk.cli`: the ``enhancer-sk`` command.

The names below are imported on first use, so ``import enhancer_sk`` stays
fast (torch, numba and matplotlib load only when a name needs them).
"""

from __future__ import annotations

from ._lazy import attach

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = attach(__name__, {
    "load_ienhancer2l": ".datasets.ienhancer2l",
    "load_vista": ".datasets.vista",
    "fetch_vista": ".datasets.vista",
    "make_synthetic_enhancers": ".datasets.synthetic",
    "read_fasta": ".io.fasta",
    "read_bed": ".io.genome",
    "fetch_regions": ".io.genome",
    "EnhancerLSTMAttClassifier": ".models.nn.lstmatt",
    "DeepEnhancerCNN": ".models.nn.deepenhancer",
    "KmerSVM": ".models.svm.kmer",
    "GkmSVM": ".models.svm.gkm",
    "SeedEnsembleClassifier": ".models.meta.ensemble",
    "TwoLayerEnhancerClassifier": ".models.meta.two_layer",
    "compare_models": ".evaluation.comparison",
    "paired_bootstrap": ".evaluation.bootstrap",
    "find_overlaps": ".evaluation.leakage",
    "SimilarityGroupKFold": ".evaluation.leakage",
    "ConformalClassifier": ".evaluation.conformal",
    "save": ".model_files",
    "load": ".model_files",
    "list_models": ".model_files.registry",
    "load_pretrained": ".model_files.registry",
    "scan": ".genomics.scanning",
    "score_variants": ".genomics.variants",
    "extract_motifs": ".interpret.motifs",
    "attribute": ".interpret.attribution",
    "discover_motifs": ".interpret.discovery",
})
__all__ = ["__version__", *__all__]
