"""task.only_passing_inputs: search only the inputs the target gets right with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ffade.errors import FfadeError
from ffade.explore import GridExplorer
from ffade.explore.run import discover
from ffade.records import EVALUATIONS_FILE as LOG
from ffade.records import read_summary
from ffade.task import build_task
from tests.helpers import synthetic_spec


def spec_with(regions: list[dict[int, list[float]]], **task: Any) -> dict[str, Any]:
    """The synthetic task on 2 concepts with these planted boxes; 16 discovery inputs."""
    spec = synthetic_spec(num_concepts=2, num_inputs=32)
    spec["target"] = {"name": "synthetic", "args": {"regions": regions}}
    return {**spec, **task}


# the first box stops 0.06 short of the unchanged position, and fragile inputs' boxes grow by up
# to 0.12: they fail unchanged, the sturdy ones do not; the second box fails any input
REGIONS = [{0: [-1.0, -0.06]}, {0: [0.8, 1.0], 1: [0.8, 1.0]}]


def failing_unchanged(explorer: GridExplorer) -> set[int]:
    neutral = int(explorer.space.flat(explorer.space.neutral))
    num_states = explorer.space.num_states
    return {
        key // num_states
        for key, (_, _, failed) in explorer.evaluator.memo.items()
        if failed and key % num_states == neutral
    }


def test_only_the_inputs_that_pass_unchanged_are_searched(tmp_path: Path) -> None:
    sweep = GridExplorer(task=spec_with(REGIONS), budget=10**6, num_envs=256)
    everything = discover(sweep, tmp_path, name="all")
    dropped = failing_unchanged(everything)
    assert 0 < len(dropped) < 16

    sweep = GridExplorer(task=spec_with(REGIONS, only_passing_inputs=True), budget=10**6)
    kept = discover(sweep, tmp_path, name="kept")
    summary = read_summary(Path(kept.recorder.run_dir))
    assert summary["inputs_failing_unchanged"] == len(dropped)
    assert summary["num_inputs"] == 16 - len(dropped)
    assert summary["task"]["input_ids"] == sorted(set(range(16)) - dropped)
    assert not failing_unchanged(kept)  # no failure the concepts did not cause
    assert kept.evaluator.failures > 0  # the second box still fails every input kept
    # reports, feedback pictures and the gate rebuild the very inputs searched
    rebuilt = build_task(summary["task"])
    original = everything.task.inputs
    expected = [original[i][0]["features"] for i in summary["task"]["input_ids"]]
    assert np.array_equal(
        np.stack([x["features"].numpy() for x, _ in rebuilt.inputs]), np.stack(expected)
    )
    # the log's input_id is the position among the inputs searched (README, run directory):
    # task.input_ids[input_id] is the split index, the one the unfiltered sweep logged
    logs = {
        name: [
            json.loads(line) for line in (Path(run.recorder.run_dir) / LOG).read_text().splitlines()
        ]
        for name, run in (("all", everything), ("kept", kept))
    }
    ids = summary["task"]["input_ids"]
    assert max(r["input_id"] for r in logs["kept"]) == len(ids) - 1 < max(ids)
    swept = {(r["input_id"], tuple(r["state"])): r["failed"] for r in logs["all"]}
    for r in logs["kept"]:
        assert r["failed"] == swept[ids[r["input_id"]], tuple(r["state"])]


def test_a_target_that_fails_every_unchanged_input_is_one_line(tmp_path: Path) -> None:
    explorer = GridExplorer(task=spec_with([{0: [-1.0, 2.0]}], only_passing_inputs=True))
    with pytest.raises(FfadeError, match="fails all 16 inputs of split 'discovery'"):
        discover(explorer, tmp_path)


def test_input_ids_off_the_split_are_one_line() -> None:
    with pytest.raises(FfadeError, match=r"task.input_ids: 16 is not an input of split"):
        build_task(spec_with(REGIONS, input_ids=[0, 16]))


def test_input_ids_off_the_inputs_max_inputs_keeps_name_max_inputs() -> None:
    """The quickstart keeps 64 of the digits split's 719 inputs: the error said the split "has
    64", which the split does not; the ids index the inputs max_inputs keeps."""
    with pytest.raises(
        FfadeError,
        match=r"16 is not an input of split 'discovery', which has 8 after task.max_inputs 8 ",
    ):
        build_task(spec_with(REGIONS, max_inputs=8, input_ids=[0, 16]))


@pytest.mark.parametrize(
    "ids, message",
    [
        ([1, 1, 1], "task.input_ids: 1 is listed more than once; list each input once"),
        ([3, 2, 5, 2], "task.input_ids: 2 is listed more than once; list each input once"),
        ([], "task.input_ids is empty; list the inputs to search, or give null for all"),
    ],
)
def test_input_ids_repeated_or_empty_are_one_line(ids: list[int], message: str) -> None:
    """A repeat searched one input as several and counted its failures as distinct; an empty
    list was 'dataset has no inputs', blaming the dataset."""
    with pytest.raises(FfadeError) as caught:
        build_task(spec_with(REGIONS, input_ids=ids))
    assert str(caught.value) == message
    assert len(build_task(spec_with(REGIONS, input_ids=[3, 2, 5])).inputs) == 3


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"concepts": []}, "model.init_args.task.concepts must list at least one concept"),
        ({"split": "nope"}, "model.init_args.task.split: 'nope' is not allowed; choose one of"),
        (
            {"reward": {"name": "margin", "args": {"scale": -1}}},
            "model.init_args.task.reward.args.scale must be a number above 0, got -1 (reward "
            "'margin')",
        ),
    ],
)
def test_a_searched_tasks_checks_name_the_configs_key(change: dict, said: str) -> None:
    """The task an explorer searches is its config's ``model.init_args.task``: its checks said
    ``task.concepts must list ...`` even from ``ffade fit``, a key no config spells. A task dict
    built from Python keeps ``task.``, the dict's own key."""
    from ffade.passing import searched_task

    spec = {**synthetic_spec(), **change}
    with pytest.raises(FfadeError) as error:
        searched_task(spec, 16)
    assert str(error.value).startswith(said)
    with pytest.raises(FfadeError) as error:
        build_task({**synthetic_spec(), **change})
    assert str(error.value).startswith(said.replace("model.init_args.", ""))


def test_ranks_share_the_unchanged_check_and_keep_one_process_s_inputs() -> None:
    """Under data parallelism every rank ran the whole unchanged check before the search (N
    ranks did one process's work N times); the ranks now deal its batches round robin and
    gather every verdict in order, so each keeps one process's inputs, in one process's order."""
    import threading

    from ffade.passing import keep_passing_inputs, passing_ids
    from tests.test_distributed import Exchange, ThreadRanks

    def counted_task() -> tuple[Any, list[int]]:
        """The task with fragile inputs failing unchanged, its target's batches counted."""
        task, calls = build_task(spec_with(REGIONS)), []
        predict = task.target.predict
        task.target.predict = lambda inputs: calls.append(1) or predict(inputs)
        return task, calls

    task, alone_calls = counted_task()
    alone = passing_ids(task, 3)
    assert 0 < len(alone) < len(task.inputs) and len(alone_calls) >= 6  # some fail unchanged
    exchange, kept, counts = Exchange(2), [None, None], []

    def rank(r: int) -> None:
        task, calls = counted_task()
        counts.append(calls)
        kept[r] = keep_passing_inputs(task, 3, ThreadRanks(r, 2, exchange))

    threads = [threading.Thread(target=rank, args=(r,)) for r in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for searched, failing in kept:
        assert searched.spec.input_ids == alone.tolist()
        assert failing == len(task.inputs) - len(alone)
    assert sorted(len(calls) for calls in counts) == [
        len(alone_calls) // 2,
        (len(alone_calls) + 1) // 2,
    ]
