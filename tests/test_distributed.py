"""Data-parallel evaluation (ffade.distributed): ranks share the batches and agree on the rest.

Ranks here are threads that gather through a barrier, so the sharing is checked in a second with
no process group; tests/explore/test_ddp.py runs the real thing, ``ffade fit`` on two processes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ffade.distributed import Ranks, keys_digest, state_digest
from ffade.env import Evaluator
from ffade.errors import FfadeError
from ffade.records import EVALUATIONS_FILE, RunRecorder
from ffade.task import build_task
from tests.helpers import synthetic_spec


class Exchange:
    """An all-gather between threads: each puts its object, all wait, all read every slot."""

    def __init__(self, world_size: int) -> None:
        self.barrier = threading.Barrier(world_size, timeout=30)
        self.slots: list[Any] = [None] * world_size

    def gather(self, rank: int, obj: Any) -> list[Any]:
        self.slots[rank] = obj
        self.barrier.wait()
        gathered = list(self.slots)
        self.barrier.wait()  # nobody overwrites a slot before everyone has read it
        return gathered


@dataclass(frozen=True)
class ThreadRanks(Ranks):
    exchange: Exchange = field(default_factory=lambda: Exchange(1))

    def gather(self, obj: Any) -> list[Any]:
        return self.exchange.gather(self.rank, obj)


def counted_evaluator(ranks: Ranks, recorder: RunRecorder | None = None) -> Evaluator:
    """An evaluator of its own synthetic task whose target counts the rows of each batch."""
    evaluator = Evaluator(build_task(synthetic_spec()), 4, recorder=recorder, ranks=ranks)
    target, batches = evaluator.task.target, []
    predict = target.predict

    def counting(inputs: Any) -> Any:
        outputs = predict(inputs)
        batches.append(len(outputs))
        return outputs

    target.predict = counting
    evaluator.batches = batches  # type: ignore[attr-defined]
    return evaluator


def run_ranks(evaluators: list[Evaluator], requests: list[tuple[np.ndarray, np.ndarray]]) -> list:
    """Each evaluator evaluates its request in a thread of its own; results (or errors) by rank."""
    results: list[Any] = [None] * len(evaluators)

    def work(rank: int) -> None:
        try:
            results[rank] = evaluators[rank].evaluate(*requests[rank], step=1)
        except Exception as error:  # handed back to the test
            results[rank] = error

    threads = [threading.Thread(target=work, args=(r,)) for r in range(len(evaluators))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def pairs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    evaluator = Evaluator(build_task(synthetic_spec()))
    return rng.integers(0, evaluator.num_inputs, n), evaluator.space.sample(rng, n)


def test_ranks_share_the_batches_and_record_what_one_process_records(tmp_path: Path) -> None:
    ids, states = pairs(10)
    alone = counted_evaluator(Ranks(), RunRecorder(tmp_path / "alone"))
    expected = alone.evaluate(ids, states, step=1)
    exchange = Exchange(2)
    ranks = [
        counted_evaluator(ThreadRanks(0, 2, exchange), RunRecorder(tmp_path / "rank0")),
        counted_evaluator(ThreadRanks(1, 2, exchange)),
    ]
    outcomes = run_ranks(ranks, [(ids, states)] * 2)
    # the batches one process runs (4, 4, 2 pairs), dealt round robin: 0 and 2 to rank 0
    assert alone.batches == [4, 4, 2]
    assert ranks[0].batches == [4, 2] and ranks[1].batches == [4]
    for evaluator, outcome in zip(ranks, outcomes, strict=True):
        for name in ("metric", "reward", "failed", "new_failure", "evaluated"):
            assert np.array_equal(getattr(outcome, name), getattr(expected, name)), name
        assert evaluator.memo == alone.memo
        assert (evaluator.evaluations, evaluator.failures) == (alone.evaluations, alone.failures)
    assert expected.failed.any() and not expected.failed.all()  # the comparison can fail
    alone.recorder.close()
    ranks[0].recorder.close()
    logged = (tmp_path / "rank0" / EVALUATIONS_FILE).read_text()
    assert logged == (tmp_path / "alone" / EVALUATIONS_FILE).read_text()
    assert ranks[1].recorder is None  # rank 1 writes nothing


def test_ranks_that_choose_different_pairs_all_stop_with_one_error() -> None:
    exchange = Exchange(2)
    ranks = [counted_evaluator(ThreadRanks(r, 2, exchange)) for r in range(2)]
    outcomes = run_ranks(ranks, [pairs(6, seed=0), pairs(6, seed=1)])
    for outcome in outcomes:
        assert isinstance(outcome, FfadeError)
        assert "data-parallel ranks [1] chose different pairs at step 1" in str(outcome)
    assert ranks[0].batches == ranks[1].batches == []  # stopped before any target time


def test_one_process_gathers_only_itself_and_never_checks() -> None:
    assert Ranks().gather("x") == ["x"]
    Ranks().check_same("anything", "differs")  # nothing to compare with


def test_digests_see_every_bit_and_every_value() -> None:
    module = torch.nn.Linear(3, 2)
    before = state_digest(module, 1, {"a": 2})
    assert before == state_digest(module, 1, {"a": 2})
    assert before != state_digest(module, 1, {"a": 3})
    with torch.no_grad():
        module.weight[0, 0] = torch.nextafter(module.weight[0, 0], torch.tensor(2.0))
    assert before != state_digest(module, 1, {"a": 2})  # one ulp of one weight
    assert keys_digest(np.array([1, 2])) != keys_digest(np.array([2, 1]))


def test_a_rank_whose_state_differs_fails_every_rank() -> None:
    exchange = Exchange(2)
    errors: list[Exception] = []

    def check(rank: int) -> None:
        try:
            ThreadRanks(rank, 2, exchange).check_same(f"state {rank}", "ended in a different state")
        except FfadeError as error:
            errors.append(error)

    threads = [threading.Thread(target=check, args=(r,)) for r in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(errors) == 2
    assert "ranks [1] ended in a different state than rank 0" in str(errors[0])
