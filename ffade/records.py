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
import math
import os
from collections.abc import Iterable, Iterator, Sequence
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
    invalid: bool = False  # the metric or reward was NaN or inf: neither a pass nor a failure


class RunRecorder:
    """Appends evaluation records and keeps summary.json current in one run directory."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.run_dir / EVALUATIONS_FILE, "a", encoding="utf-8")  # noqa: SIM115

    def append(self, records: Iterable[EvaluationRecord]) -> None:
        """Write records and flush them to the OS, so a killed process keeps them."""
        # vars(), not asdict(): asdict deep-copies every field
        self.append_lines(json.dumps(vars(record)) for record in records)

    def append_lines(self, lines: Iterable[str]) -> None:
        """Write already encoded records (see :class:`EvaluationEncoder`), then flush and sync."""
        self._log.writelines(line + "\n" for line in lines)
        self._log.flush()
        os.fsync(self._log.fileno())

    def write_summary(self, summary: dict[str, Any]) -> None:
        """Replace summary.json atomically (write then rename): never a half-written file."""
        write_json_atomic(self.run_dir / SUMMARY_FILE, summary)

    def close(self) -> None:
        if not self._log.closed:
            self._log.close()


class EvaluationEncoder:
    """Encodes evaluations as the JSON lines :meth:`RunRecorder.append` would write, only faster.

    A batch of a thousand evaluations of a small model is scored in milliseconds, and building a
    record and a dict per evaluation for ``json.dumps`` cost as much again. Here each concept's
    ``"label": value`` text is encoded once per grid value, and a line is a join of ready text.

    Args:
        concepts: (label, grid values) per concept, in state order.
    """

    def __init__(self, concepts: Sequence[tuple[str, Sequence[Any]]]) -> None:
        self._fragments = [
            [f"{json.dumps(label)}: {json.dumps(value, default=_jsonable)}" for value in values]
            for label, values in concepts
        ]

    def lines(
        self,
        step: int,
        input_ids: Sequence[int],
        states: Sequence[Sequence[int]],
        metrics: Sequence[float],
        rewards: Sequence[float],
        failed: Sequence[bool],
        invalid: Sequence[bool] | None = None,
    ) -> Iterator[str]:
        """One line per evaluation; ``"invalid": true`` is added only where it holds."""
        fragments = self._fragments
        invalid = invalid if invalid is not None else [False] * len(failed)
        for input_id, state, metric, reward, fail, bad in zip(
            input_ids, states, metrics, rewards, failed, invalid, strict=True
        ):
            values = ", ".join(fragments[c][i] for c, i in enumerate(state))
            flag = ', "invalid": true' if bad else ""
            yield (
                f'{{"step": {int(step)}, "input_id": {int(input_id)}, '
                f'"state": [{", ".join(str(int(i)) for i in state)}], "concepts": {{{values}}}, '
                f'"metric": {_number(metric)}, "reward": {_number(reward)}, '
                f'"failed": {"true" if fail else "false"}{flag}}}'
            )


def _number(value: float) -> str:
    """A float as json.dumps writes it (repr, or NaN / Infinity / -Infinity)."""
    value = float(value)
    return repr(value) if math.isfinite(value) else json.dumps(value)


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
