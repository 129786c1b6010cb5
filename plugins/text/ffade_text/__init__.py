"""ffade-text: text-edit concepts, seq2seq summarizer targets, summary datasets and rewards.

Everything here is found by ffade through the entry points in this distribution's setup.cfg;
importing this package registers nothing by itself.
"""

from __future__ import annotations

__version__ = "0.1.0"
