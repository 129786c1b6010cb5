"""``stop_when``: parsed strictly, judged on a full window, and the reason lands in summary.json."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from lightning.pytorch import Callback

from ffade.errors import FfadeError
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.explore.stopping import (
    ALL_INVALID_LIMIT,
    TRAINER_STOPPED,
    RecentFailures,
    StopRule,
    parse_stop_rule,
    reachable_states,
)
from tests.helpers import REPO, ffade_in_process, synthetic_spec, write_config


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("new_failures_per_1000 < 5", StopRule("new_failures_per_1000", "<", 5.0)),
        ("estimated_remaining<=10.5", StopRule("estimated_remaining", "<=", 10.5)),
        ("  estimated_remaining <= 0 ", StopRule("estimated_remaining", "<=", 0.0)),
    ],
)
def test_rules_parse(text: str, rule: StopRule) -> None:
    assert parse_stop_rule(text) == rule


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("new_failures < 5", "unknown quantity 'new_failures'"),
        ("estimated_remaining > 5", "is not a rule"),
        ("estimated_remaining < ten", "is not a rule"),
        ("estimated_remaining < 5 and new_failures_per_1000 < 1", "is not a rule"),
        ("", "is not a rule"),
        ("new_failures_per_1000 < -5", "NUMBER written in digits, from 0"),
    ],
)
def test_bad_rules_are_one_line_errors(text: str, says: str) -> None:
    with pytest.raises(FfadeError, match=says) as error:
        parse_stop_rule(text)
    assert "\n" not in str(error.value) and "new_failures_per_1000" in str(error.value)


@pytest.mark.parametrize("rule", ["new_failures_per_1000 < 0", "estimated_remaining < 0.0"])
def test_a_rule_below_zero_that_can_never_hold_is_refused(tmp_path: Path, rule: str) -> None:
    """Both quantities are never below 0: '< 0' would never end the search, in silence."""
    config = write_config(tmp_path / "config.yaml", explorer="ffade.explore.RandomExplorer")
    done = ffade_in_process("fit", "--config", str(config), "--model.init_args.stop_when", rule)
    quantity = rule.split()[0]
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ffade: error: model.init_args.stop_when '{rule}' can never hold: {quantity} is never "
        f"below 0, so the rule would never end the search; write '{quantity} <= 0' to stop when "
        "it reaches 0, or a limit above 0"
    ]
    assert not (tmp_path / "runs").exists()  # refused before any run directory


def test_estimated_remaining_needs_probes() -> None:
    with pytest.raises(FfadeError, match="needs coverage_probes above 0"):
        RandomExplorer(
            task=synthetic_spec(), stop_when="estimated_remaining < 5", coverage_probes=0
        )


def test_the_window_is_judged_only_once_full() -> None:
    recent = RecentFailures()
    recent.add(600, 30)
    assert recent.per_1000() is None
    recent.add(600, 0)
    assert recent.per_1000() == pytest.approx(1000 * 30 / 1200)
    recent.add(600, 6)  # the first step falls out: 600 + 600 still cover the window
    assert recent.per_1000() == pytest.approx(1000 * 6 / 1200)


def summary_of(run) -> dict:
    return json.loads((Path(run.recorder.run_dir) / "summary.json").read_text())


def test_a_rule_ends_the_search_early_and_says_why(tmp_path: Path) -> None:
    rule = "new_failures_per_1000 < 1000"  # always true once 1,000 evaluations are in
    run = discover(
        RandomExplorer(task=synthetic_spec(), budget=4000, num_envs=100, stop_when=rule),
        tmp_path,
        seed=0,
    )
    summary = summary_of(run)
    assert 1000 <= summary["evaluations"] < 1200 and summary["status"] == "finished"
    assert summary["stop_reason"].startswith("stop_when: new_failures_per_1000 = ")
    assert summary["stop_reason"].endswith("< 1000")


def test_the_remaining_rule_compares_the_intervals_upper_end(tmp_path: Path) -> None:
    # the synthetic grid has 8,000 pairs: the upper end is below 10^5 before the first step
    run = discover(
        RandomExplorer(task=synthetic_spec(), budget=400, stop_when="estimated_remaining < 100000"),
        tmp_path,
        seed=0,
    )
    summary = summary_of(run)
    assert summary["evaluations"] == 0
    assert summary["estimated_remaining_failures"]["high"] < 100000
    assert summary["stop_reason"].startswith("stop_when: estimated_remaining = ")


def test_a_trainer_limit_is_no_spent_budget(tmp_path: Path) -> None:
    # --trainer.max_steps (or max_time) ends the search by Lightning's hand, not the budget's:
    # summary.json said "budget spent" for 96 of 800 evaluations, and the closing lines said
    # nothing of the budget left
    config = write_config(tmp_path / "c.yaml", budget=800)
    done = ffade_in_process("fit", "--config", str(config), "--trainer.max_steps", "4")
    assert done.returncode == 0, done.stderr
    summary = json.loads(next((tmp_path / "runs").rglob("summary.json")).read_text())
    assert summary["status"] == "finished" and summary["evaluations"] < 800
    # it named max_time or a callback, not the max_steps given
    assert summary["stop_reason"] == f"{TRAINER_STOPPED} (trainer.max_steps 4)"
    assert f"stopped before the budget (800): {summary['stop_reason']}" in done.stdout
    run = next((tmp_path / "runs").rglob("summary.json")).parent
    command = f"ffade fit --config {run}/config.yaml --ckpt_path {run} --trainer.max_steps -1"
    assert f"continue it: {command}" in done.stdout


def test_a_trainer_max_time_is_named_as_the_limit_reached(tmp_path: Path) -> None:
    """The Timer stops mid-epoch, and Lightning counts the epoch done: the reason said
    "trainer.max_epochs 1", a limit the user never gave, and not the max_time they did."""
    config = write_config(tmp_path / "c.yaml", budget=100_000)  # far more than a second's work
    done = ffade_in_process("fit", "--config", str(config), "--trainer.max_time", "00:00:00:01")
    assert done.returncode == 0, done.stderr
    summary = json.loads(next((tmp_path / "runs").rglob("summary.json")).read_text())
    assert summary["status"] == "finished" and summary["evaluations"] < 100_000
    assert summary["stop_reason"] == f"{TRAINER_STOPPED} (trainer.max_time)"
    assert done.stdout.rstrip().count("--trainer.max_time null") == 1  # how to go on


def test_a_trainer_max_epochs_is_named_where_an_epoch_ends_before_the_budget(
    tmp_path: Path,
) -> None:
    """An epoch is the whole search, unless limit_train_batches ends it sooner: then the
    Trainer's max_epochs (1 by default) ends the run after that many batches."""
    config = write_config(tmp_path / "c.yaml", budget=800)
    done = ffade_in_process("fit", "--config", str(config), "--trainer.limit_train_batches", "3")
    assert done.returncode == 0, done.stderr
    summary = json.loads(next((tmp_path / "runs").rglob("summary.json")).read_text())
    assert summary["evaluations"] == 3 * 16  # three steps of num_envs 16
    assert summary["stop_reason"] == f"{TRAINER_STOPPED} (trainer.max_epochs 1)"


def test_max_steps_on_an_explorer_without_an_optimizer_is_a_note(tmp_path: Path) -> None:
    # Lightning counts optimizer steps; random search makes none, so --trainer.max_steps never
    # stopped it and the run spent its whole budget without a word
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=120)
    done = ffade_in_process("fit", "--config", str(config), "--trainer.max_steps", "2")
    assert done.returncode == 0, done.stderr
    assert (
        "ffade: note: trainer.max_steps (2) counts optimizer steps and RandomExplorer makes none, "
        "so it will not stop this run; give trainer.max_time, or a smaller model.init_args.budget"
    ) in done.stderr.splitlines()
    summary = json.loads(next((tmp_path / "runs").rglob("summary.json")).read_text())
    assert summary["evaluations"] == 120 and summary["stop_reason"] == "budget spent"
    dqn = ["--model", "DQNExplorer", "--trainer.max_steps", "2"]
    learner = ffade_in_process("fit", "--config", str(config), *dqn)
    assert learner.returncode == 0 and "counts optimizer steps" not in learner.stderr


def test_a_rate_rule_the_budget_never_reaches_is_a_note(tmp_path: Path) -> None:
    # new_failures_per_1000 is judged once 1,000 evaluations are in: on a budget of 500 the
    # rule silently did nothing
    config = write_config(tmp_path / "c.yaml", budget=500)
    rule = "new_failures_per_1000 < 5"
    done = ffade_in_process("fit", "--config", str(config), "--model.init_args.stop_when", rule)
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if "stop_when" in line]
    assert notes == [
        f"ffade: note: stop_when '{rule}' is judged over the latest 1,000 evaluations, and this "
        "run makes at most 500: it never ends this search"
    ]


def test_a_remaining_rule_that_holds_before_any_evaluation_says_nothing_was_searched(
    tmp_path: Path,
) -> None:
    # the probes' upper end on the 8,000-pair grid is already below 10^5: the run ended with 0
    # evaluations and only stop_reason hinted at why
    config = write_config(tmp_path / "c.yaml", budget=400)
    rule = "estimated_remaining < 100000"
    done = ffade_in_process("fit", "--config", str(config), "--model.init_args.stop_when", rule)
    assert done.returncode == 0, done.stderr
    summary = json.loads(next((tmp_path / "runs").rglob("summary.json")).read_text())
    high = summary["estimated_remaining_failures"]["high"]
    assert summary["evaluations"] == 0 and high < 100000
    notes = [line for line in done.stderr.splitlines() if "stop_when" in line]
    said = re.fullmatch(
        f"ffade: note: stop_when '{rule}' held before the first evaluation \\(the coverage "
        r"probes alone put the failing pairs left at most ([0-9.]+), the 95% interval's upper "
        r"end\), so nothing was searched; to search, set stop_when's limit below \1 or drop it",
        notes[0] if len(notes) == 1 else "",
    )
    assert said and float(said[1]) == pytest.approx(high, abs=0.05), notes
    assert "evaluations: 0, failures: 0" in done.stdout  # the closing lines say the same value
    assert f"(400): stop_when: estimated_remaining = {said[1]} < 100000" in done.stdout
    below = f"estimated_remaining < {int(high)}"  # not met before the search: no note
    done = ffade_in_process("fit", "--config", str(config), "--model.init_args.stop_when", below)
    assert done.returncode == 0 and "nothing was searched" not in done.stderr, done.stderr


def test_max_idle_steps_of_one_reads_one_step(tmp_path: Path) -> None:
    """A microscopic random walk soon takes a step that evaluates nothing new (a stop, or a
    move back to a state evaluated already): with max_idle_steps 1 that ends the search."""
    explorer = RandomExplorer(
        task=synthetic_spec(mode="microscopic"), budget=800, num_envs=4, max_idle_steps=1
    )
    discover(explorer, tmp_path)
    assert explorer.evaluator.evaluations < 800
    assert explorer.stop_reason == "1 step without a new evaluation (max_idle_steps)"


def test_random_search_that_idles_on_a_used_up_grid_says_so_as_it_starts(tmp_path: Path) -> None:
    """Random search on a grid it had nearly used up drew pairs evaluated already until
    max_idle_steps ended it, its bar standing still and nothing said for a minute: once a tenth
    of max_idle_steps steps in a row find nothing new, one note says why and how it ends."""
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=100_000,
        task=synthetic_spec(num_concepts=2, num_inputs=8),
        num_envs=4,
        max_idle_steps=40,
        coverage_probes=0,
    )
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    (run,) = (tmp_path / "runs" / "test").iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stop_reason"] == "40 steps without a new evaluation (max_idle_steps)"
    notes = [line for line in done.stderr.splitlines() if "in a row evaluated nothing" in line]
    assert len(notes) == 1, done.stderr  # once, though the search idled again after it
    said = re.fullmatch(
        r"ffade: note: 4 steps in a row evaluated nothing new \(([\d,]+) of the 400 \(input, "
        r"state\) pairs are evaluated and the search keeps drawing those\): it ends after "
        r"max_idle_steps \(40\) such steps in a row unless a new pair comes first; a smaller "
        r"max_idle_steps ends such a wait sooner",
        notes[0],
    )
    assert said and int(said[1].replace(",", "")) <= summary["evaluations"] < 400, notes[0]


def test_a_microscopic_search_that_idles_says_its_episodes_walk_over_evaluated_states(
    tmp_path: Path,
) -> None:
    """A microscopic search idles because its episodes walk back over states evaluated already on
    their way out, not because it draws evaluated pairs: its note said "keeps drawing those",
    the words for uniform draws; it now says what the episodes do."""
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=500,
        task=synthetic_spec(num_concepts=2, num_inputs=8, mode="microscopic"),
        num_envs=4,
        max_steps=3,
        max_idle_steps=20,
        coverage_probes=0,
    )
    done = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    notes = [line for line in done.stderr.splitlines() if "in a row evaluated nothing" in line]
    assert len(notes) == 1, done.stderr[-2000:]
    assert re.fullmatch(
        r"ffade: note: 2 steps in a row evaluated nothing new \([\d,]+ of the 400 \(input, "
        r"state\) pairs are evaluated and its episodes keep walking over states evaluated "
        r"already\): it ends after max_idle_steps \(20\) such steps in a row unless a new pair "
        r"comes first; a smaller max_idle_steps ends such a wait sooner",
        notes[0],
    ), notes[0]


def test_a_small_max_idle_steps_ends_its_wait_without_a_note(tmp_path: Path) -> None:
    """Under ten idle steps the wait ends too soon to need saying: no note."""
    explorer = RandomExplorer(
        task=synthetic_spec(num_concepts=2, num_inputs=8),
        budget=100_000,
        num_envs=4,
        max_idle_steps=9,
        coverage_probes=0,
    )
    discover(explorer, tmp_path)
    assert explorer.stop_reason == "9 steps without a new evaluation (max_idle_steps)"
    assert not explorer.idle_noted


@pytest.mark.parametrize(("budget", "made"), [(200, ALL_INVALID_LIMIT), (8, 8)])
def test_a_search_whose_every_evaluation_is_invalid_fails_early(
    tmp_path: Path, budget: int, made: int
) -> None:
    """Every score NaN spent the whole budget and ended "no failures found"; the search stops
    after its first ALL_INVALID_LIMIT evaluations (or the budget, if smaller), naming the reward,
    keeps them, and offers no resume (it would replay them and stop again)."""
    target = {"name": "callable", "args": {"predict": "tests.api.callables:all_nan"}}
    config = write_config(
        tmp_path / "c.yaml",
        explorer="ffade.explore.RandomExplorer",
        budget=budget,
        task={**synthetic_spec(), "target": target},
    )
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("ffade: ")]
    assert lines[0].startswith("ffade: warning: reward 'margin' scored the outputs of target")
    first = re.search(r" on (input \d+ at \{.*\}); such", lines[0])
    assert first, lines[0]
    assert lines[1] == (  # the evaluation the warning names, in the line itself
        f"ffade: error: reward 'margin' gave no valid score to target 'callable' in all of its "
        f"first {made} evaluations (each a NaN metric, or a NaN or infinite reward), so the "
        "search stopped: check that the target's outputs are finite numbers the reward can "
        f"score (the first: {first[1]}, metric nan)"
    )
    run = next(tmp_path.glob("runs/*/version_0"))
    assert lines[2:] == [
        f"ffade: the run failed; the run so far is in {run} (summary.json: status failed)"
    ]
    assert "Traceback" not in result.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["status"], summary["evaluations"], summary["invalid"]) == ("failed", made, made)
    # the file's error stands alone: no "warning above", which only the terminal showed
    assert summary["error"] == "FfadeError: " + lines[1].removeprefix("ffade: error: ")
    assert "above" not in summary["error"] and "(the first: input " in summary["error"]
    # the README said "the same line" as the printed one, which summary.json never wrote
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    quoted = re.search(
        r"that line's message in summary\.json's `error` \(`([^`]+?) \.\.\.`\)", readme
    )
    assert quoted and summary["error"].startswith(quoted[1]), quoted
    assert len((run / "evaluations.jsonl").read_text().splitlines()) == made


def test_an_all_invalid_search_stops_at_the_end_of_the_step_that_reaches_the_limit(
    tmp_path: Path,
) -> None:
    """The README said such a search "stops after its first 32": a step evaluates its episodes'
    pairs together, so with 24 episodes a step it stopped at the end of its second step, past 32;
    the README now says so (up to 31 + num_envs)."""
    target = {"name": "callable", "args": {"predict": "tests.api.callables:all_nan"}}
    explorer = RandomExplorer(
        task={**synthetic_spec(), "target": target}, budget=200, num_envs=24, coverage_probes=0
    )
    with pytest.raises(FfadeError, match="gave no valid score"):
        discover(explorer, tmp_path)
    log = Path(explorer.recorder.run_dir) / "evaluations.jsonl"
    steps = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    before_last = sum(step < steps[-1] for step in steps)
    assert before_last < ALL_INVALID_LIMIT < len(steps) <= ALL_INVALID_LIMIT - 1 + 24
    summary = summary_of(explorer)
    assert (summary["status"], summary["evaluations"]) == ("failed", len(steps))
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "stops at the end of the search step that brings it to 32" in readme
    assert "at up to 31 + `num_envs`" in readme
    assert ALL_INVALID_LIMIT == 32


def test_reachable_states_counts_the_grid_states_within_max_steps_moves() -> None:
    for sizes, start, steps in [((5, 5, 5), (0, 2, 4), 3), ((3, 4), (1, 0), 10), ((2,), (0,), 0)]:
        grid = itertools.product(*(range(n) for n in sizes))
        near = [s for s in grid if sum(abs(a - b) for a, b in zip(s, start, strict=True)) <= steps]
        assert reachable_states(sizes, start, steps) == len(near)


def test_a_microscopic_search_that_reached_every_pair_it_can_says_so(tmp_path: Path) -> None:
    """It said "200 steps without a new evaluation (max_idle_steps)": true, but not why."""
    explorer = RandomExplorer(
        task=synthetic_spec(num_inputs=2, mode="microscopic"), budget=800, max_steps=1
    )
    discover(explorer, tmp_path)
    near = reachable_states(explorer.space.sizes, explorer.env.start_state, 1)
    assert explorer.evaluator.evaluations == explorer.evaluator.num_inputs * near < 800
    assert explorer.stop_reason == (
        "every (input, state) pair within max_steps (1) of the start state evaluated"
    )


def test_a_microscopic_search_that_reached_every_pair_it_can_stops_at_once(
    tmp_path: Path,
) -> None:
    """It idled max_idle_steps more steps (200 by default) first, each finding nothing new."""
    explorer = RandomExplorer(
        task=synthetic_spec(num_inputs=2, mode="microscopic"), budget=800, max_steps=1
    )
    discover(explorer, tmp_path)
    assert explorer.stop_reason.startswith("every (input, state) pair within max_steps (1)")
    assert explorer.idle_steps == 0  # stopped on the step after the last new evaluation


class CrashAt(Callback):
    """Kills the search after ``iterations`` steps, as a kill -9 would (no summary, no save)."""

    def __init__(self, iterations: int) -> None:
        self.iterations = iterations

    def on_train_batch_end(self, trainer, explorer, *args) -> None:
        if explorer.iterations == self.iterations:
            raise RuntimeError("killed")


@pytest.mark.parametrize(
    "killed_at",
    [8, 15],  # before the first checkpoint (step 10): replayed from the log; after it: restored
    ids=["replayed", "checkpointed"],
)
def test_a_resumed_run_judges_the_rate_over_the_evaluations_before_it_stopped(
    tmp_path: Path, killed_at: int
) -> None:
    """A resumed run keeps stop_when's window: it stops where an unbroken run stops (once 1,000
    evaluations are made), not after 1,000 more than it resumed with."""
    rule = "new_failures_per_1000 < 1000"  # true whenever it is judged

    def make() -> RandomExplorer:
        return RandomExplorer(task=synthetic_spec(), budget=4000, num_envs=50, stop_when=rule)

    with pytest.raises(RuntimeError, match="killed"):
        discover(make(), tmp_path, name="killed", checkpoints=True, callbacks=[CrashAt(killed_at)])
    killed = tmp_path / "killed" / "version_0"
    assert (killed / "checkpoints").exists() == (killed_at > 10)
    resumed = summary_of(discover(make(), tmp_path, name="resumed", ckpt_path=killed))
    # judged after the step that makes 1,000 evaluations (of up to 50 new pairs each), as an
    # unbroken run is; a window emptied at the resume waited 1,000 more (1,414 replayed)
    assert 1000 <= resumed["evaluations"] < 1050
    assert resumed["stop_reason"].startswith("stop_when: new_failures_per_1000 = ")
