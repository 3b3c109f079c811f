"""Self-contained HTML reports: tables and figures in one file (PNG embedded as base64).

:class:`HtmlReport` collects headings, paragraphs, tables and figures and
writes one HTML file with no external resources (no scripts, no links, no
style sheet), so it opens anywhere.  The file is pure ASCII (other characters,
such as the ``±`` of the tables, as character references like ``&#177;``), so
it reads the same whatever character set a server declares, and it uses only
elements and attributes that HTML sanitisers keep (Galaxy's bleach allow-list:
tables with ``border`` / ``cellpadding``, headings, paragraphs, ``pre``,
``figure`` and ``img``; figures are PNG data URIs).  The tables come before the
figures, so the text stays readable when a server shows the file as plain text.

Galaxy (``sanitize_all_html: true``, the default) serves the HTML datasets of a
tool that is not in its ``sanitize_allowlist`` as ``text/plain``: the report is
then shown as source text until an administrator allow-lists the tool; it is
never partly stripped (``galaxy/datatypes/data.py``, ``_yield_user_file_content``).
:func:`comparison_report` builds the report of a cross-validation
(:class:`~enhancer_sk.evaluation.comparison.ModelComparison`) used by
``enhancer-sk cv --html`` and ``enhancer-sk compare --html``.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..io.tables import format_cell

__all__ = ["HtmlReport", "comparison_report"]

#: Attributes of every table (no style sheet: they survive HTML sanitisers).
_TABLE = '<table border="1" cellpadding="4" cellspacing="0">'


class HtmlReport:
    """An HTML document built block by block.

    Parameters
    ----------
    title : str
        Title of the page (also its first heading).

    Examples
    --------
    >>> report = HtmlReport("Cross-validation")
    >>> report.paragraph("5 folds").table([{"model": "kmer", "AUC": 0.91234}])  # doctest: +ELLIPSIS
    <enhancer_sk.evaluation.report.HtmlReport object at ...>
    >>> "<td>0.9123</td>" in report.to_html()
    True
    """

    def __init__(self, title: str):
        self.title = title
        self._blocks: list[str] = []

    def heading(self, text: str, level: int = 2) -> HtmlReport:
        """Add a heading (``<h2>`` by default)."""
        level = min(max(int(level), 1), 6)
        self._blocks.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str) -> HtmlReport:
        """Add a paragraph of plain text (escaped)."""
        self._blocks.append(f"<p>{html.escape(text)}</p>")
        return self

    def preformatted(self, text: str) -> HtmlReport:
        """Add text in a fixed-width block (escaped)."""
        self._blocks.append(f"<pre>{html.escape(text)}</pre>")
        return self

    def table(self, rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None, *,
              caption: str | None = None, digits: int = 4) -> HtmlReport:
        """Add a table of records (floats with ``digits`` significant digits, NaN as ``NA``)."""
        if columns is None:
            columns = list(dict.fromkeys(c for r in rows for c in r))
        parts = [_TABLE]
        if caption:
            parts.append(f"<caption>{html.escape(caption)}</caption>")
        parts.append("<tbody><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in columns) + "</tr>")
        for r in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(format_cell(r.get(c, ''), digits))}</td>"
                                          for c in columns) + "</tr>")
        parts.append("</tbody></table>")
        self._blocks.append("\n".join(parts))
        return self

    def figure(self, image, caption: str | None = None, *, alt: str | None = None) -> HtmlReport:
        """Add a PNG image embedded as base64.

        Parameters
        ----------
        image : path of a PNG file, PNG bytes, or a matplotlib Figure
        caption : str, optional
        alt : str, optional
            Alternative text (default: the caption).
        """
        if isinstance(image, (bytes, bytearray)):
            data = bytes(image)
        elif isinstance(image, (str, os.PathLike)):
            data = Path(image).read_bytes()
        else:  # a matplotlib Figure
            buf = io.BytesIO()
            image.savefig(buf, format="png", dpi=110, bbox_inches="tight")
            data = buf.getvalue()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("figure: only PNG images can be embedded")
        encoded = base64.b64encode(data).decode("ascii")
        alt_text = html.escape(alt or caption or "figure", quote=True)
        block = (f'<figure>\n<img alt="{alt_text}" style="max-width:100%" '
                 f'src="data:image/png;base64,{encoded}">')
        if caption:
            block += f"\n<p><em>{html.escape(caption)}</em></p>"
        self._blocks.append(block + "\n</figure>")
        return self

    def to_html(self) -> str:
        """The whole document as a string of ASCII characters (others as character references)."""
        title = html.escape(self.title)
        body = "\n".join(self._blocks)
        text = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
                f"</head>\n<body>\n<h1>{title}</h1>\n{body}\n</body>\n</html>\n")
        return text.encode("ascii", "xmlcharrefreplace").decode("ascii")

    def write(self, path: str | os.PathLike) -> Path:
        """Write the document to ``path`` atomically (temporary file, then rename); returns the path."""
        from ..io.files import atomic_write_text

        atomic_write_text(path, self.to_html())
        return Path(path)


def comparison_report(result, *, title: str = "Cross-validation", description: str | None = None,
                      figures: Mapping[str, object] | None = None, reliability: bool = True) -> HtmlReport:
    """The report of a cross-validation: mean ± std, per-fold scores, tests and figures.

    Parameters
    ----------
    result : ModelComparison
        From :func:`enhancer_sk.evaluation.comparison.compare_models` (one model or many).
    title : str
    description : str, optional
        A paragraph under the title (data, models, folds).
    figures : mapping of caption -> PNG path, PNG bytes or matplotlib Figure, optional
        Figures to embed, in order.
    reliability : bool, default=True
        Add the reliability diagram of the models that give probabilities
        (:func:`~enhancer_sk.evaluation.plots.reliability_diagram`) after ``figures``.

    Returns
    -------
    HtmlReport
    """
    report = HtmlReport(title)
    if description:
        report.paragraph(description)
    summary = []
    for name, values in result.summary().items():
        row = {"model": name}
        row.update({m: f"{mean:.3f} ± {std:.3f}" for m, (mean, std) in values.items() if m != "fit_time"})
        row["fit time (s)"] = f"{values['fit_time'][0]:.2f}"
        summary.append(row)
    report.heading(f"Mean ± standard deviation over {result.n_splits} folds").table(summary)
    intervals, differences = result.bootstrap()
    report.heading("95% bootstrap intervals of the pooled out-of-fold scores")
    report.paragraph(f"{len(result.y_true)} sequences, each scored by the model of the fold that did not train on "
                     "it, resampled 1,000 times within each class; MCC and Acc call a sequence positive above "
                     "0.5 (probabilities) or 0 (decision values).")
    report.table([{"model": r["model"], "metric": r["metric"], "score": f"{r['score']:.3f}",
                   "95% interval": f"{r['low']:.3f} to {r['high']:.3f}"} for r in intervals])
    if differences:
        report.heading("Paired bootstrap of the differences between models")
        report.paragraph("The same resamples for every model; a difference is resolvable when its 95% interval "
                         "excludes 0, else this many sequences cannot tell the two models apart.")
        report.table([{"model_a": r["model_a"], "model_b": r["model_b"], "metric": r["metric"],
                       "difference": f"{r['difference']:+.3f}",
                       "95% interval": f"{r['low']:+.3f} to {r['high']:+.3f}",
                       "resolvable": "yes" if r["resolvable"] else "no"} for r in differences])
    calibration = result.calibration_table()
    if calibration:
        report.heading("Calibration of the pooled out-of-fold probabilities")
        report.paragraph("Expected calibration error (ECE, 10 equal-width bins: the mean gap between predicted "
                         "probability and observed frequency, weighted by the sequences per bin) and Brier score "
                         "(mean squared error of the probabilities); lower is better for both.  A model with "
                         "a calibrated variant (e.g. 'kmer+sigmoid') shows before and after.")
        report.table([{"model": r["model"], "ECE": f"{r['ECE']:.3f}", "Brier": f"{r['Brier']:.4f}"}
                      for r in calibration])
    report.heading("Scores of each fold").table(result.fold_table())
    if len(result.models) > 1:
        report.heading("Pairwise Wilcoxon signed-rank tests on the paired folds")
        report.paragraph(f"With {result.n_splits} folds the smallest two-sided p-value is "
                         f"{2 / 2 ** result.n_splits:.3g} (column p_min); folds share training data, so "
                         "p-values are optimistic.")
        report.table(result.wilcoxon_table())
    figures = dict(figures or {})
    if calibration and reliability:
        from .plots import reliability_diagram

        figures["Reliability diagram of the pooled out-of-fold probabilities"] = reliability_diagram(
            result.y_true, {name: result.oof_scores[name] for name in result.probability_models()},
            pos_label=result.pos_label)
    if figures:
        report.heading("Figures")
    for caption, path in figures.items():  # last: long base64 lines
        report.figure(path, caption)
    return report
