"""A run's log as columns: what the commands that read a log whole keep of each evaluation.

``ffade report``, ``ffade feedback`` and ``ffade export`` hold a log for the whole command (so
its parts count the same evaluations, :func:`ffade.evaluation_log.one_read_per_log`). Held as
records, an evaluation took about 700 bytes (a dataclass, its state list, its concepts dict):
a report of a 10^6-evaluation run peaked near 1 GB, and one compared with a 400,000-evaluation
run at 1.4 GB. The commands need of each evaluation only its line, input, state, reward and
verdict, kept here in arrays: 8 bytes a number, 66 bytes an evaluation of five concepts.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ffade.record_lines import EvaluationRecord

_LOW, _HIGH = -(2**63), 2**63 - 1


@dataclass
class LogTable:
    """One row per record of a log, in the log's order.

    Attributes:
        lines: each record's line number in the file (from 1; skipped lines leave gaps).
        input_ids: each record's ``input_id``.
        states: each record's ``state``, one row of grid indices (n, k), k the first state's
            length.
        rewards: each record's ``reward`` (NaN where the log wrote null).
        failed: each record's ``failed``.
        invalid: each record's ``invalid``.
        odd: rows whose ``input_id`` or ``state`` no int64 row holds (a hand-edited index past
            int64, a state of another length than the first): their ``(input_id, state)`` as
            read; their columns read -1, off any grid and input range.
    """

    lines: np.ndarray
    input_ids: np.ndarray
    states: np.ndarray
    rewards: np.ndarray
    failed: np.ndarray
    invalid: np.ndarray
    odd: dict[int, tuple[int, list[int]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.lines.size)

    def input_id(self, row: int) -> int:
        """A row's ``input_id`` as the log wrote it."""
        return self.odd[row][0] if row in self.odd else int(self.input_ids[row])

    def state(self, row: int) -> list[int]:
        """A row's ``state`` as the log wrote it."""
        return self.odd[row][1] if row in self.odd else self.states[row].tolist()


def log_table(records: Iterable[tuple[int, EvaluationRecord]]) -> LogTable:
    """The table of ``records`` (line number, record), read as they stream: no record is kept."""
    lines, inputs, states = array("q"), array("q"), array("q")
    rewards, failed, invalid = array("d"), bytearray(), bytearray()
    odd: dict[int, tuple[int, list[int]]] = {}
    width = None
    for row, (line, record) in enumerate(records):
        state, input_id = record.state, record.input_id
        width = len(state) if width is None else width
        lines.append(line)
        rewards.append(record.reward)
        failed.append(record.failed)
        invalid.append(record.invalid)
        try:  # an index past int64 (hand-edited) raises before anything is added
            if len(state) != width:
                raise OverflowError
            row_state = array("q", state)
            inputs.append(input_id)
        except OverflowError:
            odd[row] = (input_id, list(state))
            inputs.append(-1)
            row_state = array("q", [-1] * width)
        states.extend(row_state)
    return LogTable(
        lines=np.frombuffer(lines, np.int64),
        input_ids=np.frombuffer(inputs, np.int64),
        states=np.frombuffer(states, np.int64).reshape(len(lines), width or 0),
        rewards=np.frombuffer(rewards, np.float64),
        failed=np.frombuffer(failed, np.bool_),
        invalid=np.frombuffer(invalid, np.bool_),
        odd=odd,
    )
