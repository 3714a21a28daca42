"""Evidence highlighting: a record's text with each finding's verbatim evidence wrapped in ``<mark>``.

The text is escaped piece by piece and only the ``<mark>`` tags are added, so a record containing ``<script>``
shows it as text. Evidence is a verbatim substring of the record (the analysis contract); one that is not found is
simply not highlighted, and overlapping evidence is highlighted once, by the earlier finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    index: int  # the finding's position in the result
    polarity: str


def evidence_spans(text: str, findings: Sequence[dict[str, Any]]) -> list[Span]:
    """Where each finding's evidence first occurs in ``text``, without overlaps, in text order."""
    spans: list[Span] = []
    for index, finding in enumerate(findings):
        evidence = str(finding.get("evidence") or "")
        start = text.find(evidence) if evidence else -1
        if start >= 0:
            spans.append(Span(start, start + len(evidence), index, str(finding.get("polarity", ""))))
    spans.sort(key=lambda span: (span.start, span.index))
    kept: list[Span] = []
    for span in spans:
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def highlight(text: str, findings: Sequence[dict[str, Any]]) -> Markup:
    """``text`` escaped, with ``<mark id="evidence-N" class="mark--strength|mark--challenge">`` around evidence."""
    pieces: list[str] = []
    position = 0
    for span in evidence_spans(text, findings):
        pieces.append(str(escape(text[position : span.start])))
        css = "mark--strength" if span.polarity == "strength" else "mark--challenge"
        pieces.append(f'<mark id="evidence-{span.index}" class="{css}">{escape(text[span.start : span.end])}</mark>')
        position = span.end
    pieces.append(str(escape(text[position:])))
    return Markup("".join(pieces))  # noqa: S704 (every piece of user text above is escaped)
