"""The run directory: an append-only evaluations log and summary.json beside TensorBoard's files.

Every evaluation is written and flushed as soon as its batch is scored, so a crash, Ctrl-C or kill
loses nothing already computed. ``summary.json`` exists from the first step (``status: running``)
and is rewritten as the run goes, so tools can read a run that is still going or that died.

Layout of a run directory::

    config.yaml          the resolved config (LightningCLI writes it)
    evaluations.jsonl    one JSON object per target evaluation (see EvaluationRecord)
    summary.json         counts and settings, machine-readable
    policy.npy           the explorer's action probabilities over the flat grid (macroscopic)
    checkpoints/         Lightning checkpoints (last.ckpt resumes a killed run)
    events.out.tfevents.*  TensorBoard scalars and images
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ffade.errors import FfadeError

EVALUATIONS_FILE = "evaluations.jsonl"
SUMMARY_FILE = "summary.json"
POLICY_FILE = "policy.npy"


@dataclass
class EvaluationRecord:
    """One evaluation of the target on one input changed by one concept state."""

    step: int
    input_id: int
    state: list[int]
    concepts: dict[str, Any]
    metric: float
    reward: float
    failed: bool


class RunRecorder:
    """Appends evaluation records and keeps summary.json current in one run directory."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.run_dir / EVALUATIONS_FILE, "a", encoding="utf-8")  # noqa: SIM115

    def append(self, records: Iterable[EvaluationRecord]) -> None:
        """Write records and flush them to the OS, so a killed process keeps them."""
        for record in records:  # vars(), not asdict(): asdict deep-copies every field
            self._log.write(json.dumps(vars(record)) + "\n")
        self._log.flush()
        os.fsync(self._log.fileno())

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Replace summary.json atomically (write then rename): never a half-written file."""
        write_json_atomic(self.run_dir / SUMMARY_FILE, summary)

    def close(self) -> None:
        if not self._log.closed:
            self._log.close()


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def read_evaluations(run_dir: str | Path) -> Iterator[EvaluationRecord]:
    """Yield a run's evaluation records; a final line cut short by a kill is skipped."""
    path = Path(run_dir) / EVALUATIONS_FILE
    if not path.is_file():
        raise FfadeError(f"{path} not found: is '{run_dir}' an ffade run directory?")
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                yield EvaluationRecord(**json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / SUMMARY_FILE
    if not path.is_file():
        raise FfadeError(f"{path} not found: is '{run_dir}' an ffade run directory?")
    return json.loads(path.read_text(encoding="utf-8"))
