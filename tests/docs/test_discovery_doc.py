"""docs/discovery.md and docs/scale.md name defaults, limits, summary.json keys and benchmark
outputs; each is checked here against the code, so that changing one fails until the docs say
the new value."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ffade.checkpoint import LAST_CHECKPOINT, LastCheckpoint, load_checkpoint_file
from ffade.errors import FfadeError
from ffade.evaluated_pairs import MAX_BITMAP_PAIRS
from ffade.explore import (
    DQNExplorer,
    EpsilonGreedyExplorer,
    Explorer,
    RandomExplorer,
    base,
    dqn,
    optimism,
)
from ffade.explore.arguments import MAX_UNCHECKED_ENVS, check_num_envs
from ffade.explore.run import discover
from ffade.explore.stopping import TRAINER_STOPPED
from ffade.records import read_summary
from tests.helpers import REPO, synthetic_spec

DISCOVERY = (REPO / "docs" / "discovery.md").read_text(encoding="utf-8")
SCALE = (REPO / "docs" / "scale.md").read_text(encoding="utf-8")


def defaults(cls: type) -> dict[str, object]:
    return {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def flat(text: str) -> str:
    """The doc with its line breaks as spaces, so a phrase may wrap."""
    return re.sub(r"\s+", " ", text)


def test_the_dqn_defaults_the_doc_names() -> None:
    dqn_defaults, base_defaults = defaults(DQNExplorer), defaults(Explorer)
    doc = flat(DISCOVERY)
    assert dqn_defaults["exploration_bonus"] == 8 and "(`exploration_bonus`, default 8;" in doc
    assert dqn_defaults["reward_clip"] == 1.0 and "(`reward_clip: 1.0`)" in doc
    assert dqn_defaults["num_candidates"] == 1024 and "`num_candidates` (1,024)" in doc
    assert dqn_defaults["exploration_fraction"] == 0.1  # "ε reaches its floor after 10%"
    assert "floor after 10% of the budget (`exploration_fraction: 0.1`)" in doc
    assert dqn_defaults["start_e"] == 1.0 and dqn_defaults["end_e"] == 0.05
    assert "from `start_e` (1.0) to `end_e` (0.05)" in doc
    assert dqn_defaults["gradient_steps"] == 2  # "2 updates a step"
    assert base_defaults["coverage_probes"] == 0.05 and "5% of the budget by default" in doc
    assert EpsilonGreedyExplorer.name == "epsilon_greedy" and RandomExplorer.name == "random"


@pytest.mark.parametrize(("budget", "num_envs"), [(320, 16), (3456, 108), (3000, 93), (10**5, 256)])
def test_num_envs_is_the_budget_over_32_from_16_to_256(budget: int, num_envs: int) -> None:
    assert "by default the budget over 32, from 16 to 256" in flat(DISCOVERY)
    assert DQNExplorer(task=synthetic_spec(), budget=budget).num_envs == num_envs


def test_the_limits_the_doc_names() -> None:
    doc = flat(DISCOVERY)
    assert dqn.INPUT_POOL == 256 and "scores at most 256 inputs" in doc
    assert optimism.MAX_COUNTED_STATES == 2**22 and "up to 2^22 states, then hashed" in doc
    assert MAX_BITMAP_PAIRS == 2**33 and "up to 2^33 pairs" in doc
    assert base.MAX_POLICY_STATES == 200_000 and "for grids up to 200,000 states" in doc
    assert LastCheckpoint().every_n_steps == 10 and "a checkpoint, every 10 steps" in doc
    assert MAX_UNCHECKED_ENVS == 2**16 and "past 65,536, such a `num_envs`" in doc


def test_scale_says_how_far_back_a_ctrl_c_resume_goes() -> None:
    """docs/scale.md said a data-parallel run Ctrl-C stopped resumes "up to 10 steps back", but a
    step's save is skipped while the last one was slow: on a long search, its case, further."""
    doc = flat(SCALE)
    assert "up to 10 steps back" not in doc
    assert "10 steps back at most where saves are cheap; further where a save is slow" in doc
    now = [0.0]
    saver = LastCheckpoint(clock=lambda: now[0])
    assert saver.every_n_steps == 10
    saver._last_end, saver._last_cost = 0.0, 1.0  # a save of a second ended at 0 s
    now[0] = 10.0  # 10 s later (10 steps of a second): 1 s is over 5% of that, so no save
    assert not saver.due()
    saver._last_cost = 0.1  # a cheap save: every 10 steps, however soon
    assert saver.due()


SUMMARY_TIMES = ("wall_seconds", "model_seconds", "concept_seconds")


def test_what_the_checkpoint_holds_is_what_the_doc_lists(tmp_path: Path) -> None:
    """ "Resume keeps the path" named "both random generators": a DQN run's checkpoint holds
    three (the explorer's and the environment's numpy streams, the DQN's torch one), and the
    failure counts and frontier that the optimism bonus reads."""
    doc = flat(DISCOVERY)
    assert (
        "the checkpoint holds the replay buffer, the failure counts and frontier, all three "
        "random generators" in doc
    )
    assert (
        "all three random generators (the explorer's and the environment's numpy streams, the "
        "DQN's torch one), the optimizer and the episodes under way" in doc
    )
    explorer = discover(DQNExplorer(task=synthetic_spec(), budget=40), tmp_path, checkpoints=True)
    saved = load_checkpoint_file(
        Path(explorer.recorder.run_dir) / LAST_CHECKPOINT, "checkpoint", "run it again"
    )
    state = saved["ffade"]
    generators = {"rng", "env_rng"} & set(state) | {"generator"} & set(state["explorer"])
    assert generators == {"rng", "env_rng", "generator"}
    assert {"buffer", "failure_counts"} <= set(state["explorer"])
    assert set(state["explorer"]["failure_counts"]) >= {"cells", "counts", "frontier"}
    assert saved["optimizer_states"] and "episodes" in state


def test_the_num_envs_refusal_is_the_one_the_doc_quotes() -> None:
    with pytest.raises(FfadeError) as refused:
        check_num_envs(100_000_000, num_inputs=8, num_states=1000)
    assert f"`ffade: error: {refused.value}`" in flat(DISCOVERY)


def test_the_summary_keys_the_docs_name(tmp_path: Path) -> None:
    explorer = discover(RandomExplorer(task=synthetic_spec(), budget=40), tmp_path)
    run_dir = Path(explorer.recorder.run_dir)
    summary = read_summary(run_dir)
    named = re.findall(r"`([a-z_]+)(?:: \d+)?`(?: is)? in summary\.json", flat(DISCOVERY))
    named += ["distinct_failure_states", "failing_concept_states", "stop_reason", *SUMMARY_TIMES]
    assert "inputs_failing_unchanged" in named
    assert {"estimated_remaining_failures", "gradient_updates"} <= set(named)
    for key in named:
        assert key in summary, key
    assert summary["stop_reason"] == "budget spent"
    assert summary["distinct_failure_states"] == summary["failures"]
    # what scale.md says rank 0 writes: the log, the summary, the policy, the checkpoint
    for name in ("evaluations.jsonl", "summary.json", "policy.npy"):
        assert (run_dir / name).is_file(), name


def test_the_benchmark_prints_the_keys_the_doc_names() -> None:
    source = (REPO / "benchmarks" / "discovery.py").read_text(encoding="utf-8")
    for key in re.findall(r"`([a-z_]+)`", DISCOVERY):
        printed = key.endswith(("_ratio", "_vs_random", "_seconds", "_recall", "_found_seeds"))
        if printed and key not in SUMMARY_TIMES:  # summary.json's, not printed
            assert f"{key}:" in source, key
    scaling = (REPO / "benchmarks" / "scaling.py").read_text(encoding="utf-8")
    for key in ("states_exponent", "inputs_exponent", "evaluations_per_second_cpu_", "ddp_speedup"):
        assert key in scaling and key in DISCOVERY, key


def test_scale_names_the_tests_it_cites() -> None:
    ddp = (REPO / "tests" / "explore" / "test_ddp.py").read_text(encoding="utf-8")
    assert "`tests/explore/test_ddp.py`" in SCALE
    assert "def test_dqn_on_two_processes" in ddp
    assert "def test_random_search_on_the_quickstart_digits_on_two_processes" in ddp
    assert "def test_a_killed_two_process_run_resumes_on_two_processes" in ddp


def test_the_microscopic_moves_the_doc_describes() -> None:
    """The doc's fix for walking back to known failures names its module; the behaviour itself
    is tested in tests/explore/test_moves.py and tests/explore/test_dqn.py."""
    doc = flat(DISCOVERY)
    assert "never takes a move into a failure already found" in doc
    assert "whether its destination was evaluated already" in doc
    assert "(`ffade/explore/moves.py`)" in doc and (REPO / "ffade/explore/moves.py").is_file()


def test_the_stop_reasons_the_doc_lists_are_the_ones_runs_write(tmp_path: Path) -> None:
    doc = flat(DISCOVERY)
    ended = {}
    for name, args in {
        "all": {"task": {"max_inputs": 1}, "budget": 5000},  # 1,000 pairs: all evaluated first
        "rule": {"budget": 4000, "stop_when": "estimated_remaining < 100000"},
        "idle": {"budget": 800, "mode": "microscopic", "max_idle_steps": 2},
    }.items():
        spec = {**synthetic_spec(mode=args.pop("mode", "macroscopic")), **args.pop("task", {})}
        run = discover(RandomExplorer(task=spec, **args), tmp_path / name)
        ended[name] = read_summary(Path(run.recorder.run_dir))["stop_reason"]
    assert ended["all"] == "every (input, state) pair evaluated"
    assert re.fullmatch(r"stop_when: estimated_remaining = [0-9.]+ < 100000", ended["rule"])
    assert ended["idle"] == "2 steps without a new evaluation (max_idle_steps)"
    for text in ("budget spent", ended["all"], "steps without a new evaluation (max_idle_steps)"):
        assert text in doc, text
    assert f'"{TRAINER_STOPPED} (trainer.max_steps 4)"' in doc
    assert '"stop_when: QUANTITY = VALUE < LIMIT"' in doc
    assert re.search(r'"stop_when: estimated_remaining = [0-9.]+ < [0-9]+"', doc)


def test_coverage_probes_0_leaves_the_estimate_out(tmp_path: Path) -> None:
    assert "0 turns the estimate off: summary.json then has no `estimated_remaining_failures`" in (
        flat(DISCOVERY)
    )
    run = discover(RandomExplorer(task=synthetic_spec(), budget=40, coverage_probes=0), tmp_path)
    assert "estimated_remaining_failures" not in read_summary(Path(run.recorder.run_dir))
    with pytest.raises(FfadeError, match="needs coverage_probes above 0"):
        RandomExplorer(
            task=synthetic_spec(), budget=40, coverage_probes=0, stop_when="estimated_remaining < 5"
        )


def test_the_argument_table_gives_every_explorer_argument_and_its_default() -> None:
    """docs/discovery.md's "Every explorer argument": one row per argument of the four explorers,
    each default as the code has it (the DQN's own where it differs from the base's)."""
    from ffade.explore import GridExplorer

    section = DISCOVERY.split("## Every explorer argument")[1].split("\n## ")[0]
    rows = {
        m[1]: (m[2], m[3])
        for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|", section, re.MULTILINE)
    }
    base_defaults, dqn_defaults = defaults(Explorer), defaults(DQNExplorer)
    every = {**base_defaults, **dqn_defaults, **defaults(EpsilonGreedyExplorer)}
    every = {k: v for k, v in every.items() if k not in ("task", "args", "kwargs")}
    assert set(rows) == set(every)
    for name, (explorers, default) in rows.items():
        first = default.split(";")[0].split(" ")[0].split(":")[0]
        value = base_defaults.get(name, dqn_defaults.get(name, every[name]))
        if name in ("num_envs", "learning_starts"):
            value = base_defaults.get(name)  # the DQN's null: computed, said after the ";"
        expected = "null" if value is None else str(value)
        assert first == expected, (name, default)
        if "DQN: " in default:  # the DQN's own default, where it differs
            assert name in dqn_defaults and dqn_defaults[name] != base_defaults[name]
        if explorers.split(" (")[0] == "DQN":  # the DQN's alone
            assert name in dqn_defaults and name not in base_defaults
    assert rows["epsilon"][0] == "ε-greedy" and "epsilon" not in defaults(GridExplorer)
    # the DQN and the ε-greedy bandit clip by default; random and grid learn nothing from it
    assert dqn_defaults["reward_clip"] == defaults(EpsilonGreedyExplorer)["reward_clip"] == 1.0
    assert "DQN and ε-greedy: 1.0" in rows["reward_clip"][1]
