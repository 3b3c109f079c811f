"""Tests of the HTML reports (enhancer_sk.report) and ``enhancer-sk compare --html``."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from enhancer_sk.cli import main
from enhancer_sk.evaluation.comparison import compare_models
from enhancer_sk.evaluation.plots import new_figure
from enhancer_sk.evaluation.report import HtmlReport, comparison_report

_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _figure():
    fig = new_figure(2, 2)
    fig.add_subplot().plot([0, 1], [0, 1])
    return fig


def test_blocks_are_escaped_and_images_embedded(tmp_path):
    png = tmp_path / "a.png"
    _figure().savefig(png, format="png")
    report = (HtmlReport("Scores <&>")
              .heading("Results & more", level=3)
              .paragraph("a < b")
              .preformatted("x\ty")
              .table([{"model": "<kmer>", "AUC": 0.912345, "n": 5}, {"model": "gc", "AUC": float("nan")}],
                     caption="table 1")
              .figure(png, "from a file")
              .figure(png.read_bytes())
              .figure(_figure(), "from a Figure"))
    text = report.to_html()
    assert "<title>Scores &lt;&amp;&gt;</title>" in text and "<h3>Results &amp; more</h3>" in text
    assert "<p>a &lt; b</p>" in text and "<td>&lt;kmer&gt;</td>" in text
    assert "<td>0.9123</td>" in text and "<td>NA</td>" in text and "<caption>table 1</caption>" in text
    images = _PNG.findall(text)
    assert len(images) == 3
    assert base64.b64decode(images[0]) == png.read_bytes()
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")
    path = report.write(tmp_path / "r.html")
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "r.html"]  # no temporary file left


def test_only_png_is_embedded(tmp_path):
    with pytest.raises(ValueError, match="only PNG"):
        HtmlReport("x").figure(b"GIF89a...")


def test_comparison_report_tables():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=60) > 0).astype(int)
    result = compare_models({"logreg": LogisticRegression(), "dummy": DummyClassifier()}, X, y, cv=3)
    text = comparison_report(result, title="T", description="D", figures={"curves": _figure()}).to_html()
    assert "<h2>Mean &#177; standard deviation over 3 folds</h2>" in text and text.isascii()
    mean = np.mean(result.fold_scores["logreg"]["AUC"])
    assert f"{mean:.3f} &#177; " in text
    # header + rows of the summary, intervals, paired differences, calibration, folds and Wilcoxon tables
    rows = (1 + 2) + (1 + 2 * 4) + (1 + 4) + (1 + 2) + (1 + 6) + (1 + 6)
    assert "Pairwise Wilcoxon" in text and text.count("<tr>") == rows
    single = comparison_report(compare_models({"logreg": LogisticRegression()}, X, y, cv=3)).to_html()
    assert "Wilcoxon" not in single


def test_compare_html(tmp_path, capsys):
    report = tmp_path / "report.html"
    assert main(["compare", "--synthetic", "--n-samples", "60", "--models", "gc,kmer", "--folds", "2",
                 "--threads", "1", "-o", str(tmp_path / "out"), "--html", str(report)]) == 0
    text = report.read_text()
    # curves, fold scores and the reliability diagram
    assert len(_PNG.findall(text)) == 3 and "Comparison of 2 models, 2-fold cross-validation" in text
    assert "Reliability diagram" in text
    assert "wrote" in capsys.readouterr().err
