"""Same seed, same run: seeded discoveries must reproduce their recorded evaluations exactly.

Each case runs a short seeded discovery through the public path (:func:`ffade.explore.run.discover`,
and once the CLI as a user types it) and compares what the run directory holds — every
evaluation's step, input, state, failed flag and metric, and the summary's counts — with a golden
file recorded from the code before a refactor. A refactor that changes which states are evaluated,
in what order, or how they are judged fails here, with the first line that differs.

The DQN explorer is left out on purpose: its learning is tuned over time and its goldens would go
stale with every improvement. The baselines' behaviour is a contract.

After an *intentional* change of behaviour, regenerate the goldens and commit them with the change:

    python -m tests.explore.test_reproducible --regenerate
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ffade.explore import EpsilonGreedyExplorer, GridExplorer, RandomExplorer
from ffade.explore.base import Explorer
from ffade.explore.run import discover
from tests.helpers import REPO, ffade

GOLDEN = Path(__file__).parent / "golden"
METRIC_DECIMALS = 5
"""Metrics are stored rounded; compared within a few units of the last kept decimal."""
METRIC_TOLERANCE = 5 * 10**-METRIC_DECIMALS

EXPLORERS: dict[str, type[Explorer]] = {
    "random": RandomExplorer,
    "epsilon_greedy": EpsilonGreedyExplorer,
    "grid": GridExplorer,
}
TASKS = {"synthetic": "synthetic.yaml", "digits": "quickstart.yaml"}
"""Each task is its config's ``model.init_args.task``, exactly as a user runs it."""
RUN_ARGS = {"synthetic": {"budget": 200, "num_envs": 16}, "digits": {"budget": 256, "num_envs": 32}}
GRID_BUDGET = {"synthetic": 1000, "digits": 256}
"""The grid walks input 0's states first: all of them on the synthetic task, so the planted boxes
show (its digit 0 passes the whole quickstart grid, so more would only grow the golden file)."""
CASES = [
    (task, explorer, mode)
    for task in TASKS
    for explorer, mode in [
        ("random", "macroscopic"),
        ("epsilon_greedy", "macroscopic"),
        ("grid", "macroscopic"),
        ("random", "microscopic"),
    ]
]
SEED = 0
SUMMARY_KEYS = (
    "explorer",
    "status",
    "mode",
    "seed",
    "budget",
    "evaluations",
    "failures",
    "distinct_failure_states",
    "failing_concept_states",
    "failure_rate",
    "gradient_updates",
    "iterations",
    "num_inputs",
    "num_states",
    "neutral_state",
    "start_state",
    "smallest_failing_changes",
)


def case_name(task: str, explorer: str, mode: str) -> str:
    return f"{task}_{explorer}_{mode}"


def task_spec(task: str, mode: str) -> dict[str, Any]:
    config = yaml.safe_load((REPO / "configs" / TASKS[task]).read_text())
    return {**config["model"]["init_args"]["task"], "mode": mode}


def run_case(task: str, explorer: str, mode: str, save_dir: Path) -> Path:
    """One seeded discovery through :func:`discover`; returns its run directory."""
    args = dict(RUN_ARGS[task])
    if explorer == "grid":
        args["budget"] = GRID_BUDGET[task]
    explorer_class = EXPLORERS[explorer]
    run = discover(explorer_class(task=task_spec(task, mode), **args), save_dir, seed=SEED)
    return Path(run.recorder.run_dir)


def fingerprint(run_dir: Path) -> dict[str, Any]:
    """What a run must reproduce: its evaluations in order, its summary's counts, its policy."""
    evaluations = []
    with open(run_dir / "evaluations.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            evaluations.append(
                [
                    record["step"],
                    record["input_id"],
                    record["state"],
                    record["failed"],
                    _rounded(record["metric"]),
                ]
            )
    summary = json.loads((run_dir / "summary.json").read_text())
    kept = {key: summary[key] for key in SUMMARY_KEYS if key in summary}
    kept["failure_rate"] = _rounded(kept["failure_rate"])
    kept["concepts"] = {c["label"]: c["values"] for c in summary["concepts"]}
    policy = run_dir / "policy.npy"
    if policy.is_file():
        probs = np.load(policy)
        kept["policy"] = {"argmax": int(probs.argmax()), "max": _rounded(float(probs.max()))}
    return {"summary": kept, "evaluations": evaluations}


def _rounded(value: float) -> float | str:
    return round(value, METRIC_DECIMALS) if math.isfinite(value) else str(value)


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.jsonl"


def save_golden(name: str, found: dict[str, Any]) -> None:
    """Line 1: the summary; then one ``[step, input_id, state, failed, metric]`` per line."""
    lines = [json.dumps(found["summary"], sort_keys=True)]
    lines += [json.dumps(e, separators=(",", ":")) for e in found["evaluations"]]
    golden_path(name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_golden(name: str) -> dict[str, Any]:
    path = golden_path(name)
    if not path.is_file():
        pytest.fail(f"{path} is missing: python -m tests.explore.test_reproducible --regenerate")
    summary, *evaluations = path.read_text(encoding="utf-8").splitlines()
    return {"summary": json.loads(summary), "evaluations": [json.loads(e) for e in evaluations]}


def assert_same_run(found: dict[str, Any], golden: dict[str, Any]) -> None:
    """Equal evaluations line by line (metrics within tolerance), then equal summaries."""
    for number, (got, want) in enumerate(
        zip(found["evaluations"], golden["evaluations"], strict=False), start=1
    ):
        same_metric = (
            got[4] == want[4]
            if isinstance(want[4], str) or isinstance(got[4], str)
            else abs(got[4] - want[4]) <= METRIC_TOLERANCE
        )
        assert got[:4] == want[:4] and same_metric, (
            f"evaluation {number} differs: got [step, input_id, state, failed, metric] {got}, "
            f"golden {want}"
        )
    assert len(found["evaluations"]) == len(golden["evaluations"])
    summary, expected = dict(found["summary"]), dict(golden["summary"])
    rate, expected_rate = summary.pop("failure_rate"), expected.pop("failure_rate")
    assert abs(rate - expected_rate) <= METRIC_TOLERANCE, (rate, expected_rate)
    assert summary == expected


@pytest.mark.parametrize(("task", "explorer", "mode"), CASES, ids=[case_name(*c) for c in CASES])
def test_a_seeded_discovery_reproduces_its_golden_run(
    task: str, explorer: str, mode: str, tmp_path: Path
) -> None:
    golden = load_golden(case_name(task, explorer, mode))
    found = fingerprint(run_case(task, explorer, mode, tmp_path))
    assert found["evaluations"], "the run recorded nothing"
    assert_same_run(found, golden)


@pytest.mark.slow
def test_the_cli_as_typed_reproduces_the_same_run(tmp_path: Path) -> None:
    """``ffade fit`` with the quickstart config, the explorer swapped: the discover() golden."""
    args = RUN_ARGS["digits"]
    result = ffade(
        "fit",
        "--config",
        str(REPO / "configs" / TASKS["digits"]),
        "--model",
        "ffade.explore.RandomExplorer",
        "--model.init_args.budget",
        str(args["budget"]),
        "--model.init_args.num_envs",
        str(args["num_envs"]),
        "--trainer.logger.init_args.save_dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "quickstart").iterdir()
    found = fingerprint(run_dir)
    assert_same_run(found, load_golden(case_name("digits", "random", "macroscopic")))


def regenerate() -> None:
    """Rewrite every golden file from the current code (only for an intentional change)."""
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for case in CASES:
            name = case_name(*case)
            save_golden(name, fingerprint(run_case(*case, Path(scratch) / name)))
            print(f"wrote {golden_path(name).relative_to(REPO)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="rewrite the golden files")
    if parser.parse_args().regenerate:
        regenerate()
    else:
        parser.print_help()
