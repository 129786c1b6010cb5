"""The run directory: append-only log, summary, crash tolerance."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from ffade.errors import FfadeError
from ffade.evaluation_log import log_problems
from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.record_lines import EvaluationEncoder, EvaluationRecord, record_line
from ffade.records import (
    EVALUATIONS_FILE,
    SUMMARY_FILE,
    SYNC_SECONDS,
    RunRecorder,
    read_evaluations,
    read_summary,
)
from tests.helpers import ffade_in_process, synthetic_spec, write_config

REQUIRED = {
    "explorer",
    "evaluations",
    "failures",
    "distinct_failure_states",
    "gradient_updates",
    "wall_seconds",
    "seed",
}


def test_a_run_leaves_log_summary_policy_and_tensorboard(tmp_path: Path) -> None:
    explorer = discover(
        RandomExplorer(task=synthetic_spec(), budget=50, num_envs=10), tmp_path, seed=3
    )
    run = Path(explorer.recorder.run_dir)
    summary = read_summary(run)
    assert set(summary) >= REQUIRED
    assert summary["seed"] == 3 and summary["status"] == "finished"
    records = list(read_evaluations(run))
    assert len(records) == summary["evaluations"] == 50
    assert sum(r.failed for r in records) == summary["failures"]
    assert set(records[0].concepts) == {"axis0", "axis1", "axis2"}
    assert (run / "policy.npy").is_file()
    assert list(run.glob("events.out.tfevents.*"))


def test_encoded_lines_are_what_json_dumps_writes() -> None:
    """The fast encoder must write byte for byte the line a record's json.dumps gives."""
    concepts = [("rotation", [-10, 0, 12.5]), ('a "quoted" label', ["typo", None, True])]
    encoder = EvaluationEncoder(concepts)
    rows = [
        (0, [0, 1], 0.1, -1.0, False),
        (7, [2, 2], float("nan"), float("inf"), True),
        (3, [1, 0], -float("inf"), 1e-300, True),
    ]
    ids, states, metrics, rewards, failed = zip(*rows, strict=True)
    invalid = [False, True, False]
    lines = list(encoder.lines(4, ids, states, metrics, rewards, failed, invalid))
    for line, (input_id, state, metric, reward, fail), bad in zip(
        lines, rows, invalid, strict=True
    ):
        values = {label: grid[i] for (label, grid), i in zip(concepts, state, strict=True)}
        record = EvaluationRecord(4, input_id, state, values, metric, reward, fail, bad)
        assert line == record_line(record)
        assert ('"invalid": true' in line) == bad


def test_a_recorder_knows_whether_it_wrote_its_whole_log(tmp_path: Path) -> None:
    line = EvaluationRecord(1, 0, [0], {"a": 0.0}, 0.5, -1.0, False)
    first = RunRecorder(tmp_path)
    first.append([line, line])
    assert not first.wrote_whole_log()  # still open
    first.close()
    assert first.wrote_whole_log() and first.lines_written == 2
    second = RunRecorder(tmp_path)  # a resumed run appends to the lines of another process
    second.append([line])
    second.close()
    assert not second.wrote_whole_log() and second.lines_written == 1
    assert not first.wrote_whole_log()  # the file grew after it


def test_a_line_cut_short_by_a_kill_is_skipped(tmp_path: Path) -> None:
    recorder = RunRecorder(tmp_path)
    recorder.append([EvaluationRecord(1, 0, [0], {"a": 0.0}, 0.5, -1.0, False)])
    recorder.close()
    with open(tmp_path / "evaluations.jsonl", "a") as log:
        log.write('{"step": 2, "input_id"')
    assert len(list(read_evaluations(tmp_path))) == 1


def test_a_damaged_summary_is_named_as_a_shell_takes_it(tmp_path: Path) -> None:
    """Under a folder with a space, `ffade report` named a damaged summary.json unquoted
    (`.../my runs/run/summary.json is damaged: ...`), as two words, while ffade's other errors
    and its `next:` commands quote such a path."""
    run = tmp_path / "my runs" / "run"
    run.mkdir(parents=True)
    said = f"ffade: error: {shlex.quote(str(run / 'summary.json'))} is damaged: "
    for summary, why in [
        ("[1]", "a JSON object was expected"),
        ('{"budget": "x"}', "key 'budget' is 'x'; expected a whole number from 0"),
    ]:
        (run / "summary.json").write_text(summary)
        result = ffade_in_process("report", str(run), cwd=tmp_path)
        assert result.returncode == 2 and result.stderr.splitlines() == [said + why]


def test_missing_run_directory_is_a_clear_error(tmp_path: Path) -> None:
    """`ffade export` said "nothing/summary.json not found: is 'nothing' an ffade run
    directory?" where `ffade report` and `ffade feedback` say the directory does not exist."""
    with pytest.raises(FfadeError, match=r"^run directory .*nothing does not exist$"):
        read_summary(tmp_path / "nothing")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(FfadeError, match=r"is .*nothing an ffade run directory"):
        read_summary(tmp_path / "nothing")


def test_a_loggers_name_folder_is_told_which_version_folder_to_give(tmp_path: Path) -> None:
    """`ffade report runs/quickstart` (the folder above version_N) asked whether it was a run
    directory; it names the latest version folder in it (version_10 after version_9)."""
    for version in ("version_9", "version_10", "version_11"):
        (tmp_path / "quickstart" / version).mkdir(parents=True)
    for version in ("version_9", "version_10"):  # version_11: begun, no summary yet
        (tmp_path / "quickstart" / version / "summary.json").write_text("{}")
    message = (
        r"quickstart/summary.json not found: .*quickstart holds runs, each in a version "
        r"folder; give one, e.g. the latest: .*quickstart/version_10$"
    )
    with pytest.raises(FfadeError, match=message):
        read_summary(tmp_path / "quickstart")


def test_a_loggers_save_dir_is_told_the_runs_it_holds_the_latest_first(tmp_path: Path) -> None:
    """`ffade report runs` (the save_dir, its runs in NAME/version_N) asked "is 'runs' an ffade
    run directory?": the hint looked one level down only. It names the run written last first,
    then the others (at most three, then how many more), as typed from where the user stands."""
    import os

    runs = tmp_path / "runs"
    for moment, run in enumerate(
        ["ffade/version_0", "quickstart/version_0", "ffade/version_1", "a/version_0", "b/version_0"]
    ):
        (runs / run).mkdir(parents=True)
        (runs / run / "summary.json").write_text("{}")
        os.utime(runs / run / "summary.json", ns=(10**9 * (moment + 1),) * 2)
    (runs / "c" / "version_0").mkdir(parents=True)  # begun, no summary yet: no run
    result = ffade_in_process("report", "runs", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ffade: error: runs/summary.json not found: runs holds runs, each in a NAME/version_N "
        "folder; give one, e.g. the latest: runs/b/version_0 (also runs/a/version_0, "
        "runs/ffade/version_1, runs/quickstart/version_0 and 1 more)"
    ]


def test_a_run_file_given_for_its_directory_names_the_directory(tmp_path: Path) -> None:
    with RunRecorder(tmp_path) as recorder:
        recorder.write_summary({"a": 1})
    with pytest.raises(FfadeError, match=rf"summary.json is a file; give .*{tmp_path}\)$"):
        read_summary(tmp_path / "summary.json")


def test_summary_is_written_atomically(tmp_path: Path) -> None:
    with RunRecorder(tmp_path) as recorder:
        recorder.write_summary({"a": 1})
        recorder.write_summary({"a": 2})
    assert json.loads((tmp_path / "summary.json").read_text()) == {"a": 2}
    assert not list(tmp_path.glob("*.tmp"))


def test_each_batch_is_readable_at_once_and_synced_to_disk_at_most_once_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (a report of a live run, a resume after a kill) reads every batch as soon
    as it is appended; the disk sync, milliseconds each, runs about once a second and at close.
    The recorder's clock is set by hand (a wall-clock bound fails on a loaded machine)."""
    synced: list[int] = []
    now = [100.0]
    monkeypatch.setattr("ffade.records.os.fsync", synced.append)
    monkeypatch.setattr("ffade.records.time", SimpleNamespace(monotonic=lambda: now[0]))
    recorder = RunRecorder(tmp_path)
    record = EvaluationRecord(1, 0, [0], {"a": 0.0}, 0.5, -1.0, False)
    for count in range(1, 51):  # 50 batches in 0.78 s: each read at once, none synced
        now[0] += SYNC_SECONDS / 64
        recorder.append([record])
        assert len(list(read_evaluations(tmp_path))) == count
    assert synced == []  # not one per batch
    now[0] += SYNC_SECONDS / 4
    recorder.append([record])
    assert len(synced) == 1  # a second after the recorder began
    now[0] += SYNC_SECONDS / 2
    recorder.append([record])
    assert len(synced) == 1  # a second after the last sync, not after the start
    recorder.close()
    assert len(synced) == 2  # and the log is on disk when the run ends


def test_damaged_lines_are_named_by_number_and_counts_are_checked(tmp_path: Path) -> None:
    recorder = RunRecorder(tmp_path)
    record = EvaluationRecord(1, 0, [0], {"a": 0.0}, 0.5, -1.0, False)
    recorder.append([record, record])
    recorder.close()
    with open(tmp_path / "evaluations.jsonl", "ab") as log:
        log.write(b'{"step": 2, "inp\xff"}\n' + record_line(record).encode() + b'\n{"step"')
    damaged: list[str] = []
    assert len(list(read_evaluations(tmp_path, damaged))) == 3
    assert [d.split(": ", 1)[0].rsplit(" ", 2)[1:] for d in damaged] == [
        ["line", "3"],
        ["line", "5"],
    ]
    assert "cut short" in damaged[1] and "cut short" not in damaged[0]
    said = {"status": "finished", "evaluations": 64, "failures": 0}
    problems = log_problems(tmp_path, said, "it counts the log's")
    assert problems[:2] == damaged
    assert problems[2].endswith(
        "says 64 evaluations but "
        + str(tmp_path / "evaluations.jsonl")
        + " holds 3; it counts the log's"
    )
    running = {"status": "running", "evaluations": 64}
    assert log_problems(tmp_path, running, "it counts the log's") == damaged


@pytest.mark.parametrize("text", [b'{"status": "fin', b"\xff\xfe", b"[1, 2]"])
def test_a_damaged_summary_is_one_line(tmp_path: Path, text: bytes) -> None:
    (tmp_path / "summary.json").write_bytes(text)
    with pytest.raises(FfadeError, match=r"summary\.json is damaged"):
        read_summary(tmp_path)


def test_a_loop_directory_given_as_a_run_names_its_runs(tmp_path: Path, capsys) -> None:
    """`ffade report runs/loop_digits/version_0` (the loop, not one of its runs) says where the
    runs are, rather than asking whether it is a run directory at all."""
    from ffade.cli import main

    loop_dir = tmp_path / "version_0"
    loop_dir.mkdir()
    (loop_dir / "loop.json").write_text('{"status": "finished"}')
    assert main(["report", str(loop_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"ffade: error: {loop_dir} is a loop's directory (loop.json), not a run: its runs are "
        f"{loop_dir / 'discover'}, {loop_dir / 'mitigate'} and {loop_dir / 'rediscover'}"
    )


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("failed", "yes", "'failed' is 'yes', expected true or false"),
        ("state", [None], "'state' is [None], expected a list of grid indices"),
        ("state", [1.5], "'state' is [1.5], expected a list of grid indices"),
        ("state", "abc", "'state' is 'abc', expected a list of grid indices"),
        ("metric", "x", "'metric' is 'x', expected a number or null"),
        ("input_id", True, "'input_id' is True, expected a whole number"),
    ],
)
def test_a_record_with_a_field_of_the_wrong_type_is_a_damaged_line(
    tmp_path: Path, field: str, value: object, why: str
) -> None:
    """A hand-edited ``"failed": "yes"`` counted as a failure, a state of 1.5 as grid index 1,
    and a state of null stopped `ffade report` with a traceback."""
    recorder = RunRecorder(tmp_path)
    record = EvaluationRecord(1, 0, [0], {"a": 0.0}, 0.5, -1.0, False)
    recorder.append([record])
    recorder.close()
    edited = {**json.loads(record_line(record)), field: value}
    with open(tmp_path / "evaluations.jsonl", "a") as log:
        log.write(json.dumps(edited) + "\n")
    damaged: list[str] = []
    assert list(read_evaluations(tmp_path, damaged)) == [record]
    assert damaged == [
        f"{tmp_path / 'evaluations.jsonl'} line 2: damaged, skipped (not an evaluation record: "
        f"{why})"
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("evaluations", "many", "a whole number from 0"),
        ("failures", -3, "a whole number from 0"),
        ("wall_seconds", "fast", "a number"),
        ("environment", "cpu", "a mapping"),
        ("status", 7, "a string"),
        (  # a report said nothing of a run it could not tell was finished
            "status",
            "weird",
            "one of running, created, measuring, training, finished, accepted, rejected, "
            "interrupted, failed",
        ),
    ],
)
def test_a_summary_key_of_the_wrong_type_is_one_line(
    tmp_path: Path, key: str, value: object, expected: str
) -> None:
    """`ffade report` printed "evaluations: many", or a traceback for a non-mapping environment."""
    base = {} if key == "status" else {"status": "finished"}
    (tmp_path / "summary.json").write_text(json.dumps({**base, key: value}))
    with pytest.raises(FfadeError) as refused:
        read_summary(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path / 'summary.json'} is damaged: key '{key}' is {value!r}; expected {expected}"
    )
    (tmp_path / "summary.json").write_text(json.dumps({**base, key: None}))
    assert read_summary(tmp_path)[key] is None  # null stays allowed, as a run being built has


@pytest.mark.parametrize(
    ("damage", "file", "remedy"),
    [
        (lambda run: (run / SUMMARY_FILE).write_text('{"explorer": "ran'), SUMMARY_FILE, "rebuild"),
        (lambda run: (run / SUMMARY_FILE).unlink(), SUMMARY_FILE, "rebuild"),
        (lambda run: (run / EVALUATIONS_FILE).unlink(), EVALUATIONS_FILE, "run it again"),
    ],
    ids=["summary cut short", "summary deleted", "log deleted"],
)
def test_a_damaged_run_file_says_what_to_do(tmp_path: Path, damage, file: str, remedy: str) -> None:
    """A cut-short or deleted summary.json said only "it is not JSON" or "is it an ffade run
    directory?" of a run directory: the line names the command that rebuilds or reruns it."""
    (tmp_path / "my runs").mkdir()
    config = write_config(tmp_path / "my runs" / "c.yaml", explorer="ffade.explore.RandomExplorer")
    assert ffade_in_process("fit", "--config", str(config), cwd=tmp_path).returncode == 0
    run = config.parent / "runs" / "test" / "version_0"
    whole = json.loads((run / SUMMARY_FILE).read_text())
    damage(run)
    refused = ffade_in_process("report", str(run), "--no-tensorboard", cwd=tmp_path)
    line = refused.stderr.strip()
    assert refused.returncode == 2 and "\n" not in line, refused.stderr[-2000:]
    assert line.startswith(f"ffade: error: {shlex.quote(str(run / file))}"), line  # one word
    assert remedy in line, line
    command = shlex.split(line.split(": ffade ", 1)[1])
    rebuilt = ffade_in_process(*command, cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    again = json.loads((config.parent / "runs" / "test" / "version_1" / SUMMARY_FILE).read_text())
    assert (again["evaluations"], again["failures"]) == (whole["evaluations"], whole["failures"])


def test_a_fine_tunes_run_has_no_evaluations_and_says_so(tmp_path: Path) -> None:
    """``ffade.mitigate(...).evaluations`` said "evaluations.jsonl not found; restore it from a
    copy, or run it again", as if a file were lost: a fine-tune never writes one."""
    import ffade

    (tmp_path / "mitigation.json").write_text("{}")
    (tmp_path / "config.yaml").write_text("")
    expected = (
        f"{tmp_path} is a fine-tune's run directory (mitigation.json): it evaluates no concept "
        "states, so it has no evaluations.jsonl; its discovery run has them"
    )
    with pytest.raises(FfadeError) as error:
        list(read_evaluations(tmp_path))
    assert str(error.value) == expected
    with pytest.raises(FfadeError) as error:
        _ = ffade.Run(tmp_path).evaluations
    assert str(error.value) == expected


def test_a_recorder_whose_run_directory_is_a_file_is_one_line(tmp_path: Path) -> None:
    """docs/plugins.md's RunRecorder(run_dir) for your own RL loop: a file there was
    FileExistsError's traceback."""
    (tmp_path / "run").write_text("")
    with pytest.raises(FfadeError) as error:
        RunRecorder(tmp_path / "run")
    assert str(error.value) == (
        f"RunRecorder {tmp_path / 'run'}: a file is there, not a directory; give a directory"
    )
    with RunRecorder(tmp_path / "new" / "run") as recorder:  # made, as before
        assert recorder.run_dir.is_dir()


@pytest.mark.parametrize("command", [["report"], ["feedback"], ["export", "--to", "s.yaml"]])
def test_a_missing_run_is_named_as_typed(command: list[str], tmp_path: Path) -> None:
    """`ffade report ./-nope` was told of run directory '-nope': Path() drops the ./ typed."""
    result = ffade_in_process(command[0], "./-nope", *command[1:], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "ffade: error: run directory ./-nope does not exist"


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished synthetic discovery that each damage test copies, rather than runs again."""
    explorer = discover(
        RandomExplorer(task=synthetic_spec(), budget=20, num_envs=10),
        tmp_path_factory.mktemp("runs"),
        seed=0,
    )
    return Path(explorer.recorder.run_dir)


_WRONG_SHAPES = [
    ("[1, 2, 3]", "an array, expected an object"),
    ('"step"', "a string, expected an object"),
    ("", "an empty line"),
    ("drop:failed", "no 'failed'"),
    ("drop:state,concepts", "no 'state', 'concepts'"),
    ("add:colour", "unknown 'colour' (a record's keys: step, input_id, state, concepts, "),
]


@pytest.mark.parametrize(
    ("command", "line", "why"),
    [(["report"], line, why) for line, why in _WRONG_SHAPES]
    + [  # the other readers of the log say it the same way
        (["feedback", "--from", "f.yaml"], *_WRONG_SHAPES[3]),
        (["export", "--to", "s.yaml"], *_WRONG_SHAPES[0]),
    ],
)
def test_a_log_line_of_the_wrong_shape_says_what_it_lacks(
    tmp_path: Path, small_run: Path, command: list[str], line: str, why: str
) -> None:
    """A hand-edited line that lost its ``failed`` key, or a line that is a JSON array, was
    named only "damaged, skipped (not an evaluation record)": no word of what to mend."""
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    (tmp_path / "f.yaml").write_text("regions: []\ndefault: skip\n")
    log = run / EVALUATIONS_FILE
    first, *rest = log.read_text().splitlines(keepends=True)
    record = json.loads(first)
    if line.startswith("drop:"):
        for key in line[5:].split(","):
            del record[key]
        line = json.dumps(record)
    elif line.startswith("add:"):
        line = json.dumps({**record, line[4:]: "red"})
    log.write_text(first + line + "\n" + "".join(rest))
    result = ffade_in_process(command[0], str(run), *command[1:], cwd=tmp_path)
    warning = f"ffade: warning: {log} line 2: damaged, skipped (not an evaluation record: {why}"
    assert warning in result.stderr


@pytest.mark.parametrize("concepts", ["rotation"])
@pytest.mark.parametrize("command", [["export", "--to", "s.yaml"], ["report"]])
def test_a_summary_with_concepts_out_of_shape_is_one_line(
    tmp_path: Path, small_run: Path, concepts: object, command: list[str]
) -> None:
    """`ffade export` on a run with a feedback.yaml ended in a traceback ('str' object has no
    attribute 'get') where summary.json's concepts were hand-edited out of shape."""
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    (tmp_path / "f.yaml").write_text("regions: []\ndefault: skip\n")
    assert ffade_in_process("feedback", str(run), "--from", "f.yaml", cwd=tmp_path).returncode == 0
    summary = json.loads((run / SUMMARY_FILE).read_text())
    (run / SUMMARY_FILE).write_text(json.dumps({**summary, "concepts": concepts}))
    result = ffade_in_process(command[0], str(run), *command[1:], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"ffade: error: {run}: summary.json key 'concepts' ")
    assert "Traceback" not in result.stderr
