"""``ffade feedback RUN_DIR``: typed at the prompt or read from a file, saved as answers come."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from itertools import product
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.feedback import read_feedback
from ffade.summarize.regions import Region
from tests.helpers import REPO, ffade_in_process, waiting_for_input


def typed(*args: str, answers: str) -> subprocess.CompletedProcess:
    """The installed ``ffade`` with ``answers`` on its standard input, as a person types them."""
    exe = Path(sys.executable).parent / "ffade"
    return subprocess.run(
        [str(exe), *args],
        cwd=REPO,
        input=answers,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_interactive_answers_are_saved_and_a_bad_one_is_asked_again(
    run: Path, regions: list[Region]
) -> None:
    """The questions, their prompts and the piped answers echoed after them are on stderr; stdout
    holds only the closing lines. On stdout, `ffade feedback RUN > log` wrote every question into
    the log and left the person answering a silent terminal."""
    result = typed("feedback", str(run), "--slices", "regions", answers="urgent\nh\nskip\nq\n")
    assert result.returncode == 0, result.stderr
    asked = result.stderr
    assert asked.startswith(
        f"{run}: 3 failure regions (threshold 0.5, min evaluations 1); asking about all 3."
    )
    assert "'urgent' is not a priority" in asked
    # each piped answer follows its prompt, as in a terminal, not the line said about it
    assert "priority [h/m/l/s, q to stop]: urgent\n    'urgent' is not a priority" in asked
    assert regions[0].id in asked and regions[0].conditions in asked
    assert asked.rstrip().endswith("priority [h/m/l/s, q to stop]: q")
    feedback = read_feedback(run / "feedback.yaml")
    assert [(r.id, r.priority) for r in feedback.regions] == [
        (regions[0].id, "high"),
        (regions[1].id, "skip"),
    ]
    assert feedback.regions[0].states == regions[0].states.tolist()
    assert feedback.regions[0].source == "interactive"
    assert feedback.regions[0].examples is None  # the synthetic target draws no pictures
    assert result.stdout.splitlines() == [
        "stopped; answers so far are saved. Run the same command again to continue.",
        f"saved priorities for 2 of 3 regions to {run / 'feedback.yaml'} (1 high, 0 medium, "
        "0 low, 1 skip); fix them with a fine-tuner config (docs/mitigation.md, Fixing your own "
        "run): ffade fit --config MITIGATE.yaml "
        f"--model.init_args.run {run}",
    ]


def test_input_ending_early_loses_nothing_and_the_next_session_continues(
    run: Path, regions: list[Region], in_process
) -> None:
    code, _, _ = in_process("feedback", str(run), "--slices", "regions", answers="m\n")
    assert code == 0  # the input ended after one answer, as with Ctrl-D
    assert [r.priority for r in read_feedback(run / "feedback.yaml").regions] == ["medium"]
    code, _, err = in_process(
        "feedback", str(run), "--slices", "regions", "--max-regions", "2", answers="low\n"
    )
    assert "1 of these regions is already answered" in err
    answers = {r.id: r.priority for r in read_feedback(run / "feedback.yaml").regions}
    assert answers == {regions[0].id: "medium", regions[1].id: "low"}


class Terminal(io.StringIO):
    """Keystrokes in a terminal: Ctrl-D at the first question is a person stopping."""

    def isatty(self) -> bool:
        return True


def test_stopping_before_the_first_answer_writes_nothing(
    run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(""))
    code = main(["feedback", str(run), "--slices", "regions"])
    out = capsys.readouterr().out
    assert code == 0 and out.rstrip().endswith("stopped before the first answer; nothing saved")
    assert not (run / "feedback.yaml").exists()  # an empty file would read as "fix nothing"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_at_a_prompt_keeps_the_answers_and_exits_130(
    run: Path, regions: list[Region], signum: int
) -> None:
    """Ctrl-C (or a scheduler's SIGTERM) at the second question was taken as `q`: exit 0, so a
    killed job read as a success. The first answer stays saved; the command says so, then ends
    as every ffade command stopped so ends: `ffade: interrupted`, exit 130."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ffade", "feedback", str(run), "--slices", "regions"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdin is not None
    process.stdin.write("h\n")  # the input stays open: the second question waits for a person
    process.stdin.flush()
    saved = run / "feedback.yaml"
    deadline = time.monotonic() + 120
    while not saved.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    waiting_for_input(process.pid)  # at the second question: one sent sooner may wait for it
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "ffade: interrupted"
    assert "Traceback" not in err
    assert out.strip() == (
        f"stopped; saved priorities for 1 of 3 regions to {shlex.quote(str(saved))} (1 high, "
        "0 medium, 0 low, 0 skip). Run the same command again to continue."
    )
    assert [(r.id, r.priority) for r in read_feedback(saved).regions] == [(regions[0].id, "high")]


def test_a_signal_while_an_answer_is_being_saved_keeps_it_and_says_so(
    run: Path, regions: list[Region], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A signal that came while the first answer's pictures were written (feedback.yaml already
    there) said "stopped before the first answer; feedback.yaml is unchanged" (CI, loaded)."""
    from ffade.feedback import picture_files as pictures

    written = pictures.pictures_as_saved
    calls = []

    def signalled(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # Ctrl-C or SIGTERM just as the first answer is being saved
            raise KeyboardInterrupt
        return written(*args, **kwargs)

    monkeypatch.setattr(pictures, "pictures_as_saved", signalled)
    monkeypatch.setattr("sys.stdin", Terminal("h\n"))
    assert main(["feedback", str(run), "--slices", "regions"]) == 130
    file = shlex.quote(str(run / "feedback.yaml"))
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith(
            f"stopped; saved priorities for 1 of 3 regions to {file} (1 high, 0 medium, 0 low, "
            "0 skip). Run the same command again to continue."
        )
    )
    saved = read_feedback(run / "feedback.yaml")
    assert [(r.id, r.priority) for r in saved.regions] == [(regions[0].id, "high")]


def test_piped_lines_that_are_no_priority_are_said_to_be_so(run: Path) -> None:
    """A line that is no priority ('urgent') was re-asked, and then the error said standard input
    "held no answer", as if nothing had been piped in."""
    result = typed("feedback", str(run), "--slices", "regions", "--no-examples", answers="urgent\n")
    assert result.returncode == 2, result.stderr
    assert "'urgent' is not a priority" in result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        "ffade: error: standard input is no terminal and its 1 line held no priority (h, m, l, s "
        "or q), so nothing was answered (nothing saved); answer in a terminal, or pass --from "
        "PRIORITIES.yaml (docs/mitigation.md)"
    )
    assert not (run / "feedback.yaml").exists()


def test_answers_piped_from_a_file_with_a_byte_order_mark_go_to_their_own_rules(
    run: Path, regions: list[Region]
) -> None:
    """A file of answers saved with a UTF-8 byte order mark (Notepad) made its first answer
    no priority ('\\ufeffh'), so each later answer went to the slice before its own."""
    result = typed(
        "feedback", str(run), "--slices", "regions", "--no-examples", answers="\ufeffh\r\nm\r\n"
    )
    assert result.returncode == 0, result.stderr
    assert "is not a priority" not in result.stderr
    feedback = read_feedback(run / "feedback.yaml")
    assert [(r.id, r.priority) for r in feedback.regions] == [
        (regions[0].id, "high"),
        (regions[1].id, "medium"),
    ]


def test_without_a_terminal_and_no_answer_it_exits_2_naming_from(
    run: Path, in_process, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ffade feedback RUN < /dev/null` (a CI job) said "nothing saved" and exit 0: nobody was
    asked. Answers piped in still count (the tests above), and so does a file that exists. In
    this process: the same branch from a process of its own is the piped 'urgent' test above."""
    with open(os.devnull) as devnull:  # `< /dev/null`: no terminal, and nothing to read
        monkeypatch.setattr("sys.stdin", devnull)
        code = main(["feedback", str(run), "--slices", "regions"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip().splitlines()[-1] == (
        "ffade: error: standard input is no terminal and held no answer, so nothing could be "
        "asked (nothing saved); answer in a terminal, or pass --from PRIORITIES.yaml "
        "(docs/mitigation.md)"
    )
    assert not (run / "feedback.yaml").exists()
    in_process("feedback", str(run), "--slices", "regions", answers="h\n")
    before = (run / "feedback.yaml").read_bytes()
    code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="")
    assert code == 2
    assert f"({run / 'feedback.yaml'} is unchanged)" in err
    assert (run / "feedback.yaml").read_bytes() == before


def test_redo_asks_again_from_the_start_and_stopping_keeps_earlier_answers(
    run: Path, regions: list[Region], in_process
) -> None:
    in_process("feedback", str(run), "--slices", "regions", answers="h\nh\nh\n")
    code, _, err = in_process(
        "feedback", str(run), "--slices", "regions", "--redo", answers="l\nq\n"
    )
    assert code == 0 and "already answered" not in err
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    # the new answer stands where the old one stood: the file keeps the order they were asked in
    assert answers == [(regions[0].id, "low"), (regions[1].id, "high"), (regions[2].id, "high")]

    before = (run / "feedback.yaml").read_bytes()  # quitting at once leaves the file alone
    in_process("feedback", str(run), "--slices", "regions", "--redo", answers="q\n")
    assert (run / "feedback.yaml").read_bytes() == before


def test_redo_with_other_settings_starts_over_at_the_first_answer(
    run: Path, regions: list[Region], in_process
) -> None:
    in_process("feedback", str(run), "--slices", "regions", answers="h\nh\nh\n")
    before = (run / "feedback.yaml").read_bytes()
    options = ["--slices", "regions", "--threshold", "0.6", "--redo"]
    in_process("feedback", str(run), *options, answers="q\n")
    assert (run / "feedback.yaml").read_bytes() == before
    in_process("feedback", str(run), *options, answers="l\nq\n")
    saved = read_feedback(run / "feedback.yaml")
    assert saved.threshold == 0.6 and [r.priority for r in saved.regions] == ["low"]


def test_answers_about_another_run_are_not_continued(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """--out FILE holding run A's answers: run B's regions share their ids, not their states, so
    continuing would save A's answers as B's. Refused, the file untouched; --redo starts over."""
    other = tmp_path / "other"
    shutil.copytree(run, other)
    answers = tmp_path / "answers.yaml"
    in_process("feedback", str(run), "--slices", "regions", "--out", str(answers), answers="h\nq\n")
    before = answers.read_bytes()
    code, _, err = in_process(
        "feedback", str(other), "--slices", "regions", "--out", str(answers), answers="l\nq\n"
    )
    assert code == 2 and answers.read_bytes() == before
    assert err.strip() == (
        f"ffade: error: --out {answers} holds answers about run {run}, not {other}; give "
        "another file, or --redo to start over (the first answer replaces them)"
    )
    options = ["--slices", "regions", "--out", str(answers), "--redo"]
    in_process("feedback", str(other), *options, answers="l\nq\n")
    saved = read_feedback(answers)
    assert saved.run == str(other) and [(r.id, r.priority) for r in saved.regions] == [
        (regions[0].id, "low")
    ]
    # a run's own feedback.yaml goes with it when the run is moved: it still continues
    in_process("feedback", str(run), "--slices", "regions", answers="m\nq\n")
    moved = tmp_path / "moved"
    run.rename(moved)
    code, _, err = in_process("feedback", str(moved), "--slices", "regions", answers="q\n")
    assert code == 0 and "1 of these regions is already answered" in err


def test_from_file_never_replaces_answers_about_another_run(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """--from over --out FILE holding run A's answers, applied to run B: refused as continuing it
    is, even when no saved priority would change (a partial interactive ranking), since every
    answer would become B's; the file untouched, --redo replaces it."""
    other = tmp_path / "other"
    shutil.copytree(run, other)
    answers = tmp_path / "answers.yaml"
    in_process("feedback", str(run), "--slices", "regions", "--out", str(answers), answers="h\nq\n")
    before = answers.read_bytes()
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")  # A's answer, unchanged
    options = ["--from", str(priorities), "--slices", "regions", "--out", str(answers)]
    code, out, err = in_process("feedback", str(other), *options)
    assert code == 2 and out == "" and answers.read_bytes() == before
    assert err.strip() == (
        f"ffade: error: {answers} holds 1 answer about run {run}, not {other}; add --redo to "
        "replace it, or another --out FILE to save these elsewhere"  # one answer: "it"
    )  # "or --out FILE" offered the option given, the one just refused
    code, _, err = in_process("feedback", str(other), *options, "--redo")
    assert code == 0, err
    assert read_feedback(answers).run == str(other)
    # a run's own feedback.yaml moves with it: applying the same file again just saves
    in_process("feedback", str(run), "--from", str(priorities), "--slices", "regions")
    moved = tmp_path / "moved"
    run.rename(moved)
    code, _, err = in_process(
        "feedback", str(moved), "--from", str(priorities), "--slices", "regions"
    )
    assert code == 0, err


def test_a_damaged_log_is_warned_about_as_the_report_does(run: Path, in_process) -> None:
    """A person ranks failures the log shows: a torn line must not pass unsaid."""
    log = run / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    lines[2] = lines[2][:20]
    log.write_text("\n".join(lines) + "\n")
    code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="q\n")
    assert code == 0
    assert f"ffade: warning: {log} line 3: damaged" in err
    assert "says 1000 evaluations but" in err and "holds 999" in err


def test_a_run_that_did_not_finish_is_ranked_with_a_note(run: Path, in_process) -> None:
    """A killed or interrupted run is still worth ranking, but its figures are partial: said."""
    summary = json.loads((run / "summary.json").read_text())
    for status, how in (("interrupted", ""), ("running", " (still running, or killed)")):
        (run / "summary.json").write_text(json.dumps({**summary, "status": status}))
        code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="q\n")
        assert code == 0, err
        assert (
            f"ffade: note: {run} did not finish: its summary.json status is '{status}'{how}; "
            "its figures cover the evaluations made so far"
        ) in err.splitlines()
    (run / "summary.json").write_text(json.dumps(summary))
    code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="q\n")
    assert code == 0 and "did not finish" not in err


def test_from_file_says_a_run_did_not_finish_before_its_examples(
    run: Path, tmp_path: Path, in_process
) -> None:
    """With --from, the note came after the examples' bar (seconds of drawing later), where the
    interactive form says it first: the run is ranked after one note line, both ways."""
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    code, _, err = in_process("feedback", str(run), "--from", str(priorities))
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == (
        f"ffade: note: {run} did not finish: its summary.json status is 'interrupted'; its "
        "figures cover the evaluations made so far"
    )
    assert len(lines) == 2 and lines[1].startswith("examples: 100%|##########| 1/1 "), err


def test_from_file_with_rules_says_rules(run: Path, tmp_path: Path, in_process) -> None:
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}]}))
    code, stdout, err = in_process("feedback", str(run), "--from", str(priorities))
    assert code == 0, err
    rules = read_feedback(run / "feedback.yaml").regions
    assert stdout.startswith(f"saved priorities for {len(rules)} of {len(rules)} rules to "), stdout
    # saved where the fine-tuner looks by default: the command needs no feedback argument
    assert stdout.strip().endswith(f"--model.init_args.run {run}"), stdout


def test_the_closing_line_names_the_run_as_typed(
    run: Path, tmp_path: Path, in_process, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/mitigation.md's last line is '... to RUN/feedback.yaml ...; ... --model.init_args.run
    RUN', the run as typed, as ffade report's next: line says it; the command said the run's
    absolute path (the feedback file's own record) beside the file's relative one."""
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}]}))
    monkeypatch.chdir(run.parent)
    code, stdout, err = in_process("feedback", "./run", "--from", str(priorities))
    assert code == 0, err
    line = stdout.strip()
    assert " to run/feedback.yaml (" in line, line
    assert line.endswith("ffade fit --config MITIGATE.yaml --model.init_args.run run"), line
    assert read_feedback(run / "feedback.yaml").run == str(run)  # the file keeps it absolute


def test_from_file_saves_every_region_and_says_how_to_fix_them(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(yaml.safe_dump({"regions": [{"rank": 2, "priority": "high"}]}))
    out = tmp_path / "else where" / "answers.yaml"  # said quoted, as the command names it
    code, stdout, err = in_process(
        "feedback", str(run), "--from", str(priorities), "--out", str(out), "--slices", "regions"
    )
    assert code == 0, err
    assert stdout.strip() == (
        f"saved priorities for 3 of 3 regions to '{out}' (1 high, 0 medium, 0 low, 2 skip); "
        "fix them with a fine-tuner config (docs/mitigation.md, Fixing your own run): "
        "ffade fit --config MITIGATE.yaml "
        f"--model.init_args.run {run} --model.init_args.feedback '{out}'"
    )
    feedback = read_feedback(out)
    assert [(r.id, r.priority) for r in feedback.regions] == [
        (regions[0].id, "skip"),
        (regions[1].id, "high"),
        (regions[2].id, "skip"),
    ]
    assert feedback.regions[1].source == "priorities.yaml regions[0] (rank)"
    assert not (run / "feedback.yaml").exists()


def test_out_naming_the_from_file_itself_is_refused(run: Path, tmp_path: Path, in_process) -> None:
    """`--from P --out P` was refused as answers that cannot be read, and the line said to apply
    P "with --from P" (as typed) or to add --redo, which replaced the priorities kept for reuse
    with this run's answers. Refused first now, P unchanged; a saved feedback.yaml applied to
    itself (its answers by id) still just saves."""
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    before = priorities.read_bytes()
    for redo in ([], ["--redo"]):
        options = ["--from", str(priorities), "--out", str(priorities), *redo]
        code, out, err = in_process("feedback", str(run), *options, "--no-examples")
        assert code == 2 and out == "" and priorities.read_bytes() == before
        assert err.strip() == (
            f"ffade: error: --out {priorities} is the --from file: saving the answers there "
            "would replace its priorities; give another --out FILE, or none to save "
            "RUN_DIR/feedback.yaml"
        )
    answers = tmp_path / "answers.yaml"
    in_process("feedback", str(run), "--from", str(priorities), "--out", str(answers))
    options = ["--from", str(answers), "--out", str(answers), "--no-examples"]
    code, _, err = in_process("feedback", str(run), *options)
    assert code == 0, err


def test_from_file_never_replaces_other_answers_unless_redo(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """A person's ranking survives a priorities file applied over it: refused in one line that
    names the file and --redo; the same answers again (a command run twice) are no loss."""
    in_process("feedback", str(run), "--slices", "regions", answers="h\nm\nq\n")
    saved = run / "feedback.yaml"
    before = saved.read_bytes()
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    options = ["--from", str(priorities), "--slices", "regions"]
    code, out, err = in_process("feedback", str(run), *options)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"ffade: error: {saved} holds other priorities: 1 of its 2 answers would change (first: "
        f"{regions[1].id} medium -> skip); add --redo to replace them, or --out FILE to save "
        "these elsewhere"
    ]
    assert saved.read_bytes() == before
    code, _, err = in_process("feedback", str(run), *options, "--redo")
    assert code == 0, err
    code, _, err = in_process("feedback", str(run), *options)  # the same answers: nothing lost
    assert code == 0, err
    answers = [(r.id, r.priority) for r in read_feedback(saved).regions]
    assert answers == [(regions[0].id, "high"), (regions[1].id, "skip"), (regions[2].id, "skip")]
    # a saved feedback.yaml serves as a --from file: another person's answers, say
    elsewhere = tmp_path / "theirs.yaml"
    elsewhere.write_bytes(before)
    code, _, err = in_process("feedback", str(run), "--from", str(elsewhere), "--slices", "regions")
    assert code == 2 and f"{regions[1].id} skip -> medium" in err
    code, _, err = in_process(
        "feedback", str(run), "--from", str(elsewhere), "--slices", "regions", "--redo"
    )
    assert code == 0, err
    answers = {r.id: r.priority for r in read_feedback(saved).regions}
    assert answers == {regions[0].id: "high", regions[1].id: "medium", regions[2].id: "skip"}
    # answers about slices found otherwise, or a file ffade cannot read, are kept all the same
    before = saved.read_bytes()
    code, _, err = in_process("feedback", str(run), *options, "--threshold", "0.6")
    assert code == 2 and err.strip() == (
        f"ffade: error: {saved} holds 3 answers for regions found with threshold 0.5 and min "
        "evaluations 1; add --redo to replace them, or --out FILE to save these elsewhere"
    )
    saved.write_text(before.decode().replace("priority: medium", "priority: urgent"))
    code, _, err = in_process("feedback", str(run), *options)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"ffade: error: {saved} is there but its answers cannot be read (")
    assert "priority 'urgent' is not allowed" in err and err.rstrip().endswith("elsewhere")


def test_the_command_prints_a_bad_entry_as_one_line_and_saves_nothing(
    run: Path, tmp_path: Path
) -> None:
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: urgent}\n")
    result = ffade_in_process("feedback", str(run), "--from", str(priorities))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: {priorities}: regions[0]: priority 'urgent' is not allowed; "
        "choose high, medium, low, skip (or h, m, l, s)"
    ]
    assert not (run / "feedback.yaml").exists()


def test_from_file_takes_the_priorities_the_prompt_takes(
    run: Path, regions: list[Region], tmp_path: Path, in_process
) -> None:
    """`h` at the prompt is high; in a --from file it was refused ("choose high, medium, ...")."""
    priorities = tmp_path / "p.yaml"
    priorities.write_text(
        "regions:\n  - {rank: 1, priority: h}\n  - {rank: 3, priority: ' M '}\ndefault: L\n"
    )
    code, _, err = in_process(
        "feedback", str(run), "--from", str(priorities), "--slices", "regions"
    )
    assert code == 0, err
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "high"), (regions[1].id, "low"), (regions[2].id, "medium")]


def test_missing_files_are_one_line_errors(run: Path, tmp_path: Path, in_process) -> None:
    code, _, err = in_process("feedback", str(run), "--from", str(tmp_path / "nope.yaml"))
    assert code == 2 and err.startswith("ffade: error: --from: priorities file")
    code, _, err = in_process("feedback", str(tmp_path / "no-run"))
    assert code == 2 and "no-run" in err
    assert len(err.strip().splitlines()) == 1


def test_out_never_replaces_a_file_that_holds_no_priorities(
    run: Path, tmp_path: Path, in_process
) -> None:
    """`--out CONFIG.yaml` (a slip) must not replace the config with answers."""
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    config = tmp_path / "config.yaml"
    config.write_text("model:\n  init_args: {budget: 10}\n")
    before = config.read_bytes()
    code, _, err = in_process(
        "feedback", str(run), "--from", str(priorities), "--out", str(config), "--no-examples"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"--out {config}: a file that holds no priorities" in err
    assert config.read_bytes() == before
    mine = tmp_path / "mine.yaml"  # answers saved earlier are replaced, as before
    for _ in range(2):
        code, _, err = in_process(
            "feedback", str(run), "--from", str(priorities), "--out", str(mine), "--no-examples"
        )
        assert code == 0, err
    assert read_feedback(mine).regions[0].priority == "high"
    (run / "feedback.yaml").write_text("notes: mine\n")  # not typed as --out: not named so
    code, _, err = in_process("feedback", str(run), "--from", str(priorities), "--no-examples")
    assert code == 2 and err.strip() == (
        f"ffade: error: {run / 'feedback.yaml'}: a file that holds no priorities (no 'regions') "
        "is there; feedback overwrites only its own answers: move it away, or save with --out FILE"
    )


@pytest.mark.parametrize("name", ["answers.txt", "summary.json", "answers"])
def test_out_must_be_a_yaml_file_name(run: Path, tmp_path: Path, in_process, name: str) -> None:
    """`--out x.txt` saved YAML under a name that says otherwise (`export --to` refuses it), and
    `--out RUN/summary.json` was refused only for what the file held."""
    out = (run if name == "summary.json" else tmp_path / "new") / name
    before = out.read_bytes() if out.exists() else None
    code, _, err = in_process(
        "feedback", str(run), "--out", str(out), "--no-examples", answers="h\n"
    )
    assert code == 2 and err.strip() == (
        f"ffade: error: --out {out}: the answers are saved as YAML (a fine-tuner reads them as "
        "model.init_args.feedback); name it .yaml or .yml"
    )
    assert (out.read_bytes() if out.exists() else None) == before
    assert not (tmp_path / "new").exists()  # refused before any folder was made
    code, _, err = in_process(
        "feedback", str(run), "--out", str(tmp_path / "new" / "a.YML"), "--no-examples",
        answers="h\n",
    )  # fmt: skip
    assert code == 0, err


def test_a_feedback_file_broken_by_hand_is_named_with_its_line(run: Path, in_process) -> None:
    """A feedback.yaml whose YAML an edit broke was said to hold "no priorities (no 'regions')"
    and sent the person to move it away: its answers are there, one bracket from readable."""
    in_process("feedback", str(run), "--slices", "regions", "--no-examples", answers="h\nq\n")
    saved = run / "feedback.yaml"
    lines = saved.read_text().splitlines()
    lines[3] = "threshold: [0.5"  # the 4th line, after the header's three comment lines
    saved.write_text("\n".join(lines) + "\n")
    before = saved.read_bytes()
    for args in ([], ["--from", str(REPO / "configs/feedback_digits.yaml")]):
        code, _, err = in_process("feedback", str(run), "--slices", "regions", *args, answers="h\n")
        assert code == 2 and err.startswith(f"ffade: error: {saved}: not valid YAML (line 5: ")
        assert err.rstrip().endswith("mend it, or move it away to answer again")
        assert len(err.strip().splitlines()) == 1 and saved.read_bytes() == before
    # export and a fine-tuner cannot answer again: they say which command does
    mend = f"mend it, or move it away and answer again with `ffade feedback {run}`"
    suite = run.parent / "suite.yaml"
    code, _, err = in_process("export", str(run), "--to", str(suite))
    assert code == 2 and err.startswith(f"ffade: error: {saved}: not valid YAML (line 5: ")
    assert err.rstrip().endswith(mend) and len(err.strip().splitlines()) == 1, err
    assert not suite.exists() and saved.read_bytes() == before
    with pytest.raises(FfadeError, match=r"not valid YAML \(line 5: expected ','") as raised:
        read_feedback(saved, run)  # as a fine-tuner reads it
    assert str(raised.value).endswith(mend)


def test_a_key_written_twice_in_a_saved_feedback_file_is_one_line(run: Path, in_process) -> None:
    """The saved file was first read without the duplicate-key check: a key written twice
    passed it, and read_feedback's refusal came later without the hint to mend the file."""
    in_process("feedback", str(run), "--slices", "regions", "--no-examples", answers="h\nq\n")
    saved = run / "feedback.yaml"
    lines = saved.read_text().splitlines()
    lines.insert(4, lines[3])  # the 4th line, after the header's three comment lines, twice
    saved.write_text("\n".join(lines) + "\n")
    before = saved.read_bytes()
    code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="h\n")
    key = lines[3].split(":")[0]
    said = f"ffade: error: {saved}: not valid YAML (line 5: key '{key}' is given twice in one "
    assert code == 2 and err.startswith(said), err
    assert err.rstrip().endswith("mend it, or move it away to answer again")
    assert len(err.strip().splitlines()) == 1 and saved.read_bytes() == before


def test_skipping_every_rule_names_no_fix_command(run: Path, in_process) -> None:
    """Every answer skip: the closing line said "fix them with a fine-tuner config: ...", a
    command that then refuses the file (nothing to fix)."""
    code, out, err = in_process("feedback", str(run), "--no-examples", answers="s\ns\n")
    assert code == 0, err
    assert out.rstrip().splitlines()[-1] == (
        f"saved priorities for 2 of 2 rules to {run / 'feedback.yaml'} (0 high, 0 medium, 0 low, "
        "2 skip); nothing to fix: no rule has priority high, medium or low"
    )


def test_a_kept_answer_about_a_slice_not_found_now_is_counted_apart(run: Path, in_process) -> None:
    """An answer whose id is none of the run's rules now (edited by hand, or saved by another
    ffade version) is kept, as the fine-tuner reads it; the closing line said "3 of 2 rules"."""
    in_process("feedback", str(run), "--no-examples", answers="h\nq\n")
    saved = run / "feedback.yaml"
    data = yaml.safe_load(saved.read_text())
    data["regions"][0]["id"] = "S-00000000"
    saved.write_text(yaml.safe_dump(data))
    code, out, err = in_process("feedback", str(run), "--no-examples", answers="s\ns\n")
    assert code == 0, err
    last = out.rstrip().splitlines()[-1]
    assert last.startswith(
        "saved priorities for 2 of 2 rules and 1 other rule the file held (S-00000000) to "
        f"{saved} (1 high, 0 medium, 0 low, 2 skip); fix them with"
    )


def test_examples_and_no_examples_together_are_refused(run: Path, in_process) -> None:
    code, _, err = in_process("feedback", str(run), "--examples", "3", "--no-examples")
    assert code == 2
    assert err.strip() == "ffade: error: --examples 3 and --no-examples contradict: give one"
    assert not (run / "feedback.yaml").exists()


def test_examples_0_shows_none_as_no_examples_does(run: Path, in_process) -> None:
    """docs/mitigation.md: 0 is the lower bound and means no pictures, so it agrees with
    --no-examples (was refused as a contradiction); --help says what 0 means."""
    args = ("feedback", str(run), "--examples", "0", "--no-examples")
    code, _, err = in_process(*args, answers="h\nq\n")
    assert code == 0, err
    assert (run / "feedback.yaml").exists()
    from ffade.feedback.command import parser

    assert "0 shows none, as --no-examples does" in " ".join(parser().format_help().split())


def test_max_regions_must_be_positive(run: Path, in_process, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:  # refused by argparse, as it parses
        in_process("feedback", str(run), "--max-regions", "0")
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: argument --max-regions: expected a whole number from 1, got '0' "
        "(see ffade feedback --help)"
    )


def test_a_run_without_regions_saves_an_empty_feedback_file(run: Path, in_process) -> None:
    code, out, err = in_process("feedback", str(run), "--min-evaluations", "2")
    assert (
        code == 0
        and (
            "nothing to review: no concept state fails by the threshold and min evaluations above; "
            f"saved {run / 'feedback.yaml'}, with no priorities (a fine-tuner has nothing to fix)"
        )
        in out
    )
    assert err.startswith(f"{run}: 0 failure rules (threshold 0.5, min evaluations 2, each ")
    assert "asking about the first 0" not in err
    assert read_feedback(run / "feedback.yaml").regions == []
    # that file holds no answer: other settings start afresh, not "pass --min-evaluations 2"
    code, out, err = in_process("feedback", str(run), "--no-examples", answers="h\nq\n")
    assert code == 0, err
    saved = read_feedback(run / "feedback.yaml")
    assert saved.min_evaluations == 1 and [r.priority for r in saved.regions] == ["high"]


def test_a_run_without_failures_says_so_and_saves_no_priority(tmp_path: Path, in_process) -> None:
    from tests.summarize.conftest import write_run

    grid = {"blur": [0.0, 1.0, 2.0]}
    run = write_run(tmp_path / "none", grid, {(0,): (4, 0), (1,): (4, 0), (2,): (4, 0)})
    for slices in ("rules", "regions"):
        code, out, err = in_process("feedback", str(run), "--slices", slices)
        assert code == 0, err
        assert out.splitlines()[-1] == (
            f"nothing to review: no failure was found; saved {run / 'feedback.yaml'}, with no "
            "priorities (a fine-tuner has nothing to fix)"
        )
        assert read_feedback(run / "feedback.yaml").regions == []
    # a failing state too thinly evaluated for a rule: the regions that hold it are named
    run = write_run(tmp_path / "thin", grid, {(0,): (4, 0), (1,): (4, 0), (2,): (1, 1)})
    code, out, err = in_process("feedback", str(run))
    assert code == 0, err
    assert out.splitlines()[-1].startswith(
        "nothing to review: no failure rule has enough evidence to name"
    )
    assert "give --slices regions to prioritize its 1 failure region instead; saved" in out


def test_from_file_on_a_run_without_failures_says_why_nothing_is_reviewed(
    tmp_path: Path, in_process
) -> None:
    """`--from` on a run with no slice said "saved priorities for 0 of 0 rules ...; nothing to
    fix", never why; plain `ffade feedback RUN` says "nothing to review: <why>"."""
    from tests.summarize.conftest import write_run

    grid = {"blur": [0.0, 1.0, 2.0]}
    run = write_run(tmp_path / "none", grid, {(0,): (4, 0), (1,): (4, 0), (2,): (4, 0)})
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions: []\ndefault: low\n")
    named = tmp_path / "named.yaml"  # ranks, ids and states name nothing here: no mistake
    named.write_text(
        "regions: [{rank: 1, priority: high}, {id: S-00000000, priority: low}, "
        "{contains: {blur: 2.0}, priority: low}]\n"
    )
    shipped = REPO / "configs" / "feedback_digits.yaml"  # rank 1: "rank 1 is past the last rule"
    for slices, file in product(("rules", "regions"), (priorities, named, shipped)):
        code, out, err = in_process(
            "feedback", str(run), "--from", str(file), "--slices", slices, "--redo"
        )
        assert code == 0, err
        assert out.splitlines() == [
            f"nothing to review: no failure was found; saved {run / 'feedback.yaml'}, with no "
            "priorities (a fine-tuner has nothing to fix)"
        ]
        assert read_feedback(run / "feedback.yaml").regions == []
        # a stale file's entries were matched to nothing silently: a note names them
        notes = [line for line in err.splitlines() if line.startswith("ffade: note: ")]
        noun = "rule" if slices == "rules" else "region"
        if file is named:
            assert notes == [
                f"ffade: note: {named}: regions[0] (rank: 1), regions[1] (id: S-00000000) and "
                f"regions[2] (contains: {{blur: 2.0}}) name no {noun} of this run: it has none"
            ], err
        elif file is shipped:
            assert notes == [
                f"ffade: note: {shipped}: regions[0] (rank: 1) names no {noun} of this run: "
                "it has none"
            ], err
        else:
            assert notes == [], err  # a file that lists nothing names nothing
    named.write_text("regions: [{contains: {blur: 7}, priority: low}]\n")
    code, _, err = in_process("feedback", str(run), "--from", str(named))
    assert code == 2  # a state off the grid is the file's mistake, on any run
    assert err.strip().endswith("regions[0]: blur = 7 is not on its grid; allowed: [0.0, 1.0, 2.0]")
    # failures, but no state fails by the threshold: said so, as the plain command says it
    thin = write_run(tmp_path / "thin", grid, {(0,): (4, 0), (1,): (4, 0), (2,): (4, 1)})
    code, out, err = in_process(
        "feedback", str(thin), "--from", str(priorities), "--slices", "regions"
    )
    assert code == 0, err
    assert out.splitlines() == [  # nothing above names the settings: this line does
        "nothing to review: no concept state fails by --threshold 0.5 and --min-evaluations 1; "
        f"saved {thin / 'feedback.yaml'}, with no priorities (a fine-tuner has nothing to fix)"
    ]


def test_answers_kept_where_no_failure_is_found_now_are_said_apart(run: Path, in_process) -> None:
    in_process("feedback", str(run), "--no-examples", answers="h\nq\n")
    (kept,) = read_feedback(run / "feedback.yaml").regions
    log = run / "evaluations.jsonl"  # the same run's log with every failure gone
    records = [json.loads(line) | {"failed": False} for line in log.read_text().splitlines()]
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    code, out, err = in_process("feedback", str(run), "--no-examples")
    assert code == 0, err
    assert out.splitlines()[-1] == (
        "nothing to review: no failure was found; saved priorities for 0 of 0 rules and 1 other "
        f"rule the file held ({kept.id}) to {run / 'feedback.yaml'} (1 high, 0 medium, 0 low, "
        "0 skip); fix them with a fine-tuner config (docs/mitigation.md, Fixing your own run): "
        "ffade fit --config MITIGATE.yaml "
        f"--model.init_args.run {run}"
    )
    assert [r.id for r in read_feedback(run / "feedback.yaml").regions] == [kept.id]


def test_a_different_threshold_does_not_silently_mix_answers(run: Path, in_process) -> None:
    in_process("feedback", str(run), "--slices", "regions", answers="h\nq\n")
    code, _, err = in_process("feedback", str(run), "--threshold", "0.9", answers="q\n")
    assert code == 2
    assert "threshold 0.5" in err and "--redo" in err


def test_continuing_with_other_settings_names_the_options_that_continue_it(
    run: Path, in_process
) -> None:
    """The refusal named only ``--slices``, though the saved answers' threshold differed too."""
    options = ("--slices", "regions", "--threshold", "0.7")
    in_process("feedback", str(run), *options, answers="h\nq\n")
    code, _, err = in_process("feedback", str(run), answers="q\n")
    assert code == 2 and err.count("\n") == 1
    assert f"pass {' '.join(options)} to continue it, or --redo to start over" in err
    code, _, err = in_process("feedback", str(run), *options, answers="q\n")
    assert code == 0 and "already answered" in err  # and they continue


def test_by_default_feedback_asks_only_about_rules_with_enough_evidence(
    run: Path, in_process
) -> None:
    """The planted single state (one evaluation) is a region but too thin for a rule."""
    code, _, err = in_process("feedback", str(run), answers="h\n")
    assert code == 0
    assert "2 failure rules (threshold 0.5, min evaluations 1, each with enough evidence)" in err
    code, _, err = in_process("feedback", str(run), answers="l\n")
    assert code == 0 and "1 of these rules is already answered (--redo to ask again)" in err
    feedback = read_feedback(run / "feedback.yaml")
    assert feedback.slices == "rules"
    assert sorted(r.conditions for r in feedback.regions) == [
        "axis0 >= 0.889 and axis1 >= 0.889",
        "axis0 between 0.333 and 0.444 and axis2 <= 0.111",
    ]
    code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="q\n")
    assert code == 2 and "--slices rules" in err


def test_a_feedback_file_names_its_run_from_any_directory(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_process
) -> None:
    """``run:`` was the path as typed: from another directory a file kept outside its run was
    taken for another run's (continuing it refused) and another run went unrefused."""
    other = tmp_path / "other"
    shutil.copytree(run, other)  # the same grid, another run directory
    prio = tmp_path / "prio.yaml"
    prio.write_text(yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}]}))
    monkeypatch.chdir(tmp_path)
    made = ("--from", "prio.yaml", "--out", "answers/fb.yaml", "--no-examples")
    assert in_process("feedback", "run", *made)[0] == 0
    out = tmp_path / "answers" / "fb.yaml"
    assert Path(read_feedback(out).run) == run.resolve()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, _, err = in_process("feedback", str(run), "--from", str(prio), "--out", str(out))
    assert code == 0, err  # its own run: continued, not "holds answers about run run"
    to = tmp_path / "suite.yaml"
    code, _, err = in_process("export", str(other), "--to", str(to), "--feedback", str(out))
    assert code == 2 and f"ranks the failures of run {run.resolve()}, not of {other}" in err
    assert not to.exists()


def test_the_fix_command_quotes_paths_with_spaces(run: Path, tmp_path: Path, in_process) -> None:
    """The printed fine-tune command split a run or answers path at its spaces when pasted."""
    spaced = run.rename(tmp_path / "my run é")
    out = tmp_path / "my answers" / "a.yaml"
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}]}))
    code, stdout, err = in_process(
        "feedback", str(spaced), "--from", str(priorities), "--out", str(out), "--slices", "regions"
    )
    assert code == 0, err
    command = shlex.split(
        stdout.strip().split(
            "fix them with a fine-tuner config (docs/mitigation.md, Fixing your own run): "
        )[1]
    )
    assert command[-4:] == [
        "--model.init_args.run",
        str(spaced),
        "--model.init_args.feedback",
        str(out),
    ]


def test_a_run_path_with_letters_beyond_ascii_is_written_as_typed(
    run: Path, tmp_path: Path, in_process
) -> None:
    """feedback.yaml wrote ``run: "/tmp/...\\xE9\\u6570..."``: valid YAML, but unreadable."""
    moved = shutil.copytree(run, tmp_path / "run é 数字")
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}]}))
    code, _, err = in_process("feedback", str(moved), "--from", str(priorities))
    assert code == 0, err
    text = (moved / "feedback.yaml").read_text(encoding="utf-8")
    assert f"run: {moved.resolve()}\n" in text
    assert read_feedback(moved / "feedback.yaml").run == str(moved.resolve())


def test_continuing_after_a_non_default_option_names_the_saved_value(run: Path, in_process) -> None:
    """Answers saved with the default threshold, continued with ``--threshold 0.9``: the line
    said "pass --slices rules to continue it", which continues nothing; it names the threshold."""
    in_process("feedback", str(run), answers="h\nq\n")
    before = (run / "feedback.yaml").read_bytes()
    for option, saved in (("--threshold", "0.5"), ("--min-evaluations", "1")):
        value = "0.9" if option == "--threshold" else "2"
        code, _, err = in_process("feedback", str(run), option, value, answers="q\n")
        assert code == 2 and err.count("\n") == 1
        assert f"pass {option} {saved} to continue it, or --redo to start over" in err
    assert (run / "feedback.yaml").read_bytes() == before


def test_a_mistake_in_the_from_file_is_said_before_the_log_is_read(
    run: Path, tmp_path: Path, in_process, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 200,000-evaluation log takes a minute to read on a busy machine: a typo in the
    priorities file is said at once, not after it."""
    bad = tmp_path / "p.yaml"
    bad.write_text("1: high\n")

    def no_read(*args, **kwargs):
        raise AssertionError("the log was read before the priorities file was checked")

    monkeypatch.setattr("ffade.evaluation_log.read_numbered_evaluations", no_read)
    code, _, err = in_process("feedback", str(run), "--from", str(bad), "--no-examples")
    assert code == 2
    assert err.strip() == (
        f"ffade: error: {bad}: unknown key 1; allowed: regions, default (and, not read, a saved "
        "feedback.yaml's run, threshold, min_evaluations, slices, concepts)"
    )
    assert not (run / "feedback.yaml").exists()


def test_nothing_left_to_ask_prints_no_instructions_for_answering(
    run: Path, regions: list[Region], in_process
) -> None:
    """With every shown slice answered nothing is asked, yet "Give each a priority: ..." was
    printed before "N of these regions are already answered"."""
    in_process("feedback", str(run), "--slices", "regions", "--max-regions", "1", answers="h\n")
    code, _, err = in_process(
        "feedback", str(run), "--slices", "regions", "--max-regions", "1", answers=""
    )
    assert code == 0 and "1 of these regions is already answered" in err
    assert "Give each a priority" not in err
    code, _, err = in_process(
        "feedback", str(run), "--slices", "regions", "--max-regions", "1", "--redo", answers="\n"
    )
    assert code == 0 and "Give each a priority" in err  # --redo asks again


def test_from_file_counts_its_examples_on_one_line_when_not_a_terminal(
    run: Path, tmp_path: Path, in_process
) -> None:
    """Loading the target, reading the log for the worst failures and drawing took seconds with
    nothing on stderr; a bar now counts the prioritized rules, one ASCII line in a log file."""
    priorities = tmp_path / "priorities.yaml"
    chosen = [{"rank": 1, "priority": "high"}, {"rank": 2, "priority": "low"}]
    priorities.write_text(yaml.safe_dump({"regions": chosen}))
    code, _, err = in_process("feedback", str(run), "--from", str(priorities))
    assert code == 0, err
    assert "\r" not in err and err.count("\n") == 1, err
    assert err.startswith("examples: 100%|##########| 2/2 ") and err.isascii(), err
    code, _, err = in_process("feedback", str(run), "--from", str(priorities), "--no-examples")
    assert code == 0 and err == "", err


@pytest.mark.parametrize(
    ("first", "options"),
    [("high", ["--no-examples"]), ("skip", [])],
    ids=["no-examples", "every-answer-skip"],
)
def test_feedback_that_draws_no_picture_imports_neither_torch_nor_matplotlib(
    run: Path, tmp_path: Path, first: str, options: list[str]
) -> None:
    """Saving answers without pictures took ~2.5 s of CPU, all of it importing torch and
    matplotlib for the picture code it never ran; now they load only to draw a picture."""
    priorities = tmp_path / "prio.yaml"
    priorities.write_text(f"regions:\n  - {{rank: 1, priority: {first}}}\ndefault: skip\n")
    args = ["feedback", str(run), "--from", str(priorities), "--slices", "regions", *options]
    code = (
        "import sys; from ffade.cli import main; "
        f"code = main({args!r}); "
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules)); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]"), result.stdout
    assert read_feedback(run / "feedback.yaml").regions[0].priority == first


@pytest.mark.parametrize("answered", ["typed", "from a file"])
def test_a_run_that_ends_while_it_is_ranked_is_said_as_read(
    run: Path, tmp_path: Path, in_process, monkeypatch: pytest.MonkeyPatch, answered: str
) -> None:
    """``ffade feedback`` on a run still searching ranks the log as read: a run that ended
    while the rules and pictures were made was said to be a finished run whose log is cut
    short ("summary.json says 1000 evaluations but ... holds 600"), not a run still going.
    The run ends here as the slices are found, as it would between two reads."""
    import ffade.feedback.command as command

    log, summary_file = run / "evaluations.jsonl", run / "summary.json"
    whole_log, final = log.read_text(), json.loads(summary_file.read_text())
    log.write_text("".join(whole_log.splitlines(keepends=True)[:600]))
    summary_file.write_text(json.dumps({**final, "status": "running", "evaluations": 500}))

    def run_ends(found):  # the search ends just after ffade feedback read its log
        def read(*args, **kwargs):
            result = found(*args, **kwargs)
            log.write_text(whole_log)
            summary_file.write_text(json.dumps(final))
            return result

        return read

    if answered == "typed":
        monkeypatch.setattr(command, "load_regions", run_ends(command.load_regions))
        code, _, err = in_process("feedback", str(run), "--slices", "regions", answers="q\n")
    else:
        priorities = tmp_path / "priorities.yaml"
        priorities.write_text(yaml.safe_dump({"regions": [{"rank": 1, "priority": "high"}]}))
        monkeypatch.setattr(command, "feedback_from_file", run_ends(command.feedback_from_file))
        code, _, err = in_process(
            "feedback", str(run), "--from", str(priorities), "--slices", "regions"
        )
    assert code == 0, err
    assert "says 1000 evaluations" not in err
    assert (
        f"ffade: note: {run} did not finish: its summary.json status is 'running' (still "
        "running, or killed); its figures cover the evaluations made so far"
    ) in err.splitlines()


def test_paths_said_on_stderr_are_one_shell_word_each(
    run: Path, tmp_path: Path, in_process
) -> None:
    """The heading said `my runs/x: 3 failure regions` and `saved to my runs/x/feedback.yaml`
    unquoted, where the closing line (`saved ... to 'my runs/x/feedback.yaml'`) quotes it."""
    spaced = tmp_path / "my runs" / "x"
    shutil.copytree(run, spaced)
    code, out, err = in_process("feedback", str(spaced), "--slices", "regions", answers="h\nq\n")
    assert code == 0, err
    quoted = shlex.quote(str(spaced))
    assert err.startswith(f"{quoted}: 3 failure regions (threshold 0.5")
    saved_to = shlex.quote(str(spaced / "feedback.yaml"))
    assert f"Every answer is saved to {saved_to} at once." in err
    assert f"saved priorities for 1 of 3 regions to {saved_to} " in out


def test_notes_and_warnings_about_the_run_quote_its_paths(
    run: Path, tmp_path: Path, in_process
) -> None:
    """The note that a run did not finish and the warnings about its log (a damaged line, counts
    that differ from summary.json) named `my runs/x` unquoted, as two words, while every error
    and closing line quotes a path a shell would split: `ffade report`, `feedback` and `export`
    say them alike."""
    spaced = tmp_path / "my runs" / "x"
    shutil.copytree(run, spaced)
    summary = json.loads((spaced / "summary.json").read_text())
    (spaced / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    log = spaced / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    lines[2] = "not json"
    log.write_text("\n".join(lines) + "\n")
    code, _, err = in_process("feedback", str(spaced), "--slices", "regions", answers="q\n")
    assert code == 0, err
    quoted, logged = shlex.quote(str(spaced)), shlex.quote(str(log))
    said = [line for line in err.splitlines() if line.startswith("ffade: ")]
    assert said == [
        f"ffade: note: {quoted} did not finish: its summary.json status is 'interrupted'; its "
        "figures cover the evaluations made so far",
        f"ffade: warning: {logged} line 3: damaged, skipped (Expecting value: line 1 column 1 "
        "(char 0))",
        f"ffade: warning: {shlex.quote(str(spaced / 'summary.json'))} says 1000 evaluations "
        f"but {logged} holds 999; feedback counts the log's",
    ]


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("{rank: 1, priorty: high}", "unknown key 'priorty' (did you mean 'priority'?)"),
        ("{rnak: 1, priority: high}", "unknown key 'rnak' (did you mean 'rank'?)"),
    ],
)
def test_a_misspelt_key_in_a_priorities_file_is_named_by_every_reader(
    run: Path, tmp_path: Path, in_process, entry: str, says: str
) -> None:
    """`priorty: high` or `rnak: 1` in a priorities file: one line naming the file, the entry,
    the key and the one meant, from ``ffade feedback --from``, the fine-tuner's ``feedback``
    option and ``ffade.mitigate``, before any work. The fine-tuner said "key 'run' is missing;
    `ffade feedback` writes it" of the `rnak` file, and no reader suggested the key meant."""
    import ffade

    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(f"regions:\n  - {entry}\n")
    line = f"{priorities}: regions[0]: {says}; allowed: id, rank, contains, priority, note"
    code, stdout, err = in_process("feedback", str(run), "--from", str(priorities))
    assert (code, stdout) == (2, "") and err.startswith(f"ffade: error: {line}"), err
    assert err.count("\n") == 1 and not (run / "feedback.yaml").exists()
    mitigate = REPO / "configs" / "mitigate_digits.yaml"
    fit = ["fit", "--config", str(mitigate), "--model.init_args.run", str(run)]
    code, _, err = in_process(*fit, "--model.init_args.feedback", str(priorities))
    assert code != 0 and err.startswith(f"ffade: error: {line}"), err
    assert err.count("\n") == 1
    with pytest.raises(FfadeError) as error:
        ffade.mitigate(run, yaml.safe_load(priorities.read_text()), save_dir=tmp_path / "fits")
    assert str(error.value).startswith(f"priorities: regions[0]: {says}; allowed: id, rank")
    assert not (run / "feedback.yaml").exists() and not (tmp_path / "fits").exists()


def test_max_regions_bounds_the_questions_not_a_priorities_file(
    run: Path, regions: list, tmp_path: Path, in_process, capsys
) -> None:
    """``--max-regions 1`` with ``--from`` answered every region, while ``ffade feedback --help``
    said "the rest are left unanswered": the help now says --from answers every slice."""
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions: [{rank: 1, priority: high}]\ndefault: low\n")
    given = ["--slices", "regions", "--max-regions", "1", "--no-examples"]
    code, _, _ = in_process("feedback", str(run), "--from", str(priorities), *given)
    answered = read_feedback(run / "feedback.yaml").regions
    assert code == 0 and len(answered) == len(regions) > 1
    with pytest.raises(SystemExit):
        in_process("feedback", "--help")
    said = " ".join(capsys.readouterr().out.split())  # argparse wraps at the terminal's width
    assert "the rest are left unanswered (--from answers every slice)" in said
