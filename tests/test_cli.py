"""The enhancer-sk command: version, demo, error handling."""

from __future__ import annotations

import subprocess
import sys

import pytest

from enhancer_sk import __version__
from enhancer_sk.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.slow  # ~8 s alone: the whole demo (training and cross-validating its models)
def test_demo_small(capsys):
    assert main(["demo", "--n-samples", "120", "--folds", "3", "--seed", "1", "--threads", "1"]) == 0
    out, err = capsys.readouterr()
    assert "| model" in out and "AUC" in out and "k-mer" in out
    assert "[demo]" in err


def test_version_imports_no_heavy_library():
    code = ("import sys\nfrom enhancer_sk.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in ('torch', 'sklearn', 'skorch', 'numpy') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.splitlines() == [f"enhancer-sk {__version__}", "[]"]


def test_console_script_module():
    res = subprocess.run([sys.executable, "-m", "enhancer_sk", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and __version__ in res.stdout


def test_missing_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2


def test_public_names():
    import enhancer_sk

    for name in enhancer_sk.__all__:
        assert getattr(enhancer_sk, name) is not None, name
    from enhancer_sk import (  # noqa: F401
        DeepEnhancerCNN,
        EnhancerLSTMAttClassifier,
        GkmSVM,
        KmerSVM,
        TwoLayerEnhancerClassifier,
        compare_models,
        extract_motifs,
        load_ienhancer2l,
        make_synthetic_enhancers,
        read_fasta,
    )


def test_lazy_names_listed():
    import enhancer_sk

    assert set(enhancer_sk.__all__) - {"__version__"} <= set(dir(enhancer_sk))
