"""The explorers' shared run: what a run that ends early leaves in its directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.explore import DQNExplorer, RandomExplorer, base
from ffade.explore.base import searched_task
from ffade.explore.run import discover
from ffade.summarize.report import main as report_main
from tests.helpers import synthetic_spec, write_config


def test_a_run_that_fails_while_building_its_task_still_leaves_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """only_passing_inputs runs the target in setup, before anything is logged: a crash there
    used to leave config.yaml and TensorBoard's file but no summary.json for tools to read."""
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=40)
    data = yaml.safe_load(config.read_text())
    task = data["model"]["init_args"]["task"]
    task["target"] = {"name": "callable", "args": {"predict": "tests.api.callables:crashes"}}
    task["only_passing_inputs"] = True
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(RuntimeError, match="planted crash"):
        main(["fit", "--config", str(config)])
    run = tmp_path / "runs" / "test" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["explorer"] == "random"
    assert summary["evaluations"] == 0 and summary["concepts"] == []
    assert summary["task"]["target"]["name"] == "callable" and summary["environment"]["device"]
    assert list(run.glob("events.out.tfevents.*"))  # beside TensorBoard's file, as any run's
    capsys.readouterr()
    assert report_main([str(run)]) == 2  # one line that says why there is nothing to report
    error = capsys.readouterr().err
    assert "(status 'failed') had not started its search" in error and "Traceback" not in error
    assert main(["fit", "--config", str(config), "--ckpt_path", str(run)]) == 2
    assert "stopped before it evaluated anything; there is nothing to resume" in (
        capsys.readouterr().err
    )


def test_the_summary_exists_while_the_task_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed while it loads its model or data (minutes, for a large one) still leaves a
    summary.json that says how far it got, and a report on it is one line."""
    seen: list[dict] = []

    def building(*args, **kwargs):
        run = tmp_path / "runs" / "test" / "version_0"
        seen.append(json.loads((run / "summary.json").read_text()))
        return searched_task(*args, **kwargs)

    monkeypatch.setattr(base, "searched_task", building)
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=40)
    assert main(["fit", "--config", str(config)]) == 0
    assert seen[0]["status"] == "created" and seen[0]["evaluations"] == 0
    assert seen[0]["concepts"] == [] and seen[0]["environment"]["device"].startswith("cpu")
    summary = json.loads((tmp_path / "runs" / "test" / "version_0" / "summary.json").read_text())
    assert summary["status"] == "finished" and len(summary["concepts"]) == 3


def smallest_in_log(run_dir: Path, start: list[int]) -> dict[int, int]:
    """Per input, the fewest grid steps from ``start`` to a failing state in the run's log."""
    best: dict[int, int] = {}
    for line in (run_dir / "evaluations.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["failed"]:
            steps = sum(abs(a - b) for a, b in zip(record["state"], start, strict=True))
            best[record["input_id"]] = min(steps, best.get(record["input_id"], steps))
    return best


@pytest.mark.parametrize(
    ("cls", "budget"), [(RandomExplorer, 300), (DQNExplorer, 100)], ids=["random", "dqn"]
)
def test_smallest_failing_changes_are_the_fewest_steps_in_the_log(
    tmp_path: Path, cls, budget: int
) -> None:
    """From a start state that fails for every input, an episode that stops at once evaluates
    the start state: that failure is in the log, and summary.json reported a longer change
    (1 step) for each input found so, and too few failing concept states. The DQN's budget is
    smaller (its steps cost gradient updates): 100 states give the same 8 inputs at 0 steps
    that 300 do."""
    explorer = cls(
        task=synthetic_spec(mode="microscopic"),
        budget=budget,
        num_envs=16,
        start_state={"axis0": 0.444},  # the planted region axis0 >= 0.333, axis2 <= 0.111
    )
    discover(explorer, tmp_path, name=cls.name)
    run_dir = explorer.recorder.run_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    log = smallest_in_log(run_dir, summary["start_state"])
    reported = {c["input_id"]: c["steps"] for c in summary["smallest_failing_changes"]}
    assert reported == log
    assert 0 in reported.values()
    # fewest steps first, ties by input id (README): they went by when each input first failed
    order = [(c["steps"], c["input_id"]) for c in summary["smallest_failing_changes"]]
    assert order == sorted(order) and len(set(reported.values())) < len(order)
    failing = {
        tuple(r["state"])
        for r in map(json.loads, (run_dir / "evaluations.jsonl").read_text().splitlines())
        if r["failed"]
    }
    assert summary["failing_concept_states"] == len(failing)


def test_a_quoted_number_in_start_state_is_the_number_as_in_a_grid(tmp_path: Path, capsys) -> None:
    """jsonargparse reads every value again as YAML, so ``"0.444"`` arrives as 0.444 before the
    explorer sees it, as a grid's ``values`` do (README, docs/plugins.md): the run starts there and
    ``hyperparameters.start_state`` records the number; a quoted word is still off the grid."""
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=20)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["mode"] = "microscopic"
    config.write_text(yaml.safe_dump(data))
    option = "--model.init_args.start_state"
    assert main(["fit", "--config", str(config), option, '{axis0: "0.444"}']) == 0
    summary = json.loads((tmp_path / "runs/test/version_0/summary.json").read_text())
    assert summary["hyperparameters"]["start_state"] == {"axis0": 0.444}
    assert summary["start_state"][0] == summary["concepts"][0]["values"].index(0.444)
    capsys.readouterr()
    assert main(["fit", "--config", str(config), option, '{axis0: "abc"}']) == 2
    assert "concept 'axis0': value 'abc' is not on its grid" in capsys.readouterr().err


@pytest.mark.parametrize("explorer", ["RandomExplorer", "DQNExplorer"])
def test_smallest_failing_changes_name_what_changed_and_count_grid_steps(
    tmp_path: Path, explorer: str
) -> None:
    """Each entry's ``changed`` lists only the concepts that differ from ``start_state``, each
    with its start value and its failing value, and ``steps`` is the grid steps between them
    summed over the concepts (README), counted here from the values' places in each grid."""
    config = write_config(tmp_path / "c.yaml", f"ffade.explore.{explorer}", budget=300)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["mode"] = "microscopic"
    config.write_text(yaml.safe_dump(data))
    start_arg = "{axis2: 0.111, axis1: 1.0}"  # axis1 at the top edge of its grid
    assert main(["fit", "--config", str(config), "--model.init_args.start_state", start_arg]) == 0
    run = tmp_path / "runs" / "test" / "version_0"
    summary = json.loads((run / "summary.json").read_text())
    grids = {c["label"]: c["values"] for c in summary["concepts"]}
    start = {"axis0": 0.0, "axis1": 1.0, "axis2": 0.111}  # axis0 not named: its neutral value
    assert summary["start_state"] == [grids[k].index(v) for k, v in start.items()]
    failing = {
        (r["input_id"], tuple(r["state"]))
        for r in map(json.loads, (run / "evaluations.jsonl").read_text().splitlines())
        if r["failed"]
    }
    entries = summary["smallest_failing_changes"]
    assert entries and any(e["steps"] > 2 for e in entries)  # the planted box: axis0 >= 0.333
    for entry in entries:
        values = entry["concepts"]
        assert set(values) == set(grids)  # the whole failing state
        state = tuple(grids[k].index(values[k]) for k in grids)
        assert (entry["input_id"], state) in failing
        assert entry["changed"] == {
            k: {"from": start[k], "to": values[k]} for k in grids if values[k] != start[k]
        }
        assert entry["steps"] == sum(
            abs(grids[k].index(c["to"]) - grids[k].index(c["from"]))
            for k, c in entry["changed"].items()
        )
        assert entry["steps"] <= summary["hyperparameters"]["max_steps"]


def test_a_task_dict_without_mode_is_macroscopic(tmp_path: Path) -> None:
    """From Python, a task without ``mode`` takes the task's default, as a config does (it was
    a KeyError: 'mode')."""
    spec = synthetic_spec()
    del spec["mode"]
    explorer = discover(RandomExplorer(task=spec, budget=20, num_envs=4), tmp_path)
    assert explorer.mode == "macroscopic"
    assert explorer.evaluator.evaluations == 20


PRESSED_WHILE_DRAWN = """
from ffade_synthetic.target import SyntheticTarget


class Drawn(SyntheticTarget):
    calls = 0

    def render(self, inputs):
        Drawn.calls += 1  # the first is the first batch's try of the hook
        if Drawn.calls > 1:
            raise KeyboardInterrupt  # Ctrl-C as the finished search draws its worst failures
        return None
"""


def test_ctrl_c_while_a_finished_search_draws_its_examples_keeps_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search's results are whole once it ends: a Ctrl-C while its worst examples are drawn
    cuts only them (it made the run 'interrupted', exit 1, beside a complete log; before that,
    'failed'). In this process (the target raises the KeyboardInterrupt itself)."""
    from tests.helpers import ffade_in_process, fit_with_own_target

    command, _ = fit_with_own_target(tmp_path, PRESSED_WHILE_DRAWN, "drawn:Drawn")
    monkeypatch.syspath_prepend(str(tmp_path))  # where the command's PYTHONPATH finds drawn.py
    done = ffade_in_process(*command[3:], cwd=tmp_path)
    run = tmp_path / "runs" / "test" / "version_0"
    said = [line for line in done.stderr.splitlines() if line.startswith("ffade:")]
    assert done.returncode == 0 and len(said) == 1, done.stderr[-2000:]
    assert said[0].startswith("ffade: stopped after the run had ended;")
    assert "(summary.json: status finished)" in said[0]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 64


@pytest.mark.slow
def test_an_explorer_with_max_epochs_minus_1_ends_when_its_budget_is_spent(
    tmp_path: Path,
) -> None:
    """``--trainer.max_epochs -1`` (Lightning's "no end"): the budget spent ended the epoch, but
    empty epochs followed each other at full CPU and the run never ended (status running)."""
    import subprocess

    from tests.helpers import ffade

    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=40)
    try:
        result = ffade("fit", "--config", str(config), "--trainer.max_epochs", "-1", timeout=150)
    except subprocess.TimeoutExpired:
        pytest.fail("the run did not end once its budget was spent")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "test" / "version_0" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 40
    assert summary["stop_reason"] == "budget spent"


@pytest.mark.parametrize("cls", [RandomExplorer, DQNExplorer], ids=["random", "dqn"])
def test_every_microscopic_explorer_evaluates_an_inputs_start_state_first(
    tmp_path: Path, cls
) -> None:
    """The start state was evaluated only by a stop there, which a DQN seldom takes at once: an
    input that failed unchanged was listed a step or more out (digits, budget 1,500: input 21 at
    1 step, where random search had it at 0). Now each input's first episode stops at once, so
    its first record is the start state and every input that fails unchanged is listed at 0."""
    explorer = cls(
        task=synthetic_spec(mode="microscopic"),
        budget=60,
        num_envs=16,
        start_state={"axis0": 0.444},  # the planted region axis0 >= 0.333, axis2 <= 0.111
    )
    discover(explorer, tmp_path, name=cls.name)
    run_dir = explorer.recorder.run_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    start = summary["start_state"]
    first: dict[int, dict] = {}
    for line in (run_dir / "evaluations.jsonl").read_text().splitlines():
        record = json.loads(line)
        first.setdefault(record["input_id"], record)
    assert len(first) == 8  # every discovery input had an episode
    assert all(record["state"] == start for record in first.values())
    failing_unchanged = {i for i, record in first.items() if record["failed"]}
    reported = {c["input_id"]: c["steps"] for c in summary["smallest_failing_changes"]}
    assert failing_unchanged and {i: reported[i] for i in failing_unchanged} == dict.fromkeys(
        failing_unchanged, 0
    )
