"""Feedback: a person says which failure regions matter, interactively or from a file.

``ffade feedback RUN_DIR`` (:mod:`.command`) asks about each region (:mod:`.review`) with
example pictures (:mod:`.pictures`), or applies a priorities file (:mod:`.from_file`), and keeps
the answers in ``RUN_DIR/feedback.yaml`` (:mod:`.priorities`), which fine-tuners read.
"""

from __future__ import annotations

from ffade.feedback.priorities import (
    FEEDBACK_FILE,
    PRIORITIES,
    PRIORITY_WEIGHTS,
    Feedback,
    RegionFeedback,
    read_feedback,
    region_states,
)

__all__ = [
    "FEEDBACK_FILE",
    "PRIORITIES",
    "PRIORITY_WEIGHTS",
    "Feedback",
    "RegionFeedback",
    "read_feedback",
    "region_states",
]
