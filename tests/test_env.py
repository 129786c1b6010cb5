"""The failure environment: gymnasium's API, memoized batches, budgets, rewards."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from ffade.env import Evaluator, FailureEnv, FailureVectorEnv
from ffade.errors import FfadeError
from ffade.task import build_task
from tests.helpers import synthetic_spec


@pytest.fixture
def evaluator() -> Evaluator:
    return Evaluator(build_task(synthetic_spec()), batch_size=8)


@pytest.mark.parametrize("mode", ["macroscopic", "microscopic"])
def test_gymnasium_env_checker_passes(evaluator: Evaluator, mode: str) -> None:
    check_env(FailureEnv(evaluator, mode=mode), skip_render_check=True)


def test_observation_holds_features_and_state_but_not_the_answer(evaluator: Evaluator) -> None:
    env = FailureEnv(evaluator)
    obs, _ = env.reset(seed=0, options={"input_id": 3})
    assert set(obs) == {"features", "state"}
    assert np.allclose(obs["features"], evaluator.task.inputs[3][0]["features"].numpy())
    assert obs["state"].tolist() == evaluator.space.neutral.tolist()


def test_repeats_are_memoized_and_free(evaluator: Evaluator) -> None:
    ids = np.array([0, 1, 0])
    states = np.array([[9, 9, 0], [0, 0, 0], [9, 9, 0]])
    first = evaluator.evaluate(ids, states)
    assert evaluator.evaluations == 2  # the repeated pair in one call is evaluated once
    assert first.new_failure.tolist() == [True, False, False]
    again = evaluator.evaluate(ids, states)
    assert evaluator.evaluations == 2
    assert again.failed.tolist() == first.failed.tolist()
    assert not again.new_failure.any()


def test_batched_results_match_one_by_one(evaluator: Evaluator) -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, evaluator.num_inputs, 40)
    states = evaluator.space.sample(rng, 40)
    batched = evaluator.evaluate(ids, states)
    single = Evaluator(evaluator.task, batch_size=1)
    for i in range(40):
        one = single.evaluate(ids[i : i + 1], states[i : i + 1])
        assert one.metric[0] == pytest.approx(batched.metric[i])


def test_budget_is_never_exceeded(evaluator: Evaluator) -> None:
    evaluator.budget = 5
    states = evaluator.space.sample(np.random.default_rng(1), 8)
    out = evaluator.evaluate(np.arange(8), states)
    assert evaluator.evaluations == 5
    assert out.evaluated.sum() == 5


def test_macroscopic_episodes_last_one_step_and_reward_new_failures(evaluator: Evaluator) -> None:
    env = FailureVectorEnv(evaluator, num_envs=2, novelty_bonus=5.0)
    env.reset(options={"input_ids": [0, 0]})
    _, rewards, terminated, truncated, info = env.step(np.array([[9, 9, 0], [9, 9, 0]]))
    assert terminated.all() and not truncated.any()
    assert info["failed"].all()
    assert rewards[0] == pytest.approx(rewards[1] + 5.0)  # the second copy found nothing new


def test_microscopic_steps_pay_a_penalty_and_end_on_failure(evaluator: Evaluator) -> None:
    env = FailureVectorEnv(evaluator, num_envs=1, mode="microscopic", step_penalty=0.5, max_steps=3)
    env.reset(options={"input_ids": [0]})
    _, reward, terminated, truncated, info = env.step(np.array([2]))  # axis0 one step up: passes
    assert not info["failed"][0] and not terminated[0]
    assert reward[0] == pytest.approx(-1.0 - 0.5)
    env.step(np.array([4]))
    _, _, terminated, truncated, _ = env.step(np.array([4]))  # axis1 up twice: still passes
    assert truncated[0] and not terminated[0]  # the step limit
    env.reset(options={"input_ids": [0], "states": [[9, 8, 0]]})
    _, reward, terminated, _, info = env.step(np.array([4]))  # axis1 up into the corner region
    assert info["failed"][0] and terminated[0] and reward[0] > 0


def test_a_failure_on_the_last_allowed_step_terminates_rather_than_truncates(
    evaluator: Evaluator,
) -> None:
    """Gymnasium's rule: the failure ends the episode; Q-learning must not bootstrap past it."""
    env = FailureVectorEnv(evaluator, num_envs=1, mode="microscopic", max_steps=1)
    env.reset(options={"input_ids": [0], "states": [[9, 8, 0]]})
    _, _, terminated, truncated, info = env.step(np.array([4]))  # into the corner, last step
    assert info["failed"][0] and terminated[0] and not truncated[0]


def test_a_microscopic_stop_is_paid_for_the_rest_of_the_episode(evaluator: Evaluator) -> None:
    """Stopping at a passing state must cost what staying there until the limit would.

    Were it free, a negative pass reward would make stopping at once the best policy: a DQN
    learned to stop 70-90% of the time on the digits grid and found no more than random search.
    """
    env = FailureVectorEnv(evaluator, num_envs=1, mode="microscopic", step_penalty=0.5, max_steps=4)
    env.reset(options={"input_ids": [0]})
    env.step(np.array([2]))  # one step, passes
    _, reward, terminated, _, info = env.step(np.array([0]))  # stop there, 3 steps before the end
    assert terminated[0] and info["stopped"][0] and not info["failed"][0]
    assert reward[0] == pytest.approx(3 * (-1.0 - 0.5))


def test_nan_scores_are_invalid_not_passes(tmp_path, monkeypatch) -> None:
    """A target that returns NaN has not passed: the evaluation is 'invalid', warned once."""
    import json
    import warnings

    import torch

    from ffade.records import RunRecorder, read_evaluations

    task = build_task(synthetic_spec())
    predict = task.target.predict

    def half_nan(inputs):
        out = predict(inputs)
        return torch.where(inputs["coords"][:, 0] > 0.5, torch.nan, out)

    monkeypatch.setattr(task.target, "predict", half_nan)
    evaluator = Evaluator(task, batch_size=8, recorder=RunRecorder(tmp_path))
    states = np.array([[i, 9, 0] for i in range(10)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = evaluator.evaluate(np.zeros(10, np.int64), states)
        evaluator.evaluate(np.ones(10, np.int64), states)
    assert len([w for w in caught if "invalid" in str(w.message)]) == 1
    evaluator.recorder.close()
    assert evaluator.invalid == 10  # axis0 > 0.5 on states 5..9, for two inputs
    assert not outcome.failed[5:].any() and np.all(outcome.reward[5:] == 0.0)
    records = list(read_evaluations(tmp_path))
    assert sum(r.invalid for r in records) == 10
    assert all(not r.failed for r in records if r.invalid)
    assert evaluator.state_dict()["invalid"] == 10
    counts = evaluator.counts()  # summary.json's rate leaves them out, as the report's does
    assert counts["evaluations"] == 20 and counts["failures"] > 0
    assert counts["failure_rate"] == counts["failures"] / 10
    line = (tmp_path / "evaluations.jsonl").read_text().splitlines()[0]
    assert "invalid" not in json.loads(line)  # valid lines are as before


def test_a_nan_reward_is_warned_as_the_reward_s_not_the_target_s(monkeypatch) -> None:
    """A reward plugin that gave NaN rewards for finite metrics was warned about as "the target's
    outputs scored 0.37 (not a finite number)": a finite number, and the wrong plugin."""
    import warnings

    import torch

    from ffade.plugin_api import Scores

    task = build_task(synthetic_spec())
    score = task.reward.score

    def nan_reward(outputs, references, clean_outputs=None):
        scores = score(outputs, references, clean_outputs)
        return Scores(scores.metric, scores.failed, torch.full_like(scores.reward, torch.nan))

    monkeypatch.setattr(task.reward, "score", nan_reward)
    evaluator = Evaluator(task, batch_size=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluator.evaluate(np.zeros(2, np.int64), np.array([[1, 2, 3], [4, 5, 6]]))
    (message,) = [str(w.message) for w in caught if "invalid" in str(w.message)]
    assert message.startswith("reward 'margin' gave reward nan for metric ")
    assert "the target's outputs" not in message and evaluator.invalid == 2


def test_a_nan_metric_is_warned_naming_the_reward_and_the_target(monkeypatch) -> None:
    """A reward plugin whose metric was NaN on finite outputs was warned about as "the target's
    outputs scored nan": no plugin named, and the target blamed for the reward's arithmetic."""
    import warnings

    import torch

    from ffade.plugin_api import Scores

    task = build_task(synthetic_spec())
    score = task.reward.score

    def nan_metric(outputs, references, clean_outputs=None):
        scores = score(outputs, references, clean_outputs)
        return Scores(torch.full_like(scores.metric, torch.nan), scores.failed, scores.reward)

    monkeypatch.setattr(task.reward, "score", nan_metric)
    evaluator = Evaluator(task, batch_size=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluator.evaluate(np.zeros(2, np.int64), np.array([[1, 2, 3], [4, 5, 6]]))
    (message,) = [str(w.message) for w in caught if "invalid" in str(w.message)]
    assert message.startswith(
        "reward 'margin' scored the outputs of target 'synthetic' as metric nan (not a finite"
    )
    assert evaluator.invalid == 2


def test_an_invalid_evaluation_names_its_input_s_id_in_the_split(monkeypatch) -> None:
    """``ffade check`` evaluates only the inputs its pairs name, renumbered from 0; the warning
    names the input by its id in the split (``split_ids``), as the suite does."""
    import warnings

    import torch

    task = build_task(synthetic_spec())
    predict = task.target.predict
    monkeypatch.setattr(task.target, "predict", lambda inputs: predict(inputs) * torch.nan)
    picked = replace(task, inputs=[task.inputs[5], task.inputs[7]])
    evaluator = Evaluator(picked, batch_size=8, split_ids=np.array([5, 7]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluator.evaluate(np.array([1]), np.array([[1, 2, 3]]))
    (message,) = [str(w.message) for w in caught if "invalid" in str(w.message)]
    assert "on input 7 at" in message


def test_a_start_state_is_grid_indices_or_concept_values(evaluator: Evaluator) -> None:
    """docs/plugins.md's FailureEnv takes the explorers' keywords: start_state as the explorer's
    {concept label: value} works too (it used to end in a TypeError deep in numpy)."""
    by_value = FailureEnv(evaluator, mode="microscopic", start_state={"axis0": 0.444})
    by_index = FailureEnv(evaluator, mode="microscopic", start_state=[4, 0, 0])
    for env in (by_value, by_index):
        obs, _ = env.reset(seed=0)
        assert obs["state"].tolist() == [4, 0, 0]


@pytest.mark.parametrize("start", [[4, 0], [4, 0, 10], [-1, 0, 0], [0.5, 0, 0]])
def test_a_start_state_off_the_grid_is_one_line_naming_it(evaluator: Evaluator, start) -> None:
    with pytest.raises(FfadeError) as error:
        FailureEnv(evaluator, mode="microscopic", start_state=start)
    assert str(error.value) == (
        "start_state must be 3 grid indices, one per concept (axis0 0-9, axis1 0-9, axis2 0-9), "
        f"or {{concept label: value}}; got {start!r}"
    )
    with pytest.raises(FfadeError, match=r"^start_state: unknown concept axis7; concepts: axis0"):
        FailureEnv(evaluator, mode="microscopic", start_state={"axis7": 0.0})


AXES = "axis0 0-9, axis1 0-9, axis2 0-9"
MOVES = "one move 0-6 (0 stop, 1/2 axis0 down/up, 3/4 axis1 down/up, 5/6 axis2 down/up)"


def test_a_mode_that_is_neither_is_one_line(evaluator: Evaluator) -> None:
    """'macro' used to build a microscopic environment without a word."""
    with pytest.raises(
        FfadeError, match=r"^mode must be 'macroscopic' or 'microscopic'; got 'macro'$"
    ):
        FailureEnv(evaluator, mode="macro")


@pytest.mark.parametrize("mode", ["macroscopic", "microscopic"])
def test_a_step_before_reset_is_one_line(evaluator: Evaluator, mode: str) -> None:
    """It used to evaluate input 0 at whatever state the episodes were built with."""
    env = FailureEnv(evaluator, mode=mode)
    with pytest.raises(FfadeError, match=r"^step\(\) before reset\(\): call reset\(\) first"):
        env.step(env.action_space.sample())
    vector = FailureVectorEnv(evaluator, num_envs=2, mode=mode)
    with pytest.raises(FfadeError, match=r"^step\(\) before reset\(\)"):
        vector.step(vector.action_space.sample())
    assert evaluator.evaluations == 0


def test_a_step_after_the_episode_ended_is_one_line(evaluator: Evaluator) -> None:
    """It used to start a new episode on a random input unasked (the vector env's autoreset),
    so an agent that forgot reset() learned from transitions it never chose."""
    env = FailureEnv(evaluator, mode="macroscopic")
    env.reset(seed=0)
    _, _, terminated, _, _ = env.step(env.action_space.sample())
    assert terminated  # a macroscopic episode is one step
    evaluations = evaluator.evaluations
    with pytest.raises(FfadeError, match=r"^step\(\) after the episode ended: call reset\(\)"):
        env.step(env.action_space.sample())
    assert evaluator.evaluations == evaluations
    env.reset()
    env.step(env.action_space.sample())  # a reset starts the next episode


@pytest.mark.parametrize(
    ("mode", "action", "shown"),
    [
        ("macroscopic", [1, 2], "[1, 2]"),  # was numpy's "cannot reshape array"
        ("macroscopic", [1, 2, 30], "[1, 2, 30]"),  # was an IndexError deep in a concept
        ("macroscopic", [-1, 2, 3], "[-1, 2, 3]"),  # was evaluated as the last grid value
        ("macroscopic", [1.5, 2, 3], "[1.5, 2.0, 3.0]"),  # was truncated to 1
        ("microscopic", 99, "99"),
        ("microscopic", -1, "-1"),  # was a move of the last concept
        ("microscopic", [1, 2], "[1, 2]"),
    ],
)
def test_an_action_outside_the_space_is_one_line(
    evaluator: Evaluator, mode: str, action, shown: str
) -> None:
    env = FailureEnv(evaluator, mode=mode)
    env.reset(seed=0)
    allowed = f"3 grid indices, one per concept ({AXES})" if mode == "macroscopic" else MOVES
    with pytest.raises(FfadeError) as error:
        env.step(np.asarray(action))
    assert str(error.value) == f"a {mode} action is {allowed}; got {shown}"
    assert evaluator.evaluations == 0


def test_whole_actions_of_any_integer_or_float_dtype_are_taken(evaluator: Evaluator) -> None:
    env = FailureEnv(evaluator)
    for action in ([9, 9, 0], np.array([9, 9, 0], np.int32), np.array([9.0, 9.0, 0.0])):
        env.reset(seed=0, options={"input_id": 0})
        obs, _, _, _, info = env.step(action)
        assert obs["state"].tolist() == [9, 9, 0] and info["failed"]


def test_the_vector_env_names_its_episodes_in_an_action_mistake(evaluator: Evaluator) -> None:
    env = FailureVectorEnv(evaluator, num_envs=2)
    env.reset(seed=0)
    with pytest.raises(FfadeError) as error:
        env.step(np.array([1, 2, 3]))
    assert str(error.value) == (
        "a macroscopic action, one for each of the 2 episodes, is 3 grid indices, one per "
        f"concept ({AXES}); got [1, 2, 3]"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"input": 3}, "reset() options take input_id, state; unknown: input"),
        ({"input_id": 8}, "options['input_id'] must be one of the 8 inputs' ids, 0-7; got 8"),
        (
            {"state": [1, 2, 10]},
            f"options['state'] must be 3 grid indices, one per concept ({AXES}); got [1, 2, 10]",
        ),
    ],
)
def test_reset_options_are_checked(evaluator: Evaluator, options, message: str) -> None:
    """A misspelled option used to be ignored; an input id off the end, an IndexError."""
    with pytest.raises(FfadeError) as error:
        FailureEnv(evaluator, mode="microscopic").reset(seed=0, options=options)
    assert str(error.value) == message


def test_the_vector_env_checks_its_reset_options(evaluator: Evaluator) -> None:
    env = FailureVectorEnv(evaluator, num_envs=2)
    with pytest.raises(FfadeError, match=r"^reset\(\) options take reset_mask, input_ids, states"):
        env.reset(options={"input_id": 3})
    with pytest.raises(FfadeError, match=r"^options\['input_ids'\] must be 2 of the 8 inputs"):
        env.reset(options={"input_ids": [0]})
    with pytest.raises(FfadeError, match=r"^options\['states'\] must be 2 states of 3 grid"):
        env.reset(options={"states": [[0, 0, 0], [0, 0, -1]]})
    with pytest.raises(FfadeError, match=r"^reset_mask must be 2 booleans; got \[1, 0\]"):
        env.reset(options={"reset_mask": [1, 0]})


def test_after_the_budget_a_new_pair_pays_nothing_and_a_repeat_is_answered(
    evaluator: Evaluator,
) -> None:
    """docs/plugins.md's Budget bullet: the memo still answers repeats."""
    evaluator.budget = 1
    env = FailureEnv(evaluator)
    env.reset(seed=0, options={"input_id": 0})
    _, first, *_ = env.step([9, 9, 0])
    env.reset(options={"input_id": 0})
    _, reward, terminated, truncated, info = env.step([1, 1, 1])
    assert (reward, terminated, truncated, info["evaluated"]) == (0.0, False, True, False)
    assert info["metric"] == 0.0
    env.reset(options={"input_id": 0})
    _, again, terminated, truncated, info = env.step([9, 9, 0])
    assert info["evaluated"] and info["failed"] and not info["new_failure"]
    assert terminated and not truncated and again == pytest.approx(first - 1.0)  # no bonus


def test_reinforce_learns_the_synthetic_failures_from_the_rewards(evaluator: Evaluator) -> None:
    """The rewards carry the signal: a tabular REINFORCE policy learns to pick failing states."""
    env = FailureEnv(evaluator, novelty_bonus=0.0)
    rng = np.random.default_rng(0)
    logits = np.zeros((3, 10))
    failed, baseline = [], 0.0
    env.reset(seed=0)
    for _ in range(600):
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        action = np.array([rng.choice(10, p=p) for p in probs])
        _, reward, *_, info = env.step(action)
        failed.append(info["failed"])
        grad = -probs
        grad[np.arange(3), action] += 1
        logits += 0.1 * (reward - baseline) * grad
        baseline += 0.05 * (reward - baseline)
        env.reset()
    assert np.mean(failed[:100]) < 0.5 < 0.9 < np.mean(failed[-100:])


@pytest.mark.parametrize("mode", ["macroscopic", "microscopic"])
def test_the_vector_env_keeps_gymnasium_s_contract_and_its_seed(mode: str) -> None:
    """Sampled actions step; observations lie in the space; the same seed, the same run."""

    def run(seed: int) -> list:
        env = FailureVectorEnv(Evaluator(build_task(synthetic_spec()), batch_size=8), 4, mode)
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        seen = []
        for _ in range(6):
            assert env.observation_space.contains(obs)
            obs, rewards, terminated, truncated, info = env.step(env.action_space.sample())
            assert rewards.dtype == np.float32 and terminated.dtype == truncated.dtype == bool
            assert set(info) == {"failed", "new_failure", "evaluated", "metric", "stopped"}
            assert all(len(v) == 4 for v in (rewards, terminated, truncated, *info.values()))
            seen.append((obs["features"].tolist(), obs["state"].tolist(), rewards.tolist()))
            done = terminated | truncated
            if done.any():
                obs, _ = env.reset(options={"reset_mask": done})
        env.close()
        return seen

    assert run(1) == run(1) != run(2)


def test_keywords_out_of_range_are_one_line_naming_the_keyword(evaluator: Evaluator) -> None:
    """Built from Python, no config check saw them: max_steps=0, a NaN step penalty and a
    negative reward_clip built an env, and Evaluator(budget=1.5) counted down to -0.5."""
    refused = {
        "max_steps must be a whole number from 1, got 0": {"max_steps": 0},
        "max_steps must be a whole number from 1, got 2.5": {"max_steps": 2.5},
        "step_penalty must be a finite number from 0, got nan": {"step_penalty": float("nan")},
        "novelty_bonus must be a finite number from 0, got -1": {"novelty_bonus": -1},
        "reward_clip must be a finite number above 0, got 0": {"reward_clip": 0},
    }
    for expected, keywords in refused.items():
        with pytest.raises(FfadeError) as error:
            FailureEnv(evaluator, mode="microscopic", **keywords)
        assert str(error.value) == expected
    task = evaluator.task
    for keywords, expected in (
        ({"batch_size": 0}, "Evaluator: batch_size must be a whole number from 1, got 0"),
        ({"batch_size": "auto"}, "Evaluator: batch_size must be a whole number from 1, got 'auto'"),
        ({"budget": 1.5}, "Evaluator: budget must be a whole number from 0, got 1.5"),
        ({"budget": -1}, "Evaluator: budget must be a whole number from 0, got -1"),
    ):
        with pytest.raises(FfadeError) as error:
            Evaluator(task, **keywords)
        assert str(error.value) == expected
    assert Evaluator(task, batch_size=np.int64(4), budget=0).remaining == 0
    assert FailureEnv(Evaluator(task), reward_clip=5.0, step_penalty=0).reset()[0]["state"].shape
