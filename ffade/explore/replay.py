"""Resuming an explorer: the log of a checkpointed run, or a replay of one without a checkpoint.

The log holds every evaluation the run paid for. Replayed, it rebuilds the memo, the budget
spent, the failures found and the new run's log, so a resumed run never evaluates (or pays for)
a pair twice. What only a checkpoint holds (a learner's network and replay buffer, the random
streams) starts afresh: a replayed run is complete, not identical to an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ffade.checkpoint import checkpoint_run_dir
from ffade.errors import FfadeError
from ffade.explore.stopping import RecentFailures
from ffade.record_lines import EvaluationRecord, record_line
from ffade.records import EVALUATIONS_FILE, RunRecorder, read_evaluations, write_text_atomic
from ffade.shell_words import option_path, shell_path


def replay_log(explorer: Any, run_dir: Path) -> None:
    """Load ``run_dir``'s evaluations into a set-up explorer, up to its budget, and log them."""
    evaluator, space = explorer.evaluator, explorer.space
    records: dict[int, EvaluationRecord] = {}
    for record in read_evaluations(run_dir):
        on_grid = len(record.state) == space.num_concepts and all(
            0 <= int(i) < n for i, n in zip(record.state, space.sizes, strict=True)
        )
        if not (on_grid and 0 <= record.input_id < evaluator.num_inputs):
            raise FfadeError(
                f"{option_path('--ckpt_path', run_dir)}: its log has input {record.input_id} at "
                f"state {record.state}, which this config's task does not have; is it this run?"
            )
        key = int(evaluator.keys(np.array([record.input_id]), np.array([record.state]))[0])
        records.setdefault(key, record)
    kept = dict(list(records.items())[: explorer.budget])
    evaluator.load_state_dict(
        {
            "memo": {
                k: (r.metric, 0.0 if r.invalid else r.reward, r.failed) for k, r in kept.items()
            },
            "evaluations": len(kept),
            "failures": sum(r.failed for r in kept.values()),
            "invalid": sum(r.invalid for r in kept.values()),
        }
    )
    failing = [r for r in kept.values() if r.failed]
    if failing:  # the failing states, and a microscopic run's smallest failing changes
        explorer._track_failures(
            np.array([r.input_id for r in failing]), np.array([r.state for r in failing])
        )
    explorer.iterations = explorer.env.global_step = max((r.step for r in kept.values()), default=0)
    explorer.recent_failures = RecentFailures.from_records(kept.values())  # stop_when's window
    recorder = explorer.recorder
    if recorder is None:  # rank 0 keeps the log (see ffade.distributed)
        return
    if (recorder.run_dir / EVALUATIONS_FILE).resolve() != (run_dir / EVALUATIONS_FILE).resolve():
        recorder.append(kept.values())
        return
    # resumed in its own directory (a logger version the config pins): the log is rewritten
    # with the kept evaluations, not appended to itself
    recorder.close()
    write_text_atomic(recorder.run_dir / EVALUATIONS_FILE, "".join(map(_line, kept.values())))
    explorer.recorder = explorer.evaluator.recorder = RunRecorder(recorder.run_dir)


def _line(record: EvaluationRecord) -> str:
    return record_line(record) + "\n"


def copy_checkpointed_log(explorer: Any) -> None:
    """Start a run resumed from a checkpoint with the evaluations that checkpoint counts, read
    from the run the checkpoint lies in now (a run moved after it stopped resumes too)."""
    if explorer.recorder is None:  # rank 0 keeps the log (see ffade.distributed)
        return
    saved = explorer._restored.get("run_dir")
    old_run_dir = checkpoint_run_dir(explorer.trainer.ckpt_path, saved)
    if old_run_dir is None:
        return
    old = old_run_dir / EVALUATIONS_FILE
    new = explorer.recorder.run_dir / EVALUATIONS_FILE
    if not old.is_file():  # the same file when resumed in its own directory: cut it back too
        return
    with open(old, encoding="utf-8") as lines:
        kept = [line for _, line in zip(range(explorer.evaluator.evaluations), lines, strict=False)]
    explorer.recorder.close()
    write_text_atomic(new, "".join(kept))
    explorer.recorder = explorer.evaluator.recorder = RunRecorder(explorer.recorder.run_dir)


def check_checkpointed_log(ckpt_path: Path, checkpoint: dict[str, Any]) -> None:
    """Refuse a resume whose run no longer holds the evaluations its checkpoint counts.

    :func:`copy_checkpointed_log` starts the resumed run with those lines; a log deleted or cut
    short left them out without a word, so the finished run's summary counted evaluations its
    log lacked (and its closing rule was read from the part it had).
    """
    state = checkpoint.get("ffade")
    evaluator = state.get("evaluator") if isinstance(state, dict) else None
    counted = evaluator.get("evaluations", 0) if isinstance(evaluator, dict) else 0
    run_dir = checkpoint_run_dir(ckpt_path, state.get("run_dir") if state else None)
    if not counted or run_dir is None:
        return
    log = run_dir / EVALUATIONS_FILE
    if log.is_file():
        with open(log, encoding="utf-8", errors="replace") as lines:
            found = sum(1 for _ in zip(range(counted), lines, strict=False))
        if found >= counted:
            return
        said = f"counts {counted} evaluations, but {shell_path(log)} holds {found}"
    else:
        said = f"counts {counted} evaluations, but {shell_path(log)} is missing"
    raise FfadeError(
        f"{option_path('--ckpt_path', ckpt_path)} {said}; a resume starts with them: put the run's "
        f"{EVALUATIONS_FILE} back, or drop --ckpt_path to run it again"
    )
