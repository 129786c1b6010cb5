"""The remaining-failure estimate: exact interval math, probes kept apart from the explorer."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from lightning.pytorch import Callback

from ffade.env import Evaluator
from ffade.explore import GridExplorer, RandomExplorer
from ffade.explore.coverage import (
    CoverageProbes,
    clopper_pearson,
    probe_count,
    remaining_failures,
)
from ffade.explore.run import discover
from ffade.task import build_task
from tests.helpers import search_stopped_at_step, synthetic_spec


def test_clopper_pearson_matches_its_closed_forms() -> None:
    # 0 of n: the upper end solves (1 - p)^n = 0.025; n of n: the lower end solves p^n = 0.025
    low, high = clopper_pearson(0, 10)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 10))
    low, high = clopper_pearson(10, 10)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 10))
    low, high = clopper_pearson(5, 10)
    assert low == pytest.approx(0.187086, abs=1e-6) and high == pytest.approx(0.812914, abs=1e-6)


def test_clopper_pearson_matches_scipy_exact_interval_with_its_edges() -> None:
    """scipy's ``method="exact"`` is Clopper-Pearson: 0 of n, n of n and n = 1 included."""
    from scipy.stats import binomtest

    for n in [1, 2, 3, 7, 40, 1000]:
        for k in sorted({0, 1, n // 2, n - 1, n}):
            expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
            got = clopper_pearson(k, n)
            assert got == pytest.approx((expected.low, expected.high), abs=1e-12), (k, n)


def test_remaining_scales_the_probes_share_to_the_unevaluated_pairs() -> None:
    estimate = remaining_failures(probe_failures=5, probes=10, unevaluated=1000)
    assert estimate.estimate == pytest.approx(500)
    assert estimate.low == pytest.approx(187.086, abs=1e-3)
    assert estimate.high == pytest.approx(812.914, abs=1e-3)
    nothing_left = remaining_failures(probe_failures=0, probes=0, unevaluated=0)
    assert (nothing_left.estimate, nothing_left.low, nothing_left.high) == (0.0, 0.0, 0.0)
    unknown = remaining_failures(probe_failures=0, probes=0, unevaluated=40)
    assert unknown.estimate is None and (unknown.low, unknown.high) == (0.0, 40.0)
    assert probe_count(0.05, 801) == 41 and probe_count(0.0, 801) == 0


def test_probes_drop_out_of_the_sample_once_the_explorer_evaluates_them() -> None:
    task = build_task(synthetic_spec())
    evaluator = Evaluator(task)
    probes = CoverageProbes(evaluator, count=50, seed=3)
    probes.evaluate(batch_size=64)
    assert evaluator.evaluations == 0 and evaluator.memo == {}  # off the record
    first = probes.estimate()
    assert first.probes == 50 and first.unevaluated == evaluator.num_inputs * 1000
    # the explorer evaluates half the probed pairs: they leave the sample, and the log has them
    input_ids, flat = np.divmod(probes.keys[:25], task.space.num_states)
    evaluator.evaluate(input_ids, task.space.unflat(flat))
    later = probes.estimate()
    assert later.probes == 25 and later.unevaluated == first.unevaluated - 25
    assert later.probe_failures == int(probes.failed[25:].sum())


def test_probes_evaluate_without_probing_the_concepts_again() -> None:
    """The probes' evaluator shares the run's changed inputs; it made its own first, and that
    probed every concept again (a fifth of a second of the quickstart's start) to be dropped
    unused. The 50 pairs are one batch: one call of each concept's apply_each, nothing more."""
    task = build_task(synthetic_spec())
    evaluator = Evaluator(task)  # the run's: its concepts are probed here
    calls: list[str] = []
    for concept in task.space.concepts:
        apply_each = concept.apply_each

        def counted(inputs, values, apply_each=apply_each, label=concept.label):
            calls.append(label)
            return apply_each(inputs, values)

        concept.apply_each = counted
    probes = CoverageProbes(evaluator, count=50, seed=3)
    probes.evaluate(batch_size=64)
    assert probes.evaluated and calls == [c.label for c in task.space.concepts]
    assert calls


def test_each_estimate_looks_up_only_the_pairs_evaluated_since_the_last() -> None:
    """On a grid too large for the evaluator's bitmap (10^10 states here), every estimate looked
    up every probe in the memo, one Python lookup each: a run of a budget of 1,000,000 did 50,000
    at each of its 15,600 steps. Now the probes are read once, then only the pairs the memo
    gained; the estimates are those of reading every probe, a restored memo included."""
    evaluator = Evaluator(build_task(synthetic_spec(num_concepts=10, num_inputs=8)))
    assert evaluator._evaluated is None  # the memo answers, pair by pair
    probes = CoverageProbes(evaluator, count=300, seed=0)
    probes.evaluate(batch_size=64)
    looked_up = []
    read = evaluator.is_evaluated

    def counted(keys: np.ndarray) -> np.ndarray:
        looked_up.append(len(keys))
        return read(keys)

    evaluator.is_evaluated = counted
    space, rng = evaluator.space, np.random.default_rng(0)

    def check_against_every_probe() -> None:
        left = ~read(probes.keys) & ~probes.invalid
        unevaluated = probes.total_pairs - evaluator.evaluations
        reference = remaining_failures(int(probes.failed[left].sum()), int(left.sum()), unevaluated)
        assert probes.estimate() == reference

    check_against_every_probe()  # before the first step: every probe is read, once
    for _ in range(5):  # steps evaluating some probes and some other pairs, repeats included
        keys = np.concatenate(
            [rng.choice(probes.keys, 20), rng.integers(0, probes.total_pairs, 20)]
        )
        evaluator.evaluate(keys // space.num_states, space.unflat(keys % space.num_states))
        check_against_every_probe()
    assert probes.estimate().probes < 300 - 50  # the explorer took some probes out
    assert sum(looked_up) == 300  # then only the pairs each step added (40 at most)
    assert probes.lookups == 300 + evaluator.evaluations
    evaluator.load_state_dict(evaluator.state_dict())  # a resumed run's memo: read again, once
    check_against_every_probe()
    check_against_every_probe()
    assert sum(looked_up) == 600


def run_summary(tmp_path: Path, explorer: type, **kwargs) -> tuple[dict, list[str]]:
    run = discover(explorer(task=synthetic_spec(), num_envs=16, **kwargs), tmp_path, seed=0)
    run_dir = Path(run.recorder.run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    return summary, (run_dir / "evaluations.jsonl").read_text().splitlines()


def last_scalars(run_dir: Path) -> dict[str, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir))
    events.Reload()
    return {tag: events.Scalars(tag)[-1].value for tag in events.Tags()["scalars"]}


def test_a_run_with_probes_evaluates_exactly_what_it_would_without(tmp_path: Path) -> None:
    summary, log = run_summary(tmp_path / "a", RandomExplorer, budget=200)
    plain, plain_log = run_summary(tmp_path / "b", RandomExplorer, budget=200, coverage_probes=0)
    assert log == plain_log  # the same seed, the same evaluations: probes are kept apart
    assert "estimated_remaining_failures" not in plain
    remaining = summary["estimated_remaining_failures"]
    assert remaining["probes"] == 10  # 5% of 200, none evaluated by the explorer by chance here
    assert 0 <= remaining["low"] <= remaining["estimate"] <= remaining["high"]
    assert remaining["unevaluated_pairs"] == summary["num_inputs"] * 1000 - 200
    assert summary["stop_reason"] == "budget spent"
    scalars = last_scalars(tmp_path / "a" / "ffade" / "version_0")  # TensorBoard has it too
    assert scalars["discovery/estimated_remaining"] == pytest.approx(remaining["estimate"], abs=0.1)
    assert scalars["discovery/estimated_remaining_high"] == pytest.approx(
        remaining["high"], abs=0.1
    )


def test_a_finished_grid_sweep_leaves_nothing_to_estimate(tmp_path: Path) -> None:
    spec = synthetic_spec(num_concepts=1, num_inputs=4)  # 2 discovery inputs x 10 states
    run = discover(GridExplorer(task=spec, budget=1000, num_envs=8), tmp_path, seed=0)
    summary = json.loads((Path(run.recorder.run_dir) / "summary.json").read_text())
    remaining = summary["estimated_remaining_failures"]
    assert (remaining["estimate"], remaining["low"], remaining["high"]) == (0.0, 0.0, 0.0)
    assert summary["stop_reason"] == "every (input, state) pair evaluated"


def test_a_run_warns_once_about_invalid_evaluations_probes_or_not(tmp_path: Path) -> None:
    """README: a run warns once, at its first invalid evaluation. The probes and the unchanged
    check of only_passing_inputs have evaluators of their own, off the record: they warned too."""
    spec = synthetic_spec(num_inputs=8)
    spec["target"] = {"name": "callable", "args": {"predict": "tests.api.callables:nan_far_out"}}
    explorer = RandomExplorer(task={**spec, "only_passing_inputs": True}, budget=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        discover(explorer, tmp_path, seed=0)
    assert len([w for w in caught if "count as 'invalid'" in str(w.message)]) == 1
    assert explorer.evaluator.invalid > 0


def test_an_invalid_probe_is_neither_a_pass_nor_a_failure() -> None:
    """A probe whose score was NaN counted as a pass: the estimate ran low (0 for a model that
    scored nothing), where the README says invalid evaluations are neither."""
    spec = synthetic_spec(num_inputs=8)
    spec["target"] = {"name": "callable", "args": {"predict": "tests.api.callables:nan_far_out"}}
    evaluator = Evaluator(build_task(spec), warn_invalid=False)
    probes = CoverageProbes(evaluator, count=200, seed=0)
    probes.evaluate(batch_size=64)
    input_ids, flat = np.divmod(probes.keys, evaluator.space.num_states)
    scored = Evaluator(build_task(spec), warn_invalid=False)  # the same pairs, on the record
    nan = np.isnan(scored.evaluate(input_ids, evaluator.space.unflat(flat)).metric)
    assert 0 < nan.sum() < len(nan) and scored.invalid == nan.sum()
    assert (probes.invalid == nan).all()
    estimate = probes.estimate()
    assert estimate.probes == int((~nan).sum())
    assert estimate.probe_failures == int(probes.failed[~nan].sum())


def test_a_run_whose_target_raised_on_its_probes_estimates_nothing(tmp_path: Path) -> None:
    """The target raised on the probes, before any evaluation: summary.json of the failed run
    said 5 probes, none failing, estimate 0, as if the probes had all passed."""
    spec = synthetic_spec(num_inputs=8)
    spec["target"] = {"name": "callable", "args": {"predict": "tests.api.callables:crashes"}}
    explorer = RandomExplorer(task=spec, budget=100)
    with pytest.raises(RuntimeError, match="planted crash"):
        discover(explorer, tmp_path, seed=0)
    assert explorer.probes is not None and not explorer.probes.evaluated
    summary = json.loads(next(tmp_path.rglob("summary.json")).read_text())
    assert summary["status"] == "failed" and summary["evaluations"] == 0
    assert "estimated_remaining_failures" not in summary


class KillBeforeStep(Callback):
    """Kills the search as step ``iterations + 1`` starts, as a kill -9 would: after the
    checkpoint of step ``iterations``, before the search could stop on its spent budget."""

    def __init__(self, iterations: int) -> None:
        self.iterations = iterations

    def on_train_batch_start(self, trainer, explorer, *args) -> None:
        if explorer.iterations == self.iterations:
            raise RuntimeError("killed")


def test_a_run_resumed_from_a_checkpoint_counts_its_probes_time_once(tmp_path: Path) -> None:
    """README: a resumed run counts model_seconds and concept_seconds on from the checkpoint's,
    which counted the coverage probes; the resumed run evaluates them again, and their time was
    added a second time. Resumed with its budget spent, it evaluates nothing new: its times are
    the checkpoint's. (The model sleeps per batch, so a second count shows.)"""
    target = {"name": "callable", "args": {"predict": "tests.api.callables:slow_margin"}}

    def make() -> RandomExplorer:
        task = {**synthetic_spec(), "target": target}
        return RandomExplorer(task=task, budget=40, num_envs=4, coverage_probes=0.5)

    with pytest.raises(RuntimeError, match="killed"):
        discover(make(), tmp_path, name="killed", checkpoints=True, callbacks=[KillBeforeStep(10)])
    killed = tmp_path / "killed" / "version_0"
    before = json.loads((killed / "summary.json").read_text())
    assert (before["status"], before["evaluations"]) == ("failed", 40)  # its budget spent
    resumed = discover(make(), tmp_path, name="resumed", ckpt_path=killed)
    after = json.loads((Path(resumed.recorder.run_dir) / "summary.json").read_text())
    assert (after["status"], after["evaluations"]) == ("finished", 40)
    assert after["model_seconds"] == before["model_seconds"] > 0
    assert after["concept_seconds"] == before["concept_seconds"]
    assert resumed.probes is not None and resumed.probes.evaluated  # the estimate still stands


class _TargetCallsBeforeTheFirstStep(Callback):
    """Counts the pairs the target is asked about before the search's first step."""

    def __init__(self) -> None:
        self.pairs: int | None = None
        self._counted = 0

    def on_train_start(self, trainer, explorer) -> None:  # before the explorer's own
        target, predict = explorer.task.target, explorer.task.target.predict

        def counted(inputs):
            outputs = predict(inputs)
            self._counted += len(outputs)
            return outputs

        target.predict = counted

    def on_train_batch_start(self, trainer, explorer, *args) -> None:
        if self.pairs is None:
            self.pairs = self._counted


def test_a_resumed_run_keeps_its_probes_outcomes(tmp_path: Path) -> None:
    """The checkpoint keeps the probes' outcomes: a resumed run evaluated them again (5% of the
    budget on the target) before its first step. Its estimate is an unstopped run's."""
    spec = synthetic_spec()
    unstopped = RandomExplorer(task=spec, budget=100, num_envs=10, coverage_probes=0.2)
    discover(unstopped, tmp_path / "unstopped")
    stopped = search_stopped_at_step(tmp_path / "stopped", spec, coverage_probes=0.2)
    assert stopped.probes.evaluated and len(stopped.probes.keys) == 20
    counting = _TargetCallsBeforeTheFirstStep()
    resumed = RandomExplorer(task=spec, budget=100, num_envs=10, coverage_probes=0.2)
    discover(resumed, tmp_path / "stopped", callbacks=[counting], ckpt_path=stopped.run_dir)
    assert counting.pairs == 0
    assert (
        resumed.summary()["estimated_remaining_failures"]
        == (unstopped.summary()["estimated_remaining_failures"])
    )
