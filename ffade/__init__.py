"""ffade: find where vision and language models fail, then fade those failures."""

from __future__ import annotations

__version__ = "0.1.0"
