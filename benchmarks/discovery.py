"""Does the DQN find more failures than random search for the same budget? Side by side.

    python benchmarks/discovery.py --task synthetic            # 3 seeds, budget = 10% of the grid
    python benchmarks/discovery.py --task synthetic --large    # DQN, 10^6-state grid: peak memory
    python benchmarks/discovery.py --task digits               # the quickstart's CNN, 1,080 states
    python benchmarks/discovery.py --task resnet50 --device cuda --throughput-only

The grid's ground truth comes from the exhaustive grid explorer evaluating every (input, state)
pair; for image models the same run is timed against the raw batched forward pass of the model on
the very same changed inputs (``throughput_ratio``: 1.0 means ffade adds no overhead at all).
Each explorer then gets a budget of 10% of those evaluations (memoized repeats are free) and is
scored on distinct failing pairs found, oracle-normalized efficiency (found / min(budget, failing
pairs): random search scores about the base rate, a perfect searcher 1.0) and recall of failure
regions (connected areas of the grid where at least half the inputs fail).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from typing import Any

import numpy as np
import torch
from lightning.pytorch import Callback
from scipy import ndimage

from ffade.explore import DQNExplorer, EpsilonGreedyExplorer, GridExplorer, RandomExplorer
from ffade.explore.run import discover

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


def digits_task(device: str = "cpu", num_inputs: int = 32) -> dict[str, Any]:
    """The quickstart's grid: 9 x 4 x 5 x 6 = 1,080 states on held-apart digits."""
    return {
        "target": {"name": "digits_cnn", "args": {"device": device}},
        "dataset": {"name": "digits", "args": {"seed": 0}},
        "reward": {"name": "misclassification"},
        "concepts": DIGITS_CONCEPTS,
        "max_inputs": num_inputs,
    }


def resnet50_task(device: str = "cpu", num_inputs: int = 16) -> dict[str, Any]:
    """ResNet-50 with random weights on 224 px RGB digits: a throughput check for big models."""
    return {
        "target": {
            "name": "torchvision_classifier",
            "args": {"model": "resnet50", "weights": None, "num_classes": 10, "device": device},
        },
        "dataset": {"name": "digits", "args": {"seed": 0, "image_size": 224, "channels": 3}},
        "reward": {"name": "misclassification"},
        "concepts": DIGITS_CONCEPTS,
        "max_inputs": num_inputs,
    }


DIGITS_CONCEPTS = [
    {"name": "rotation", "args": {"values": [-20, -15, -10, -5, 0, 5, 10, 15, 20]}},
    {"name": "brightness", "args": {"values": [0.7, 0.8, 0.9, 1.0]}},
    {"name": "contrast", "args": {"values": [0.8, 0.9, 1.0, 1.1, 1.2]}},
    {"name": "gaussian_blur", "args": {"values": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]}},
]

TASKS = {"synthetic": synthetic_task, "digits": digits_task, "resnet50": resnet50_task}
MODEL_TASKS = {"digits", "resnet50"}
"""Tasks with a real model, whose evaluation speed is worth comparing with its raw forward pass."""


class RawForwardTimer(Callback):
    """Times each explorer step, then the model alone on that step's changed inputs, back to back.

    Interleaving keeps both timings under the same load on a shared machine; the raw pass gets
    its inputs prepared outside the clock, in the explorer's own batch size.
    """

    def __init__(self) -> None:
        self.explorer_seconds = 0.0
        self.raw_seconds = 0.0
        self._start = 0.0

    def on_train_batch_start(self, trainer: Any, explorer: Any, *args: Any) -> None:
        _synchronize(explorer.evaluator.task.target.device)
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer: Any, explorer: Any, *args: Any) -> None:
        target = explorer.evaluator.task.target
        _synchronize(target.device)
        self.explorer_seconds += time.perf_counter() - self._start
        evaluator, size = explorer.evaluator, explorer.evaluator.batch_size
        ids, states = explorer.env.input_ids, explorer.env.states
        batches = [
            evaluator.changes.inputs(ids[i : i + size], states[i : i + size])
            for i in range(0, len(ids), size)
        ]
        with torch.inference_mode():
            start = time.perf_counter()
            for batch in batches:
                target.predict(batch)
            _synchronize(target.device)
        self.raw_seconds += time.perf_counter() - start


def ground_truth(
    task_spec: dict[str, Any], save_dir: str
) -> tuple[np.ndarray, np.ndarray, RawForwardTimer]:
    """Failure of every (input, state) pair, by the grid explorer; the grid's failure regions."""
    explorer = GridExplorer(
        task={**task_spec, "mode": "macroscopic"}, budget=10**9, num_envs=1024, eval_batch_size=1024
    )
    timer = RawForwardTimer()
    discover(explorer, save_dir, name="ground_truth", callbacks=[timer])
    space, evaluator = explorer.space, explorer.evaluator
    failed = np.zeros((evaluator.num_inputs, space.num_states), bool)
    for key, (_, _, fail) in evaluator.memo.items():
        failed[divmod(key, space.num_states)] = fail
    rate = failed.mean(0).reshape(tuple(space.sizes))
    regions, _ = ndimage.label(rate >= 0.5)  # default structure: neighbours one step along one axis
    return failed, regions.reshape(-1), timer


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


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


def run(
    task_name: str, seeds: int, budget_fraction: float, device: str, throughput_only: bool
) -> None:
    spec = TASKS[task_name]() if task_name == "synthetic" else TASKS[task_name](device)
    with tempfile.TemporaryDirectory() as tmp:
        failed, regions, timer = ground_truth(spec, tmp)
        pairs, failing = failed.size, int(failed.sum())
        budget = int(budget_fraction * pairs)
        num_regions = int(regions.max())
        print(
            f"task {task_name}: {failed.shape[0]} inputs x {failed.shape[1]} states "
            f"= {pairs} pairs; "
            f"{failing} fail (base rate {failing / pairs:.3f}); {num_regions} failure regions; "
            f"budget {budget} evaluations ({budget_fraction:.0%})"
        )
        if task_name in MODEL_TASKS:
            explorer_rate = pairs / timer.explorer_seconds
            raw_rate = pairs / timer.raw_seconds
            print(
                f"\nevaluations per second on {device}: explorer (grid, whole pipeline) "
                f"{explorer_rate:,.0f}; raw batched forward, same changed inputs {raw_rate:,.0f}"
            )
            print(f"throughput_ratio: {explorer_rate / raw_rate:.2f}")
        if throughput_only:
            return
        results: dict[str, list[dict[str, float]]] = {}
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
    parser.add_argument("--device", default="cpu", help="where the target runs: cpu, cuda, cuda:1")
    parser.add_argument(
        "--throughput-only", action="store_true", help="skip the explorer comparison"
    )
    args = parser.parse_args()
    if args.large:
        run_large(args.large_budget)
    else:
        run(args.task, args.seeds, args.budget_fraction, args.device, args.throughput_only)


if __name__ == "__main__":
    main()
