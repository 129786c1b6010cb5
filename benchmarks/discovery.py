"""Does the DQN find more failures than random search for the same budget? Side by side.

    python benchmarks/discovery.py --task synthetic            # 3 seeds, budget = 10% of the grid
    python benchmarks/discovery.py --task synthetic --large    # DQN, 10^6-state grid: peak memory
    python benchmarks/discovery.py --task digits               # the quickstart's CNN, 1,080 states
    python benchmarks/discovery.py --task regions              # 5 small islands, 5 seeds: recall
    python benchmarks/discovery.py --task resnet50 --device cuda --throughput-only
    python benchmarks/discovery.py --task t2i --device cuda --throughput-only   # generation

The grid's ground truth comes from the exhaustive grid explorer evaluating every (input, state)
pair. Each explorer then gets a budget of 10% of those evaluations (memoized repeats are free) and
is scored on distinct failing pairs found, oracle-normalized efficiency (found / min(budget,
failing pairs): random search scores about the base rate, a perfect searcher 1.0) and recall of
failure regions (connected areas of the grid where at least half the inputs fail); a region
counts as found when the explorer took at least half of its failing pairs (half the budget, for
a region with more failing pairs than the budget), not on a single hit.

Speed is timed as a user meets it. Each explorer runs as ``ffade fit`` runs it (default arguments,
checkpoints on, no progress bar), and its whole discovery loop (acting, learning, evaluating,
records) is timed against the model's raw forward pass on the very pairs each step evaluated,
interleaved step by step under the same load: ``dqn_throughput_ratio`` (1.0: the DQN adds nothing to
the model's own time) and ``grid_throughput_ratio`` for the ground truth's grid sweep (1,024 pairs a
step, no checkpoints: not GridExplorer's defaults). ``failures_per_second_dqn_vs_random`` divides
distinct failures per second of loop; the explorers run seed by seed, each in turn, so a load that
comes or goes weighs on all of them. ``--num-envs N`` runs the DQN with N pairs a step, as
``--model.init_args.num_envs N`` does for ``ffade fit``. Start-up and final pictures are reported
apart, and on digits ``startup_seconds`` is how long ``ffade fit`` on the quickstart config takes
from launch to its first evaluation.

``--task t2i`` times generation: the DQN on the text-to-image quickstart's task (the bundled tiny
model, judged by digits_cnn) against the diffusers pipeline called directly on the same prompts
and noise seeds; it sweeps no grid (hours of generation on a CPU), so it measures speed only.

Its runs live in temporary folders it deletes: Ctrl-C or SIGTERM ends it with one line saying
nothing was kept, exit 130 (no run's "resume it with" for a folder gone by then).
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
import itertools
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from lightning.pytorch import Callback
from scipy import ndimage
from temporary_runs import temporary_runs  # benchmarks/temporary_runs.py, beside this script

from ffade.changes import ChangedInputs
from ffade.devices import named_device, usable_device
from ffade.errors import FfadeError
from ffade.explore import DQNExplorer, EpsilonGreedyExplorer, GridExplorer, RandomExplorer
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


ISLAND_POSITIONS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def regions_task(num_inputs: int = 16) -> dict[str, Any]:
    """Five small disjoint islands (the synthetic target's ``islands`` preset) in a 6^5 grid.

    7,776 states, 4.2% failing for every input: a budget of 10% is 2.4 times all failing pairs,
    so a searcher that keeps exploring can take nearly all of every island.
    """
    return {
        "target": {"name": "synthetic", "args": {"regions": "islands"}},
        "dataset": {"name": "synthetic", "args": {"num_inputs": num_inputs, "num_axes": 5}},
        "reward": {"name": "margin"},
        "concepts": [
            {"name": "axis", "args": {"index": i, "values": ISLAND_POSITIONS}} for i in range(5)
        ],
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
    """ResNet-50 with random weights on 224 px RGB digits: a throughput check for big models.

    On a GPU it runs as a GPU user would run it (bfloat16 autocast, NHWC convolutions), the
    raw forward pass it is timed against too: the faster the model, the more the explorer's own
    work shows.
    """
    gpu = device.split(":")[0] == "cuda"
    args = {"model": "resnet50", "weights": None, "num_classes": 10, "device": device}
    return {
        "target": {
            "name": "torchvision_classifier",
            "args": {**args, "precision": "bf16" if gpu else "32", "channels_last": gpu},
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

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
"""The repository's configs, found from this file so the benchmark runs from any directory."""
T2I_CONFIG = CONFIGS / "t2i_quickstart.yaml"
QUICKSTART_CONFIG = CONFIGS / "quickstart.yaml"


def t2i_task(device: str = "cpu") -> dict[str, Any]:
    """The text-to-image quickstart's task (``configs/t2i_quickstart.yaml``) on ``device``."""
    task = t2i_arguments()["task"]
    target = task["target"]
    return {**task, "target": {**target, "args": {**target.get("args", {}), "device": device}}}


def t2i_arguments() -> dict[str, Any]:
    """The text-to-image quickstart's explorer arguments, as ``ffade fit`` would pass them."""
    return yaml.safe_load(T2I_CONFIG.read_text())["model"]["init_args"]


def pipeline_images(target: Any, prompts: list[Any]) -> torch.Tensor:
    """The diffusers pipeline called as a user would, without ffade: one call per (guidance,
    steps), each image's noise from a generator seeded as the target seeds it."""
    images: list[Any] = [None] * len(prompts)
    groups: dict[tuple[float, int], list[int]] = {}
    for row, prompt in enumerate(prompts):
        groups.setdefault(target.settings(prompt), []).append(row)
    for (guidance, steps), rows in groups.items():
        seeds = [prompts[row].seed(target.seed) for row in rows]
        with target.threads():
            out = target.pipeline(
                prompt=[prompts[row].text for row in rows],
                negative_prompt=[target.negative_prompt] * len(rows),
                num_inference_steps=steps,
                guidance_scale=guidance,
                height=target.height,
                width=target.width,
                generator=[torch.Generator().manual_seed(seed) for seed in seeds],
                output_type="pt",
            ).images
        for row, image in zip(rows, out, strict=True):
            images[row] = image.float()
    return torch.stack(images)


TASKS = {
    "synthetic": synthetic_task,
    "regions": regions_task,
    "digits": digits_task,
    "resnet50": resnet50_task,
    "t2i": t2i_task,
}
MODEL_TASKS = {"digits", "resnet50"}
"""Tasks with a real model, whose evaluation speed is worth comparing with its raw forward pass."""


class LoopClock(Callback):
    """Times the model alone on each step's pairs, and the explorer's start-up and pictures apart.

    After each explorer step, the pairs it evaluated have their changed inputs prepared outside
    the clock and run in the explorer's own evaluation batch size, interleaved with the explorer's
    steps so that both are timed under the same load on a shared machine; after the first step,
    also the coverage probes the run evaluated as it started (off the record, but in its loop
    time). ``callback_seconds`` is all the time spent in the step hook, so that the explorer's
    loop time can be told apart.
    """

    def __init__(self, raw: Callable[[Any, Any], Any] | None = None) -> None:
        self.raw = raw or (lambda target, batch: target.predict(batch))
        self.raw_seconds = 0.0
        self.raw_pairs = 0  # the pairs timed: the loop's evaluations and its coverage probes
        self.callback_seconds = 0.0
        self.startup_seconds = 0.0
        self.pictures_seconds = 0.0
        self._evaluations = 0
        self._probes_timed = False
        self._fit_start = 0.0
        self._train_end = 0.0

    def on_train_batch_start(self, trainer: Any, explorer: Any, *args: Any) -> None:
        self._evaluations = explorer.evaluator.evaluations

    def on_train_batch_end(self, trainer: Any, explorer: Any, *args: Any) -> None:
        entered = time.perf_counter()
        evaluator, size = explorer.evaluator, explorer.evaluator.batch_size
        fresh = evaluator.evaluations - self._evaluations
        keys = np.fromiter(itertools.islice(reversed(evaluator.memo), fresh), np.int64, fresh)
        keys = keys[::-1]
        if explorer.probes is not None and not self._probes_timed:
            keys = np.concatenate([explorer.probes.keys, keys])
            self._probes_timed = True
        ids, flat = np.divmod(keys, explorer.space.num_states)
        states = explorer.space.unflat(flat)
        batches = [
            evaluator.changes.inputs(ids[i : i + size], states[i : i + size])
            for i in range(0, len(keys), size)
        ]
        target = evaluator.task.target
        _synchronize(target.device)
        with torch.inference_mode():
            start = time.perf_counter()
            for batch in batches:
                self.raw(target, batch)
            _synchronize(target.device)
        self.raw_seconds += time.perf_counter() - start
        self.raw_pairs += len(keys)
        self.callback_seconds += time.perf_counter() - entered

    def setup(self, trainer: Any, explorer: Any, stage: str) -> None:
        # before the explorer's own setup (Lightning calls callbacks first), which builds the
        # task: loading the model and the inputs is most of a run's start-up
        self._fit_start = time.perf_counter()

    def on_train_start(self, trainer: Any, explorer: Any) -> None:
        self.startup_seconds = time.perf_counter() - self._fit_start

    def on_train_end(self, trainer: Any, explorer: Any) -> None:
        self._train_end = time.perf_counter()  # the explorer writes its pictures after this hook

    def on_fit_end(self, trainer: Any, explorer: Any) -> None:
        self.pictures_seconds = time.perf_counter() - self._train_end


GRID_STEP = 1024
"""Pairs a step of the ground truth's grid sweep, and its evaluation batch: not GridExplorer's
defaults, so ``grid_throughput_ratio`` is a fast sweep's, not what ``ffade fit`` runs."""


def ground_truth(
    task_spec: dict[str, Any], save_dir: str
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Failure of every (input, state) pair, by the grid explorer; the grid's failure regions."""
    explorer = GridExplorer(
        task={**task_spec, "mode": "macroscopic"},
        budget=10**9,
        num_envs=GRID_STEP,
        eval_batch_size=GRID_STEP,
    )
    clock = LoopClock()
    discover(explorer, save_dir, name="ground_truth", callbacks=[clock])
    space, evaluator = explorer.space, explorer.evaluator
    failed = np.zeros((evaluator.num_inputs, space.num_states), bool)
    for key, (_, _, fail) in evaluator.memo.items():
        failed[divmod(key, space.num_states)] = fail
    rate = failed.mean(0).reshape(tuple(space.sizes))
    regions, _ = ndimage.label(rate >= 0.5)  # default structure: neighbours one step along one axis
    return failed, regions.reshape(-1), timing(explorer, clock)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timing(explorer: Any, clock: LoopClock) -> dict[str, float]:
    """Seconds of the explorer's whole loop (acting, learning, evaluating, records), of the raw
    forward pass on the same changed inputs, and of start-up and final pictures, apart."""
    return {
        "loop": explorer.summary()["wall_seconds"] - clock.callback_seconds,
        "raw": clock.raw_seconds,
        "pairs": clock.raw_pairs,
        "model": explorer.evaluator.model_seconds,  # of the loop: the same split summary.json has
        "concepts": explorer.evaluator.concept_seconds,
        "startup": clock.startup_seconds,
        "pictures": clock.pictures_seconds,
    }


def region_fractions(explorer: Any, failed: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Per failure region (1, 2, ...): the share of its failing pairs the explorer evaluated."""
    keys = np.fromiter(explorer.evaluator.memo, np.int64, len(explorer.evaluator.memo))
    taken = np.zeros_like(failed)
    taken[np.divmod(keys, failed.shape[1])] = True
    labels = np.broadcast_to(regions, failed.shape)[failed]
    size = np.bincount(labels, minlength=regions.max() + 1)
    hits = np.bincount(labels[taken[failed]], minlength=regions.max() + 1)
    return hits[1:] / np.maximum(size[1:], 1)


def score(explorer: Any, clock: LoopClock) -> dict[str, float]:
    memo = explorer.evaluator.memo
    failing_keys = [k for k, (_, _, failed) in memo.items() if failed]
    return {
        "found": len(failing_keys),
        "updates": explorer.gradient_updates,
        **timing(explorer, clock),
    }


def fit_startup_seconds(config: Path = QUICKSTART_CONFIG) -> float:
    """Seconds from launching ``ffade fit --config CONFIG`` to its first logged evaluation."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-m",
            "ffade",
            "fit",
            "--config",
            str(config),
            "--trainer.logger.init_args.save_dir",
            tmp,
        ]
        start = time.perf_counter()
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as run:
            while run.poll() is None:
                logs = list(Path(tmp).glob("*/version_*/evaluations.jsonl"))
                if logs and logs[0].stat().st_size:
                    elapsed = time.perf_counter() - start
                    run.kill()
                    return elapsed
                time.sleep(0.01)
    raise FfadeError(f"ffade fit --config {config} ended before its first evaluation")


def run(
    task_name: str,
    seeds: int,
    budget_fraction: float,
    device: str,
    throughput_only: bool,
    explorers: list[str],
    num_envs: int | None = None,
) -> None:
    if task_name == "t2i":
        run_t2i(device, budget_fraction, num_envs)
        return
    spec = TASKS[task_name](device) if task_name in MODEL_TASKS else TASKS[task_name]()
    task = build_task(spec)  # the grid's size, before minutes of sweeping it
    pairs = len(task.inputs) * task.space.num_states
    del task
    budget = int(budget_fraction * pairs)
    if budget < 1:
        raise FfadeError(
            f"--budget-fraction {budget_fraction:g} of {pairs} pairs is no evaluation; "
            f"give at least {least_fraction(pairs, 1):g}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        failed, regions, grid = ground_truth(spec, tmp)
        failing = int(failed.sum())
        num_regions = int(regions.max())
        print(task_line(task_name, failed, num_regions, budget, budget_fraction))
        if task_name in MODEL_TASKS:
            print(  # its coverage probes too: the loop evaluated them, the raw clock timed them
                f"\nevaluations per second on {device}: grid sweep ({GRID_STEP:,} pairs a step), "
                f"whole pipeline {grid['pairs'] / grid['loop']:,.0f}; raw batched forward, same "
                f"changed inputs {grid['pairs'] / grid['raw']:,.0f}"
            )
            print(f"grid_throughput_ratio: {grid['raw'] / grid['loop']:.2f}")
        results: dict[str, list[dict[str, float]]] = {}
        chosen = {"dqn"} if throughput_only else {*explorers, "dqn", "random"}
        explorers = {name: cls for name, cls in EXPLORERS.items() if name in chosen}
        # seed by seed, each explorer in turn: a load that changes during the run weighs on
        # every explorer alike, not on whichever ran while it lasted
        for seed, (name, cls) in itertools.product(
            range(1 if throughput_only else seeds), explorers.items()
        ):
            steps = {"num_envs": num_envs} if name == "dqn" and num_envs else {}
            explorer = cls(task={**spec, "mode": "macroscopic"}, budget=budget, **steps)
            clock = LoopClock()
            discover(
                explorer,
                tmp,
                seed=seed,
                name=f"{name}_{seed}",
                checkpoints=True,
                callbacks=[clock],
            )
            results.setdefault(name, []).append(
                {
                    **score(explorer, clock),
                    "region_fractions": region_fractions(explorer, failed, regions),
                }
            )
    if task_name in MODEL_TASKS:
        print_speed(results, device)
    if throughput_only:
        return
    print_discovery(results, min(budget, failing), region_reach(failed, regions, budget))
    print(
        f"\nbase_rate: {failing / pairs:.4f}  "
        f"(the ratio to random can never exceed {pairs / failing:.1f})"
    )
    print_ratios(results)
    if task_name == "regions":
        print_region_recall(results)
    if task_name == "digits":
        print(f"startup_seconds: {fit_startup_seconds():.1f}  (ffade fit, quickstart config)")


def task_line(
    task_name: str, failed: np.ndarray, num_regions: int, budget: int, budget_fraction: float
) -> str:
    """The run's first line: the grid's ground truth (``failed``: inputs x states) and the
    budget. The digits grid has one region, printed "1 failure regions" until it counted."""
    pairs, failing = failed.size, int(failed.sum())
    regions = f"{num_regions} failure region{'' if num_regions == 1 else 's'}"
    return (
        f"task {task_name}: {failed.shape[0]} inputs x {failed.shape[1]} states = {pairs} pairs; "
        f"{failing} fail (base rate {failing / pairs:.3f}); {regions}; "
        f"budget {budget} evaluations ({100 * budget_fraction:g}%)"
    )


def print_ratios(results: dict[str, list[dict[str, Any]]]) -> None:
    """The DQN against random search: distinct failures, and distinct failures per second of
    loop, pooled over seeds (one run slowed by a busy machine weighs by its time)."""
    found = {name: sum(r["found"] for r in rows) / len(rows) for name, rows in results.items()}
    per_second = {
        name: sum(r["found"] for r in rows) / sum(r["loop"] for r in rows)
        for name, rows in results.items()
    }

    def ratio(value: dict[str, float]) -> str:
        if not value["random"]:
            return "n/a (random search found no failure: give a larger --budget-fraction)"
        return f"{value['dqn'] / value['random']:.2f}"

    print(f"dqn_vs_random_distinct_failures: {ratio(found)}")
    print(f"failures_per_second_dqn_vs_random: {ratio(per_second)}")


def run_t2i(device: str, budget_fraction: float, num_envs: int | None = None) -> None:
    """Generation inside ffade (the DQN's whole loop) against the raw pipeline call."""
    spec = t2i_task(device)
    task = build_task(spec)
    pairs = len(task.inputs) * task.space.num_states
    budget = max(int(budget_fraction * pairs), 1)
    starts = t2i_arguments().get("learning_starts")
    if starts is not None and budget <= starts:  # before generating anything
        least = least_fraction(pairs, starts + 1)
        raise FfadeError(
            f"--budget-fraction {budget_fraction:g} is {budget} of the {pairs} (prompt, state) "
            f"pairs, no more than the quickstart's learning_starts ({starts}): the DQN would "
            f"never learn; give at least {least:g}"
        )
    difference = same_images(task)
    agreement = "the same images as" if difference == 0 else "images that differ from"
    print(
        f"task t2i: {len(task.inputs)} prompts x {task.space.num_states} states = {pairs} pairs; "
        f"budget {budget} images ({100 * budget_fraction:g}%); the pipeline called directly draws "
        f"{agreement} the target's (max |difference| {difference:.2g})"
    )
    clock = LoopClock(raw=pipeline_images)
    with tempfile.TemporaryDirectory() as tmp:
        arguments = {**t2i_arguments(), "task": spec, "budget": budget}
        if num_envs:
            arguments["num_envs"] = num_envs
        explorer = DQNExplorer(**arguments)
        discover(explorer, tmp, name="dqn_t2i", checkpoints=True, callbacks=[clock])
    print_speed({"dqn": [timing(explorer, clock)]}, device)


def least_fraction(pairs: int, evaluations: int) -> float:
    """The smallest --budget-fraction of two significant digits that buys ``evaluations`` of
    ``pairs``: an error that suggests 1 / pairs rounded to nearest can suggest a refused value
    (1.6e-05 of 62,208 pairs is 0.995 evaluations)."""
    least = evaluations / pairs
    step = 10.0 ** (math.floor(math.log10(least)) - 1)
    value = float(f"{math.ceil(round(least / step, 9)) * step:.2g}")
    while int(value * pairs) < evaluations:  # float rounding of the product
        value = float(f"{value + step:.2g}")
    return value


def same_images(task: Any, count: int = 8) -> float:
    """Largest pixel difference between the target's images and the raw pipeline call's, on a
    few changed prompts: the raw figure must time the very same generation."""
    rng = np.random.default_rng(0)
    ids = rng.integers(0, len(task.inputs), count)
    prompts = ChangedInputs(task).inputs(ids, task.space.sample(rng, count))
    with torch.inference_mode():
        ours = task.target.generate(prompts)
        theirs = pipeline_images(task.target, prompts)
    return float((ours - theirs).abs().max())


def print_speed(results: dict[str, list[dict[str, float]]], device: str) -> None:
    """Each explorer's evaluations per second over the raw forward pass's, whole loop included."""
    print(
        f"\n{'explorer':<16}{'loop s':>9}{'raw s':>9}{'ratio':>8}{'model s':>9}{'concepts s':>12}"
        f"{'rest s':>9}{'start-up s':>12}{'pictures s':>12}"
    )
    for name, rows in results.items():
        loop, raw = sum(r["loop"] for r in rows), sum(r["raw"] for r in rows)
        model, concepts = (np.mean([r[key] for r in rows]) for key in ("model", "concepts"))
        print(
            f"{name:<16}{loop / len(rows):>9.2f}{raw / len(rows):>9.2f}{raw / loop:>8.2f}"
            f"{model:>9.2f}{concepts:>12.2f}{loop / len(rows) - model - concepts:>9.2f}"
            f"{np.mean([r['startup'] for r in rows]):>12.2f}"
            f"{np.mean([r['pictures'] for r in rows]):>12.2f}"
        )
    print(
        "model s, concepts s: the loop's time in the model calls (target and reward) and in "
        "building changed inputs (summary.json's model_seconds, concept_seconds); rest s: the "
        "explorer's own work (choosing, learning, records); start-up s: building the run's task "
        "(model, inputs) to its first step, pictures s: its examples, policy and summary after "
        "the loop, neither in loop s"
    )
    dqn = results["dqn"]
    ratio = sum(r["raw"] for r in dqn) / sum(r["loop"] for r in dqn)
    print(f"dqn_throughput_ratio: {ratio:.2f}  (on {device})")


REGION_TAKEN = 0.5
"""Share of a region's failing pairs an explorer must take for the region to count as found:
one hit in a region is luck (random search hits every region), most of it is a finding."""


def region_reach(failed: np.ndarray, regions: np.ndarray, budget: int) -> np.ndarray:
    """Per failure region: the largest share of its failing pairs a budget can take (1.0, or
    less for a region with more failing pairs than the budget, as digits' one large region)."""
    labels = np.broadcast_to(regions, failed.shape)[failed]
    size = np.bincount(labels, minlength=regions.max() + 1)[1:]
    return np.minimum(size, budget) / np.maximum(size, 1)


def region_recall(fractions: np.ndarray, reach: np.ndarray) -> float:
    """Share of the failure regions of which the explorer took at least ``REGION_TAKEN`` of what
    the budget could take (1.0 when the grid has no region: there was nothing to miss)."""
    return float(np.mean(fractions >= REGION_TAKEN * reach)) if len(fractions) else 1.0


def print_discovery(
    results: dict[str, list[dict[str, Any]]], oracle: int, reach: np.ndarray
) -> None:
    random_found = np.mean([r["found"] for r in results["random"]])
    print(
        f"\n{'explorer':<16}{'distinct failures':>20}{'efficiency':>12}{'vs random':>11}"
        f"{'region recall':>15}{'updates':>9}{'loop s':>9}"
    )
    for name, rows in results.items():
        found = np.array([r["found"] for r in rows], float)
        recall = np.mean([region_recall(r["region_fractions"], reach) for r in rows])
        print(
            f"{name:<16}{found.mean():>12.1f} ± {found.std():<5.1f}{found.mean() / oracle:>12.3f}"
            f"{found.mean() / random_found if random_found else np.nan:>11.2f}{recall:>15.2f}"
            f"{np.mean([r['updates'] for r in rows]):>9.0f}"
            f"{np.mean([r['loop'] for r in rows]):>9.2f}"
        )
    print(
        f"region recall: share of the failure regions of which the explorer took at least "
        f"{REGION_TAKEN:.0%} of the failing pairs (of the budget, for a region with more failing "
        "pairs than the budget); one hit does not count; mean over seeds"
    )


def print_region_recall(results: dict[str, list[dict[str, Any]]], enough: float = 0.8) -> None:
    """Per seed, the share of each region's failing pairs taken; whether the DQN took them all.

    A searcher that settles on the first regions it finds leaves the others: the DQN must take
    at least ``enough`` of every region on every seed.
    """
    print(f"\nshare of each region's failing pairs taken (region 1, 2, ...; {enough:.0%} counts):")
    for name, rows in results.items():
        for seed, row in enumerate(rows):
            shares = " ".join(f"{x:.2f}" for x in row["region_fractions"])
            print(f"{name:<16}seed {seed}: {shares}   min {row['region_fractions'].min():.2f}")
    dqn = [row["region_fractions"] for row in results["dqn"]]
    print(f"min_region_recall: {min(x.min() for x in dqn):.2f}  (dqn, worst region of any seed)")
    print(f"regions_all_found_seeds: {sum(x.min() >= enough for x in dqn)}/{len(dqn)}")


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
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--task",
        choices=sorted(TASKS),
        default="synthetic",
        help="the grid and target to search, default synthetic",
    )
    parser.add_argument("--seeds", type=positive_int, help="default 3 (5 for --task regions)")
    parser.add_argument(
        "--explorers",
        nargs="+",
        choices=sorted(EXPLORERS),
        help="which explorers to compare, default all (dqn and random always run: the ratios "
        "compare them)",
    )
    parser.add_argument(
        "--budget-fraction",
        type=fraction,
        help="share of the grid's (input, state) pairs each explorer may evaluate, in (0, 1]; "
        "default 0.1",
    )
    parser.add_argument(
        "--large", action="store_true", help="10^6-state grid, DQN only, peak memory"
    )
    parser.add_argument("--large-budget", type=positive_int, help="with --large; default 4000")
    parser.add_argument(
        "--num-envs",
        type=positive_int,
        help="the DQN's pairs a step (its num_envs), as --model.init_args.num_envs sets it for "
        "ffade fit; default the DQN's own (the budget over 32, 16 to 256; for --task t2i the "
        "quickstart config's, 32)",
    )
    parser.add_argument(
        "--device", type=device_name, default="cpu", help="where the target runs: cpu, cuda, cuda:1"
    )
    parser.add_argument(
        "--throughput-only",
        action="store_true",
        help="skip the explorer comparison (--task t2i always does)",
    )
    args = parser.parse_args()
    if args.throughput_only and args.task not in {*MODEL_TASKS, "t2i"}:
        parser.error(
            f"--throughput-only times a real model's forward pass: use it with --task "
            f"{', '.join(sorted({*MODEL_TASKS, 't2i'}))}, not {args.task}"
        )
    if args.large and args.task != "synthetic":
        parser.error(
            f"--large runs the synthetic target on a 10^6-state grid: use it with --task "
            f"synthetic (the default), not {args.task}"
        )
    if args.device != "cpu" and (args.large or args.task not in {*MODEL_TASKS, "t2i"}):
        parser.error(  # the synthetic tasks build their target on cpu whatever --device says
            f"--device {args.device} moves a real model: use it with --task "
            f"{', '.join(sorted({*MODEL_TASKS, 't2i'}))}, not "
            f"{'--large' if args.large else args.task}"
        )
    try:  # as typed: the task's own check named task.target.args.device, a key only --device sets
        usable_device(args.device, fix="give --device cpu")
    except FfadeError as error:
        parser.error(f"argument --device: {error}")
    unused = ignored_options(args)
    if unused:
        verb = "do" if len(unused) > 1 else "does"
        parser.error(f"{' and '.join(unused)} {verb} nothing {unused_because(args)}")
    try:
        with temporary_runs(parser):  # each run's folder is deleted: no line may name it
            if args.large:
                run_large(args.large_budget or 4000)
            else:
                run(
                    args.task,
                    args.seeds or (5 if args.task == "regions" else 3),
                    args.budget_fraction or 0.1,
                    args.device,
                    args.throughput_only,
                    args.explorers or sorted(EXPLORERS),
                    args.num_envs,
                )
    except FfadeError as error:  # a bad --device, a missing plugin: one line, as ffade prints
        parser.exit(2, f"{parser.prog}: error: {error}\n")


def ignored_options(args: argparse.Namespace) -> list[str]:
    """The options given that this kind of run would ignore: said, not silently dropped."""
    comparing = not (args.large or args.throughput_only or args.task == "t2i")
    given = {
        "--seeds": args.seeds is not None and not comparing,
        "--explorers": args.explorers is not None and not comparing,
        "--budget-fraction": args.budget_fraction is not None and args.large,
        "--large-budget": args.large_budget is not None and not args.large,
        "--num-envs": args.num_envs is not None and args.large,
    }
    return [option for option, unused in given.items() if unused]


def unused_because(args: argparse.Namespace) -> str:
    if args.large:
        return "with --large (one DQN run of --large-budget evaluations)"
    if args.task == "t2i" or args.throughput_only:
        return "when only throughput is timed (--throughput-only, --task t2i: one DQN run)"
    return "without --large"


def device_name(text: str) -> str:
    """An argparse type: a device torch can name, checked before what the task does with it:
    ``--device ""`` was refused as "--device  moves a real model", the value unnamed. Whether
    this machine has it is checked after (``usable_device``)."""
    try:
        named_device(text)
    except FfadeError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def fraction(text: str) -> float:
    """An argparse type: a share in (0, 1] (0 leaves no budget; above 1, more than the grid)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


if __name__ == "__main__":
    main()
