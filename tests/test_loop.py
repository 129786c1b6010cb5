"""``ffade loop``: discover, prioritize, fix, rediscover warm-started, compare, in one command."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
import yaml
from ffade_vision.rewards import Misclassification

from ffade import loop as loop_module
from ffade import loop_feedback, registry
from ffade.cli import main
from ffade.feedback.from_file import feedback_from_file
from ffade.gate.check import run_check
from ffade.gate.suite import read_suite
from ffade.loop_config import check_feedback, read_loop_config
from ffade.plugin_api import Target
from ffade.shell_words import shell_path
from tests.helpers import REPO, ffade, ffade_in_process, hangup_as_a_terminal_gives_it, write_config
from tests.summarize.test_report import parse


def shrink(source: str, path: Path, init_args: dict, trainer: dict | None = None) -> Path:
    config = yaml.safe_load((REPO / "configs" / source).read_text())
    config["model"]["init_args"].update(init_args)
    config["trainer"].update(trainer or {})
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_loop(root: Path, **keys: object) -> Path:
    """``root/loop.yaml`` with ``keys`` (paths written as text), the digits feedback file and
    ``out: root/loops`` unless given."""
    keys = {"feedback": REPO / "configs" / "feedback_digits.yaml", "out": root / "loops", **keys}
    loop = root / "loop.yaml"
    loop.write_text(
        yaml.safe_dump({k: str(v) if isinstance(v, Path) else v for k, v in keys.items()})
    )
    return loop


@pytest.fixture(scope="module")
def small_loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The digits loop on 32 discovery images, one short epoch and a small guard, run as a user
    whose loops go to a relative `out` with a space and an é, from another directory."""
    root = tmp_path_factory.mktemp("loop runs")
    loop = small_loop_config(root)
    loop.write_text(yaml.safe_dump({**yaml.safe_load(loop.read_text()), "out": "../my loops é/"}))
    (root / "my work é").mkdir()
    result = ffade("loop", "--config", str(loop), cwd=root / "my work é", timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (root / "stdout.txt").write_text(result.stdout)
    return root / "my loops é" / "version_0", loop


@pytest.mark.gpu
def test_every_stage_of_the_loop_runs_with_the_model_on_cuda(tmp_path: Path) -> None:
    # discovery and rediscovery on the target's device; the fine-tune where Lightning puts it
    loop = small_loop_config(tmp_path, {"device": "cuda"})
    result = ffade("loop", "--config", str(loop), timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for stage in ("discover", "rediscover"):
        summary = json.loads(
            (tmp_path / "loops" / "version_0" / stage / "summary.json").read_text()
        )
        assert summary["status"] == "finished" and summary["environment"]["device"].startswith(
            "cuda"
        ), summary["environment"]
    mitigation = tmp_path / "loops" / "version_0" / "mitigate" / "mitigation.json"
    assert "accepted" in json.loads(mitigation.read_text())


CASE_RATES = [("", "_before"), ("", "_after"), ("max_", "")]
"""loop.json's retest case keys, in the order a closing line prints them (before -> after, max)."""


def small_loop_config(root: Path, target_args: dict | None = None) -> Path:
    """A loop config for the digits loop on 32 discovery images, one short epoch and a small
    guard; ``target_args`` replace the discovery target's (where it runs)."""
    discover = shrink("quickstart.yaml", root / "discover.yaml", {"budget": 320})
    config = yaml.safe_load(discover.read_text())
    config["model"]["init_args"]["task"]["max_inputs"] = 32
    if target_args is not None:
        config["model"]["init_args"]["task"]["target"]["args"] = target_args
    discover.write_text(yaml.safe_dump(config, sort_keys=False))
    mitigate = shrink(
        "mitigate_digits.yaml",
        root / "mitigate.yaml",
        {"max_finetune_inputs": 64, "guard_pairs": 128, "clean_tolerance": 1.0},
        {"max_epochs": 1},
    )
    loop = root / "loop.yaml"
    loop.write_text(
        yaml.safe_dump(
            {
                "discover": str(discover),
                "feedback": str(REPO / "configs" / "feedback_digits.yaml"),
                "mitigate": str(mitigate),
                "rediscover": {"start_e": 0.5},
                "out": str(root / "loops"),
            }
        )
    )
    return loop


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_the_loop_leaves_every_stage_and_says_where(small_loop) -> None:
    loop_dir, _ = small_loop
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["status"] == "finished"
    for stage in ("discover", "mitigate", "rediscover"):
        assert Path(record[stage]) == loop_dir / stage
    assert (loop_dir / "discover" / "feedback.yaml").is_file()
    assert (loop_dir / "mitigate" / "mitigation.json").is_file()
    report = json.loads((loop_dir / "report" / "report.json").read_text())
    shift = report["compare"]["region_shift"]
    assert set(shift) == {"fixed", "unclear", "still_failing", "not_retested", "new"}
    assert record["region_shift"] == {k: len(v) for k, v in shift.items()}
    assert (loop_dir / "report" / "report.html").is_file()
    # docs/mitigation.md's loop.json list names every key, and the last status
    doc = (REPO / "docs" / "mitigation.md").read_text()
    table = doc.split("loop.json is rewritten after every stage", 1)[1].split("\n\n")[1]
    leads = re.findall(r"^- ((?:`\w+`(?:, )?)+)", table, re.MULTILINE)
    documented = {key for lead in leads for key in re.findall(r"`(\w+)`", lead)}
    assert set(record) == documented - {"stopped"}  # only a loop that stopped has that one
    assert "`finished`" in table and "`stopped`" in table


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_the_loop_closes_with_where_each_stage_is_and_how_its_rules_shifted(small_loop) -> None:
    """The closing lines count the first run's rules (loop.json's region_shift), as rules: they
    said "regions:" while counting rules."""
    loop_dir, _ = small_loop
    record = json.loads((loop_dir / "loop.json").read_text())
    stdout = (loop_dir.parent.parent / "stdout.txt").read_text()
    closing = stdout[stdout.index("loop finished in ") :].splitlines()
    assert closing[0].endswith(f" s: {shell_path(loop_dir)}")
    stages = ("discover", "feedback", "mitigate", "rediscover", "report")
    assert [line.split(maxsplit=1) for line in closing[1:6]] == [
        [s, shell_path(record[s])] for s in stages
    ]
    shift = record["region_shift"]
    # each verdict line names what it measures: "rules: 3 still failing, 0 fixed" above a
    # retest's "fix ...: 64.8% -> 33.6% of 128 pairs (pass)" read as a contradiction
    assert closing[6] == (
        "  rules in the rediscovery, a search for what still fails (its failure rate there vs the "
        "50% threshold): "
        + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in shift.items())
    )
    assert list(shift) == ["still_failing", "unclear", "fixed", "not_retested", "new"]
    retest = record["retest"]
    assert closing[7] == (
        "  retest on the same sampled pairs, original vs fix (pass: the fix fails at most the "
        f"case's max): {retest['passed']} of {len(retest['cases'])} rules pass"
    )
    for line, case in zip(closing[8:], retest["cases"], strict=True):
        shown = re.fullmatch(
            r"    (\w+) (.+): (.+)% -> (.+)% of (\d+) pairs, max (.+)% \((\w+)\)", line
        )
        assert shown is not None, line
        goal, conditions, before, after, pairs, most, verdict = shown.groups()
        assert [goal, conditions, int(pairs), verdict] == [
            case["goal"],
            case["conditions"],
            case["pairs"],
            "pass" if case["passed"] else "FAIL",
        ]
        shares = [case[f"{key}failure_rate{end}"] for key, end in CASE_RATES]
        shown_shares = [float(x) / 100 for x in (before, after, most)]
        assert shown_shares == pytest.approx(shares, abs=0.0005), line


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_stage_headers_quote_paths_so_they_paste_into_a_shell(small_loop) -> None:
    """The header "[5/5] report: A --compare B" left paths holding a space unquoted: pasted after
    `ffade report`, the shell cut each in two. Each search's header is followed by its counts."""
    loop_dir, loop = small_loop
    config = yaml.safe_load(loop.read_text())
    stdout = (loop_dir.parent.parent / "stdout.txt").read_text()
    headers = [line for line in stdout.splitlines() if re.match(r"\[\d/5\] ", line)]
    first, second = str(loop_dir / "discover"), str(loop_dir / "rediscover")
    assert [[shlex.split(part) for part in line.split(" -> ")] for line in headers] == [
        [["[1/5]", "discover:", config["discover"]], [first]],
        [
            ["[2/5]", "feedback:", config["feedback"]],
            [str(loop_dir / "discover" / "feedback.yaml")],
        ],
        [["[3/5]", "mitigate:", config["mitigate"]], [str(loop_dir / "mitigate")]],
        [["[4/5]", "rediscover", "on", "the", "fixed", "model"], [second]],
        [["[5/5]", "report:", first, "--compare", second], [str(loop_dir / "report")]],
    ]
    # each search's stage line is followed by what it found, as `ffade fit` ends: it said only
    # where the search ran, while the feedback's and the fix's said their results
    lines = stdout.splitlines()
    for header, run in (("[1/5] ", first), ("[4/5] ", second)):
        summary = json.loads((Path(run) / "summary.json").read_text())
        after = lines[next(i for i, line in enumerate(lines) if line.startswith(header)) + 1]
        states = summary["failing_concept_states"]
        assert after == (
            f"      evaluations: {summary['evaluations']}, failures: {summary['failures']} "
            f"(in {states} concept state{'' if states == 1 else 's'})"
        ), stdout


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_the_loop_retests_the_judged_rules_on_the_same_pairs(small_loop) -> None:
    """loop.json's retest is `ffade export` with the loop's feedback, then `ffade check` of
    the fix: the suite's measured rates before, the check's after, case by case."""
    loop_dir, _ = small_loop
    retest = json.loads((loop_dir / "loop.json").read_text())["retest"]
    suite_path = loop_dir / "report" / "suite.yaml"
    assert retest["suite"] == str(suite_path) and retest["slices"] == "rules"
    suite = read_suite(suite_path)
    feedback = yaml.safe_load((loop_dir / "discover" / "feedback.yaml").read_text())
    goals = ["hold" if r["priority"] == "skip" else "fix" for r in feedback["regions"]]
    assert [c["goal"] for c in retest["cases"]] == goals and "fix" in goals
    checked = run_check(suite_path, target=str(loop_dir / "mitigate"))
    for entry, case, after in zip(retest["cases"], suite.cases, checked, strict=True):
        assert entry["name"] == case.name and entry["conditions"] == case.conditions
        assert entry["failure_rate_before"] == case.measured["failure_rate"]
        assert entry["failure_rate_after"] == round(after.failure_rate, 4)
        assert entry["pairs"] == after.pairs == case.measured["pairs"]
        assert entry["passed"] == after.passed
    assert retest["passed"] == sum(c["passed"] for c in retest["cases"])
    # the loop's report.html shows the same retest, case by case
    html = (loop_dir / "report" / "report.html").read_text()
    passed = f"{retest['passed']} of {len(retest['cases'])} cases pass"
    assert f"{passed} (pass: the fix fails at most the max allowed)</h2>" in html
    shift = "Rule shift: this run&#x27;s rules on the compared run&#x27;s evaluations (failure rate"
    assert f"<h2>{shift} there vs the 50% threshold)</h2>" in html  # its measure named too
    rows = parse(html).tables["retest"][1:]
    assert [row[0] for row in rows] == [c["name"] for c in retest["cases"]]
    for row, case in zip(rows, retest["cases"], strict=True):
        rates = f"{case['failure_rate_before']:.1%} -> {case['failure_rate_after']:.1%}"
        assert row[1:5] == [case["conditions"], case["goal"], str(case["pairs"]), rates]
        assert row[6] == ("pass" if case["passed"] else "FAIL")
    report = json.loads((loop_dir / "report" / "report.json").read_text())
    assert report["retest"] == retest


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_rediscovery_runs_the_fixed_model_warm_started(small_loop) -> None:
    loop_dir, _ = small_loop
    summary = json.loads((loop_dir / "rediscover" / "summary.json").read_text())
    mitigation = json.loads((loop_dir / "mitigate" / "mitigation.json").read_text())
    assert summary["status"] == "finished"
    assert summary["hyperparameters"]["warm_start"] == str(loop_dir / "discover")
    assert summary["hyperparameters"]["start_e"] == 0.5
    weights = summary["task"]["target"]["args"]["weights"]
    assert (
        weights
        == mitigation["fixed_weights"]
        == str((loop_dir / "mitigate" / "model.pt").resolve())
    )
    discovered = json.loads((loop_dir / "discover" / "summary.json").read_text())["task"]
    assert summary["task"] == dict(discovered, target=mitigation["fixed_target"])  # one task


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_the_stages_configs_name_the_runs_they_read_from_any_directory(small_loop) -> None:
    """The fine-tune's `run` and `feedback`, and the rediscovery's `warm_start`, were the
    relative `../my loops é/...` the loop ran from: its config.yaml reran nowhere else."""
    loop_dir, _ = small_loop
    mitigate = yaml.safe_load((loop_dir / "mitigate" / "config.yaml").read_text())
    assert mitigate["model"]["init_args"]["run"] == str(loop_dir / "discover")
    assert mitigate["model"]["init_args"]["feedback"] == str(
        loop_dir / "discover" / "feedback.yaml"
    )
    rediscover = yaml.safe_load((loop_dir / "rediscover" / "config.yaml").read_text())
    assert rediscover["model"]["init_args"]["warm_start"] == str(loop_dir / "discover")
    report = json.loads((loop_dir / "report" / "report.json").read_text())
    assert report["run"] == str(loop_dir / "discover")
    assert report["compare"]["run"] == str(loop_dir / "rediscover")
    suite = yaml.safe_load((loop_dir / "report" / "suite.yaml").read_text())
    assert suite["source"]["run"] == str(loop_dir / "discover")


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_a_missing_file_stops_the_loop_before_anything_runs(small_loop, capsys) -> None:
    loop_dir, loop = small_loop
    config = yaml.safe_load(loop.read_text())
    config["feedback"] = str(loop.parent / "missing.yaml")
    bad = loop.parent / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    assert main(["loop", "--config", str(bad)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {bad}: feedback file {shell_path(loop.parent / 'missing.yaml')} not found"
    ]
    assert not (loop_dir.parent / "version_1").exists()  # checked before anything ran


SHIPPED_STAGES = "".join(
    f"{stage}: {REPO / 'configs' / name}\n"
    for stage, name in [
        ("discover", "quickstart.yaml"),
        ("feedback", "feedback_digits.yaml"),
        ("mitigate", "mitigate_digits.yaml"),
    ]
)
"""A loop config's three files, as shipped: a later key is checked once they are found."""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("discover: a.yaml\nfeedback: b.yaml\nmitigate: c.yaml\nfixup: 1\n", "unknown key 'fixup'"),
        ("feedback: b.yaml\n", "key 'discover' is missing"),
        ("- a\n", "a loop config maps keys (discover, feedback, mitigate"),
        (  # a misspelt key says which it meant
            "discover: a.yaml\nfeedback: b.yaml\nmitigate: c.yaml\nthresold: 0.4\n",
            "unknown key 'thresold' (did you mean 'threshold'?)",
        ),
        # a path that is no string was a TypeError traceback
        ("discover: 5\nfeedback: b.yaml\nmitigate: c.yaml\n", "discover 5 must be a path"),
        ("discover: a.yaml\nfeedback: [b]\nmitigate: c.yaml\n", "feedback [b] must be a path"),
        # said as YAML writes them: "out True", "threshold None"
        ("discover: a.yaml\nfeedback: b.yaml\nmitigate: c.yaml\nout: true\n", "out true must"),
        (
            f"{SHIPPED_STAGES}threshold: false\n",
            "threshold false must be a failure rate in (0, 1]",
        ),
        (
            f"{SHIPPED_STAGES}min_evaluations: true\n",
            "min_evaluations true must be a whole number from 1",
        ),
        (  # as `--out ""` is: it ran into the default runs/loop without a word
            "discover: a.yaml\nfeedback: b.yaml\nmitigate: c.yaml\nout: ''\n",
            "out: an empty path; give the folder where loops go, such as runs/loop",
        ),
        ("discover: ' '\nfeedback: b.yaml\nmitigate: c.yaml\n", "discover: an empty path; give"),
        (  # YAML kept the last without a word
            "discover: a.yaml\nfeedback: b.yaml\nmitigate: c.yaml\ndiscover: d.yaml\n",
            "line 4: key 'discover' is given twice in one mapping (first on line 1)",
        ),
    ],
)
def test_bad_loop_configs_are_one_line_errors(
    tmp_path: Path, capsys, content: str, message: str
) -> None:
    config = tmp_path / "loop.yaml"
    config.write_text(content)
    assert main(["loop", "--config", str(config)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_a_stage_key_left_with_no_value_says_so_and_what_it_names(tmp_path: Path, capsys) -> None:
    """``feedback:`` with nothing after it, in the shipped loop config, was told "key 'feedback'
    is missing", though the key is there."""
    text = (REPO / "configs" / "loop_digits.yaml").read_text()
    assert "\nfeedback: configs/feedback_digits.yaml\n" in text
    config = tmp_path / "loop.yaml"
    config.write_text(text.replace("feedback: configs/feedback_digits.yaml", "feedback:"))
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"ffade: error: {config}: key 'feedback' has no value; it names the feedback file ffade "
        "feedback --from reads, such as configs/feedback_digits.yaml\n"
    )


@pytest.mark.parametrize("epochs", [-3, 0])
def test_a_fine_tune_of_no_number_of_epochs_is_refused_before_discovery(
    epochs: int, tmp_path: Path, capsys
) -> None:
    """``max_epochs: -3`` in the loop's mitigate config ran the loop's discovery and feedback
    and was refused only at its fine-tune, in Lightning's words; 0 is refused before too."""
    mitigate = (REPO / "configs" / "mitigate_digits.yaml").read_text()
    assert "  max_epochs: 10\n" in mitigate
    (tmp_path / "mitigate.yaml").write_text(
        mitigate.replace("max_epochs: 10", f"max_epochs: {epochs}")
    )
    loop = (REPO / "configs" / "loop_digits.yaml").read_text()
    for key in ("discover", "feedback", "mitigate"):
        loop = loop.replace(f"{key}: configs/", f"{key}: {REPO}/configs/")
    loop = loop.replace(
        f"mitigate: {REPO}/configs/mitigate_digits.yaml", f"mitigate: {tmp_path}/mitigate.yaml"
    )
    loop = loop.replace("out: runs/loop_digits", f"out: {tmp_path}/loops")
    (tmp_path / "loop.yaml").write_text(loop)
    assert main(["loop", "--config", str(tmp_path / "loop.yaml")]) == 2
    said = "is no number of epochs" if epochs else "trains nothing"
    assert capsys.readouterr().err == (
        f"ffade: error: {tmp_path}/mitigate.yaml: trainer.max_epochs {epochs} {said}; give at "
        "least 1, or leave it out\n"
    )
    assert not (tmp_path / "loops").exists()  # no discovery ran


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda path: None, ": file not found"),
        (lambda path: path.write_text(""), ": the file is empty; a "),
        (lambda path: path.write_text("- a\n"), ": a "),
        (lambda path: path.mkdir(), ": a directory; give a "),
        (lambda path: path.write_text("a: [\n"), ": not valid YAML (line 2: "),
    ],
    ids=["missing", "empty", "list", "directory", "bad-yaml"],
)
def test_a_loop_config_file_that_is_no_config_is_said_as_fit_says_it(
    tmp_path: Path, make, said: str
) -> None:
    """``ffade loop`` said "--config: loop config 'X' not found" of a missing file and "X:
    expected a mapping with keys ..." of an empty one, where ``ffade fit`` says "--config X: file
    not found" and "--config X: the file is empty; ...": the same mistake is now said alike."""
    path = tmp_path / "loop.yaml"
    make(path)
    lines = {}
    for command in ("fit", "loop"):
        result = ffade_in_process(command, "--config", str(path))
        assert result.returncode == 2, result.stderr
        (lines[command],) = result.stderr.strip().splitlines()
    head = f"ffade: error: --config {path}{said}"
    assert lines["fit"].startswith(head) and lines["loop"].startswith(head), lines
    if said.startswith(": the file is empty"):  # the loop's own keys, not fit's model: trainer:
        assert "a loop config maps keys such as discover:" in lines["loop"], lines


def test_an_empty_loop_config_path_is_said_as_empty(capsys) -> None:
    """`--config "$LOOP"` with the variable unset said "loop config '.' is a directory"."""
    assert main(["loop", "--config", ""]) == 2
    said = "ffade: error: --config: an empty path; give a file or folder (was a variable"
    assert capsys.readouterr().err.startswith(said)


def test_an_empty_out_is_refused_not_taken_as_not_given(tmp_path: Path) -> None:
    """`--out "$DIR"` with the variable unset ran the loop into the config's `out` unsaid."""
    config = shipped_digits_loop(tmp_path, "")
    result = ffade_in_process("loop", "--config", str(config), "--out", "")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (  # it said "give a file or folder": loops go into a folder
        "ffade: error: argument --out: an empty path; give the folder where loops go, such as "
        "runs/loop (was a variable that names it left unset?) (see ffade loop --help)"
    )
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize("value", ["0", "''", "false", "[start_e]"])
def test_a_rediscover_that_is_no_mapping_is_refused(tmp_path: Path, value: str) -> None:
    """0, '' or false was read as {} (``or {}``): the loop ran without the word it was given.
    The value is said as typed (``false``, ``[start_e]``), not as Python's False, ['start_e']."""
    config = shipped_digits_loop(tmp_path, f"rediscover: {value}\n")
    result = ffade_in_process("loop", "--config", str(config))
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"ffade: error: {config}: 'rediscover' must map explorer arguments to "
    ), line
    assert line.endswith(f"got {value}") and not (tmp_path / "loops").exists()


def shipped_digits_loop(tmp_path: Path, more: str) -> Path:
    """A loop config of the shipped digits configs, out under ``tmp_path``, and ``more`` YAML."""
    config = tmp_path / "loop.yaml"
    stages = {"discover": "quickstart", "feedback": "feedback_digits"}
    stages["mitigate"] = "mitigate_digits"
    config.write_text(
        "".join(f"{key}: {REPO / 'configs' / name}.yaml\n" for key, name in stages.items())
        + f"out: {tmp_path / 'loops'}\n{more}"
    )
    return config


@pytest.mark.parametrize(
    ("rediscover", "says"),
    [
        (
            "{task: {reward: {name: accuracy_drop}}}",
            "'task': the rediscovery searches the first run's task (its summary.json) on the "
            "fixed model",
        ),
        (
            "{warm_start: null}",
            "'warm_start': the loop warm-starts the rediscovery from the first run",
        ),
    ],
)
def test_rediscover_may_not_set_what_the_loop_sets_itself(
    tmp_path: Path, capsys, rediscover: str, says: str
) -> None:
    """The loop gave the rediscovery the first run's task and warm start over these without a
    word, so a loop config's own went unused."""
    config = shipped_digits_loop(tmp_path, f"rediscover: {rediscover}\n")
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {config}: rediscover may not set {says}"
    ]
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize(
    ("key", "value", "first"), [("hidden_dim", 64, 128), ("embedding_dim", 32, 64)]
)
def test_rediscover_that_cannot_load_the_first_q_network_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, key: str, value: int, first: int
) -> None:
    """The warm start's layer shapes were found only at the rediscovery, after the discovery's
    and the fine-tune's minutes, in words about a warm_start the user never set."""
    config = shipped_digits_loop(tmp_path, f"rediscover: {{{key}: {value}, start_e: 0.5}}\n")
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: rediscover: {key} {value} differs from the discovery's {first} "
        f"({REPO / 'configs' / 'quickstart.yaml'}); the loop warm-starts the rediscovery from "
        f"the first run's Q-network, which needs the same {key}: remove it from rediscover"
    ]
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize(
    ("part", "spec", "says"),
    [
        (
            "target",
            {"name": "digits_cn"},
            "model.init_args.task.target.name: unknown target 'digits_cn' (did you mean "
            "'digits_cnn'?)",
        ),
        (
            "dataset",
            {"name": "digitz"},
            "model.init_args.task.dataset.name: unknown dataset 'digitz' (did you mean 'digits'?)",
        ),
        ("reward", {"name": "misclass"}, "model.init_args.task.reward.name: unknown reward 'mis"),
        (
            "target",
            {"name": "digits_cnn", "args": {"weight": "fixed.pt"}},
            "unknown key 'model.init_args.task.target.args.weight' (did you mean "
            "'model.init_args.task.target.args.weights'?); allowed model.init_args.task.target."
            "args keys of target 'digits_cnn': weights, ",
        ),
        (  # ``arg``, a misspelt ``args``: jsonargparse drops an empty mapping unsaid
            "target",
            {"name": "digits_cnn", "arg": {}},
            "unknown key 'model.init_args.task.target.arg' (an empty mapping); remove it",
        ),
    ],
)
def test_a_misspelt_plugin_in_the_discovery_config_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, part: str, spec: dict, says: str
) -> None:
    """The discovery config's target, dataset and reward were built only as its stage began: a
    typo left a loop folder stopped at discover, and a line that named no file."""
    discover = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    discover["model"]["init_args"]["task"][part] = spec
    (tmp_path / "discover.yaml").write_text(yaml.safe_dump(discover))
    config = tmp_path / "loop.yaml"
    config.write_text(
        f"discover: {tmp_path / 'discover.yaml'}\n"
        f"feedback: {REPO / 'configs' / 'feedback_digits.yaml'}\n"
        f"mitigate: {REPO / 'configs' / 'mitigate_digits.yaml'}\nout: {tmp_path / 'loops'}\n"
    )
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"ffade: error: {tmp_path / 'discover.yaml'}: {says}"), line
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize("split", ["finetune", "heldout"])
def test_a_discovery_of_another_split_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, split: str
) -> None:
    """The fine-tune refuses a run that searched the data it trains or judges on, but the loop
    found out only at its mitigate stage, after the discovery's minutes."""
    discover = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    discover["model"]["init_args"]["task"]["split"] = split
    (tmp_path / "discover.yaml").write_text(yaml.safe_dump(discover))
    config = shipped_digits_loop(tmp_path, "")
    config.write_text(
        config.read_text().replace(
            str(REPO / "configs" / "quickstart.yaml"), str(tmp_path / "discover.yaml")
        )
    )
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {tmp_path / 'discover.yaml'}: task.split is {split!r}; the loop's "
        "fine-tune trains on 'finetune' and judges the fix on 'heldout', so discovery must "
        "search 'discovery': remove task.split"
    ]
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize(
    ("slices", "entry", "says"),
    [
        ("rules", "{id: R-35321ca0, priority: high}", "a region's id, not a rule's"),
        ("regions", "{id: S-d6f30cfc, priority: high}", "a rule's id, not a region's"),
    ],
)
def test_an_id_of_the_other_kind_of_slice_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, slices: str, entry: str, says: str
) -> None:
    """No run's rules hold a region's id (nor its regions a rule's), so a feedback.yaml saved
    with the other --slices stopped the loop only at its feedback stage, after the discovery."""
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(f"regions:\n  - {entry}\n")
    config = shipped_digits_loop(tmp_path, f"slices: {slices}\n")
    config.write_text(
        config.read_text().replace(str(REPO / "configs" / "feedback_digits.yaml"), str(priorities))
    )
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    other = "regions" if slices == "rules" else "rules"
    assert line.startswith(f"ffade: error: {priorities}: regions[0]: id "), line
    assert says in line and line.endswith(f"set slices: {other}, or name a {slices[:-1]}"), line
    assert not (tmp_path / "loops").exists()


def test_a_relative_file_the_loop_cannot_find_names_the_directory_it_looked_in(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Loop configs name files from the repository root; run elsewhere, the error says where."""
    config = tmp_path / "loop.yaml"
    config.write_text("discover: configs/quickstart.yaml\nfeedback: b.yaml\nmitigate: c.yaml\n")
    monkeypatch.chdir(tmp_path)
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {config}: discover file configs/quickstart.yaml not found "
        f"(read from the current directory, {tmp_path})"
    ]


def test_the_shipped_loop_typed_from_another_folder_names_the_folder_to_run_it_from(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """`ffade loop --config ~/ffade/configs/loop_digits.yaml` typed in another folder said only
    that configs/quickstart.yaml was not found there: now it names the folder it is found from."""
    monkeypatch.chdir(tmp_path)
    config = REPO / "configs" / "loop_digits.yaml"
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {config}: discover file configs/quickstart.yaml not found (read from the "
        f"current directory, {tmp_path}; {REPO / 'configs' / 'quickstart.yaml'} exists: run the "
        f"command from {REPO})"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("discover", "mitigate", "says"),
    [
        (
            "mitigate_digits.yaml",
            "mitigate_digits.yaml",
            "discover: {discover} is a config for ClassifierFineTuner; the discover stage needs "
            "a config for an explorer",
        ),
        (
            "quickstart.yaml",
            "quickstart.yaml",
            "mitigate: {mitigate} is a config for DQNExplorer; the mitigate stage needs a config "
            "for a fine-tuner",
        ),
        (  # the priorities file in the wrong key: the fine-tune's check named a key the loop
            # sets (model.init_args.run has no class to go to)
            "quickstart.yaml",
            "feedback_digits.yaml",
            "mitigate: {mitigate} is no ffade fit config (it has neither model: nor trainer:); "
            "the mitigate stage needs a config for a fine-tuner",
        ),
        (
            "feedback_digits.yaml",
            "mitigate_digits.yaml",
            "discover: {discover} is no ffade fit config (it has neither model: nor trainer:); "
            "the discover stage needs a config for an explorer",
        ),
    ],
)
def test_a_config_of_the_other_stage_is_named_before_anything_runs(
    tmp_path: Path, capsys, discover: str, mitigate: str, says: str
) -> None:
    """A fine-tuner config given as discover ran a fine-tune as 'discovery' for minutes."""
    paths = {"discover": REPO / "configs" / discover, "mitigate": REPO / "configs" / mitigate}
    config = write_loop(tmp_path, **paths)
    assert main(["loop", "--config", str(config)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ffade: error: {says.format(**paths)}")
    assert not (tmp_path / "loops" / "version_0").exists()


@pytest.mark.parametrize(
    ("discover", "feedback", "mitigate", "says"),
    [
        (
            "quickstart.yaml",
            "feedback_digits.yaml",
            "text_mitigate.yaml",
            "mitigate: {mitigate} is a config for Seq2SeqFineTuner, which fixes targets that "
            "return texts; discover: {discover} searches target 'digits_cnn', which returns a "
            "classifier's class scores: give mitigate a fine-tuner for a classifier's class "
            "scores, or discover a target that returns texts (seq2seq_summarizer, tiny_news_bart",
        ),
        (
            "text_quickstart.yaml",
            "feedback_text.yaml",
            "mitigate_digits.yaml",
            "mitigate: {mitigate} is a config for ClassifierFineTuner, which fixes targets that "
            "return a classifier's class scores; discover: {discover} searches target "
            "'tiny_news_bart', which returns texts: give mitigate a fine-tuner for texts, or "
            "discover a target that returns a classifier's class scores (",
        ),
    ],
)
def test_a_fine_tuner_for_another_kind_of_target_is_named_before_anything_runs(
    tmp_path: Path, capsys, discover: str, feedback: str, mitigate: str, says: str
) -> None:
    """A digits discovery with the seq2seq fine-tuner passed every up-front check and was
    refused by the fine-tune, after the discovery and the feedback had run: the fine-tuner's
    declared output_kinds against the target's output_kind refuse it before the first stage."""
    paths = {"discover": REPO / "configs" / discover, "mitigate": REPO / "configs" / mitigate}
    config = write_loop(tmp_path, **paths, feedback=REPO / "configs" / feedback, slices="regions")
    assert main(["loop", "--config", str(config)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ffade: error: {says.format(**paths)}")
    assert not (tmp_path / "loops").exists()


def test_a_target_of_a_kind_no_fine_tuner_fixes_is_told_where_to_write_one(
    tmp_path: Path, capsys
) -> None:
    """A target of its own output kind (the synthetic one's 'margins') with the classifier
    fine-tuner: the line said to "give mitigate a fine-tuner for output_kind 'margins'" and no
    more, though none is installed; it now ends with the docs section that shows how."""
    paths = {
        "discover": REPO / "configs" / "synthetic.yaml",
        "mitigate": REPO / "configs" / "mitigate_digits.yaml",
    }
    config = write_loop(tmp_path, **paths, slices="regions")
    assert main(["loop", "--config", str(config)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert "which returns output_kind 'margins': give mitigate a fine-tuner for " in lines[0]
    assert lines[0].endswith("; to write a fine-tuner, see docs/plugins.md, Your own fine-tuner")
    assert not (tmp_path / "loops").exists()


def test_a_lora_module_the_summarizer_lacks_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys
) -> None:
    """lora_target_modules: [q_projj] passed every up-front check; peft refused it as the
    fine-tune set up, after the discovery and the feedback. The fine-tuner's check_settings_on
    tries its adapters on a copy of the discovery's target first, in the fine-tune's words."""
    lora = {"train": "lora", "lora_target_modules": ["q_projj"]}
    mitigate = shrink("text_mitigate.yaml", tmp_path / "mit.yaml", lora)
    config = write_loop(
        tmp_path,
        discover=REPO / "configs" / "text_quickstart.yaml",
        feedback=REPO / "configs" / "feedback_text.yaml",
        mitigate=mitigate,
        slices="regions",
    )
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"ffade: error: {mitigate}: model.init_args.lora_target_modules: "), line
    assert "q_projj" in line
    assert not (tmp_path / "loops").exists()  # no discovery ran


def test_lora_modules_the_summarizer_has_pass_and_leave_the_random_streams_alone(
    tmp_path: Path,
) -> None:
    """Adapters on the model's own modules pass; building them draws random numbers, which
    the loop's stages must not see (the digits quickstart's results stay as they were)."""
    from ffade.loop_kinds import check_target_trainable

    mitigate = shrink("text_mitigate.yaml", tmp_path / "mit.yaml", {"train": "lora"})
    discover = REPO / "configs" / "text_quickstart.yaml"
    loop = read_loop_config(write_loop(tmp_path, discover=discover, mitigate=mitigate))
    task = yaml.safe_load(discover.read_text())["model"]["init_args"]["task"]
    fixing = {"train": "lora", "lora_target_modules": ["q_proj", "v_proj"], "lora_r": 8}
    fixing |= {"lora_alpha": 16.0, "lora_dropout": 0.05}
    before = torch.random.get_rng_state()
    check_target_trainable(loop, task, fixing)  # no error
    assert torch.equal(torch.random.get_rng_state(), before)


class _NoPreprocess(Target):
    """Digit class scores from a model with no ``preprocess``: explorable, not trainable."""

    output_kind = "class_scores"

    def __init__(self, weights: str | None = None, device: str = "cpu") -> None:
        super().__init__(device)
        self.model = torch.nn.Linear(784, 10)  # set here: the class alone cannot tell

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(inputs.flatten(1))


class _NoWeights(_NoPreprocess):
    """Has ``model`` and ``preprocess`` but takes no ``weights``: a fix could not be loaded."""

    def __init__(self, device: str = "cpu") -> None:
        super().__init__(device=device)

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.flatten(1)


@pytest.mark.parametrize(
    ("cls", "says"),
    [
        (_NoPreprocess, "cannot be fine-tuned: it has no 'preprocess(inputs)'; it needs a"),
        (_NoWeights, "cannot load fine-tuned weights: its constructor takes no 'weights'"),
    ],
)
def test_a_target_the_fine_tuner_cannot_train_is_named_before_anything_runs(
    tmp_path: Path, capsys, cls: type, says: str
) -> None:
    """The fine-tune refused such a target (in one line) only after the discovery's minutes and
    the feedback had run: its member checks are made before the first stage now."""
    registry.register("target", "untrainable", cls)
    try:
        loop = small_loop_config(tmp_path)
        discover = Path(yaml.safe_load(loop.read_text())["discover"])
        config = yaml.safe_load(discover.read_text())
        config["model"]["init_args"]["task"]["target"] = {"name": "untrainable"}
        discover.write_text(yaml.safe_dump(config))
        assert main(["loop", "--config", str(loop)]) == 2
    finally:
        registry.unregister("target", "untrainable")
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ffade: error: target 'untrainable' {says}")
    assert lines[0].endswith("(see docs/plugins.md, Trainable targets)")
    assert not (tmp_path / "loops").exists()  # no discovery ran


class _NoLinear(_NoWeights):
    """Trainable, but its model has no nn.Linear and it names no head: nothing for train: head."""

    def __init__(self, weights: str | None = None, device: str = "cpu") -> None:
        Target.__init__(self, device)
        self.model = torch.nn.Sequential(torch.nn.Conv2d(1, 10, 28), torch.nn.Flatten())

    def preprocess(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.reshape(-1, 1, 28, 28).float()  # the digits, 28 x 28

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model(self.preprocess(inputs))


def test_train_head_on_a_target_with_no_head_is_named_before_anything_runs(
    tmp_path: Path, capsys
) -> None:
    """ClassifierFineTuner's train: head on a model with no nn.Linear (and no head named) was
    refused as the fine-tune set up, after the discovery and the feedback had run; its
    check_settings_on makes the fine-tune's own check on the discovery's target first."""
    registry.register("target", "headless", _NoLinear)
    try:
        loop = small_loop_config(tmp_path)
        paths = yaml.safe_load(loop.read_text())
        discover, mitigate = Path(paths["discover"]), Path(paths["mitigate"])
        config = yaml.safe_load(discover.read_text())
        config["model"]["init_args"]["task"]["target"] = {"name": "headless"}
        discover.write_text(yaml.safe_dump(config))
        config = yaml.safe_load(mitigate.read_text())
        config["model"]["init_args"]["train"] = "head"
        mitigate.write_text(yaml.safe_dump(config))
        assert main(["loop", "--config", str(loop)]) == 2
    finally:
        registry.unregister("target", "headless")
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {mitigate}: model.init_args.train 'head': the target's model has no "
        "nn.Linear and the target names no 'head'; use train: full"
    ]
    assert not (tmp_path / "loops").exists()  # no discovery ran


def test_a_dataset_with_no_held_out_inputs_is_named_before_anything_runs(
    tmp_path: Path, capsys
) -> None:
    """fractions [0.5, 0.5, 0] left the fine-tune nothing to judge the fix on, said by the
    fine-tune after the discovery and the feedback had run: now before the first stage."""
    discover = yaml.safe_load((small_loop_config(tmp_path)).read_text())["discover"]
    config = yaml.safe_load(Path(discover).read_text())
    config["model"]["init_args"]["task"]["dataset"] = {
        "name": "digits",
        "args": {"fractions": [0.5, 0.5, 0.0]},
    }
    Path(discover).write_text(yaml.safe_dump(config))
    loop = tmp_path / "loop.yaml"
    loop.write_text(
        yaml.safe_dump(
            {
                "discover": discover,
                "feedback": str(REPO / "configs" / "feedback_digits.yaml"),
                "mitigate": str(REPO / "configs" / "mitigate_digits.yaml"),
                "out": str(tmp_path / "no held-out"),
            }
        )
    )
    assert main(["loop", "--config", str(loop)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ffade: error: {discover}: dataset 'digits' has no inputs in split 'heldout', which the "
        "loop's fine-tune judges the fix on (discovery, fine-tuning and held-out inputs are "
        "apart); give the dataset inputs there (e.g. its fractions)"
    ]
    assert not (tmp_path / "no held-out").exists()


def test_a_stage_config_that_resumes_a_run_is_named_before_anything_runs(
    tmp_path: Path, capsys
) -> None:
    """Its ckpt_path was found only when the stage ran, after a whole discovery."""
    mitigate = yaml.safe_load((REPO / "configs" / "mitigate_digits.yaml").read_text())
    mitigate["ckpt_path"] = "runs/mitigate/version_0"
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(mitigate))
    config = write_loop(
        tmp_path, discover=REPO / "configs" / "quickstart.yaml", mitigate=tmp_path / "m.yaml"
    )
    assert main(["loop", "--config", str(config)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        f"ffade: error: mitigate: {tmp_path / 'm.yaml'} sets ckpt_path (runs/mitigate/version_0); "
        "a loop's stages start fresh and a loop does not resume: remove ckpt_path (resume a "
        "single run with ffade fit --ckpt_path)"
    ]
    assert not (tmp_path / "loops").exists()


def test_a_mistake_in_rediscover_names_the_loop_key_not_just_the_discovery_config(
    tmp_path: Path, capsys
) -> None:
    """The misspelled explorer argument is in the loop config's rediscover, not in discover's
    file, which the error used to name alone."""
    stages = {"discover": REPO / "configs" / "quickstart.yaml"}
    for stage in ("feedback", "mitigate"):
        stages[stage] = tmp_path / f"{stage}.yaml"
        stages[stage].write_text("{}\n")
    config = tmp_path / "loop.yaml"
    config.write_text(
        "".join(f"{k}: {v}\n" for k, v in stages.items()) + "rediscover: {budgett: 5}\n"
    )
    assert main(["loop", "--config", str(config), "--out", str(tmp_path / "loops")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "with the loop's rediscover {budgett: 5}" in line
    assert "did you mean 'model.init_args.budget'" in line  # the key as ffade fit names it


@pytest.mark.parametrize(
    ("rediscover", "mitigate", "says"),
    [
        (
            {"budget": -5},
            {},
            "{discover} with the loop's rediscover {{budget: -5}}: model.init_args.budget must "
            "be at least 1, got -5",
        ),
        ({}, {"clean_share": 1.5}, "{mitigate}: model.init_args.clean_share must be in [0, 1)"),
        # both were checked only as the fine-tune set up, after the discovery
        ({}, {"batch_size": 0}, "{mitigate}: model.init_args.batch_size must be at least 1"),
        (
            {},
            {"priority_weights": {"urgent": 2}},
            "{mitigate}: model.init_args.priority_weights: unknown priority 'urgent'",
        ),
        # a wrong type was jsonargparse's 'Parser key "model.init_args.num_envs": ...'
        (
            {"num_envs": 2.5},
            {},
            "{discover} with the loop's rediscover {{num_envs: 2.5}}: "
            "model.init_args.num_envs: expected int, got 2.5",
        ),
        (
            {},
            {"guard_pairs": 1.5},
            "{mitigate}: model.init_args.guard_pairs: expected int, got 1.5",
        ),
    ],
)
def test_a_value_out_of_range_in_a_later_stage_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, rediscover: dict, mitigate: dict, says: str
) -> None:
    """Parsing alone let these through: the stage's constructor (or its set-up) refused them,
    after minutes of discovery; now every stage's module checks its arguments before the first
    stage."""
    paths = {
        "discover": REPO / "configs" / "quickstart.yaml",
        "mitigate": shrink("mitigate_digits.yaml", tmp_path / "mit.yaml", mitigate),
    }
    config = write_loop(tmp_path, **paths, rediscover=rediscover, out=tmp_path / "loops" / "digits")
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"ffade: error: {says.format(**paths)}"), line
    assert not (tmp_path / "loops").exists()  # the refused loop made out, and removed it again


@pytest.mark.parametrize(
    ("priorities", "weights", "used"),
    [
        ("regions: [{rank: 1, priority: high}]\ndefault: skip\n", {"high": 0}, "high"),
        ("regions: []\ndefault: low\n", {"low": 0}, "low"),
        (
            "regions: [{rank: 1, priority: high}, {rank: 2, priority: skip}]\ndefault: medium\n",
            {"high": 0, "medium": 0},
            "high, medium",
        ),
    ],
)
def test_priority_weights_that_drop_every_priority_the_file_gives_stop_the_loop_first(
    tmp_path: Path, capsys, priorities: str, weights: dict, used: str
) -> None:
    """The fine-tuner's priority_weights gave weight 0 to every priority the priorities file
    uses, which the fine-tune refused only after the discovery and the feedback (97 s of a
    147 s loop on 2 shared cores); the loop now says it first, in the fine-tune's words."""
    feedback = tmp_path / "priorities.yaml"
    feedback.write_text(priorities)
    mitigate = shrink("mitigate_digits.yaml", tmp_path / "mit.yaml", {"priority_weights": weights})
    discover = REPO / "configs" / "quickstart.yaml"
    config = write_loop(tmp_path, discover=discover, feedback=feedback, mitigate=mitigate)
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"ffade: error: {mitigate}: model.init_args.priority_weights gives weight 0 to every "
        f"priority {feedback} uses ({used}), so no rule would be trained on; give one a weight "
        "above 0"
    )
    assert not (tmp_path / "loops").exists()  # no discovery ran


def test_priority_weights_that_keep_one_priority_the_file_gives_pass_the_check(
    tmp_path: Path,
) -> None:
    """Weight 0 for some of the file's priorities leaves the others to train on (here the
    default's low, for every rule but the first): the up-front check lets it through."""
    feedback = tmp_path / "priorities.yaml"
    feedback.write_text("regions: [{rank: 1, priority: high}]\ndefault: low\n")
    discover = REPO / "configs" / "quickstart.yaml"
    mitigate = REPO / "configs" / "mitigate_digits.yaml"
    loop = read_loop_config(write_loop(tmp_path, discover=discover, mitigate=mitigate))
    loop.feedback = feedback
    task = yaml.safe_load(discover.read_text())["model"]["init_args"]["task"]
    check_feedback(loop, task, {"priority_weights": {"high": 0}})  # no error


@pytest.mark.parametrize(
    ("trainer", "says"),
    [
        ({"max_epochs": 0}, "trainer.max_epochs 0 trains nothing; give at least 1"),
        ({"gradient_clip_val": float("nan")}, "trainer.gradient_clip_val must be a finite number"),
        (
            {"max_epochs": -1},
            "trainer.max_epochs -1 never ends ClassifierFineTuner, whose fix is judged when "
            "training ends; give at least 1",
        ),
        # what Lightning refuses as it builds the Trainer: found after the discovery's minutes
        ({"accelerator": "tpux"}, "trainer: You selected an invalid accelerator name"),
        ({"devices": 0}, "trainer: `Trainer(devices=0)` value is not a valid input"),
        ({"devices": "x"}, "trainer: `devices` selected with `CPUAccelerator` should be an int"),
    ],
)
def test_a_trainer_setting_no_fine_tune_can_run_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, trainer: dict, says: str
) -> None:
    """docs/mitigation.md: every value of both configs is checked before the loop starts; the
    trainer's were found only when the fine-tune started, after the discovery's minutes."""
    mitigate = shrink("mitigate_digits.yaml", tmp_path / "mit.yaml", {}, trainer)
    config = tmp_path / "loop.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "discover": str(REPO / "configs" / "quickstart.yaml"),
                "feedback": str(REPO / "configs" / "feedback_digits.yaml"),
                "mitigate": str(mitigate),
                "out": str(tmp_path / "loops"),
            }
        )
    )
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"ffade: error: {mitigate}: {says}"), line
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize("stage", ["discover", "mitigate"])
def test_a_stage_on_two_processes_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, stage: str
) -> None:
    """The loop runs its stages in its own process; Lightning's ddp started the whole ``ffade
    loop`` again as rank 1, which ran a loop of its own in a second loop directory, failed for
    want of the summary rank 0 writes, and took rank 0 down with it (exit 137)."""
    two = {"accelerator": "cpu", "devices": 2, "strategy": "ddp"}
    paths = {
        "discover": REPO / "configs" / "quickstart.yaml",
        "mitigate": REPO / "configs" / "mitigate_digits.yaml",
    }
    paths[stage] = shrink(paths[stage].name, tmp_path / "two.yaml", {}, two)
    config = write_loop(tmp_path, **paths)
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"ffade: error: {paths[stage]}: trainer: devices 2 and num_nodes 1 make 2 processes, "
        "and ffade loop runs its stages in one; give trainer.devices 1, or run the stage as its "
        "own ffade fit command (docs/scale.md)"
    )
    assert not (tmp_path / "loops").exists()


def test_a_stage_on_two_nodes_is_told_to_give_one_node_too(tmp_path: Path, capsys) -> None:
    """``num_nodes: 2`` (one device a node) makes two processes too; the line said only "give
    trainer.devices 1", which the stage already had, so following it met the same line again."""
    two_nodes = {"accelerator": "cpu", "devices": 1, "num_nodes": 2}
    discover = shrink("quickstart.yaml", tmp_path / "two.yaml", {}, two_nodes)
    mitigate = REPO / "configs" / "mitigate_digits.yaml"
    config = write_loop(tmp_path, discover=discover, mitigate=mitigate)
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"ffade: error: {discover}: trainer: devices 1 and num_nodes 2 make 2 processes, and "
        "ffade loop runs its stages in one; give trainer.devices 1 and trainer.num_nodes 1, or "
        "run the stage as its own ffade fit command (docs/scale.md)"
    )
    assert not (tmp_path / "loops").exists()


@pytest.mark.parametrize(
    ("priorities", "says"),
    [
        ("model: {}\n", "unknown key 'model'; allowed: regions, default"),
        ("regions: [{rank: 1, priority: urgent}]\n", "regions[0]: priority 'urgent'"),
        (  # a misspelt key, named with the one meant, not dropped
            "regions: [{rank: 1, priorty: high}]\n",
            "regions[0]: unknown key 'priorty' (did you mean 'priority'?); allowed: id, rank",
        ),
        (
            "regions: [{rnak: 1, priority: high}]\n",
            "regions[0]: unknown key 'rnak' (did you mean 'rank'?)",
        ),
        ("regions: [{rank: 0, priority: high}]\n", "regions[0]: rank 0 must be a whole number"),
        ("regions: [{priority: high}]\n", "regions[0]: name the rule with exactly one of"),
        (  # the same rank twice is a mistake on any run: said before the discovery's minutes
            "regions: [{rank: 1, priority: high}, {rank: 1, priority: low}]\n",
            "regions[1]: rank 1 names the same rule as regions[0]; list each rule once",
        ),
        (  # the discovery config's concepts and grids are known before its run
            "regions: [{contains: {rotaton: 20}, priority: high}]\n",
            "regions[0]: unknown concept 'rotaton' (did you mean 'rotation'?); concepts: ",
        ),
        (
            "regions: [{contains: {rotation: 25}, priority: high}]\n",
            "regions[0]: rotation = 25 is not on its grid; allowed: [-20, -15, -10, -5, 0, 5, ",
        ),
        (  # a neutral value spelt out, or 20.0 for 20, names the state the other entry names
            "regions: [{contains: {rotation: 20}, priority: high},"
            " {contains: {rotation: 20.0, brightness: 1.0}, priority: low}]\n",
            "regions[1]: contains {'rotation': 20.0, 'brightness': 1.0} names the same rule as "
            "regions[0]; list each rule once",
        ),
        (  # every rule skipped: the fine-tune refused it only after the discovery ran
            "regions: [{rank: 1, priority: skip}]\ndefault: skip\n",
            "every rule would be skipped (no entry is high, medium or low, and default is skip)",
        ),
        ("regions: []\n", "every rule would be skipped"),  # default: skip by default
    ],
)
def test_a_priorities_file_no_run_could_use_stops_the_loop_before_anything_runs(
    tmp_path: Path, capsys, priorities: str, says: str
) -> None:
    """A discovery config given as feedback (or a misspelt priority) was found only at the
    feedback stage, after the discovery's minutes; what no run can mend is said first."""
    feedback = tmp_path / "priorities.yaml"
    feedback.write_text(priorities)
    config = tmp_path / "loop.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "discover": str(REPO / "configs" / "quickstart.yaml"),
                "feedback": str(feedback),
                "mitigate": str(REPO / "configs" / "mitigate_digits.yaml"),
                "out": str(tmp_path / "loops"),
            }
        )
    )
    assert main(["loop", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"ffade: error: {feedback}: {says}"), line
    assert not (tmp_path / "loops").exists()


def test_loops_started_at_once_take_different_version_dirs(tmp_path: Path) -> None:
    """The loop looked for the first free version_N and made it later: two loops started at
    once on one out folder both chose version_0 (and the second crashed making it)."""
    (tmp_path / "version_0").mkdir()  # an older loop
    barrier = threading.Barrier(8)

    def start() -> Path:
        barrier.wait()
        return loop_module.next_loop_dir(tmp_path)

    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(lambda _: start(), range(8)))
    assert sorted(p.name for p in taken) == sorted(f"version_{n}" for n in range(1, 9))
    assert all(p.is_dir() and p.parent == tmp_path for p in taken)
    assert loop_module.next_loop_dir(tmp_path) == tmp_path / "version_9"


def test_a_loop_config_needs_only_its_three_files(tmp_path: Path) -> None:
    """docs/mitigation.md: the other keys default to the values its example shows, but out."""
    from ffade.loop_config import read_loop_config

    names = {"discover": "quickstart", "feedback": "feedback_digits"}
    names["mitigate"] = "mitigate_digits"
    config = tmp_path / "loop.yaml"
    config.write_text("".join(f"{k}: {REPO / 'configs' / n}.yaml\n" for k, n in names.items()))
    read = read_loop_config(config)
    assert (read.rediscover, read.out, read.threshold) == ({}, Path("runs/loop"), 0.5)
    assert (read.min_evaluations, read.slices) == (1, "rules")
    # null (a key with nothing after it) is the default for each: `rediscover:` and `out:` were,
    # while `threshold:`, `min_evaluations:` and `slices:` were refused as "threshold null"
    optional = ("rediscover", "out", "threshold", "min_evaluations", "slices")
    config.write_text(config.read_text() + "".join(f"{key}:\n" for key in optional))
    assert read_loop_config(config) == read


def test_a_quoted_number_is_that_number_as_in_a_fit_config(tmp_path: Path) -> None:
    """``ffade fit`` takes ``budget: "300"`` as 300; the loop refused ``threshold: "0.5"`` as
    "threshold '0.5' must be a failure rate in (0, 1]"."""
    from ffade.loop_config import read_loop_config

    names = {"discover": "quickstart", "feedback": "feedback_digits"}
    names["mitigate"] = "mitigate_digits"
    config = tmp_path / "loop.yaml"
    files = "".join(f"{k}: {REPO / 'configs' / n}.yaml\n" for k, n in names.items())
    config.write_text(files + "threshold: '0.25'\nmin_evaluations: \"50\"\n")
    read = read_loop_config(config)
    assert (read.threshold, read.min_evaluations) == (0.25, 50)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("threshold: '1.5'", "threshold 1.5 must be a failure rate in (0, 1]"),
        ("min_evaluations: '2.5'", "min_evaluations '2.5' must be a whole number from 1"),
        ("threshold: high", "threshold 'high' must be a failure rate in (0, 1]"),
        ("threshold: 0", "threshold 0 must be a failure rate in (0, 1]"),
        ("min_evaluations: 2.5", "min_evaluations 2.5 must be a whole number from 1"),
        ("slices: region", "slices 'region' must be rules or regions"),
    ],
)
def test_a_bad_threshold_or_min_evaluations_is_a_one_line_error(
    tmp_path: Path, capsys, setting: str, message: str
) -> None:
    stages = {}
    for stage in ("discover", "feedback", "mitigate"):
        stages[stage] = tmp_path / f"{stage}.yaml"
        stages[stage].write_text("{}\n")
    config = tmp_path / "loop.yaml"
    config.write_text("".join(f"{k}: {v}\n" for k, v in stages.items()) + setting + "\n")
    assert main(["loop", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"ffade: error: {config}: {message}"]


@pytest.mark.slow
def test_the_digits_loop_meets_the_mitigation_targets(tmp_path: Path) -> None:
    """The README's claim: the quickstart loop, as committed, fixes what it targets."""
    result = ffade(
        "loop",
        "--config",
        str(REPO / "configs" / "loop_digits.yaml"),
        "--out",
        str(tmp_path),
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    m = json.loads((tmp_path / "version_0" / "mitigate" / "mitigation.json").read_text())
    assert m["accepted"]
    assert m["targeted_failure_rate_after"] <= 0.5 * m["targeted_failure_rate_before"]
    assert m["clean_accuracy_after"] >= m["clean_accuracy_before"] - 0.01
    assert m["untargeted_failure_rate_after"] <= m["untargeted_failure_rate_before"] + 0.02
    retest = json.loads((tmp_path / "version_0" / "loop.json").read_text())["retest"]
    fixed = [c for c in retest["cases"] if c["goal"] == "fix"]
    assert fixed and all(c["passed"] for c in fixed), retest  # same pairs: not rediscovery
    assert "retest: " in result.stdout
    check_the_docs_priorities_example(tmp_path / "version_0" / "discover", tmp_path)


def check_the_docs_priorities_example(run: Path, tmp_path: Path) -> None:
    """docs/mitigation.md's `--from` example, as printed, applies to the quickstart's run (on
    any CPU: its id and state lines, which are one run's, are commented out)."""
    doc = (REPO / "docs" / "mitigation.md").read_text()
    example = re.search(r"```yaml\n(regions:\n.*?)```", doc, re.DOTALL).group(1)
    (tmp_path / "priorities.yaml").write_text(example)
    out = tmp_path / "doc_feedback.yaml"
    result = ffade(
        "feedback", str(run), "--from", str(tmp_path / "priorities.yaml"), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    priorities = [r["priority"] for r in yaml.safe_load(out.read_text())["regions"]]
    assert priorities[:2] == ["high", "medium"] and "low" not in priorities, priorities


@pytest.mark.slow  # runs every stage of the digits loop (small_loop)
def test_a_mistake_in_a_later_stage_stops_the_loop_before_anything_runs(small_loop, capsys) -> None:
    loop_dir, loop = small_loop
    config = yaml.safe_load(loop.read_text())
    mitigate = Path(config["mitigate"])
    broken = mitigate.with_name("broken_mitigate.yaml")
    broken.write_text(mitigate.read_text().replace("learning_rate", "learning_rat"))
    config["mitigate"] = str(broken)
    bad = loop.parent / "bad_mitigate_loop.yaml"
    bad.write_text(yaml.safe_dump(config))
    assert main(["loop", "--config", str(bad)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(broken) in lines[0], lines
    assert "did you mean 'model.init_args.learning_rate'" in lines[0]
    assert not (loop_dir.parent / "version_1").exists()  # checked before discovery ran


def stopping_loop(tmp_path: Path, target: dict | None = None, budget: int = 40) -> Path:
    """A loop config whose discovery searches the synthetic task, with ``target`` if given; the
    digits feedback and fine-tune follow (checked before discovery, never reached; a fine-tuner
    that declares no kinds, as no fine-tuner fixes the synthetic target's margins)."""
    discover = write_config(tmp_path / "discover.yaml", "ffade.explore.RandomExplorer", budget)
    mitigate = yaml.safe_load((REPO / "configs" / "mitigate_digits.yaml").read_text())
    mitigate["model"]["class_path"] = "tests.api.fine_tuners.AnyTargetFineTuner"
    (tmp_path / "mitigate.yaml").write_text(yaml.safe_dump(mitigate))
    if target is not None:
        config = yaml.safe_load(discover.read_text())
        config["model"]["init_args"]["task"]["target"] = target
        discover.write_text(yaml.safe_dump(config))
    loop = tmp_path / "loop.yaml"
    loop.write_text(
        yaml.safe_dump(
            {
                "discover": str(discover),
                "feedback": str(REPO / "configs" / "feedback_digits.yaml"),
                "mitigate": str(tmp_path / "mitigate.yaml"),
                "out": str(tmp_path / "loops"),
            }
        )
    )
    return loop


def repo_on_path(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the repository first on PYTHONPATH, so that a loop in a process of its own
    finds :func:`stopping_loop`'s fine-tuner in tests.api (CI's installed ffade has no tests
    package on its path)."""
    return {**env, "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])}


def assert_stopped(loop_dir: Path, stderr: str, status: str) -> None:
    """docs/mitigation.md: one line naming the stage, its run and status; loop.json says so."""
    run = loop_dir / "discover"
    assert stderr.strip().splitlines()[-1] == (
        f"ffade: error: loop stage discover stopped: {run} ended with status '{status}'"
    )
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["status"] == "stopped"
    assert record["stopped"] == {"stage": "discover", "run": str(run), "status": status}
    assert "discover" not in record  # a stage's key comes once it is done
    assert json.loads((run / "summary.json").read_text())["status"] == status


def test_a_stage_that_crashes_stops_the_loop_with_exit_1_naming_it(tmp_path: Path, capsys) -> None:
    """A crash is no mistake in a config (exit 2): exit 1, the traceback, then the one line."""
    crashing = {"name": "callable", "args": {"predict": "tests.api.callables:crashes"}}
    loop = stopping_loop(tmp_path, crashing)
    assert main(["loop", "--config", str(loop)]) == 1
    stderr = capsys.readouterr().err
    assert "RuntimeError: planted crash" in stderr  # a bug keeps its traceback
    assert_stopped(tmp_path / "loops" / "version_0", stderr, "failed")


@pytest.mark.parametrize(
    "stop",  # a loop in a process of its own, each: SIGTERM's the slow step's
    [
        signal.SIGINT,
        pytest.param(signal.SIGTERM, marks=pytest.mark.slow),
        pytest.param(signal.SIGHUP, marks=pytest.mark.slow),
    ],
    ids=[str(int(signal.SIGINT)), str(int(signal.SIGTERM)), str(int(signal.SIGHUP))],
)
def test_ctrl_c_in_a_stage_stops_the_loop_with_exit_1_naming_it(tmp_path: Path, stop) -> None:
    """SIGTERM too: the loop's own handler (for between stages) leaves a stage's SIGTERM to
    Lightning, which stops the run in order (status 'interrupted', not 'failed'). A closed
    terminal's SIGHUP is SIGTERM: it ended the loop on the spot, loop.json saying 'discovered'
    nowhere and 'stopped' nowhere, its discovery's summary.json 'running'."""
    loop = stopping_loop(tmp_path, budget=100_000)
    loop_dir = tmp_path / "loops" / "version_0"
    log = loop_dir / "discover" / "evaluations.jsonl"
    exe = Path(sys.executable).parent / "ffade"
    with subprocess.Popen(
        [str(exe), "loop", "--config", str(loop)],
        cwd=REPO,
        env=repo_on_path(dict(os.environ)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=hangup_as_a_terminal_gives_it,  # the SIGHUP case: not this process's state
    ) as process:
        deadline = time.monotonic() + 240
        while not (log.is_file() and len(log.read_bytes().splitlines()) > 100):
            assert time.monotonic() < deadline and process.poll() is None, "no search to stop"
            time.sleep(0.5)
        process.send_signal(stop)
        stderr = process.communicate(timeout=120)[1]
    assert process.returncode == 1, stderr[-2000:]
    assert "Traceback" not in stderr
    assert f"ffade: interrupted; the run so far is in {loop_dir / 'discover'}" in stderr
    assert_stopped(loop_dir, stderr, "interrupted")


def test_ctrl_c_while_the_feedback_is_applied_stops_the_loop_naming_that_stage(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Feedback and report are no Lightning runs: Ctrl-C there was exit 130 and a loop.json
    still saying 'discovered'; now it is the same stop as in a run's stage."""

    def pressed_ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop_feedback, "feedback_from_file", pressed_ctrl_c)
    loop = stopping_loop(tmp_path)
    assert main(["loop", "--config", str(loop)]) == 1
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "ffade: error: loop stage feedback stopped: interrupted"
    )
    record = json.loads((tmp_path / "loops" / "version_0" / "loop.json").read_text())
    assert record["status"] == "stopped"
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "interrupted"}
    assert "discover" in record and "feedback" not in record


@pytest.mark.slow  # a loop in a process of its own, about 30 s each
@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
def test_a_closed_stdout_stops_the_loop_as_interrupted_without_a_traceback(
    tmp_path: Path, unbuffered: bool
) -> None:
    """`ffade loop ... | head -1`: the reader went away after the first line. The next line's
    BrokenPipeError recorded the feedback stage `failed` (a crash, with its traceback); nothing
    failed, the loop was stopped from outside as a closed terminal's SIGHUP stops it, so it is
    `interrupted`, in one line, and Python says nothing of the closed pipe as it exits.
    Block-buffered (a pipe, without PYTHONUNBUFFERED), the first line came only as discovery's
    progress bar flushed it, and that flush, in the run, failed the run with a traceback once the
    reader was gone: each of the loop's lines is now flushed as it is said."""
    loop = stopping_loop(tmp_path)
    exe = Path(sys.executable).parent / "ffade"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    with subprocess.Popen(
        [str(exe), "loop", "--config", str(loop)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=repo_on_path(env),
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("[1/5] discover: ")
        process.stdout.close()  # as head -1 exits; discovery still runs
        stderr = process.communicate(timeout=240)[1]
    assert process.returncode == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr[-2000:]
    assert stderr.strip().splitlines()[-1] == (
        "ffade: error: loop stage feedback stopped: interrupted (its output was closed)"
    )
    record = json.loads((tmp_path / "loops" / "version_0" / "loop.json").read_text())
    assert record["status"] == "stopped"
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "interrupted"}


def test_ctrl_c_as_a_stage_sets_up_its_run_says_it_was_interrupted(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Ctrl-C (or SIGTERM) in a stage before its run wrote summary.json (Lightning still reading
    its config) ended the loop with "... ended with no summary.json", which did not say why."""
    checked = loop_module.fit

    def pressed_ctrl_c(config, run_dir, overrides, check=False, where=""):
        if check:  # the up-front checks run as they do
            return checked(config, run_dir, overrides, check, where)
        raise KeyboardInterrupt

    monkeypatch.setattr(loop_module, "fit", pressed_ctrl_c)
    assert main(["loop", "--config", str(stopping_loop(tmp_path))]) == 1
    run = tmp_path / "loops" / "version_0" / "discover"
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        f"ffade: error: loop stage discover stopped: {run} was interrupted before it wrote "
        "summary.json"
    )
    record = json.loads((run.parent / "loop.json").read_text())
    assert record["stopped"] == {"stage": "discover", "run": str(run), "status": None}


def test_ctrl_c_before_the_first_stage_leaves_no_out_folder(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Ctrl-C while the loop read its configs (seconds, before any stage) left the empty `out`
    folder it had made, which a refused loop removes."""

    def pressed_ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop_module, "check_feedback", pressed_ctrl_c)
    loop = stopping_loop(tmp_path)
    assert main(["loop", "--config", str(loop)]) == 130
    assert capsys.readouterr().err.strip().splitlines() == ["ffade: interrupted"]
    assert not (tmp_path / "loops").exists()


def test_ctrl_c_as_the_loop_sets_up_leaves_no_empty_version_folder(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Ctrl-C once the checks passed, as the loop prepared its loop.json record, left the
    version_0 folder it had just made, empty, with no loop.json to say what it was."""

    def pressed_ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop_module.LoopConfig, "plain", pressed_ctrl_c)
    loop = stopping_loop(tmp_path)
    assert main(["loop", "--config", str(loop)]) == 130
    assert capsys.readouterr().err.strip().splitlines() == ["ffade: interrupted"]
    assert not (tmp_path / "loops").exists()


def test_an_out_that_is_a_loops_own_folder_is_refused(tmp_path: Path) -> None:
    """`--out L/version_0` (the folder a loop's closing line names) ran the new loop into
    L/version_0/version_0, unsaid."""
    loop = stopping_loop(tmp_path)
    done = tmp_path / "loops" / "version_0"
    done.mkdir(parents=True)
    (done / "loop.json").write_text('{"status": "finished"}')
    for args in (["--out", str(done)], []):
        if not args:  # the config's out, too
            config = yaml.safe_load(loop.read_text())
            loop.write_text(yaml.safe_dump({**config, "out": str(done)}))
        result = ffade_in_process("loop", "--config", str(loop), *args)
        assert result.returncode == 2, result.stderr
        named = "--out" if args else f"{loop}: out"
        assert result.stderr.strip().splitlines() == [
            f"ffade: error: {named} {done}: a loop's own folder (it holds loop.json), not where"
            f" loops go; give {done.parent}, where each loop gets a version_N of its own"
        ]
        assert sorted(p.name for p in done.iterdir()) == ["loop.json"]


def test_an_out_inside_a_loops_own_folder_is_refused_naming_where_loops_go(
    tmp_path: Path,
) -> None:
    """`--out L/version_0/discover` (a stage's run inside a loop) ran a whole new loop there,
    unsaid; `--out .` from inside L/version_0 was told to "give .", the folder it refused. The
    path to give is one the user can type from where they are."""
    loop = stopping_loop(tmp_path)
    done = tmp_path / "loops" / "version_0"
    (done / "discover").mkdir(parents=True)
    (done / "loop.json").write_text('{"status": "finished"}')
    cases = [  # (where the command is typed, --out, the line's tail)
        (tmp_path, "loops/version_0/discover", "inside a loop's own folder, loops/version_0"),
        (tmp_path, str(done / "discover" / "x"), f"inside a loop's own folder, {done}"),
        (done, ".", "a loop's own folder"),
        (done / "discover", ".", "inside a loop's own folder, .."),
    ]
    for cwd, out, what in cases:
        result = ffade_in_process("loop", "--config", str(loop), "--out", out, cwd=cwd)
        assert result.returncode == 2, result.stderr
        give = done.parent if Path(out).is_absolute() else os.path.relpath(done.parent, cwd)
        assert result.stderr.strip().splitlines() == [
            f"ffade: error: --out {out}: {what} (it holds loop.json), not where loops go; "
            f"give {give}, where each loop gets a version_N of its own"
        ]
        assert (cwd / give).resolve() == done.parent  # typed from there, it names the loops
    assert sorted(p.name for p in done.iterdir()) == ["discover", "loop.json"]
    assert list((done / "discover").iterdir()) == []


def test_sigterm_while_the_feedback_is_applied_stops_the_loop_as_ctrl_c_does(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """SIGTERM outside a Lightning stage ended the loop on the spot (143 in a shell), its
    loop.json still saying 'discovered'. Here a stand-in handler stands for that default: the
    loop must put its own in its place while it applies the feedback."""

    class KilledOnTheSpot(Exception):
        pass

    def killed(signum, frame):
        raise KilledOnTheSpot

    def sigterm(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the handler runs here

    monkeypatch.setattr(loop_feedback, "feedback_from_file", sigterm)
    previous = signal.signal(signal.SIGTERM, killed)
    try:
        assert main(["loop", "--config", str(stopping_loop(tmp_path))]) == 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "ffade: error: loop stage feedback stopped: interrupted"
    )
    record = json.loads((tmp_path / "loops" / "version_0" / "loop.json").read_text())
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "interrupted"}


def test_sigterm_between_stages_stops_the_loop_as_ctrl_c_does(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Between a Lightning stage and the next (here: discovery's run has ended, its stage not
    yet recorded) SIGTERM ended the loop the default way; a stand-in handler stands for that
    default, as above: the loop's own handler must hold SIGTERM there too."""

    class KilledOnTheSpot(Exception):
        pass

    def killed(signum, frame):
        raise KilledOnTheSpot

    discover = loop_module._discover

    def discovered_then_sigterm(*args, **kwargs):
        run = discover(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the handler runs here
        return run

    monkeypatch.setattr(loop_module, "_discover", discovered_then_sigterm)
    previous = signal.signal(signal.SIGTERM, killed)
    try:
        assert main(["loop", "--config", str(stopping_loop(tmp_path))]) == 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert (
        stderr.strip().splitlines()[-1] == "ffade: error: loop stage discover stopped: interrupted"
    )
    record = json.loads((tmp_path / "loops" / "version_0" / "loop.json").read_text())
    assert record["status"] == "stopped"
    assert record["stopped"] == {"stage": "discover", "run": None, "status": "interrupted"}
    run = tmp_path / "loops" / "version_0" / "discover"
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"  # kept


def test_a_mistake_found_as_a_stage_runs_is_still_one_line_and_exit_2(
    tmp_path: Path, capsys
) -> None:
    """A weights file that is not there is found only when discovery builds its target: a
    mistake (exit 2, said in one line), and loop.json still says where the loop stopped."""
    missing = tmp_path / "missing.pt"
    loop = stopping_loop(tmp_path, {"name": "digits_cnn", "args": {"weights": str(missing)}})
    assert main(["loop", "--config", str(loop)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "ffade: error: target 'digits_cnn': model.init_args.task.target.args.weights file "
        f"'{missing}' does not exist"
    ]
    loop_dir = tmp_path / "loops" / "version_0"
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["status"] == "stopped"
    assert record["stopped"] == {
        "stage": "discover",
        "run": str(loop_dir / "discover"),
        "status": None,
    }


def test_a_mistake_found_as_the_feedback_is_applied_says_the_loop_stopped_there(
    tmp_path: Path, capsys
) -> None:
    """An id that is no rule of the run can only be found once discovery ran: one line, exit 2,
    and loop.json says the loop stopped at feedback (it said 'discovered', as if still going)."""
    loop = stopping_loop(tmp_path)
    config = yaml.safe_load(loop.read_text())
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions: [{id: S-00000000, priority: high}]\n")
    config["feedback"] = str(priorities)
    loop.write_text(yaml.safe_dump(config))
    assert main(["loop", "--config", str(loop)]) == 2
    # discovery's bar, on stderr; where the run has no rule, a note names the id that matched none
    bar, *notes, line = capsys.readouterr().err.strip().splitlines()
    assert bar.startswith("evaluations: 100%")
    assert notes in (
        [],
        [
            f"ffade: note: {priorities}: regions[0] (id: S-00000000) names no rule of this "
            "run: it has none"
        ],
    )
    loop_dir = tmp_path / "loops" / "version_0"
    assert line.startswith(f"ffade: error: {loop_dir / 'discover'}: ") or line.startswith(
        f"ffade: error: {priorities}: regions[0]: id 'S-00000000' is not a failure rule"
    ), line
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["status"] == "stopped"
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "failed"}
    assert "discover" in record and "feedback" not in record


@pytest.mark.parametrize("shipped", [False, True], ids=["default-low", "feedback_digits"])
def test_a_run_with_nothing_to_prioritize_stops_the_loop_at_feedback(
    tmp_path: Path, capsys, shipped: bool
) -> None:
    """A run without a slice (here, none reaches threshold 1.0 on 1000 evaluations): the loop
    says why there is nothing to fix, whatever the file names. Under a `default: low` file it said
    "0 rules: ", went on, and stopped in its mitigate stage, leaving a run folder; under the
    shipped `rank: 1` file it said "rank 1 is past the last rule", as if the file were wrong."""
    loop = stopping_loop(tmp_path)
    config = yaml.safe_load(loop.read_text())
    if not shipped:
        priorities = tmp_path / "priorities.yaml"
        priorities.write_text("regions: []\ndefault: low\n")
        config["feedback"] = str(priorities)
    config.update(threshold=1.0, min_evaluations=1000)
    loop.write_text(yaml.safe_dump(config))
    assert main(["loop", "--config", str(loop)]) == 2
    captured = capsys.readouterr()
    loop_dir = tmp_path / "loops" / "version_0"
    assert "      0 rules\n" in captured.out
    assert captured.err.strip().splitlines()[-1] == (
        f"ffade: error: {loop_dir / 'discover'}: nothing to review: no concept state fails by "
        "threshold 1 and min_evaluations 1000; the fine-tune has nothing to fix"
    )
    # the shipped file's `rank: 1` named nothing here, silently (`ffade feedback --from` said it)
    notes = [line for line in captured.err.splitlines() if line.startswith("ffade: note: ")]
    said = f"ffade: note: {config['feedback']}: regions[0] (rank: 1) names no rule of this run"
    assert notes == ([f"{said}: it has none"] if shipped else []), captured.err
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "failed"}
    assert not (loop_dir / "mitigate").exists()


def unchanged_only_loop(tmp_path: Path) -> tuple[Path, dict]:
    """A loop whose microscopic discovery fails only at the neutral state: a box off the grid
    makes its inputs fail unchanged and nowhere else. Returns the loop config's path and
    contents."""
    corner = [-0.2, -0.06]  # off the grid: its inputs fail at the neutral state alone
    target = {"name": "synthetic", "args": {"regions": [{0: corner, 1: corner, 2: corner}]}}
    loop = stopping_loop(tmp_path, target)
    config = yaml.safe_load(loop.read_text())
    discover = yaml.safe_load(Path(config["discover"]).read_text())
    discover["model"]["init_args"]["task"]["mode"] = "microscopic"
    Path(config["discover"]).write_text(yaml.safe_dump(discover))
    return loop, config


def test_a_loop_whose_only_slice_is_the_inputs_unchanged_stops_before_fine_tuning(
    tmp_path: Path, capsys
) -> None:
    """A microscopic search whose inputs fail only unchanged finds one region, the neutral state
    (`ffade report`: nothing to rank). The shipped `rank: 1` feedback gave it priority high in
    silence and the loop went on to fine-tune on the inputs unchanged; it stops at its feedback
    stage now, in one line saying why, exit 2, its discovery kept. The discovery's stage line is
    followed by what it found, as `ffade fit` says it (it said only where it ran)."""
    loop, config = unchanged_only_loop(tmp_path)
    loop.write_text(yaml.safe_dump({**config, "slices": "regions"}))
    assert main(["loop", "--config", str(loop)]) == 2
    captured = capsys.readouterr()
    loop_dir = tmp_path / "loops" / "version_0"
    summary = json.loads((loop_dir / "discover" / "summary.json").read_text())
    assert summary["failures"] > 0 and summary["failing_concept_states"] == 1
    lines = captured.out.splitlines()
    assert lines[1] == (
        f"      evaluations: {summary['evaluations']}, failures: {summary['failures']} (in 1 "
        "concept state)"
    ), captured.out
    assert lines[2].startswith("[2/5] feedback: ") and lines[3] == "      1 regions: 1 high"
    region = yaml.safe_load((loop_dir / "discover" / "feedback.yaml").read_text())["regions"][0]
    assert region["states"] == [[0, 0, 0]]  # the neutral state
    assert captured.err.strip().splitlines()[-1] == (
        f"ffade: error: {config['feedback']}: the one region it prioritizes, {region['id']} "
        "(high), is the neutral state alone: its inputs fail unchanged, so a fine-tune on it "
        "would train on unchanged inputs, which no concept change explains; the loop stops "
        f"before fine-tuning (its discovery is kept in {loop_dir / 'discover'}); to search what "
        "the concepts break, set model.init_args.task.only_passing_inputs: true in "
        f"{config['discover']}"
    )
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["stopped"] == {"stage": "feedback", "run": None, "status": "failed"}
    assert (loop_dir / "discover" / "summary.json").is_file()
    assert not (loop_dir / "mitigate").exists()


def test_a_loop_on_rules_whose_only_region_is_the_inputs_unchanged_says_so(
    tmp_path: Path, capsys
) -> None:
    """With the default `slices: rules`, the same run backs no rule, and the loop said `set
    slices: regions in the loop config`, which led to the stop above: advice to a dead end. It
    says now that the one region is the neutral state alone, and how to search what the concepts
    break, in the discover config, exit 2."""
    loop, config = unchanged_only_loop(tmp_path)
    assert main(["loop", "--config", str(loop)]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    loop_dir = tmp_path / "loops" / "version_0"
    assert last == (
        f"ffade: error: {loop_dir / 'discover'}: nothing to review: no failure rule has enough "
        "evidence to name, and its one failure region is the neutral state alone: its inputs fail "
        "unchanged, so a fine-tune on it would train on unchanged inputs, which no concept change "
        "explains; to search what the concepts break, set model.init_args.task."
        f"only_passing_inputs: true in {config['discover']}; the fine-tune has nothing to fix"
    )
    assert "slices: regions" not in last
    assert not (loop_dir / "mitigate").exists()


def test_an_out_under_home_is_where_the_stages_write(tmp_path: Path, monkeypatch) -> None:
    """`out: ~/loops` made a folder named "~" in the current directory, while each stage's
    logger wrote under the home directory: the loop found "no summary.json" and stopped."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    loop = stopping_loop(tmp_path)
    config = yaml.safe_load(loop.read_text())
    loop.write_text(yaml.safe_dump({**config, "out": "~/loops"}))
    (tmp_path / "work").mkdir()
    ffade_in_process("loop", "--config", str(loop), cwd=tmp_path / "work")
    record = json.loads((tmp_path / "home" / "loops" / "version_0" / "loop.json").read_text())
    assert record["status"] != "stopped" or record["stopped"]["stage"] != "discover", record
    assert record["discover"] == str(tmp_path / "home" / "loops" / "version_0" / "discover")
    assert list((tmp_path / "work").iterdir()) == []


def test_loop_json_names_its_runs_from_any_directory(tmp_path: Path) -> None:
    """A relative `out` was stored as typed: loop.json said `discover: ../my runs/version_0/...`,
    which names nothing once read from another directory (mitigation.json's paths are absolute)."""
    work = tmp_path / "my runs" / "résumé é"
    work.mkdir(parents=True)
    loop = stopping_loop(tmp_path)
    config = yaml.safe_load(loop.read_text())
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions: [{id: S-00000000, priority: high}]\n")
    loop.write_text(yaml.safe_dump({**config, "feedback": str(priorities), "out": "../loops é/"}))
    done = ffade_in_process("loop", "--config", str(loop), cwd=work)
    assert done.returncode == 2, done.stderr
    loop_dir = tmp_path / "my runs" / "loops é" / "version_0"
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["loop_dir"] == str(loop_dir)
    assert record["discover"] == str(loop_dir / "discover")
    assert (Path(record["discover"]) / "summary.json").is_file()
    assert record["config"]["out"] == str(tmp_path / "my runs" / "loops é")  # not "../loops é"
    for key in ("discover", "feedback", "mitigate"):  # the files it read, wherever it is read
        assert Path(record["config"][key]).is_absolute() and Path(record["config"][key]).is_file()


class NotingReward(Misclassification):
    """The digits reward with a `check_task` note, as the diffusion `human` reward's unmatched
    `ratings_file` rows."""

    def check_task(self, inputs, concepts) -> list[str]:
        return ["reward 'noting': 2 ratings_file prompt row(s) match no prompt"]


def test_a_task_note_is_said_once_though_each_stage_builds_the_task(tmp_path: Path, capsys) -> None:
    """Discovery, the fine-tune and the rediscovery each build the task: the same note came once
    per stage, as if three things were wrong (here two stages: the fix is rejected)."""
    registry.register("reward", "noting", NotingReward)
    try:
        loop = small_loop_config(tmp_path)
        discover = Path(yaml.safe_load(loop.read_text())["discover"])
        config = yaml.safe_load(discover.read_text())
        config["model"]["init_args"]["budget"] = 96
        config["model"]["init_args"]["task"].update(max_inputs=16, reward={"name": "noting"})
        discover.write_text(yaml.safe_dump(config))
        mitigate = Path(yaml.safe_load(loop.read_text())["mitigate"])
        config = yaml.safe_load(mitigate.read_text())  # a fix that fixes nothing: rejected, so
        config["model"]["init_args"]["learning_rate"] = 1e-12  # the loop stops after two stages
        mitigate.write_text(yaml.safe_dump(config))
        assert main(["loop", "--config", str(loop)]) == 1
    finally:
        registry.unregister("reward", "noting")
    err = capsys.readouterr().err
    note = "ffade: note: reward 'noting': 2 ratings_file prompt row(s) match no prompt\n"
    assert err.count(note) == 1, err
    assert (tmp_path / "loops" / "version_0" / "mitigate").is_dir()  # a second task was built


def rejected_loop(tmp_path: Path) -> Path:
    """The small digits loop on 16 images, whose fine-tune fixes nothing: the guard rejects it."""
    loop = small_loop_config(tmp_path)
    discover = Path(yaml.safe_load(loop.read_text())["discover"])
    config = yaml.safe_load(discover.read_text())
    config["model"]["init_args"]["budget"] = 96
    config["model"]["init_args"]["task"]["max_inputs"] = 16
    discover.write_text(yaml.safe_dump(config))
    mitigate = Path(yaml.safe_load(loop.read_text())["mitigate"])
    config = yaml.safe_load(mitigate.read_text())
    config["model"]["init_args"]["learning_rate"] = 1e-12  # fixes nothing: the guard refuses it
    mitigate.write_text(yaml.safe_dump(config))
    return loop


@pytest.mark.slow  # discovery and a fine-tune, about 13 s of CPU
def test_a_rejected_fix_stops_the_loop_before_rediscovery_and_says_so(
    tmp_path: Path, capsys
) -> None:
    """The guard's refusal is the loop's verdict: exit 1, the reason printed, loop.json's status
    `rejected` with the mitigation numbers, and no rediscovery or report made on a fix not kept."""
    loop = rejected_loop(tmp_path)
    assert main(["loop", "--config", str(loop)]) == 1
    out = capsys.readouterr().out
    assert "stopping before rediscovery" in out, out
    assert "loop rejected in" in out, out
    loop_dir = tmp_path / "loops" / "version_0"
    record = json.loads((loop_dir / "loop.json").read_text())
    assert record["status"] == "rejected"
    assert record["mitigation"]["status"] == "rejected"
    assert "stopped" not in record and "rediscover" not in record and "report" not in record
    assert not (loop_dir / "rediscover").exists() and not (loop_dir / "report").exists()


@pytest.mark.slow  # discovery and a fine-tune, about 13 s of CPU
def test_a_rejected_loop_ends_saying_what_to_change_and_the_command_to_rerun(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fine-tune alone closes a rejected fix with a `next:` line naming the options that change
    the verdict; the loop stopped at its reason. It names the mitigate config's keys (a fix that
    fixed nothing: train more) and the loop command, its files as the loop config names them."""
    loop = rejected_loop(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["loop", "--config", "loop.yaml"]) == 1
    mitigate = tmp_path / "mitigate.yaml"
    assert capsys.readouterr().out.splitlines()[-1] == (
        "next: the original model is kept; to train more, raise trainer.max_epochs or "
        f"model.init_args.learning_rate in {mitigate} (the loop's mitigate config), then run the "
        "loop again: ffade loop --config loop.yaml"
    )
    assert loop == tmp_path / "loop.yaml"


@pytest.mark.slow  # the rejected loop in a process of its own, about 30 s each
@pytest.mark.parametrize(
    ("moment", "unbuffered"),
    [("summary", True), ("summary", False), ("verdict", True)],
    ids=["summary", "summary-buffered", "verdict"],
)
def test_a_reader_gone_once_the_fix_is_rejected_leaves_exit_1_and_loop_json_rejected(
    tmp_path: Path, moment: str, unbuffered: bool
) -> None:
    """`ffade loop ... | head -6`, the reader gone as the loop says its outcome. As its closing
    summary was printed, the BrokenPipeError reached ffade's `| head -1` handler: exit 0 for a
    rejected fix (block-buffered, as a pipe is without PYTHONUNBUFFERED, it came at exit: status
    120 after "Exception ignored ... BrokenPipeError"). As the verdict's lines were said, the
    closed output stopped a loop whose fine-tune was over: loop.json said `stopped` at
    `mitigate` (its `mitigate` key there too), or at `discover` once it said `rejected`. The
    pipe closes exactly there (tests/reader_gone.py holds its last reader)."""
    loop = rejected_loop(tmp_path)
    read, write = os.pipe()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    command = ["-m", "tests.reader_gone", str(read), moment, "loop", "--config", str(loop)]
    with subprocess.Popen(
        [sys.executable, *command],
        cwd=REPO,
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        pass_fds=(read,),
    ) as process:
        os.close(read)  # the child's copy is the pipe's last reader
        os.close(write)
        stderr = process.communicate(timeout=300)[1]
    assert process.returncode == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr[-2000:]
    assert "ffade: error" not in stderr, stderr[-2000:]
    record = json.loads((tmp_path / "loops" / "version_0" / "loop.json").read_text())
    assert record["status"] == "rejected" and "stopped" not in record


def test_ctrl_c_in_the_retest_leaves_no_empty_report_folder(
    finished: Path, tmp_path: Path, monkeypatch
) -> None:
    """The retest makes report/ for suite.yaml before it measures the pairs; Ctrl-C there left
    the folder behind, empty, in a loop stopped at report."""
    import ffade.gate.export
    from ffade.loop_config import LoopConfig

    first = tmp_path / "discover"
    shutil.copytree(finished, first)
    feedback_from_file(first, {"regions": [], "default": "high"}, slices="regions")
    loop_dir = tmp_path / "loops" / "version_0"
    loop_dir.mkdir(parents=True)

    def pressed_ctrl_c(*args, **kwargs):
        assert (loop_dir / "report").is_dir()  # made, the pairs not yet measured
        raise KeyboardInterrupt

    monkeypatch.setattr(ffade.gate.export, "evaluate_cases", pressed_ctrl_c)
    config = LoopConfig(discover=first, feedback=first, mitigate=first, slices="regions")
    with pytest.raises(KeyboardInterrupt):
        loop_module._report(config, loop_dir, first, first, first, print)
    assert not (loop_dir / "report").exists()


def test_the_loops_stage_line_says_an_accepted_fixs_unclear_fall() -> None:
    """The loop's mitigate stage printed "accepted: ... targeted failure rate 9.3% -> 9.2% ..."
    and went on, as if the failure were fixed; the line under it now says the fall is no clear
    change (mitigation.json's targeted_change), and a clear fall's stage line is one line as
    before."""
    record = {
        "status": "accepted",
        "accepted": True,
        "clean_accuracy_before": 0.98,
        "clean_accuracy_after": 0.98,
        "targeted_failure_rate_before": 112 / 1200,
        "targeted_failure_rate_after": 111 / 1200,
        "untargeted_failure_rate_before": None,
        "untargeted_failure_rate_after": None,
        "targeted_change": {"pairs": 1200, "outcome": "no clear change"},
    }
    first, second = loop_module._numbers(record).split("\n")
    assert first.startswith("      accepted: clean accuracy 98.0% -> 98.0%; targeted failure rate")
    assert second.startswith("      but: targeted failure rate 9.3% -> 9.2% of 1,200 held-out")
    record["targeted_change"]["outcome"] = "clear fall"
    assert loop_module._numbers(record) == first
