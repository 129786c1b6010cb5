"""A run killed before its first checkpoint resumes from its evaluations log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lightning.pytorch import Callback

from ffade.errors import FfadeError
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.run import discover
from tests.helpers import REPO, synthetic_spec


class Crash(Callback):
    def on_train_batch_end(self, trainer, explorer, *args) -> None:
        if explorer.iterations == 5:
            raise RuntimeError("killed")


def records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "evaluations.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomExplorer(task=synthetic_spec(), budget=120, num_envs=8),
        lambda: DQNExplorer(task=synthetic_spec(), budget=120, num_envs=8, learning_starts=16),
    ],
    ids=["random", "dqn"],
)
def test_replayed_log_is_neither_lost_nor_paid_twice(tmp_path: Path, make) -> None:
    with pytest.raises(RuntimeError, match="killed"):
        discover(make(), tmp_path, name="killed", callbacks=[Crash()])
    killed = tmp_path / "killed" / "version_0"
    before = records(killed)
    assert len(before) == 40 and not (killed / "checkpoints").exists()
    resumed = discover(make(), tmp_path, name="resumed", ckpt_path=killed)
    after = records(resumed.recorder.run_dir)
    assert after[:40] == before  # the old log first, as it was
    assert len(after) == 120 == resumed.evaluator.evaluations
    assert len({(r["input_id"], tuple(r["state"])) for r in after}) == 120  # nothing twice
    assert min(r["step"] for r in after[40:]) > max(r["step"] for r in before)  # step goes on
    summary = json.loads((resumed.recorder.run_dir / "summary.json").read_text())
    assert summary["status"] == "finished"
    assert summary["failures"] == sum(r["failed"] for r in after)


def test_a_finished_or_foreign_run_is_not_replayed(tmp_path: Path) -> None:
    done = discover(RandomExplorer(task=synthetic_spec(), budget=16, num_envs=8), tmp_path)
    with pytest.raises(FfadeError, match="already finished"):
        discover(
            RandomExplorer(task=synthetic_spec(), budget=16, num_envs=8),
            tmp_path,
            ckpt_path=done.recorder.run_dir,
        )
    (done.recorder.run_dir / "summary.json").write_text(
        (done.recorder.run_dir / "summary.json").read_text().replace('"finished"', '"failed"')
    )
    with pytest.raises(FfadeError, match="budget"):
        discover(
            RandomExplorer(task=synthetic_spec(), budget=32, num_envs=8),
            tmp_path,
            ckpt_path=done.recorder.run_dir,
        )
    with pytest.raises(FfadeError, match="random explorer"):
        discover(
            DQNExplorer(task=synthetic_spec(), budget=16, learning_starts=8),
            tmp_path,
            ckpt_path=done.recorder.run_dir,
        )


def test_a_replayed_microscopic_run_keeps_the_smallest_failing_changes_of_its_log(
    tmp_path: Path,
) -> None:
    """Replayed from its log, a microscopic run lists the failures the killed part found among
    its smallest failing changes (it used to rebuild the failing states alone)."""

    def make() -> RandomExplorer:
        return RandomExplorer(
            task=synthetic_spec(mode="microscopic"),
            budget=120,
            num_envs=8,
            start_state={"axis0": 0.444},  # fails for most inputs: found in the first steps
        )

    with pytest.raises(RuntimeError, match="killed"):
        discover(make(), tmp_path, name="killed", callbacks=[Crash()])
    killed = tmp_path / "killed" / "version_0"
    failed_before = {r["input_id"] for r in records(killed) if r["failed"]}
    assert failed_before
    resumed = discover(make(), tmp_path, name="resumed", ckpt_path=killed)
    summary = json.loads((resumed.recorder.run_dir / "summary.json").read_text())
    start = summary["start_state"]
    best: dict[int, int] = {}
    for r in records(resumed.recorder.run_dir):
        if r["failed"]:
            steps = sum(abs(a - b) for a, b in zip(r["state"], start, strict=True))
            best[r["input_id"]] = min(steps, best.get(r["input_id"], steps))
    reported = {c["input_id"]: c["steps"] for c in summary["smallest_failing_changes"]}
    assert reported == best
    assert failed_before <= set(reported)


def test_a_replayed_random_run_redraws_its_replayed_steps_as_the_readme_says(
    tmp_path: Path,
) -> None:
    """README, Resuming a run: killed after step 5 and replayed, the random explorer's stream
    starts again from the seed, so steps 6 to 10 draw the replayed pairs again (free, unlogged),
    step 11 makes step 6's evaluations, and ``iterations`` ends 5 higher; the same evaluations,
    in the same order. The README said only that the random streams start afresh."""
    whole = discover(RandomExplorer(task=synthetic_spec(), budget=120, num_envs=8), tmp_path)
    with pytest.raises(RuntimeError, match="killed"):
        discover(
            RandomExplorer(task=synthetic_spec(), budget=120, num_envs=8),
            tmp_path,
            name="killed",
            callbacks=[Crash()],
        )
    resumed = discover(
        RandomExplorer(task=synthetic_spec(), budget=120, num_envs=8),
        tmp_path,
        name="resumed",
        ckpt_path=tmp_path / "killed" / "version_0",
    )
    before, after = records(whole.recorder.run_dir), records(resumed.recorder.run_dir)
    pairs = [(r["input_id"], r["state"]) for r in before]
    assert [(r["input_id"], r["state"]) for r in after] == pairs
    steps = sorted({r["step"] for r in after})
    assert steps[:6] == [1, 2, 3, 4, 5, 11]  # 6 to 10: the replayed pairs drawn again
    assert [r["step"] + 5 for r in before if r["step"] > 5] == [
        r["step"] for r in after if r["step"] > 5
    ]
    assert resumed.iterations == whole.iterations + 5
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert (
        "killed after step 5: steps 6 to 10 evaluate nothing, flat in TensorBoard and counted by "
        "`max_idle_steps`, step 11 makes step 6's evaluations, and `iterations` ends 5 higher"
    ) in readme
