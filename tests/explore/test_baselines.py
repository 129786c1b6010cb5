"""Baselines share the interface and records, and do what their names say."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from lightning.pytorch import Callback

from ffade.errors import FfadeError
from ffade.explore import DQNExplorer, EpsilonGreedyExplorer, GridExplorer, RandomExplorer
from ffade.explore.run import discover
from tests.helpers import enormous_reward, ffade_in_process, synthetic_spec, write_config


def test_grid_evaluates_every_pair_exactly_once(tmp_path: Path) -> None:
    spec = synthetic_spec(num_concepts=2, num_inputs=8)  # 4 discovery inputs x 100 states
    explorer = discover(GridExplorer(task=spec, budget=10_000, num_envs=64), tmp_path)
    assert explorer.evaluator.evaluations == 4 * 100
    assert explorer.status == "finished"


def test_a_grid_budget_short_of_every_pair_says_which_inputs_it_reaches(
    tmp_path: Path, capsys
) -> None:
    """The grid walks input by input: a budget of 250 on 4 inputs x 100 states searched inputs
    0 to 2, and the run's rates read as the model's without a word; a full sweep says nothing."""
    spec = synthetic_spec(num_concepts=2, num_inputs=8)  # 4 discovery inputs x 100 states
    explorer = discover(GridExplorer(task=spec, budget=250, num_envs=50), tmp_path)
    reached = explorer.evaluator.is_evaluated(np.arange(400)).reshape(4, 100).sum(1)
    assert reached.tolist() == [100, 100, 50, 0]
    (note,) = [line for line in capsys.readouterr().err.splitlines() if "grid explorer" in line]
    assert note == (
        "ffade: note: budget 250 covers 250 of the grid's 400 (input, state) pairs (4 inputs x "
        "100 states); the grid explorer walks every state of one input before the next, so this "
        "run evaluates the first 3 inputs only: a budget of 400 sweeps them all, and "
        "ffade.explore.RandomExplorer samples every input"
    )
    discover(GridExplorer(task=spec, budget=400, num_envs=50), tmp_path, name="all")
    assert "grid explorer walks" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cls", "name"), [(GridExplorer, "grid"), (EpsilonGreedyExplorer, "epsilon_greedy")]
)
def test_grid_and_epsilon_greedy_refuse_microscopic_mode(cls: type, name: str) -> None:
    """README and docs/discovery.md: these two baselines are macroscopic only."""
    with pytest.raises(
        FfadeError, match=rf"{name} explorer supports task\.mode macroscopic, not 'microscopic'"
    ):
        cls(task=synthetic_spec(mode="microscopic"))


@pytest.mark.parametrize("cls", [GridExplorer, EpsilonGreedyExplorer])
def test_a_start_state_for_a_macroscopic_only_explorer_is_not_told_to_go_microscopic(
    cls: type,
) -> None:
    """Telling the user to set task.mode: microscopic for a start state would only lead to the
    refusal above: these explorers search macroscopic tasks only, so the start state goes."""
    with pytest.raises(FfadeError) as error:
        cls(task=synthetic_spec(), start_state={"axis0": 0.5})
    assert str(error.value) == (
        "model.init_args.start_state is where microscopic episodes start; "
        f"{cls.__name__} searches macroscopic tasks only: remove it"
    )


def test_a_microscopic_task_refused_names_the_class_and_the_explorers_that_take_it() -> None:
    with pytest.raises(FfadeError) as error:
        EpsilonGreedyExplorer(task=synthetic_spec(mode="microscopic"), start_state={"axis0": 0.5})
    message = str(error.value)
    assert message.startswith("EpsilonGreedyExplorer: the epsilon_greedy explorer supports")
    assert "set task.mode: macroscopic" in message
    assert "DQNExplorer and RandomExplorer search both" in message


def test_random_and_epsilon_greedy_spend_the_budget_exactly(tmp_path: Path) -> None:
    for cls in (RandomExplorer, EpsilonGreedyExplorer):
        explorer = discover(
            cls(task=synthetic_spec(), budget=100, num_envs=16), tmp_path, name=cls.name
        )
        summary = explorer.summary()
        assert summary["evaluations"] == 100
        assert summary["gradient_updates"] == 0
        assert summary["explorer"] == cls.name


def test_random_walks_in_microscopic_mode(tmp_path: Path) -> None:
    explorer = RandomExplorer(task=synthetic_spec(mode="microscopic"), budget=60, num_envs=8)
    discover(explorer, tmp_path)
    assert explorer.evaluator.evaluations == 60


@pytest.mark.parametrize(
    ("key", "least"),
    [
        ("budget", 1),
        ("num_envs", 1),
        ("max_steps", 1),
        ("max_idle_steps", 1),
        ("step_penalty", 0),
        ("novelty_bonus", 0),
    ],
)
def test_counts_below_their_least_are_one_line_naming_the_key(key: str, least: int) -> None:
    with pytest.raises(FfadeError) as error:
        RandomExplorer(synthetic_spec(), **{key: least - 1})
    assert str(error.value) == f"model.init_args.{key} must be at least {least}, got {least - 1}"


@pytest.mark.parametrize("cls", [GridExplorer, RandomExplorer, EpsilonGreedyExplorer, DQNExplorer])
@pytest.mark.parametrize(
    ("key", "value"),
    [("budget", 2.5), ("budget", 3.0), ("budget", True), ("num_envs", 1.5), ("max_steps", 2.5)],
)
def test_counts_that_are_not_whole_are_refused_as_the_explorer_is_built(
    cls: type, key: str, value: object
) -> None:
    """GridExplorer(budget=2.5) built, and the run refused it only at setup, in other words
    (``budget must be a whole number from 0``); the CLI's int refuses it at once."""
    with pytest.raises(FfadeError) as error:
        cls(synthetic_spec(), **{key: value})
    assert str(error.value) == f"model.init_args.{key} must be a whole number from 1, got {value}"


@pytest.mark.parametrize(
    ("key", "value", "least"),
    [("batch_size", 8.5, 1), ("learning_starts", 1.5, 0), ("gradient_steps", True, 0)],
)
def test_dqn_counts_that_are_not_whole_are_refused_as_it_is_built(
    key: str, value: object, least: int
) -> None:
    with pytest.raises(FfadeError) as error:
        DQNExplorer(synthetic_spec(), budget=100, **{key: value})
    assert str(error.value) == (
        f"model.init_args.{key} must be a whole number from {least}, got {value}"
    )


@pytest.mark.parametrize("value", ["2.5", "true"])
def test_the_cli_refuses_a_budget_that_is_not_whole_in_one_line(tmp_path: Path, value) -> None:
    config = write_config(tmp_path / "c.yaml")
    args = ("--model", "GridExplorer", "--model.init_args.budget", value)
    result = ffade_in_process("fit", "--config", str(config), *args)
    assert result.returncode == 2
    assert result.stderr == f"ffade: error: model.init_args.budget: expected int, got {value}\n"


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan")])
def test_shares_outside_zero_to_one_are_one_line_naming_the_key(value: float) -> None:
    with pytest.raises(FfadeError) as error:
        RandomExplorer(synthetic_spec(), coverage_probes=value)
    # nan is said as every other check says it (require_at_least, the command line's nan)
    allowed = "a finite number" if value != value else "in [0, 1]"
    assert str(error.value) == f"model.init_args.coverage_probes must be {allowed}, got {value}"
    with pytest.raises(FfadeError) as error:
        EpsilonGreedyExplorer(synthetic_spec(), epsilon=value)
    assert str(error.value) == f"model.init_args.epsilon must be {allowed}, got {value}"


class _KilledAtStep5(Callback):
    def on_train_batch_end(self, trainer, explorer, *args) -> None:
        if explorer.iterations == 5:
            raise RuntimeError("killed")


def test_a_grid_sweep_resumed_from_its_log_goes_on_where_it_stopped(tmp_path: Path) -> None:
    """A grid run killed before its first checkpoint resumes from evaluations.jsonl: its cursor
    started again at pair 0 and walked over the logged pairs as idle steps, so max_idle_steps
    ended the sweep ("1 step without a new evaluation" here) with pairs left unevaluated."""
    with pytest.raises(RuntimeError, match="killed"):
        discover(
            GridExplorer(task=synthetic_spec(), budget=120, num_envs=8, max_idle_steps=1),
            tmp_path,
            name="killed",
            callbacks=[_KilledAtStep5()],
        )
    killed = tmp_path / "killed" / "version_0"
    resumed = discover(
        GridExplorer(task=synthetic_spec(), budget=120, num_envs=8, max_idle_steps=1),
        tmp_path,
        name="resumed",
        ckpt_path=killed,
    )
    run_dir = resumed.recorder.run_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["stop_reason"] == "budget spent"
    num_states = resumed.space.num_states
    pairs = [
        r["input_id"] * num_states + resumed.space.flat(r["state"]).item()
        for r in map(json.loads, (run_dir / "evaluations.jsonl").read_text().splitlines())
    ]
    assert pairs == list(range(120))  # in order, every state of input 0 first, none twice


def _steps_and_pairs(explorer: EpsilonGreedyExplorer) -> tuple[dict[int, int], list[tuple]]:
    """Evaluations per step and every (input, state) pair, from the run's evaluations.jsonl."""
    records = [
        json.loads(line)
        for line in (explorer.recorder.run_dir / "evaluations.jsonl").read_text().splitlines()
    ]
    per_step: dict[int, int] = {}
    for record in records:
        per_step[record["step"]] = per_step.get(record["step"], 0) + 1
    return per_step, [(r["input_id"], tuple(r["state"])) for r in records]


@pytest.mark.parametrize("epsilon", [0.0, 0.2])
def test_epsilon_greedy_rows_of_a_step_choose_distinct_new_pairs(
    tmp_path: Path, epsilon: float
) -> None:
    """8 inputs, 64 rows a step: greedy rows that share an input all took its best unevaluated
    arm, so a step evaluated that pair once and the other rows repeated it (budget 200 took 8
    steps, 18 with epsilon 0). Now each row takes a pair no other row and no earlier step took,
    so the budget is spent in ceil(200 / 64) = 4 steps of 64, 64, 64 and 8 new pairs."""
    explorer = discover(
        EpsilonGreedyExplorer(task=synthetic_spec(), budget=200, num_envs=64, epsilon=epsilon),
        tmp_path,
    )
    per_step, pairs = _steps_and_pairs(explorer)
    assert len(set(pairs)) == len(pairs) == 200
    assert per_step == {1: 64, 2: 64, 3: 64, 4: 8}
    assert explorer.iterations == 4


def test_epsilon_greedy_counts_each_evaluated_pair_as_one_pull(tmp_path: Path) -> None:
    """observe() counted a memo repeat (info["evaluated"] is True for it) as a new pull of its
    arm, so arms replayed by several rows looked more tried than they were. Now an arm's pulls
    are the evaluations of its state in the log."""
    explorer = discover(
        EpsilonGreedyExplorer(task=synthetic_spec(), budget=200, num_envs=64, epsilon=0.0),
        tmp_path,
    )
    _, pairs = _steps_and_pairs(explorer)
    logged: dict[int, int] = {}
    for _, state in pairs:
        arm = int(explorer.space.flat(list(state)))
        logged[arm] = logged.get(arm, 0) + 1
    assert explorer.pulls == logged
    assert sum(explorer.pulls.values()) == explorer.evaluator.evaluations == 200


def test_epsilon_greedy_prefers_an_untried_arm_to_one_known_to_pass(tmp_path: Path) -> None:
    """Greedy rows past an input's arms with a positive mean take an untried state (the
    estimate of an arm never pulled is 0), not an arm whose every pull passed (mean -1 under
    the margin reward): with 1,000 states untried ones are always left, so no greedy step
    replays a state that has only passed."""
    explorer = discover(
        EpsilonGreedyExplorer(task=synthetic_spec(), budget=200, num_envs=64, epsilon=0.0),
        tmp_path,
    )
    records = [
        json.loads(line)
        for line in (explorer.recorder.run_dir / "evaluations.jsonl").read_text().splitlines()
    ]
    outcomes: dict[tuple, list[bool]] = {}  # each state's outcomes before the current step
    for step in sorted({r["step"] for r in records}):
        now = [r for r in records if r["step"] == step]
        for record in now:
            before = outcomes.get(tuple(record["state"]), [])
            assert any(before) or not before, f"step {step} replayed a passing state {record}"
        for record in now:
            outcomes.setdefault(tuple(record["state"]), []).append(record["failed"])


@pytest.mark.parametrize("epsilon", [0.0, 1.0])
def test_epsilon_greedy_policy_is_what_its_next_step_takes(tmp_path: Path, epsilon: float) -> None:
    """policy.npy's ε-greedy action probabilities gave 1 - ε to the single best arm, while the
    greedy rows of a step take each input's k best unevaluated arms. With 200 arms planted
    above every other (more than any input has rows) and ε 0, the next step's rows are exactly
    the shares it reports; with ε 1, each input's rows spread over its unevaluated states."""
    explorer = discover(
        EpsilonGreedyExplorer(task=synthetic_spec(), budget=200, num_envs=64, epsilon=epsilon),
        tmp_path,
    )
    num_states, input_ids = explorer.space.num_states, np.asarray(explorer.env.input_ids)

    def unevaluated(input_id: int) -> np.ndarray:
        keys = input_id * num_states + np.arange(num_states)
        return ~explorer.evaluator.is_evaluated(keys)

    fresh = np.logical_and.reduce([unevaluated(i) for i in np.unique(input_ids).tolist()])
    planted = np.nonzero(fresh)[0][:200]
    for rank, arm in enumerate(planted.tolist()):
        explorer.pulls[arm], explorer.reward_sum[arm] = 1, 1e6 - rank
    probs = explorer.action_probabilities()
    assert probs.sum() == pytest.approx(1.0)
    if epsilon == 0.0:
        taken = explorer.space.flat(explorer.act({}))
        shares = np.bincount(taken, minlength=num_states) / len(taken)
        assert len(set(taken.tolist())) > 1  # the spread the single best arm hid
        np.testing.assert_allclose(probs, shares, atol=1e-12)
    else:
        expected = sum(
            (input_ids == i).sum() * unevaluated(i) / unevaluated(i).sum()
            for i in np.unique(input_ids).tolist()
        )
        np.testing.assert_allclose(probs, expected / len(input_ids), atol=1e-12)


def test_epsilon_greedy_clips_rewards_as_the_dqn_does(tmp_path: Path) -> None:
    """reward_clip was null by default for the bandit, so one state whose miss was paid 1e31
    kept the top mean for good and its greedy rows crowded out the rest. Now it is 1.0 by
    default, as the DQN's: every arm's mean is at most the clip plus the novelty bonus, and
    ``reward_clip: null`` still pays the plugin's reward in full."""
    with enormous_reward() as spec:
        means = {}
        for clip in ("default", None):
            args = {} if clip == "default" else {"reward_clip": clip}
            explorer = discover(
                EpsilonGreedyExplorer(task=spec, budget=64, num_envs=16, **args),
                tmp_path,
                name=str(clip),
            )
            assert explorer.evaluator.failures > 0
            means[clip] = max(explorer.reward_sum[a] / explorer.pulls[a] for a in explorer.pulls)
    assert explorer.hparams["reward_clip"] is None
    assert means["default"] <= 1.0 + 1.0  # the clip plus novelty_bonus
    assert means[None] > 1e30


def test_the_grid_walks_pairs_in_order_whatever_the_seed(tmp_path: Path) -> None:
    """The README's promise: every state of the first input, in the grid's order, before the
    second's, and the seed changes none of it (it moves only the coverage probes, which come
    after the budget's pairs)."""
    spec = synthetic_spec(num_concepts=2, num_inputs=8)  # 4 discovery inputs x 100 states
    walked = []
    for seed in (0, 1):
        explorer = GridExplorer(task=spec, budget=150, num_envs=16)
        run = discover(explorer, tmp_path, seed=seed, name=f"seed{seed}")
        log = Path(run.logger.log_dir) / "evaluations.jsonl"
        rows = [json.loads(line) for line in log.read_text().splitlines()][:150]
        walked.append([(row["input_id"], tuple(row["state"])) for row in rows])
    in_order = [(pair // 100, (pair % 100 // 10, pair % 10)) for pair in range(150)]
    assert walked[0] == walked[1] == in_order
