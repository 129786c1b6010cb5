"""Priorities given to the neutral state alone, said where they come from a file.

A slice whose one state is the neutral state holds inputs that fail unchanged (a classifier's
clean mistakes): a fine-tune on it trains on those inputs unchanged, which no concept change
explains (:data:`~ffade.summarize.start_failures.UNCHANGED_SLICE`). ``ffade report`` says
there is nothing to rank and interactive feedback notes it beside its question; a priorities
file (``ffade feedback --from``, ``ffade loop``'s stage 2) gave it priority high in silence,
so the loop went on to fine-tune on unchanged inputs. These functions find such answers in
saved feedback, from the run's summary.json alone (no log read again), and say them; a
fine-tune (``ffade fit``) says them too, before it trains on them as the feedback asks.
"""

from __future__ import annotations

from pathlib import Path

from ffade.feedback.priorities import Feedback, RegionFeedback
from ffade.records import read_summary
from ffade.summarize.grid import read_grid
from ffade.summarize.start_failures import UNCHANGED_SLICE


def unchanged_answers(feedback: Feedback, run_dir: str | Path) -> list[RegionFeedback]:
    """The answers of ``feedback`` with a priority other than skip whose one state is the
    neutral state of ``run_dir``'s grid (as :meth:`~ffade.summarize.regions.Region.unchanged`
    decides it for the report and for interactive feedback)."""
    grid = read_grid(read_summary(Path(run_dir)), str(run_dir))
    neutral_by_label = dict(zip(grid.labels, grid.neutral, strict=True))
    neutral = [int(neutral_by_label[label]) for label in feedback.concepts]
    return [
        entry
        for entry in feedback.prioritized
        if len(entry.states) == 1 and [int(i) for i in entry.states[0]] == neutral
    ]


def unchanged_note(entry: RegionFeedback, slices: str) -> str:
    """The note for one such answer: where it came from, what it prioritized, and why that
    fixes nothing (``slices``: ``rules`` or ``regions``, what the answer is about)."""
    return "ffade: note: " + unchanged_text(entry, slices, entry.source)


def unchanged_text(entry: RegionFeedback, slices: str, where: str) -> str:
    """What :func:`unchanged_note` says, the answer said to come from ``where`` (a fine-tune
    names the feedback.yaml it reads, whose answer's ``source`` may be a file of another time)."""
    return (
        f"{where} gives {slices[:-1]} {entry.id} priority {entry.priority}, but it is "
        f"{UNCHANGED_SLICE}"
    )
