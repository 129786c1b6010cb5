"""A finished fit's closing rule from its memo, which is its log line for line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ffade.summarize.landscape as landscape_module
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.run import discover
from ffade.memo_counts import logged_state_counts
from ffade.run_endings import run_ending
from ffade.summarize.landscape import load_landscape
from tests.helpers import ffade_in_process, search_stopped_at_step, synthetic_spec, write_config


def test_fit_ends_with_the_logs_top_rule_without_reading_the_log_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a 200,000-evaluation run spent 7-15 s reading back the log it had just written
    reads = []
    read = landscape_module.logged_table
    monkeypatch.setattr(landscape_module, "logged_table", lambda *a: reads.append(a) or read(*a))
    config = write_config(tmp_path / "c.yaml", budget=300)
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert reads == []  # the ending counted from the memo
    run = tmp_path / "runs" / "test" / "version_0"
    from_log = run_ending(run)  # the same lines, read from the files
    assert len(reads) == 1
    assert done.stdout.splitlines()[-4:] == from_log.splitlines()
    assert from_log.splitlines()[2].startswith("top failure rule: axis")


@pytest.mark.parametrize("explorer", [DQNExplorer, RandomExplorer])
def test_the_memos_counts_are_the_logs(tmp_path: Path, explorer: type) -> None:
    done = discover(explorer(task=synthetic_spec(), budget=250, num_envs=16), tmp_path)
    counted = logged_state_counts(done)
    assert counted is not None
    landscape = load_landscape(done.recorder.run_dir)  # read from the log
    assert np.array_equal(counted[0], landscape.visited)
    assert np.array_equal(counted[1], landscape.visited_evaluations)
    assert np.array_equal(counted[2], landscape.visited_failures)
    assert landscape.failures.sum() > 0 and counted[1].sum() == 250


def test_a_resumed_run_reads_its_log(tmp_path: Path) -> None:
    """Its log holds lines an earlier process wrote: the memo is not trusted for them."""

    spec = synthetic_spec()
    first = search_stopped_at_step(tmp_path, spec)
    assert logged_state_counts(first) is not None
    again = discover(
        RandomExplorer(task=spec, budget=100, num_envs=10),
        tmp_path,
        checkpoints=True,
        ckpt_path=first.recorder.run_dir,
    )
    assert again.evaluator.evaluations == 100
    assert logged_state_counts(again) is None


def test_a_log_changed_after_the_run_or_an_invalid_evaluation_is_read(tmp_path: Path) -> None:
    done = discover(RandomExplorer(task=synthetic_spec(), budget=40, num_envs=10), tmp_path)
    assert logged_state_counts(done) is not None
    done.evaluator.invalid = 1  # the memo does not say which evaluation was invalid
    assert logged_state_counts(done) is None
    done.evaluator.invalid = 0
    with open(done.recorder.run_dir / "evaluations.jsonl", "a") as log:
        log.write("\n")
    assert logged_state_counts(done) is None
    assert logged_state_counts(object()) is None  # no explorer: a fine-tune's model


def test_a_grid_past_any_whole_grid_array_is_counted_on_its_visited_states(
    tmp_path: Path,
) -> None:
    """bart.yaml's 2.44e10 states: counting the memo over the grid asked numpy for 182 GiB and
    `ffade fit` ended in a traceback; then nothing was counted and the ending said no rule could
    be read. The memo's visited states are counted, as many as it holds, and name the top rule."""
    explorer = RandomExplorer(task=synthetic_spec(num_concepts=8), budget=32, num_envs=16)
    discover(explorer, tmp_path)
    assert explorer.space.num_states > landscape_module.MAX_DENSE_STATES
    visited, evaluations, _ = logged_state_counts(explorer)
    assert visited.size == evaluations.size <= 32 and evaluations.sum() == 32
    ending = run_ending(explorer.recorder.run_dir, (visited, evaluations, _))
    assert ending == run_ending(explorer.recorder.run_dir)  # the log's own counts
    assert "no failure rules" not in ending and "next: ffade report " in ending
