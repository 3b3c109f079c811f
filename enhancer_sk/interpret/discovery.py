"""De novo motif discovery from per-base contributions: TF-MoDISco, then Tomtom against JASPAR.

:func:`discover_motifs` takes per-base contribution scores of shape
``(n, 4, L)`` (rows A, C, G, T, as returned by
``enhancer_sk.interpret.attribution.attribute``) and the sequences they
explain, and runs TF-MoDISco (Shrikumar et al. 2018, arXiv:1811.00416; the
``modisco-lite`` implementation):

1. *seqlets*: windows of high total contribution, with a Laplace null
   fitted to the smoothed scores setting the threshold;
2. *metaclusters*: seqlets whose contribution is positive (``pos``) or
   negative (``neg``);
3. *patterns*: within each metacluster, seqlets clustered by the similarity
   of their contribution (gapped k-mer cosine, then aligned Jaccard) with
   Leiden, aligned and merged.

For each pattern it keeps the position frequency matrix (PFM: base
frequencies of the aligned seqlets), the contribution weight matrix (CWM:
mean actual contributions), the hypothetical CWM and the seqlet locations,
trims low-information edges (:func:`~enhancer_sk.interpret.motifs.trim_motif`)
and compares the PFM with JASPAR by Tomtom (Gupta et al. 2007, Genome
Biology 8:R24; :func:`~enhancer_sk.interpret.motifs.compare_with_jaspar`).

The result is a :class:`MotifResult` with a table (one row per pattern),
MEME output and logos.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.utils import check_random_state

from ..io.files import atomic_path, atomic_write_text
from ..sequence.codes import SequenceCodes, sequence_codes
from ..sequence.encoders import codes_to_one_hot
from . import motifs as _motifs

__all__ = ["MOTIF_TABLE_COLUMNS", "SEQLET_DTYPE", "MotifResult", "discover_motifs"]

#: Columns of :meth:`MotifResult.table`.
MOTIF_TABLE_COLUMNS = (
    "motif", "metacluster", "n_seqlets", "width", "best_match", "match_name", "evalue", "consensus",
)

#: Record type of the seqlet locations of a pattern: sequence index, start, end (0-based,
#: end exclusive, on the sequence as given) and strand of the pattern's orientation.
SEQLET_DTYPE = np.dtype([("sequence", np.int64), ("start", np.int64), ("end", np.int64), ("strand", "U1")])

#: Tomtom hits kept per motif in :attr:`MotifResult.matches` (significant or not).
_N_HITS = 5


def _consensus(pfm: np.ndarray) -> str:
    """Most frequent base of each column; lower case where it has less than half the mass."""
    if pfm.shape[1] == 0:
        return ""
    best = pfm.argmax(axis=0)
    strong = pfm.max(axis=0) >= 0.5
    return "".join("ACGT"[b] if s else "acgt"[b] for b, s in zip(best, strong))


def _reverse_complement_matrix(m: np.ndarray) -> np.ndarray:
    """Reverse complement of a (4, w) matrix with rows A, C, G, T."""
    return np.ascontiguousarray(m[::-1, ::-1])


@dataclass
class MotifResult:
    """Patterns found by :func:`discover_motifs`, with their JASPAR matches.

    All per-motif lists are in the same order: the positive metacluster's
    patterns (``pos_pattern_0``, ...; largest first), then the negative
    one's (``neg_pattern_0``, ...).  Matrices are trimmed (low-information
    edge columns of the PFM dropped) and have rows A, C, G, T.

    Attributes
    ----------
    names : list of str
        ``pos_pattern_<i>`` / ``neg_pattern_<i>``.
    metaclusters : list of str
        ``"pos"`` (positive contributions) or ``"neg"``.
    pfms : list of ndarray (4, width)
        Position frequency matrices (columns sum to 1).
    cwms : list of ndarray (4, width)
        Contribution weight matrices: mean actual contribution per base.
    hypothetical_cwms : list of ndarray (4, width)
        Mean hypothetical contributions (equal to :attr:`cwms` when only
        actual contributions were given).
    n_seqlets : ndarray of int64, shape (n_motifs,)
    seqlets : list of ndarray of :data:`SEQLET_DTYPE`
        Location of each seqlet of each pattern, trimmed like the matrices;
        ``strand`` ``"-"`` means the pattern reads on the reverse complement.
    spans : list of (int, int)
        Columns ``start:end`` of the untrimmed modisco pattern kept.
    matches : list of list of dict
        Best Tomtom hits of each PFM in JASPAR (at most 5, significant or not,
        by increasing p-value), with the keys of
        :data:`~enhancer_sk.interpret.motifs.TOMTOM_COLUMNS`.
    evalue_threshold : float
        A match is reported in :meth:`table` when its E-value is below this.
    jaspar_release : str
    params : dict
        The modisco settings used.
    """

    names: list[str] = field(default_factory=list)
    metaclusters: list[str] = field(default_factory=list)
    pfms: list[np.ndarray] = field(default_factory=list)
    cwms: list[np.ndarray] = field(default_factory=list)
    hypothetical_cwms: list[np.ndarray] = field(default_factory=list)
    n_seqlets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    seqlets: list[np.ndarray] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    matches: list[list[dict]] = field(default_factory=list)
    evalue_threshold: float = 0.05
    jaspar_release: str = "JASPAR2024"
    params: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)

    def best_match(self, i: int) -> dict | None:
        """The most significant JASPAR hit of motif ``i`` if its E-value is below the threshold."""
        hits = self.matches[i]
        if hits and hits[0]["e_value"] < self.evalue_threshold:
            return hits[0]
        return None

    def table(self, as_frame: bool = True):
        """One row per motif.

        Parameters
        ----------
        as_frame : bool, default=True
            Return a pandas DataFrame; False returns a list of dicts.

        Returns
        -------
        pandas.DataFrame or list of dict
            Columns :data:`MOTIF_TABLE_COLUMNS`: ``best_match`` (JASPAR
            matrix id), ``match_name`` and ``evalue`` describe the best
            Tomtom hit with E-value below :attr:`evalue_threshold` (empty
            strings and NaN when there is none); ``consensus`` is the
            most frequent base per column (lower case below 50%).
        """
        rows = []
        for i, name in enumerate(self.names):
            hit = self.best_match(i)
            rows.append({
                "motif": name,
                "metacluster": self.metaclusters[i],
                "n_seqlets": int(self.n_seqlets[i]),
                "width": int(self.pfms[i].shape[1]),
                "best_match": hit["jaspar_id"] if hit else "",
                "match_name": hit["tf_name"] if hit else "",
                "evalue": float(hit["e_value"]) if hit else float("nan"),
                "consensus": _consensus(self.pfms[i]),
            })
        if not as_frame:
            return rows
        import pandas as pd

        return pd.DataFrame(rows, columns=list(MOTIF_TABLE_COLUMNS))

    def seqlet_table(self):
        """All seqlet locations as a DataFrame: motif, sequence, start, end, strand."""
        import pandas as pd

        frames = [
            pd.DataFrame({"motif": name, **{k: s[k] for k in SEQLET_DTYPE.names}})
            for name, s in zip(self.names, self.seqlets)
        ]
        if not frames:
            return pd.DataFrame(columns=["motif", *SEQLET_DTYPE.names])
        return pd.concat(frames, ignore_index=True)

    def write_table(self, path: str | os.PathLike) -> Path:
        """Write :meth:`table` as a tab-separated file with a header (atomically); returns the path."""
        lines = ["\t".join(MOTIF_TABLE_COLUMNS)]
        for row in self.table(as_frame=False):
            lines.append("\t".join(
                ("" if np.isnan(v) else f"{v:.4g}") if isinstance(v, float) else str(v)
                for v in (row[c] for c in MOTIF_TABLE_COLUMNS)
            ))
        return atomic_write_text(path, "\n".join(lines) + "\n")

    def write_meme(self, path: str | os.PathLike) -> Path:
        """Write the PFMs in MEME minimal motif format (``nsites`` = seqlet count), atomically.

        Each motif goes through :func:`enhancer_sk.interpret.motifs.write_meme`
        (the motifs differ in width); the blocks are joined under one header.
        """
        if not self.names:
            _motifs.write_meme(path, np.zeros((0, 4, 1)))
            return Path(path)
        header, blocks = "", []
        with tempfile.TemporaryDirectory() as tmp:
            one = Path(tmp) / "motif.meme"
            for name, pfm, n in zip(self.names, self.pfms, self.n_seqlets):
                _motifs.write_meme(one, pfm[None], [name], [int(n)])
                text = one.read_text()
                at = text.index("MOTIF ")
                header = text[:at]
                blocks.append(text[at:].rstrip("\n") + "\n")
        return atomic_write_text(path, header + "\n".join(blocks))

    def plot_logos(
        self,
        path: str | os.PathLike,
        motifs: Sequence[str] | None = None,
        *,
        jaspar: bool = True,
        dpi: int = 100,
    ) -> Path:
        """Draw one PNG: per motif, its CWM logo, its PFM logo (bits) and its best JASPAR match.

        The JASPAR logo is reverse-complemented when Tomtom aligned the motif
        to the reverse strand (not shifted by the alignment offset).  logomaker
        draws each letter as a path (about 0.3 s per logo): select motifs on
        large results.

        Parameters
        ----------
        path : str or path-like
            The PNG file.
        motifs : list of str, optional
            Names of the motifs to draw (default: all).
        jaspar : bool, default=True
            Draw the significant JASPAR match (if any) in a third column.
        dpi : int, default=100

        Returns
        -------
        Path
        """
        import logomaker
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        import pandas as pd

        wanted = list(self.names) if motifs is None else [str(m) for m in motifs]
        unknown = sorted(set(wanted) - set(self.names))
        if unknown:
            raise ValueError(f"unknown motifs {unknown}; the result holds {self.names}")
        if not wanted:
            raise ValueError("no motifs to draw (the result is empty)")
        index = [self.names.index(m) for m in wanted]
        jaspar_pfms = {}
        if jaspar:
            ids, _names, targets = _motifs.jaspar_motifs(self.jaspar_release)
            by_id = dict(zip(ids, targets))
            for i in index:
                hit = self.best_match(i)
                if hit is not None and hit["jaspar_id"] in by_id:
                    target = by_id[hit["jaspar_id"]]
                    jaspar_pfms[i] = (
                        _reverse_complement_matrix(target) if hit["orientation"] == "-" else target,
                        f"{hit['jaspar_id']} {hit['tf_name']} (E={hit['e_value']:.2g})",
                    )
        n_cols = 3 if jaspar else 2
        width = max(max(self.pfms[i].shape[1] for i in index),
                    max((p.shape[1] for p, _ in jaspar_pfms.values()), default=0))
        fig, axes = plt.subplots(
            len(index), n_cols, figsize=(n_cols * (0.3 * width + 1.2), 1.9 * len(index)), squeeze=False,
        )

        def info(pfm):
            prob = pd.DataFrame(pfm.T, columns=list("ACGT"))
            return logomaker.transform_matrix(prob, from_type="probability", to_type="information")

        with warnings.catch_warnings():  # a zero-height logo
            warnings.filterwarnings("ignore", message="Attempting to set identical low and high ylims")
            for row, i in enumerate(index):
                ax_cwm, ax_pfm = axes[row, 0], axes[row, 1]
                logomaker.Logo(pd.DataFrame(self.cwms[i].T, columns=list("ACGT")), ax=ax_cwm,
                               color_scheme="classic")
                ax_cwm.set_title(f"{self.names[i]} CWM (n={int(self.n_seqlets[i])})", fontsize=8)
                ax_cwm.set_ylabel("contribution", fontsize=7)
                logomaker.Logo(info(self.pfms[i]), ax=ax_pfm, color_scheme="classic")
                ax_pfm.set_ylim(0, 2)
                ax_pfm.set_title(f"{self.names[i]} PFM", fontsize=8)
                ax_pfm.set_ylabel("bits", fontsize=7)
                if jaspar:
                    ax = axes[row, 2]
                    if i in jaspar_pfms:
                        pfm, title = jaspar_pfms[i]
                        logomaker.Logo(info(pfm), ax=ax, color_scheme="classic")
                        ax.set_ylim(0, 2)
                        ax.set_title(title, fontsize=8)
                    else:
                        ax.set_title("no JASPAR match", fontsize=8)
                        ax.axis("off")
        fig.tight_layout()
        path = Path(path)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
        plt.close(fig)
        return path


def _one_hot_right_padded(X, n: int, length: int, shape: tuple[int, ...]) -> np.ndarray:
    """One-hot (n, 4, length) of ``X``, shorter sequences N-padded on the right (as the attributions)."""
    if isinstance(X, np.ndarray) and X.ndim == 3 and X.dtype.kind in "biuf":
        if X.shape != shape:
            raise ValueError(f"attributions have shape {shape} but the one-hot X has shape {X.shape}")
        return np.asarray(X, dtype=np.float32)
    sc: SequenceCodes = sequence_codes(X)
    lengths = np.asarray(sc.lengths, dtype=np.int64)
    longest = int(lengths.max()) if len(lengths) else 0
    if len(sc) != n or longest > length:
        raise ValueError(
            f"attributions have shape {shape} but X holds {len(sc)} sequences of length up to {longest} "
            f"(one-hot shape {(len(sc), 4, longest)})"
        )
    codes = np.full((n, length), 4, dtype=np.uint8)  # N
    rows = np.repeat(np.arange(n), lengths)
    cols = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codes[rows, cols] = sc.codes[np.repeat(sc.starts, lengths) + cols]
    return codes_to_one_hot(codes, np.float32)


def _is_actual(attributions: np.ndarray, one_hot: np.ndarray) -> bool:
    """Whether contributions are nonzero only on the observed bases (actual contributions)."""
    return not np.any(attributions * (1 - one_hot))


def _empty(message: str, **kwargs) -> MotifResult:
    warnings.warn(message, UserWarning, stacklevel=3)
    return MotifResult(**kwargs)


def discover_motifs(
    attributions,
    X,
    *,
    hypothetical: bool | None = None,
    max_seqlets: int = 2000,
    window: int = 15,
    flank: int = 5,
    min_seqlets: int = 20,
    target_fdr: float = 0.2,
    n_leiden_runs: int = 4,
    trim_information: float = 0.5,
    jaspar_release: str = "JASPAR2024",
    evalue_threshold: float = 0.05,
    threads: int | None = 1,
    random_state=None,
    verbose: bool = False,
) -> MotifResult:
    """Find recurring motifs in per-base contributions (TF-MoDISco) and name them (Tomtom, JASPAR).

    Runs ``modiscolite.tfmodisco.TFMoDISco`` (Shrikumar et al. 2018,
    "Technical Note on Transcription Factor Motif Discovery from Importance
    Scores (TF-MoDISco)", arXiv:1811.00416) on the contributions, builds a
    PFM and a CWM for each pattern of the positive and negative
    metaclusters, trims them and compares each PFM with JASPAR by Tomtom
    (Gupta et al. 2007, "Quantifying similarity between motifs", Genome
    Biology 8:R24) through :func:`~enhancer_sk.interpret.motifs.compare_with_jaspar`.

    Parameters
    ----------
    attributions : array-like of shape (n, 4, L)
        Per-base contributions, rows A, C, G, T; positions beyond a
        sequence's end (right padding) and ``N`` are 0.
    X : sequences, FASTA path or one-hot array (n, 4, L)
        The sequences explained; shorter ones are padded on the right with
        ``N`` to ``L``, as the attributions.
    hypothetical : bool or None, default=None
        Whether ``attributions`` are hypothetical contributions (a score for
        every base at every position) rather than actual ones (nonzero only on
        the observed base).  None decides from the data: actual when every
        nonzero score sits on an observed base.  TF-MoDISco wants
        hypothetical contributions; given actual ones, they are used as the
        hypothetical ones too (zero for the unobserved bases), so seqlets are
        compared on the observed bases only.  This is exact for the seqlet
        calling and the CWMs (both use actual contributions) and an
        approximation for the clustering, which otherwise also compares
        what each position would contribute with the other bases; the
        hypothetical CWMs then equal the CWMs.
    max_seqlets : int, default=2000
        At most this many seqlets per metacluster go to clustering
        (modisco's ``max_seqlets_per_metacluster``, which keeps the first
        ones: the sequences are shuffled with ``random_state`` beforehand so
        that they are a random subsample).  Bounds memory and time.
    window : int, default=15
        Width of the sliding window in which seqlets are called (modisco's
        ``sliding_window_size``, 21 by default there, tuned for 1 kb inputs
        and long motifs); 15 covers most transcription factor sites.
    flank : int, default=5
        Bases added on each side of a seqlet (modisco's ``flank_size``); a
        seqlet is ``window + 2 * flank`` long and must fit in the sequence.
    min_seqlets : int, default=20
        Minimum seqlets of a pattern (modisco's ``final_min_cluster_size``);
        a metacluster is clustered only if it has more than
        ``max(min_seqlets, 30)`` seqlets.
    target_fdr : float, default=0.2
        False discovery rate of the seqlet calling against the Laplace null
        (modisco's ``target_seqlet_fdr``).
    n_leiden_runs : int, default=4
        Leiden clusterings (different seeds, fixed by modisco) of which the
        best is kept; modisco's default 50 costs much more time for little
        change on clean signals.
    trim_information : float, default=0.5
        Edge columns of a pattern's PFM with less information (bits) are
        trimmed (:func:`~enhancer_sk.interpret.motifs.trim_motif`), from all
        matrices and seqlets.
    jaspar_release : str, default="JASPAR2024"
        JASPAR CORE vertebrates release (offline, pyjaspar).
    evalue_threshold : float, default=0.05
        A Tomtom match counts when its E-value (p-value times the number of
        JASPAR matrices) is below this.
    threads : int or None, default=1
        Numba threads (modisco and Tomtom); None: all available (see
        :func:`enhancer_sk.threads.resolve_threads`).  modisco may also fork
        within this budget.
    random_state : int, RandomState or None, default=None
        Order in which sequences go to modisco, i.e. which seqlets are kept
        when there are more than ``max_seqlets``.  modisco's own randomness
        (null sampling, Leiden) uses fixed seeds, so the result is
        reproducible given ``random_state``.
    verbose : bool, default=False
        Let modisco report progress.

    Returns
    -------
    MotifResult
        Empty (with a ``UserWarning``) when the contributions are all zero,
        when no seqlets pass the threshold or no pattern has enough seqlets.

    Raises
    ------
    ValueError
        When ``attributions`` is not (n, 4, L), does not match ``X`` (both
        shapes named), holds NaN or infinity, or ``L < window + 2 * flank``.
    """
    attributions = np.asarray(attributions, dtype=np.float32)
    if attributions.ndim != 3 or attributions.shape[1] != 4:
        raise ValueError(f"attributions must have shape (n, 4, L), got {attributions.shape}")
    n, _, length = attributions.shape
    one_hot = _one_hot_right_padded(X, n, length, attributions.shape)
    if not np.isfinite(attributions).all():
        raise ValueError("attributions hold NaN or infinite values")
    for label, value in (("max_seqlets", max_seqlets), ("window", window), ("min_seqlets", min_seqlets),
                         ("n_leiden_runs", n_leiden_runs)):
        if int(value) < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    if int(flank) < 1:  # modisco masks the flank columns with [:, -flank:]
        raise ValueError(f"flank must be a positive integer, got {flank!r}")
    if length < window + 2 * flank:
        raise ValueError(f"sequences of length {length} are shorter than a seqlet (window + 2 * flank = "
                         f"{window + 2 * flank})")
    params = {
        "sliding_window_size": int(window), "flank_size": int(flank),
        "max_seqlets_per_metacluster": int(max_seqlets), "final_min_cluster_size": int(min_seqlets),
        "min_metacluster_size": max(int(min_seqlets), 30), "target_seqlet_fdr": float(target_fdr),
        "n_leiden_runs": int(n_leiden_runs),
    }
    common = {"evalue_threshold": evalue_threshold, "jaspar_release": jaspar_release, "params": params}
    if not np.any(attributions):
        return _empty("attributions are all zero: no motifs to discover", **common)
    if hypothetical is None:
        hypothetical = not _is_actual(attributions, one_hot)
    rng = check_random_state(random_state)
    order = rng.permutation(n)
    one_hot_nl4 = np.ascontiguousarray(one_hot[order].transpose(0, 2, 1))
    scores = attributions[order] if hypothetical else attributions[order] * one_hot[order]
    hyp_nl4 = np.ascontiguousarray(scores.transpose(0, 2, 1))
    del scores

    from modiscolite.tfmodisco import TFMoDISco

    from ..threads import numba_threads

    with numba_threads(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # modisco's log(0) on flat tracks
        try:
            pos, neg = TFMoDISco(one_hot_nl4, hyp_nl4, verbose=verbose, **params)
        except (ValueError, IndexError) as exc:
            # modisco's seqlet calling fails on scores too flat to fit its null (e.g. a
            # single nonzero position); nothing can be discovered from them
            return _empty(f"TF-MoDISco found no seqlets ({type(exc).__name__}: {exc})", **common)

    result = MotifResult(**common)
    n_seqlets = []
    for metacluster, patterns in (("pos", pos), ("neg", neg)):
        for k, pattern in enumerate(patterns or []):
            ppm = np.asarray(pattern.sequence, dtype=np.float64).T  # (4, w)
            total = ppm.sum(axis=0, keepdims=True)
            pfm = np.divide(ppm, total, out=np.full_like(ppm, 0.25), where=total > 0)
            a, b = _motifs.trim_motif(pfm, trim_information)
            if b - a < 1:
                a, b = 0, pfm.shape[1]
            coords = np.array([(order[s.example_idx], s.start, s.end, s.is_revcomp) for s in pattern.seqlets],
                              dtype=np.int64).reshape(-1, 4)
            locs = np.empty(len(coords), dtype=SEQLET_DTYPE)
            rc = coords[:, 3].astype(bool)
            locs["sequence"] = coords[:, 0]
            locs["start"] = np.where(rc, coords[:, 2] - b, coords[:, 1] + a)
            locs["end"] = np.where(rc, coords[:, 2] - a, coords[:, 1] + b)
            locs["strand"] = np.where(rc, "-", "+")
            result.names.append(f"{metacluster}_pattern_{k}")
            result.metaclusters.append(metacluster)
            result.pfms.append(np.ascontiguousarray(pfm[:, a:b]))
            result.cwms.append(np.ascontiguousarray(np.asarray(pattern.contrib_scores, np.float64).T[:, a:b]))
            result.hypothetical_cwms.append(
                np.ascontiguousarray(np.asarray(pattern.hypothetical_contribs, np.float64).T[:, a:b]))
            result.seqlets.append(locs)
            result.spans.append((int(a), int(b)))
            n_seqlets.append(len(pattern.seqlets))
    result.n_seqlets = np.asarray(n_seqlets, dtype=np.int64)
    if not result.names:
        warnings.warn("TF-MoDISco found no pattern (too few or too dissimilar seqlets): empty result",
                      UserWarning, stacklevel=2)
        return result

    # Tomtom of all PFMs at once: pad to one width with uniform columns, which
    # compare_with_jaspar trims again (they carry no information)
    width = max(p.shape[1] for p in result.pfms)
    padded = np.full((len(result), 4, width), 0.25)
    for i, pfm in enumerate(result.pfms):
        padded[i, :, :pfm.shape[1]] = pfm
    rows = _motifs.compare_with_jaspar(
        padded, result.names, release=jaspar_release, evalue_threshold=None,
        trim_information=trim_information, threads=threads,
    )
    hits = {name: [] for name in result.names}
    for row in rows:  # sorted by motif, then p-value
        if len(hits[row["motif"]]) < _N_HITS:
            hits[row["motif"]].append(row)
    result.matches = [hits[name] for name in result.names]
    return result
