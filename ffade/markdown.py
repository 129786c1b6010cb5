"""Text put into Markdown (report.md, a feedback slice's examples, TensorBoard's text tab) so
that it shows as typed."""

from __future__ import annotations

import re


def markdown_text(text: str) -> str:
    """``text`` as Markdown shows it, character for character: a concept label or value such as
    ``a|b``, ``*x*``, ``<b>y</b>``, ``[z](w)`` or ``$5 ... $9`` broke a table, turned italic or
    bold, made a link or (on GitHub) math. Underscores inside a word (``gaussian_blur``) and
    ``<`` or ``&`` that start no tag or entity (``rotation <= 5``) stay as they are, so the file
    reads as before."""
    text = re.sub(r"\s*[\r\n]\s*", " ", text)  # a table row, a quote or a caption is one line
    text = re.sub(r"[\\`*|\[\]~$]", lambda found: "\\" + found.group(), text)
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
