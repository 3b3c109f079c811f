"""The HTML reports as Galaxy serves them: pure ASCII, no NumPy reprs, and unchanged by Galaxy's HTML sanitiser."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from enhancer_sk.evaluation.comparison import compare_models
from enhancer_sk.evaluation.plots import new_figure
from enhancer_sk.evaluation.report import HtmlReport, comparison_report

#: the Python of the Galaxy the tool tests start (galaxy_tools/run_tests.sh), when it was installed
_GALAXY_PYTHON = Path(__file__).resolve().parents[1] / ".gx-ci" / "gx" / "bin" / "python"


@pytest.fixture(scope="module")
def report_text() -> str:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=60) > 0).astype(np.int64)
    result = compare_models({"logreg": LogisticRegression()}, X, y, cv=3)
    fig = new_figure(2, 2)
    fig.add_subplot().plot([0, 1], [0, 1])
    return comparison_report(result, title="Cross-validation", description=f"positive class {result.pos_label}",
                             figures={"curves": fig}).to_html()


def test_report_is_ascii_without_numpy_reprs(report_text):
    assert report_text.isascii()
    assert "np." not in report_text and "int64" not in report_text
    assert "&#177;" in report_text and '<meta charset="utf-8">' in report_text
    assert "<script" not in report_text and "<style" not in report_text
    # tables first, figures (long base64 lines) last
    assert report_text.index("Scores of each fold") < report_text.index("data:image/png")


def test_non_ascii_text_becomes_character_references():
    text = HtmlReport("Über ± µ").paragraph("5′ → 3′").to_html()
    assert text.isascii() and "&#220;ber &#177; &#181;" in text and "5&#8242; &#8594; 3&#8242;" in text


@pytest.mark.skipif(not _GALAXY_PYTHON.exists(), reason="Galaxy is not installed (.gx-ci/gx)")
def test_galaxy_sanitiser_keeps_the_report(report_text, tmp_path):
    """Galaxy's bleach allow-list (galaxy.util.sanitize_html) keeps the body; PNG data URIs need allow_data_urls."""
    page = tmp_path / "r.html"
    page.write_text(report_text, encoding="ascii")
    code = ("import sys\nfrom galaxy.util.sanitize_html import sanitize_html\n"
            "text = open(sys.argv[1]).read()\n"
            "sys.stdout.write(sanitize_html(text, allow_data_urls=sys.argv[2] == '1'))\n")
    runs = {flag: subprocess.run([str(_GALAXY_PYTHON), "-c", code, str(page), flag], capture_output=True,
                                 text=True, timeout=120) for flag in ("0", "1")}
    if any(r.returncode for r in runs.values()):
        pytest.skip(f"cannot run Galaxy's sanitiser: {runs['1'].stderr[-300:]}")
    body = report_text[report_text.index("<h1>"):report_text.index("</body>")]
    # the one inline style (images no wider than the page) is dropped, everything else kept as it is
    body = body.replace(' style="max-width:100%"', "")
    with_data = runs["1"].stdout
    assert body in with_data
    without_data = runs["0"].stdout
    assert "data:image/png" not in without_data  # plain sanitising drops the images' data URIs ...
    assert body[:body.index("<figure>")] in without_data  # ... and keeps the tables
