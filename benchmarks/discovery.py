"""Does the DQN find more failures than random search for the same budget? Side by side.

    python benchmarks/discovery.py --task synthetic            # 3 seeds, budget = 10% of the grid
    python benchmarks/discovery.py --task synthetic --large    # DQN, 10^6-state grid: peak memory

The grid's ground truth comes from evaluating every (input, state) pair. Each explorer then gets a
budget of 10% of those evaluations (memoized repeats are free) and is scored on distinct failing
pairs found, oracle-normalized efficiency (found / min(budget, failing pairs): random search scores
about the base rate, a perfect searcher 1.0) and recall of failure regions (connected areas of the
grid where at least half the inputs fail).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from typing import Any

import numpy as np
from scipy import ndimage

from ffade.env import Evaluator
from ffade.explore import DQNExplorer, EpsilonGreedyExplorer, RandomExplorer
from ffade.explore.run import discover
from ffade.task import build_task

EXPLORERS = {"dqn": DQNExplorer, "random": RandomExplorer, "epsilon_greedy": EpsilonGreedyExplorer}


def synthetic_task(num_concepts: int = 3, num_inputs: int = 16) -> dict[str, Any]:
    return {
        "target": {"name": "synthetic"},
        "dataset": {
            "name": "synthetic",
            "args": {"num_inputs": num_inputs, "num_axes": max(num_concepts, 3)},
        },
        "reward": {"name": "margin"},
        "concepts": [{"name": "axis", "args": {"index": i}} for i in range(num_concepts)],
    }


TASKS = {"synthetic": synthetic_task}


def ground_truth(task_spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Failure of every (input, state) pair (inputs, states), and the grid's failure regions."""
    task = build_task(task_spec)
    evaluator = Evaluator(task, batch_size=4096)
    space, n = task.space, evaluator.num_inputs
    flat = np.arange(space.num_states)
    failed = np.zeros((n, space.num_states), bool)
    for i in range(n):
        out = evaluator.evaluate(np.full(len(flat), i), space.unflat(flat))
        failed[i] = out.failed
    rate = failed.mean(0).reshape(tuple(space.sizes))
    regions, _ = ndimage.label(rate >= 0.5)  # default structure: neighbours one step along one axis
    return failed, regions.reshape(-1)


def score(explorer: DQNExplorer, regions: np.ndarray) -> dict[str, float]:
    memo = explorer.evaluator.memo
    num_states = explorer.space.num_states
    failing_keys = [k for k, (_, _, failed) in memo.items() if failed]
    found_states = (
        np.unique(np.asarray(failing_keys, np.int64) % num_states) if failing_keys else []
    )
    found_regions = set(regions[found_states].tolist()) - {0}
    return {
        "found": len(failing_keys),
        "regions_found": len(found_regions),
        "updates": explorer.gradient_updates,
        "seconds": explorer.summary()["wall_seconds"],
    }


def run(task_name: str, seeds: int, budget_fraction: float) -> None:
    spec = TASKS[task_name]()
    failed, regions = ground_truth(spec)
    pairs, failing = failed.size, int(failed.sum())
    budget = int(budget_fraction * pairs)
    num_regions = int(regions.max())
    print(
        f"task {task_name}: {failed.shape[0]} inputs x {failed.shape[1]} states = {pairs} pairs; "
        f"{failing} fail (base rate {failing / pairs:.3f}); {num_regions} failure regions; "
        f"budget {budget} evaluations ({budget_fraction:.0%})"
    )
    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, cls in EXPLORERS.items():
            for seed in range(seeds):
                explorer = cls(task={**spec, "mode": "macroscopic"}, budget=budget, num_envs=16)
                discover(explorer, tmp, seed=seed, name=f"{name}_{seed}")
                results.setdefault(name, []).append(score(explorer, regions))
    oracle = min(budget, failing)
    random_found = np.mean([r["found"] for r in results["random"]])
    print(
        f"\n{'explorer':<16}{'distinct failures':>20}{'efficiency':>12}{'vs random':>11}"
        f"{'region recall':>15}{'updates':>9}{'seconds':>9}"
    )
    for name, rows in results.items():
        found = np.array([r["found"] for r in rows], float)
        recall = np.mean([r["regions_found"] / max(num_regions, 1) for r in rows])
        print(
            f"{name:<16}{found.mean():>12.1f} ± {found.std():<5.1f}{found.mean() / oracle:>12.3f}"
            f"{found.mean() / random_found:>11.2f}{recall:>15.2f}"
            f"{np.mean([r['updates'] for r in rows]):>9.0f}"
            f"{np.mean([r['seconds'] for r in rows]):>9.1f}"
        )
    dqn_found = np.mean([r["found"] for r in results["dqn"]])
    print(
        f"\nbase_rate: {failing / pairs:.4f}  "
        f"(the ratio to random can never exceed {pairs / failing:.1f})"
    )
    print(f"dqn_vs_random_distinct_failures: {dqn_found / random_found:.2f}")


def run_large(budget: int) -> None:
    """The DQN on a 10^6-state grid: nothing may allocate per-state tensors."""
    spec = {**synthetic_task(num_concepts=6, num_inputs=16), "mode": "macroscopic"}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        explorer = discover(DQNExplorer(task=spec, budget=budget, num_envs=32), tmp, name="large")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"grid: {explorer.space.num_states:,} states x {explorer.evaluator.num_inputs} inputs; "
        f"budget {budget}; {explorer.evaluator.failures} failures found; "
        f"{explorer.gradient_updates} gradient updates; {time.monotonic() - start:.1f} s"
    )
    print(f"peak_memory_mb: {peak:.0f}  (process before the run: {before:.0f} MB; limit 2048 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--task", choices=sorted(TASKS), default="synthetic")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget-fraction", type=float, default=0.1)
    parser.add_argument(
        "--large", action="store_true", help="10^6-state grid, DQN only, peak memory"
    )
    parser.add_argument("--large-budget", type=int, default=4000)
    args = parser.parse_args()
    if args.large:
        run_large(args.large_budget)
    else:
        run(args.task, args.seeds, args.budget_fraction)


if __name__ == "__main__":
    main()
