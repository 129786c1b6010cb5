"""Does the remaining-failure interval hold the truth? Against the grid's ground truth, over seeds.

    python benchmarks/coverage.py --task synthetic --seeds 20
    python benchmarks/coverage.py --task digits --seeds 10

The exhaustive grid explorer evaluates every (input, state) pair once: the failing pairs it finds
are the ground truth. Then, per seed, an explorer (the DQN by default) searches with a budget of
10% of the pairs and its run's summary.json gives ``estimated_remaining_failures`` with a 95%
interval (ffade.explore.coverage). The truth it should hold is the number of failing pairs that
are not in that run's evaluations log. The script prints each seed's interval and truth and the
hit rate: the share of seeds whose interval holds the truth. The goal is at least 80%: a floor
below the interval's nominal 95% that a few seeds missing by chance do not break.
Its runs live in a temporary folder it deletes: Ctrl-C or SIGTERM ends it with one line saying
nothing was kept, exit 130.
"""

from __future__ import annotations

# first, before torch and Lightning load: a Ctrl-C from here on is one line, exit 130
from one_line_errors import ArgumentParser, positive_int  # beside this script

# isort: split
# before torch: ffade's import takes back, as the process ends, the empty
# $TMPDIR/torchinductor_<user> folder torch's import makes (ffade/inductor_cache.py)
import ffade  # noqa: F401

# isort: split
import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from temporary_runs import temporary_runs  # benchmarks/temporary_runs.py, beside this script

from ffade.explore import DQNExplorer, GridExplorer, RandomExplorer
from ffade.explore.coverage import probe_count
from ffade.explore.run import discover

EXPLORERS = {"dqn": DQNExplorer, "random": RandomExplorer}
DIGITS_CONCEPTS = [
    {"name": "rotation", "args": {"values": [-20, -15, -10, -5, 0, 5, 10, 15, 20]}},
    {"name": "brightness", "args": {"values": [0.7, 0.8, 0.9, 1.0]}},
    {"name": "contrast", "args": {"values": [0.8, 0.9, 1.0, 1.1, 1.2]}},
    {"name": "gaussian_blur", "args": {"values": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]}},
]
TASKS: dict[str, dict[str, Any]] = {
    "synthetic": {
        "target": {"name": "synthetic"},
        "dataset": {"name": "synthetic", "args": {"num_inputs": 16}},
        "reward": {"name": "margin"},
        "concepts": [{"name": "axis", "args": {"index": i}} for i in range(3)],
    },
    "digits": {  # the quickstart's grid on 32 held-apart digits (34,560 pairs)
        "target": {"name": "digits_cnn"},
        "dataset": {"name": "digits", "args": {"seed": 0}},
        "reward": {"name": "misclassification"},
        "concepts": DIGITS_CONCEPTS,
        "max_inputs": 32,
    },
}
BUDGET_SHARE = 0.1
"""Each searched run gets this share of all pairs, as benchmarks/discovery.py does."""
COVERAGE_PROBES = 0.05
"""The probes drawn, as a share of the budget: ffade's default. Each line says how many of them
the run left unevaluated (summary.json's ``probes``, what the estimate rests on) and how many
were drawn (docs/gate.md's table)."""


def failing_pairs(run_dir: Path) -> set[tuple[int, tuple[int, ...]]]:
    """The (input, state) pairs a run's log records as failing."""
    found = set()
    with open(run_dir / "evaluations.jsonl", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["failed"]:
                found.add((record["input_id"], tuple(record["state"])))
    return found


def run(explorer: type, task: dict[str, Any], budget: int, seed: int, out: Path, **kwargs) -> Path:
    done = discover(explorer(task=task, budget=budget, **kwargs), out, seed=seed, name="run")
    return Path(done.recorder.run_dir)


def main() -> None:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--task", choices=sorted(TASKS), default="synthetic", help="default synthetic"
    )
    parser.add_argument(
        "--explorer", choices=sorted(EXPLORERS), default="dqn", help="the searcher, default dqn"
    )
    parser.add_argument(  # at least 1: before the ground truth's minutes, not a ZeroDivisionError
        "--seeds", type=positive_int, default=10, help="searched runs, default 10"
    )
    args = parser.parse_args()
    task = dict(TASKS[args.task], mode="macroscopic")
    with temporary_runs(parser), tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.monotonic()
        grid_dir = run(GridExplorer, task, 10**9, 0, out, coverage_probes=0.0, num_envs=256)
        summary = json.loads((grid_dir / "summary.json").read_text())
        total_pairs = summary["num_inputs"] * summary["num_states"]
        truth = failing_pairs(grid_dir)
        budget = round(BUDGET_SHARE * total_pairs)
        seconds = time.monotonic() - started
        print(
            f"{args.task}: {total_pairs} pairs, {len(truth)} failing "
            f"({len(truth) / total_pairs:.1%}); ground truth in {seconds:.0f} s; "
            f"{args.explorer} budget {budget}"
        )
        hits = 0
        drawn = probe_count(COVERAGE_PROBES, budget)  # docs/gate.md's "probes per run"
        for seed in range(args.seeds):
            run_dir = run(
                EXPLORERS[args.explorer], task, budget, seed, out, coverage_probes=COVERAGE_PROBES
            )
            estimate = json.loads((run_dir / "summary.json").read_text())[
                "estimated_remaining_failures"
            ]
            remaining = len(truth - failing_pairs(run_dir))
            hit = estimate["low"] <= remaining <= estimate["high"]
            hits += hit
            low, high = estimate["low"], estimate["high"]
            print(
                f"  seed {seed}: true remaining {remaining:6d}, "
                f"estimate {estimate['estimate']:8.1f} [{low:.1f}, {high:.1f}] from "
                f"{estimate['probe_failures']} failing of {estimate['probes']} unevaluated "
                f"probes ({drawn} drawn): "
                f"{'hit' if hit else 'MISS'}"
            )
        print(f"interval hit rate: {hits}/{args.seeds} = {hits / args.seeds:.0%} (goal >= 80%)")


if __name__ == "__main__":
    main()
