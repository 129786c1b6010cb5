"""What ``ffade fit`` prints last, and what ``ffade fit --help`` prints first."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import yaml

from ffade.fit_help import fit_help
from ffade.run_endings import run_ending
from tests.helpers import ffade_in_process, synthetic_spec, write_config
from tests.summarize.conftest import write_run


def test_a_discovery_ends_with_its_counts_top_rule_and_next_command(tmp_path: Path) -> None:
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    run = write_run(tmp_path / "run", {"blur": [0.0, 1.0, 2.0]}, counts, failing_concept_states=1)
    assert run_ending(run).splitlines() == [
        f"run: {run}",
        "evaluations: 30, failures: 9 (in 1 concept state)",  # was "1 concept states"
        "top failure rule: blur = 2: 90% failure (95% CI 60-98%), 10 evaluations",
        f"next: ffade report {run}",
    ]


def test_the_failing_states_follow_the_failures_not_the_invalid_count(tmp_path: Path) -> None:
    # "failures: 9, invalid: 4 (in 1 concept state)" read as if 1 state held the invalid ones
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    grid = {"blur": [0.0, 1.0, 2.0]}
    run = write_run(tmp_path / "run", grid, counts, failing_concept_states=1, invalid=4)
    assert run_ending(run).splitlines()[1] == (
        "evaluations: 30, failures: 9 (in 1 concept state), invalid: 4"
    )


def test_a_discovery_without_failures_says_so_not_that_no_rule_was_found(tmp_path: Path) -> None:
    # as `ffade report` closes ("no failures found"): "no failure rule found" hinted at failures
    counts = {(2,): (10, 0), (1,): (10, 0), (0,): (10, 0)}
    run = write_run(tmp_path / "run", {"blur": [0.0, 1.0, 2.0]}, counts)
    assert run_ending(run).splitlines()[2] == "top failure rule: none (no failures found)"
    counts[(2,)] = (10, 1)  # failures, but no state fails by the threshold
    run = write_run(tmp_path / "other", {"blur": [0.0, 1.0, 2.0]}, counts)
    assert run_ending(run).splitlines()[2] == "top failure rule: none (no failure rule found)"


def test_failures_only_at_the_start_state_say_why_there_is_no_rule(tmp_path: Path) -> None:
    # a microscopic run whose inputs fail only unchanged ended "top failure rule: none (no
    # failure rule found)", as if the search had missed them: they need no change to fail
    counts = {(0,): (8, 4), (1,): (8, 0), (2,): (8, 0)}
    grid = {"blur": [0.0, 1.0, 2.0]}
    run = write_run(tmp_path / "run", grid, counts, mode="microscopic", start_state=[0])
    assert run_ending(run).splitlines()[2] == (
        "top failure rule: none (every failure is at the neutral start state: those inputs "
        "fail unchanged, so no concept value is to blame)"
    )


def test_the_top_rule_is_the_reports_with_meaning_changing_failures_apart(tmp_path: Path) -> None:
    # negated texts "fail" everywhere (the summary follows the new meaning): the report sets them
    # apart and names typo = 2; the closing line must not name a rule the report does not have
    counts = {
        (n, t): (10, 10) if n else ((10, 9) if t == 2 else (10, 0))
        for n in range(3)
        for t in range(3)
    }
    run = write_run(tmp_path / "run", {"negate": [0, 1, 2], "typo": [0, 1, 2]}, counts)
    summary = json.loads((run / "summary.json").read_text())
    summary["concepts"][0]["keeps_meaning"] = False
    (run / "summary.json").write_text(json.dumps(summary))
    assert run_ending(run).splitlines()[2] == (
        "top failure rule: typo = 2: 90% failure (95% CI 60-98%), 10 evaluations"
    )


def test_a_discovery_that_stopped_early_says_why(tmp_path: Path) -> None:
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    grid = {"blur": [0.0, 1.0, 2.0]}
    reason = "200 steps without a new evaluation (max_idle_steps)"
    run = write_run(tmp_path / "a", grid, counts, budget=800, stop_reason=reason)
    lines = run_ending(run).splitlines()
    assert lines[1].startswith("evaluations: 30, failures: 9")
    assert lines[2] == f"stopped before the budget (800): {reason}"
    assert lines[3].startswith("top failure rule: blur = 2")
    # the usual end says nothing more
    run = write_run(tmp_path / "b", grid, counts, budget=30, stop_reason="budget spent")
    assert not any(line.startswith("stopped") for line in run_ending(run).splitlines())


def test_a_fine_tune_ends_with_its_verdict_and_held_out_numbers(tmp_path: Path) -> None:
    record = {
        "status": "rejected",
        "accepted": False,
        "reason": "clean accuracy fell 5.00 points",
        "clean_accuracy_before": 0.9,
        "clean_accuracy_after": 0.85,
        "targeted_failure_rate_before": 0.8,
        "targeted_failure_rate_after": 0.1,
        "untargeted_failure_rate_before": None,
        "untargeted_failure_rate_after": None,
        "feedback": "runs/x/feedback.yaml",
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    lines = run_ending(tmp_path).splitlines()
    assert lines[1] == (
        "fix rejected: clean accuracy 90.0% -> 85.0%; targeted failure rate 80.0% -> 10.0%; "
        "untargeted n/a -> n/a (held-out)"
    )
    assert lines[2] == "why: clean accuracy fell 5.00 points"
    assert "original model is kept" in lines[3]
    # a summarizer's clean score is BLEU / 100: said so, and not as a percentage
    (tmp_path / "mitigation.json").write_text(json.dumps({**record, "clean_metric": "BLEU / 100"}))
    assert (
        run_ending(tmp_path)
        .splitlines()[1]
        .startswith(
            "fix rejected: clean BLEU / 100 0.900 -> 0.850; targeted failure rate 80.0% -> 10.0%"
        )
    )


def test_a_fine_tunes_numbers_never_read_a_change_as_none(tmp_path: Path) -> None:
    """A clean accuracy that fell 95.04% -> 94.96% read "95.0% -> 95.0%" and a targeted rate of
    99.96% "100.0%": each pair takes the decimals that tell it apart, a share short of all
    never reads 100%."""
    record = {
        "status": "accepted",
        "accepted": True,
        "clean_accuracy_before": 0.9504,
        "clean_accuracy_after": 0.9496,
        "targeted_failure_rate_before": 0.9996,
        "targeted_failure_rate_after": 0.25,
        "untargeted_failure_rate_before": 0.1,
        "untargeted_failure_rate_after": 0.1,
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    assert run_ending(tmp_path).splitlines()[1] == (
        "fix accepted: clean accuracy 95.04% -> 94.96%; targeted failure rate 99.9% -> 25.0%; "
        "untargeted 10.0% -> 10.0% (held-out)"
    )
    scores = {**record, "clean_metric": "BLEU / 100", "clean_accuracy_after": 0.95036}
    (tmp_path / "mitigation.json").write_text(json.dumps(scores))
    assert "clean BLEU / 100 0.95040 -> 0.95036;" in run_ending(tmp_path)


def test_a_fix_rejected_for_fixing_nothing_ends_as_rejected(tmp_path: Path) -> None:
    """A fix that kept clean accuracy but left the targeted rate where it was read "accepted"
    (31.2% -> 31.2%) with a note; now the guard rejects it and the lines say so."""
    record = {
        "status": "rejected",
        "accepted": False,
        "reason": "targeted failure rate did not drop (31.2% -> 31.2%); the original model is kept",
        "clean_accuracy_before": 0.9,
        "clean_accuracy_after": 0.9,
        "targeted_failure_rate_before": 0.312,
        "targeted_failure_rate_after": 0.312,
        "clean_accuracy_change": 0.0,
        "clean_tolerance": 0.01,
        "fixed_target": {"name": "digits_cnn", "args": {}},
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    lines = run_ending(tmp_path).splitlines()
    assert lines[1].startswith("fix rejected: clean accuracy 90.0% -> 90.0%")
    assert lines[2] == f"why: {record['reason']}"
    assert lines[3] == (  # it trained too little to matter: say how to train more
        "next: the original model is kept; train more (a larger --trainer.max_epochs or "
        "--model.init_args.learning_rate) and run again"
    )
    assert not any("accepted" in line or line.startswith("note:") for line in lines)
    # clean accuracy lost past the tolerance as well: the priorities or settings, not "more"
    record.update(clean_accuracy_after=0.8, clean_accuracy_change=-0.1)
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    assert "change the priorities" in run_ending(tmp_path).splitlines()[3]


def test_a_fix_that_lost_clean_accuracy_names_the_settings_that_keep_it(tmp_path: Path) -> None:
    """A resnet18 fine-tuned on its own photos lost 21 points of clean accuracy and was told to
    change "the fine-tuner's settings", with no word of which: the learning rate and the share
    of unchanged inputs are the two that make it forget less, named as options to type."""
    record = {
        "status": "rejected",
        "accepted": False,
        "reason": "clean accuracy fell 20.83 points, more than the tolerance of 1.00",
        "feedback": "runs/mine/version_0/feedback.yaml",
        "clean_accuracy_before": 1.0,
        "clean_accuracy_after": 0.792,
        "clean_accuracy_change": -0.208,
        "clean_tolerance": 0.01,
        "targeted_failure_rate_before": 0.463,
        "targeted_failure_rate_after": 0.746,
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    last = run_ending(tmp_path).splitlines()[-1]
    assert "lower --model.init_args.learning_rate" in last
    assert "raise --model.init_args.clean_share" in last


def test_the_priorities_to_change_are_named_as_one_shell_word(tmp_path: Path) -> None:
    """A fix rejected for the clean accuracy it lost named its feedback file bare (`change the
    priorities (/home/me/my runs/x/feedback.yaml)`), two words to a shell that opens it, while
    the `run:` and `next:` paths around it are quoted."""
    feedback = tmp_path / "my runs" / "x" / "feedback.yaml"
    record = {
        "status": "rejected",
        "accepted": False,
        "reason": "clean accuracy fell",
        "feedback": str(feedback),
        "clean_accuracy_change": -0.1,
        "clean_tolerance": 0.01,
        "targeted_failure_rate_before": 0.3,
        "targeted_failure_rate_after": 0.1,
    }
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    assert run_ending(tmp_path).splitlines()[-1] == (
        "next: the original model is kept; to lose less clean accuracy, lower "
        "--model.init_args.learning_rate or raise --model.init_args.clean_share, or change the "
        f"priorities ({shlex.quote(str(feedback))}), and run again"
    )


def test_an_accepted_fix_names_the_rediscovery_as_docs_step_4_runs_it(tmp_path: Path) -> None:
    """The next line said `ffade fit --config DISCOVERY.yaml ...`, a file to find, and without the
    warm start docs/mitigation.md's step 4 gives: now the searched run's own config.yaml, its DQN
    warm-started from the run, and the fixed target; the command runs as printed."""
    config = write_config(tmp_path / "c.yaml", budget=64)
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    searched = tmp_path / "runs" / "test" / "version_0"
    fix = tmp_path / "fix"
    fix.mkdir()
    target = {"name": "synthetic", "args": {"seed": 0}}
    record = {"status": "accepted", "accepted": True, "run": str(searched), "fixed_target": target}
    (fix / "mitigation.json").write_text(json.dumps(record))
    command = (
        run_ending(fix).splitlines()[-1].removeprefix("next: discover again on the fixed model: ")
    )
    assert command == (
        f"ffade fit --config {searched / 'config.yaml'} --model.init_args.warm_start {searched} "
        f"--model.init_args.task.target '{json.dumps(target)}'"
    )
    rerun = ffade_in_process(*shlex.split(command)[1:], cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert (tmp_path / "runs" / "test" / "version_1" / "summary.json").is_file()


def test_an_accepted_fix_names_the_inputs_only_passing_inputs_chose(tmp_path: Path) -> None:
    """A run whose only_passing_inputs chose its inputs: the rediscovery's command gives them as
    task.input_ids (as ffade loop does), else its config would choose again on the fixed model
    and search other inputs than the run it is compared with."""
    spec = dict(synthetic_spec(), only_passing_inputs=True)
    config = write_config(tmp_path / "c.yaml", budget=64, task=spec)
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    searched = tmp_path / "runs" / "test" / "version_0"
    chosen = json.loads((searched / "summary.json").read_text())["task"]["input_ids"]
    fix = tmp_path / "fix"
    fix.mkdir()
    target = {"name": "synthetic", "args": {"seed": 0}}
    record = {"status": "accepted", "accepted": True, "run": str(searched), "fixed_target": target}
    (fix / "mitigation.json").write_text(json.dumps(record))
    command = run_ending(fix).splitlines()[-1]
    assert f" --model.init_args.task.input_ids '{json.dumps(chosen)}' " in command
    prefix = "next: discover again on the fixed model: "
    rerun = ffade_in_process(*shlex.split(command.removeprefix(prefix))[1:], cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    again = json.loads((tmp_path / "runs/test/version_1/summary.json").read_text())["task"]
    assert again["input_ids"] == chosen


def pinned_discovery(tmp_path: Path, save_dir: Path, version: str) -> Path:
    """A DQN discovery whose config pins its logger to ``save_dir/version``, as a loop stage's."""
    config = yaml.safe_load(write_config(tmp_path / "c.yaml", budget=32).read_text())
    config["trainer"]["logger"]["init_args"] = {
        "save_dir": str(save_dir),
        "name": "",
        "version": version,
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert ffade_in_process("fit", "--config", str(tmp_path / "c.yaml")).returncode == 0
    return save_dir / version


def rediscovery_command(fix: Path, searched: Path) -> list[str]:
    """The accepted fix's `next:` command for ``searched``, as the words a shell would pass."""
    fix.mkdir()
    target = {"name": "synthetic", "args": {"seed": 0}}
    record = {"status": "accepted", "accepted": True, "run": str(searched), "fixed_target": target}
    (fix / "mitigation.json").write_text(json.dumps(record))
    line = run_ending(fix).splitlines()[-1]
    return shlex.split(line.removeprefix("next: discover again on the fixed model: "))[1:]


def test_a_fine_tune_resumed_in_a_stopped_loop_names_a_rediscovery_that_runs(
    tmp_path: Path,
) -> None:
    """A loop stopped in its fine-tune, resumed by the printed `ffade fit --ckpt_path`, ended
    with `next: discover again ...` on the loop's discover/config.yaml, whose logger is pinned
    to that very run: the command was refused (`already holds a run`). Now it writes the loop's
    rediscover/ beside it, with the loop's `rediscover` keys, as the loop's stage 4 would."""
    loop_dir = tmp_path / "loops" / "version_0"
    searched = pinned_discovery(tmp_path, loop_dir, "discover")
    (loop_dir / "loop.json").write_text(
        json.dumps({"status": "stopped", "config": {"rediscover": {"budget": 16}}})
    )
    words = rediscovery_command(loop_dir / "mitigate", searched)
    assert words[-4:-2] == ["--model.init_args.budget", "16"]
    rerun = ffade_in_process(*words)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json.loads((loop_dir / "rediscover" / "summary.json").read_text())
    assert summary["evaluations"] == 16
    assert summary["hyperparameters"]["warm_start"] == str(searched)


def test_a_rediscovery_of_a_run_pinned_to_its_version_gets_a_new_one(tmp_path: Path) -> None:
    """Outside a loop, a discovery whose config pins `version: first` gets a new version_N."""
    searched = pinned_discovery(tmp_path, tmp_path / "runs", "first")
    words = rediscovery_command(tmp_path / "fix", searched)
    rerun = ffade_in_process(*words)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert (tmp_path / "runs" / "version_0" / "summary.json").is_file()


def test_fit_help_leads_with_the_explorer_and_task_arguments() -> None:
    text = fit_help()
    assert text.index("DQNExplorer arguments") < text.index("task keys")
    assert "  budget                 (default 1000) target evaluations to spend" in text
    assert "  concepts               (required) the concept grid" in text
    assert "RandomExplorer" in text and "ClassifierFineTuner" in text
    # every explorer's own arguments and other defaults: the bandit's epsilon, a baseline's step
    bandit = text[text.index("  EpsilonGreedyExplorer") : text.index("  GridExplorer")]
    assert "    epsilon                (default 0.2) probability of a random state" in bandit
    assert "    num_envs               (default 32)" in bandit
    assert "budget" not in bandit  # the same as the DQN's: said once, above
    # a sentence ends at ". ", but not at "e.g. "
    assert 'end the search early, e.g. "new_failures_per_1000 < 5" or' in text


def test_a_misspelled_model_class_gets_the_closest_one() -> None:
    from ffade.fit_help import class_path_hint

    classes = "; model classes: ffade.explore.DQNExplorer, ffade.explore.EpsilonGreedyExplorer,"
    assert class_path_hint('Parser key "model": Expected a dot import path string: DQNExplorr') == (
        'Parser key "model": Expected a dot import path string: DQNExplorr '
        f"(did you mean 'ffade.explore.DQNExplorer'?){classes} ffade.explore.GridExplorer, "
        "ffade.explore.RandomExplorer, ffade.mitigate.ClassifierFineTuner, or a plugin's "
        "fine-tuner by its full class path, as its README gives it"
    )
    message = "Parser key \"model\": module 'ffade.explore' has no attribute 'RandomExplore'"
    assert "(did you mean 'ffade.explore.RandomExplorer'?); model classes" in class_path_hint(
        message
    )
    assert "model classes: ffade.explore." in class_path_hint(
        "Expected a dot import path string: Zzz"
    )
    command_line = (  # --model ffade.explore.RandomExplorr
        'Parser key "model": Expected a path but ffade.explore.RandomExplorr either not '
        "accessible or invalid"
    )
    assert class_path_hint(command_line).startswith(
        "Parser key \"model\": unknown model class 'ffade.explore.RandomExplorr' (did you mean "
        f"'ffade.explore.RandomExplorer'?){classes}"
    )
    # --model FooExplorer: a guess, and still every class it may name
    assert class_path_hint(command_line.replace("ffade.explore.RandomExplorr", "FooExplorer")) == (
        "Parser key \"model\": unknown model class 'FooExplorer' (did you mean "
        f"'ffade.explore.DQNExplorer'?){classes} ffade.explore.GridExplorer, "
        "ffade.explore.RandomExplorer, ffade.mitigate.ClassifierFineTuner, or a plugin's "
        "fine-tuner by its full class path, as its README gives it"
    )
    assert class_path_hint("something else") == "something else"
    plugin = "reward 'x.y:Z': cannot import module 'x.y': No module named 'x'"
    assert class_path_hint(plugin) == plugin  # a plugin's module, not a model class


def test_a_grid_past_any_whole_grid_array_ends_with_its_rule_and_ffade_report(
    tmp_path: Path,
) -> None:
    # configs/bart.yaml's 2.44e10 states: ffade report refused such a run, and the closing lines
    # named its log instead; it reports the visited states now (plugins/text/README.md)
    run = write_run(tmp_path / "run", {"blur": [0.0, 1.0, 2.0]}, {(2,): (10, 9)})
    summary = json.loads((run / "summary.json").read_text())
    concept = summary["concepts"][0]
    summary["concepts"] = [dict(concept, label=f"c{i}") for i in range(16)]  # 3^16 = 43M
    (run / "summary.json").write_text(json.dumps(summary))
    log = run / "evaluations.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    log.write_text(
        "".join(json.dumps({**r, "state": r["state"] + [0] * 15}) + "\n" for r in records)
    )
    lines = run_ending(run).splitlines()
    assert lines[2] == "top failure rule: anywhere: 90% failure (95% CI 60-98%), 10 evaluations"
    assert lines[3] == f"next: ffade report {run}"


def test_the_rediscovery_names_a_fixed_model_under_my_runs_as_it_is(tmp_path: Path) -> None:
    """The fixed model's path went into the command JSON-escaped (`fix \\u00e9/model.pt`): it
    ran, but read as another path than the one the fine-tune printed above it."""
    run = write_run(tmp_path / "my runs" / "résumé é", {"a": [0, 1]}, {(1,): (2, 2)})
    weights = str(tmp_path / "my runs" / "fix é" / "model.pt")
    target = {"name": "synthetic", "args": {"weights": weights}}
    record = {"status": "accepted", "accepted": True, "run": str(run), "fixed_target": target}
    (tmp_path / "mitigation.json").write_text(json.dumps(record))
    (run / "config.yaml").write_text("{}")
    command = shlex.split(run_ending(tmp_path).splitlines()[-1].split(": ", 2)[2])
    assert command[:3] == ["ffade", "fit", "--config"] and command[3] == str(run / "config.yaml")
    assert command[-2] == "--model.init_args.task.target" and weights in command[-1]
    assert json.loads(command[-1]) == target


def test_a_run_folder_starting_with_a_dash_is_named_so_the_next_command_reads_it(
    tmp_path: Path, monkeypatch
) -> None:
    """A run saved under a relative '-runs' ended with 'next: ffade report -runs/...', which
    ffade report read as an option and refused; as './-runs/...' it runs as printed."""
    monkeypatch.chdir(tmp_path)
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    write_run(tmp_path / "-runs" / "x", {"blur": [0.0, 1.0, 2.0]}, counts)
    last = run_ending(Path("-runs/x")).splitlines()[-1]
    assert last == "next: ffade report ./-runs/x"
    done = ffade_in_process(
        *shlex.split(last.removeprefix("next: ffade ")), "--no-tensorboard", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "next: ffade feedback ./-runs/x" in done.stdout


UNCLEAR = {
    "status": "accepted",
    "accepted": True,
    "reason": "clean accuracy changed by +0.00 points, within the tolerance of 1.00",
    "clean_accuracy_before": 0.981,
    "clean_accuracy_after": 0.981,
    "targeted_failure_rate_before": 112 / 1200,
    "targeted_failure_rate_after": 111 / 1200,
    "untargeted_failure_rate_before": 0.2,
    "untargeted_failure_rate_after": 0.2,
    "targeted_change": {"pairs": 1200, "outcome": "no clear change"},
    "fixed_target": {"name": "digits_cnn", "args": {"weights": "/runs/fix/model.pt"}},
}


def test_an_accepted_fix_whose_targeted_fall_is_noise_says_so(tmp_path: Path) -> None:
    """9.33% -> 9.25% of 1,200 held-out pairs read "fix accepted" and nothing else, which a
    user takes for a fixed failure: a line now says the fall is no clear change, and what
    'accepted' does say."""
    (tmp_path / "mitigation.json").write_text(json.dumps(UNCLEAR))
    lines = run_ending(tmp_path).splitlines()
    assert lines[1].startswith("fix accepted: clean accuracy 98.1% -> 98.1%; targeted")
    assert lines[2] == f"why: {UNCLEAR['reason']}"
    assert lines[3] == (
        "but: targeted failure rate 9.3% -> 9.2% of 1,200 held-out pairs is no clear change "
        "(an exact McNemar test at 95%): 'accepted' says clean accuracy was kept and the rate "
        "fell, not that the failure is fixed; for a clear fall, train more (a larger "
        "--trainer.max_epochs or --model.init_args.learning_rate)"
    )
    assert lines[4].startswith("next: discover again")
    text = {**UNCLEAR, "clean_metric": "BLEU / 100"}  # said in the fine-tuner's clean metric
    (tmp_path / "mitigation.json").write_text(json.dumps(text))
    assert "'accepted' says clean BLEU / 100 was kept" in run_ending(tmp_path)


def test_a_clear_fall_and_an_older_record_end_as_before(tmp_path: Path) -> None:
    """The documented fixes (the digits loop's 47.8% -> 19.3% of 4,096 pairs) fall clearly: their
    lines read as before, and so do a rejected fix's and a record from before targeted_change."""
    clear = {
        **UNCLEAR,
        "targeted_failure_rate_before": 0.478,
        "targeted_failure_rate_after": 0.193,
        "targeted_change": {"pairs": 4096, "outcome": "clear fall"},
    }
    for record in (
        clear,
        {k: v for k, v in UNCLEAR.items() if k != "targeted_change"},
        {**UNCLEAR, "status": "rejected", "accepted": False, "reason": "clean accuracy fell"},
    ):
        (tmp_path / "mitigation.json").write_text(json.dumps(record))
        lines = run_ending(tmp_path).splitlines()
        assert len(lines) == 4 and lines[3].startswith("next: ")
        assert not any(line.startswith("but:") for line in lines)


def test_label_lines_quote_paths_as_the_commands_do_and_resolve_dot_dot(
    tmp_path: Path, monkeypatch
) -> None:
    """``run: my runs/x`` was printed bare under a shell-quoted ``next:`` command, so a copied
    label split into two words; the ``continue it:`` command kept ``scripts/../my runs``, a path
    that breaks if ``scripts`` is later removed or is a link. Now the label is one shell word (as
    typed, relative) and the command's path is absolute without ``..``."""
    (tmp_path / "scripts").mkdir()
    monkeypatch.chdir(tmp_path / "scripts")
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    reason = "Lightning's Trainer stopped it (max_steps 4)"
    run = write_run(
        tmp_path / "my runs" / "é x",
        {"blur": [0.0, 1.0, 2.0]},
        counts,
        budget=800,
        stop_reason=reason,
    )
    (run / "config.yaml").write_text("{}")
    lines = run_ending(Path("../my runs/é x")).splitlines()
    assert lines[0] == "run: '../my runs/é x'"
    assert shlex.split(lines[0].removeprefix("run: ")) == ["../my runs/é x"]
    (command,) = [line for line in lines if line.startswith("continue it: ")]
    words = shlex.split(command.removeprefix("continue it: "))
    assert words[:3] == ["ffade", "fit", "--config"] and ".." not in command
    assert words[3] == str(run / "config.yaml") and words[5] == str(run)
    assert lines[-1] == "next: ffade report '../my runs/é x'"


def test_a_rediscovery_names_the_comparison_with_the_run_it_started_from(tmp_path: Path) -> None:
    """The rediscovery an accepted fix's `next:` line starts (a DQN warm-started from the first
    run) ended with `next: ffade report RUN` on itself alone: a person following the printed
    steps never reached step 5 of docs/mitigation.md, `ffade report FIRST --compare SECOND`,
    which says what the fix moved."""
    config = write_config(tmp_path / "c.yaml", budget=48, save_dir=Path("runs"))
    first = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.splitlines()[-1] == "next: ffade report runs/test/version_0"
    warm = str(tmp_path / "runs" / "test" / "version_0")  # absolute, as that line passes it
    again = ("fit", "--config", str(config), "--model.init_args.warm_start", warm)
    second = ffade_in_process(*again, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    next_line = second.stdout.splitlines()[-1]
    assert next_line == f"next: ffade report {warm} --compare runs/test/version_1"
    report = ffade_in_process("report", *next_line.split()[3:], "--no-tensorboard", cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-2000:]
    assert "rules in the compared run" in report.stdout


def test_a_rediscovery_of_regions_compares_regions(tmp_path: Path) -> None:
    """The text quickstart's priorities rank regions (`--slices regions`): a comparison of its
    rules judged none (`0 still failing, 0 unclear, 0 fixed`), so the command names regions."""
    counts = {(2,): (10, 9), (1,): (10, 0), (0,): (10, 0)}
    grid = {"blur": [0.0, 1.0, 2.0]}
    first = write_run(tmp_path / "first", grid, counts)
    (first / "feedback.yaml").write_text("slices: regions\n")
    second = write_run(
        tmp_path / "second", grid, counts, hyperparameters={"warm_start": str(first)}
    )
    assert run_ending(second).splitlines()[-1] == (
        f"next: ffade report {first} --compare {second} --slices regions"
    )
