"""Published models by name: fetched with checksums, converted once into a model file, cached.

Most users want the authors' trained model, not a training run.  The registry
names published models (:data:`REGISTRY`; :func:`list_models`), and
:func:`load_pretrained` returns one as a fitted estimator:

1. the source files (e.g. Keras weights) are looked up in
   ``<data home>/<folder>/`` (data home as for the datasets: the argument,
   else ``$ENHANCER_SK_DATA``, else ``~/enhancer_sk_data``; see
   :func:`~enhancer_sk.datasets.get_data_home`) and checked against their
   SHA-256; a missing file is downloaded (when allowed) from the authors'
   repository at a fixed commit and checked before it is kept;
2. they are converted **once** into the project's model file format
   (:func:`~enhancer_sk.model_files.save`, with the entry's model card) and
   cached as ``<data home>/pretrained/<name>.eskm`` next to a sidecar
   ``<name>.eskm.json`` recording the cached file's SHA-256, the source files'
   checksums and the enhancer_sk version that converted them;
3. later calls load the cached file after checking it against its sidecar;
   a cached file without sidecar, with another SHA-256 or converted by another
   enhancer_sk version is converted again from the (checked) source files.

Nothing is unpickled at any step: the Keras HDF5 weights are read as arrays
(h5py), the cache is a safetensors model file.

Entries
-------
``enhancer-lstmatt-ienhancer2l``
    The authors' two-layer Enhancer-LSTMAtt (Huang et al. 2022) trained on
    iEnhancer-2L: layer 1 enhancer vs non-enhancer, layer 2 strong vs weak
    (:meth:`EnhancerLSTMAttClassifier.from_keras_weights
    <enhancer_sk.models.nn.lstmatt.EnhancerLSTMAttClassifier.from_keras_weights>`
    of ``layer1.h5`` / ``layer2.h5``, combined by
    :meth:`TwoLayerEnhancerClassifier.from_fitted
    <enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier.from_fitted>`).
    It predicts ``non`` / ``weak`` / ``strong``.

Examples
--------
>>> from enhancer_sk.model_files import list_models, load_pretrained  # doctest: +SKIP
>>> [m["name"] for m in list_models()]  # doctest: +SKIP
['enhancer-lstmatt-ienhancer2l']
>>> model = load_pretrained("enhancer-lstmatt-ienhancer2l")  # doctest: +SKIP
>>> model.predict(["ACGT" * 50])  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets._base import get_data_home, sha256_of
from ..io.files import atomic_write_text
from .cards import check_card, format_card

__all__ = [
    "PRETRAINED_FOLDER",
    "REGISTRY",
    "PretrainedModel",
    "cached_path",
    "describe_entry",
    "fetch_pretrained",
    "get_pretrained",
    "list_models",
    "load_pretrained",
]

#: Sub-folder of the data home holding the converted (cached) model files.
PRETRAINED_FOLDER = "pretrained"

_ENHANCER_LSTMATT_COMMIT = "1ce3e7535284ddf122c49d7c77f3fa7860205f5d"


@dataclass(frozen=True)
class PretrainedModel:
    """One published model of the registry.

    Parameters
    ----------
    name : str
        Registry name (``enhancer-sk predict -m NAME``).
    title : str
        One line saying what the model is.
    citation : str
        The publication to cite.
    source : str
        Where the source files come from (repository and commit).
    files : dict of str -> (str, str)
        Local file name -> (path under ``base_url``, SHA-256 of the file).
    builder : callable
        ``builder({local name: Path}) -> fitted estimator``: the conversion.
    folder : str
        Sub-folder of the data home holding the source files.
    base_url : str
        Where missing source files are downloaded from.
    card : dict
        The model card written into the cached model file (see
        :mod:`enhancer_sk.model_files.cards`).
    """

    name: str
    title: str
    citation: str
    source: str
    files: Mapping[str, tuple[str, str]]
    builder: Callable[[dict[str, Path]], object]
    folder: str
    base_url: str
    card: Mapping = field(default_factory=dict)

    def summary(self) -> str:
        """One line: the title and the card's first AUC (else its first score)."""
        scores = self.card.get("scores") or []
        row = next((r for r in scores if r["metric"] == "AUC"), scores[0] if scores else None)
        first = f"; {row['metric']} {row['value']:.3f} on {row['benchmark']}" if row else ""
        return f"{self.title}{first}"


def _build_enhancer_lstmatt(paths: dict[str, Path]):
    """The authors' two-layer Enhancer-LSTMAtt from ``layer1.h5`` and ``layer2.h5``."""
    from ..models.meta.two_layer import TwoLayerEnhancerClassifier
    from ..models.nn.lstmatt import EnhancerLSTMAttClassifier

    layer1 = EnhancerLSTMAttClassifier.from_keras_weights(paths["layer1.h5"])
    layer2 = EnhancerLSTMAttClassifier.from_keras_weights(paths["layer2.h5"])
    return TwoLayerEnhancerClassifier.from_fitted(layer1, layer2, classes=("non", "weak", "strong"))


_IENHANCER2L_TEST_1 = "iEnhancer-2L independent test, layer 1 (200 enhancers vs 200 non-enhancers)"
_IENHANCER2L_TEST_2 = "iEnhancer-2L independent test, layer 2 (100 strong vs 100 weak enhancers)"
_HUANG_2022 = ("Huang G, Luo W, Zhang G, Zheng P, Yao Y, Lyu J, Liu Y, Wei DQ. Enhancer-LSTMAtt: a Bi-LSTM and "
               "attention-based deep learning method for enhancer recognition. Biomolecules 2022;12(7):995. "
               "doi:10.3390/biom12070995")


def _scores(benchmark: str, **values: float) -> list[dict]:
    return [{"benchmark": benchmark, "metric": metric, "value": value, "low": None, "high": None}
            for metric, value in values.items()]


_LSTMATT_CARD = {
    "name": "enhancer-lstmatt-ienhancer2l",
    "title": "Enhancer-LSTMAtt, two layers (enhancer / non-enhancer, then strong / weak): the authors' trained "
             "weights",
    "trained_on": {
        "data": "iEnhancer-2L training set (Liu et al. 2016): 742 strong and 742 weak enhancers, 1484 "
                "non-enhancers; layer 1 on all 2968 sequences, layer 2 on the 1484 enhancers",
        "n_sequences": 2968,
        "classes": ["non", "weak", "strong"],
        "species": "human",
        "length_min": 200,
        "length_max": 200,
        "gc_low": 0.235,  # 1st and 99th percentile of the GC fraction of the 2968 training sequences
        "gc_high": 0.675,
        "max_n_fraction": 0.0,
    },
    "recipe": "the authors' Enhancer-LSTMAtt: embedding (5, 32); a ResNet branch (Conv1D 32 and 64 filters of "
              "width 8, one down-sampling and two identity blocks, global max pooling) and a recurrent branch (two "
              "bidirectional LSTM(32) layers, feed-forward attention) concatenated, Dense(16, ReLU), Dense(1, "
              "sigmoid); Adam, learning rate 1e-4, binary cross-entropy. Keras weights from GitHub "
              f"feng-123/Enhancer-LSTMAtt at commit {_ENHANCER_LSTMATT_COMMIT}, converted unchanged; "
              "decision rule p > 0.5 in both layers",
    "scores": (_scores(_IENHANCER2L_TEST_1, Acc=0.805, Sn=0.795, Sp=0.815, MCC=0.610, AUC=0.859)
               + _scores(_IENHANCER2L_TEST_2, Acc=0.895, Sn=0.99, Sp=0.80, MCC=0.805, AUC=0.964)),
    "baseline": [{"benchmark": _IENHANCER2L_TEST_1 + ": GC content alone (logistic regression)", "metric": "AUC",
                  "value": 0.815, "low": 0.774, "high": 0.856}],
    "intended_use": "Scoring 200-bp human DNA sequences as enhancer or non-enhancer and, for enhancers, strong or "
                    "weak, as in the iEnhancer-2L benchmark. Other lengths are centre-cropped or N-padded to 200 bp; "
                    "other species, cell types and genome-wide scans are outside what it was evaluated on. The 100 "
                    "strong enhancers of the iEnhancer-2L test also occur in its training set, so the test scores "
                    "(layer 2 above all) are optimistic.",
    "citation": _HUANG_2022,
}

#: The published models, by name.
REGISTRY: dict[str, PretrainedModel] = {
    "enhancer-lstmatt-ienhancer2l": PretrainedModel(
        name="enhancer-lstmatt-ienhancer2l",
        title="Enhancer-LSTMAtt (Huang et al. 2022), two layers trained on iEnhancer-2L: non / weak / strong",
        citation=_HUANG_2022,
        source=f"GitHub feng-123/Enhancer-LSTMAtt, commit {_ENHANCER_LSTMATT_COMMIT}",
        files={
            "layer1.h5": ("ResNet+LSTM+Attention(layer1).h5",
                          "2654d3ef51891da3cd4b4d2ef75c7b5eea0d3447c9fad9bb7e346783aa9cc502"),
            "layer2.h5": ("ResNet+LSTM+Attention(layer2).h5",
                          "fc74cb40d5e7a565ccc22f3390783c77c80730a082413aa1ef479cff32ad4e80"),
        },
        builder=_build_enhancer_lstmatt,
        folder="enhancer_lstmatt_weights",
        base_url=f"https://raw.githubusercontent.com/feng-123/Enhancer-LSTMAtt/{_ENHANCER_LSTMATT_COMMIT}/",
        card=_LSTMATT_CARD,
    ),
}


def get_pretrained(name: str) -> PretrainedModel:
    """The registry entry ``name``.

    Raises
    ------
    KeyError
        An unknown name; the message lists the registry's names.
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise KeyError(f"no published model named {name!r}; the registry has: {', '.join(REGISTRY)}") from None


def cached_path(name: str, data_home: str | os.PathLike | None = None) -> Path:
    """Where the converted model file of ``name`` is cached: ``<data home>/pretrained/<name>.eskm``."""
    from ._audit import SUFFIX

    get_pretrained(name)
    return get_data_home(data_home) / PRETRAINED_FOLDER / f"{name}{SUFFIX}"


def _user_cache() -> Path:
    """Where converted models go when the data home is read-only: ``$ENHANCER_SK_CACHE`` or ``~/.cache/enhancer_sk``."""
    root = os.environ.get("ENHANCER_SK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") \
        / "enhancer_sk"
    return Path(root).expanduser() / PRETRAINED_FOLDER


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _cache_is_valid(entry: PretrainedModel, path: Path) -> bool:
    """The cached file exists, matches its sidecar, and was converted from these sources by this version."""
    from ._audit import _package_version

    side = _sidecar(path)
    if not path.is_file() or not side.is_file():
        return False
    try:
        record = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict):
        return False
    sources = {n: sha for n, (_, sha) in entry.files.items()}
    if record.get("sources") != sources or record.get("package_version") != _package_version():
        return False
    if record.get("sha256") != sha256_of(path):
        warnings.warn(f"the cached model file {path} does not match the SHA-256 recorded in {side.name}; "
                      "converting it again from its source files", UserWarning, stacklevel=3)
        return False
    return True


def _fetch_source(entry: PretrainedModel, local: str, folder: Path, base_url: str, download: bool) -> Path:
    """One checked source file of ``entry`` in ``folder``, downloaded if missing and allowed."""
    url_path, sha256 = entry.files[local]
    target = folder / local
    if target.exists():
        found = sha256_of(target)
        if found != sha256:
            raise OSError(f"{target} is corrupt or modified: SHA-256 {found} instead of {sha256}; delete it to "
                          "download it again")
        return target
    if not download:
        raise FileNotFoundError(f"{target} is missing (download_if_missing=False); the published model "
                                f"{entry.name!r} needs it ({entry.source}: {url_path})")
    url = base_url.rstrip("/") + "/" + urllib.parse.quote(url_path)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{local}.", suffix=".part", delete=False) as tmp:
            tmp_path = Path(tmp.name)
            try:
                with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - fixed https or file URL
                    for block in iter(lambda: response.read(1 << 20), b""):
                        tmp.write(block)
            except BaseException:
                tmp.close()
                tmp_path.unlink(missing_ok=True)
                raise
        found = sha256_of(tmp_path)
        if found != sha256:
            tmp_path.unlink(missing_ok=True)
            raise OSError(f"download of {local} ({url}) failed its checksum: SHA-256 {found} instead of {sha256}; "
                          "nothing was kept")
        os.replace(tmp_path, target)
    finally:
        if created and folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
    return target


def fetch_pretrained(name: str, data_home: str | os.PathLike | None = None, *, download_if_missing: bool = True,
                     base_url: str | None = None) -> Path:
    """The cached model file of a published model, converting (and downloading) it first when needed.

    Parameters
    ----------
    name : str
        A registry name (:func:`list_models`).
    data_home : path, optional
        The data home (default ``$ENHANCER_SK_DATA``, else ``~/enhancer_sk_data``).
    download_if_missing : bool, default=True
        Download missing source files; otherwise raise :class:`FileNotFoundError`.
    base_url : str, optional
        Where to download from (default: the entry's, the authors' repository at
        a fixed commit); any URL ``urllib`` opens, ``file://`` included (tests).

    Returns
    -------
    Path
        ``<data home>/pretrained/<name>.eskm``; when the data home is
        read-only, ``$ENHANCER_SK_CACHE/pretrained/<name>.eskm`` (default
        ``~/.cache/enhancer_sk``).

    Raises
    ------
    KeyError
        Unknown name.
    OSError
        A source file (present or downloaded) does not match its SHA-256 (the
        message names the file and both hashes; a bad download is not kept).
    FileNotFoundError
        A source file is missing and ``download_if_missing`` is False.
    """
    from ._audit import _package_version
    from ._persist import save

    entry = get_pretrained(name)
    path = cached_path(name, data_home)
    fallback = _user_cache() / path.name
    for candidate in (path, fallback):
        if _cache_is_valid(entry, candidate):
            return candidate
    folder = get_data_home(data_home) / entry.folder
    base_url = base_url or entry.base_url
    paths = {local: _fetch_source(entry, local, folder, base_url, download_if_missing) for local in entry.files}
    model = entry.builder(paths)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save(model, path, card=entry.card)
    except PermissionError:  # a read-only data home (a shared copy): the user's own cache
        path = fallback
        path.parent.mkdir(parents=True, exist_ok=True)
        save(model, path, card=entry.card)
    record = {
        "name": name,
        "sha256": sha256_of(path),
        "sources": {n: sha for n, (_, sha) in entry.files.items()},
        "source": entry.source,
        "package_version": _package_version(),
    }
    atomic_write_text(_sidecar(path), json.dumps(record, indent=1) + "\n")
    return path


def load_pretrained(name: str, *, data_home: str | os.PathLike | None = None, download_if_missing: bool = True,
                    base_url: str | None = None):
    """A published model, fitted, by name.

    Parameters
    ----------
    name : str
        A registry name (:func:`list_models`), e.g. ``"enhancer-lstmatt-ienhancer2l"``.
    data_home : path, optional
        The data home (default ``$ENHANCER_SK_DATA``, else ``~/enhancer_sk_data``).
    download_if_missing : bool, default=True
        Download missing source files (see :func:`fetch_pretrained`).
    base_url : str, optional
        Where to download from (tests: a ``file://`` URL).

    Returns
    -------
    estimator
        The fitted model (for ``enhancer-lstmatt-ienhancer2l`` a
        :class:`~enhancer_sk.models.meta.two_layer.TwoLayerEnhancerClassifier`).

    Raises
    ------
    KeyError, OSError, FileNotFoundError
        As :func:`fetch_pretrained`.
    """
    from ._persist import load

    return load(fetch_pretrained(name, data_home, download_if_missing=download_if_missing, base_url=base_url))


def list_models(data_home: str | os.PathLike | None = None) -> list[dict]:
    """The published models of the registry.

    Parameters
    ----------
    data_home : path, optional
        Where to look for cached conversions (see :func:`fetch_pretrained`).

    Returns
    -------
    list of dict
        One per entry: ``name``, ``title``, ``citation``, ``source``,
        ``summary`` (one line of the card), ``cached`` (a valid converted file
        is in the data home), ``path`` (where it is or will be cached) and
        ``card`` (a copy).
    """
    out = []
    for name, entry in REGISTRY.items():
        path = cached_path(name, data_home)
        out.append({
            "name": name,
            "title": entry.title,
            "citation": entry.citation,
            "source": entry.source,
            "summary": entry.summary(),
            "cached": path.is_file() and _sidecar(path).is_file(),
            "path": str(path),
            "card": check_card(entry.card, f"registry entry {name!r}"),
        })
    return out


def describe_entry(name: str, data_home: str | os.PathLike | None = None) -> list[str]:
    """Readable lines about a registry entry: name, title, source, cache, card."""
    entry = get_pretrained(name)
    path = cached_path(name, data_home)
    cached = path.is_file() and _sidecar(path).is_file()
    lines = [f"name: {entry.name}", f"title: {entry.title}", f"source: {entry.source}",
             f"cached: {path}" if cached else f"cached: no (converted on first use into {path})"]
    lines.extend(line for line in format_card(entry.card) if not line.startswith(("name:", "title:")))
    return lines
