"""ffade.report and ffade.Run: a user's wrong values are one line naming the keyword, and the
report already written stays as it was."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import ffade
from ffade.api.keywords import resume_path
from tests.helpers import ffade_in_process, synthetic_spec


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> ffade.Run:
    """A small synthetic search with its report written."""
    save_dir = tmp_path_factory.mktemp("runs")
    spec = synthetic_spec(num_concepts=2, num_inputs=4)
    found = ffade.discover(task=spec, explorer="random", budget=32, save_dir=save_dir)
    found.report(tensorboard=False)
    return found


REPORT_MISTAKES = {
    "threshold_str": (
        {"threshold": "0.5"},
        "threshold: expected a failure rate in (0, 1], got '0.5'",
    ),
    "threshold_high": ({"threshold": 2}, "threshold: expected a failure rate in (0, 1], got 2"),
    "threshold_nan": (
        {"threshold": float("nan")},
        "threshold: expected a failure rate in (0, 1], got nan",
    ),
    "min_evaluations_str": (
        {"min_evaluations": "3"},
        "min_evaluations: expected a whole number from 1, got '3'",
    ),
    "min_evaluations_fraction": (
        {"min_evaluations": 2.5},
        "min_evaluations: expected a whole number from 1, got 2.5",
    ),
    "out_int": ({"out": 5}, "out: expected a directory path, got 5"),
    "compare_int": ({"compare": 5}, "compare: expected a run directory (a path or a Run), got 5"),
    "axes_int": ({"axes": 5}, "axes: expected concept labels (a str or a list of them), got 5"),
    "tensorboard_str": ({"tensorboard": "no"}, "tensorboard: expected True or False, got 'no'"),
    "mitigation_int": ({"compare": "RUN", "mitigation": 3}, "mitigation: expected a mitigation"),
    "mitigation_missing": (
        {"compare": "RUN", "mitigation": "RUN/nope.json"},
        "mitigation: RUN/nope.json not found; give a fine-tune's mitigation.json, its run "
        "directory or the Run ffade.mitigate returned",
    ),
}
"""keywords -> the error's text (its start, or all of it); RUN stands for the run directory."""


@pytest.mark.parametrize("case", sorted(REPORT_MISTAKES))
def test_report_refuses_wrong_values_in_one_line_and_keeps_the_report(
    run: ffade.Run, case: str
) -> None:
    """A str threshold was a TypeError from the landscape; ``min_evaluations=2.5`` and
    ``tensorboard="no"`` ran as something else; a missing mitigation.json was named
    ``--mitigation`` after the pictures were redrawn; ``out=5`` was os.fspath's TypeError, and
    ``compare=5`` was said of ``run``."""
    options, expected = REPORT_MISTAKES[case]
    here = str(run.dir)
    options = {k: v.replace("RUN", here) if isinstance(v, str) else v for k, v in options.items()}
    expected = expected.replace("RUN", here)
    written = {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()}
    with pytest.raises(ffade.FfadeError) as error:
        ffade.report(run, **options)
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == written


def test_an_empty_path_is_refused_not_read_as_the_working_directory(
    run: ffade.Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``out=""`` (``os.environ.get("REPORTS", "")`` with the variable unset) wrote report.html,
    report.json and figures/ into the working directory, and ``save_dir=""`` put a search's
    ``ffade/version_0`` there: ``Path("")`` is ".", which ``--out ""`` is refused as."""
    monkeypatch.chdir(tmp_path)
    said = {
        "out": "the folder where the report goes, such as reports/run1",
        "save_dir": "the folder the runs go under, such as runs (the default)",
    }
    calls = {
        "out": lambda: ffade.report(run, out=""),
        "save_dir": lambda: ffade.discover(
            task=synthetic_spec(num_inputs=4), explorer="random", budget=8, save_dir=""
        ),
    }
    for key, call in calls.items():
        with pytest.raises(ffade.FfadeError) as error:
            call()
        assert str(error.value) == (  # was "give a file or folder": only a folder will do
            f"{key}: an empty path; give {said[key]} (was a variable that names it left unset?)"
        )
    with pytest.raises(ffade.FfadeError, match=r"^save_dir: an empty path; "):
        ffade.mitigate(run, save_dir=" ")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (Path(" "), "an empty path; give the folder "),
        ("\t", "an empty path; give the folder "),
        (5, "expected a directory path, got 5"),
    ],
)
def test_one_folder_check_says_both_keywords_lines(value: object, said: str) -> None:
    """``out`` and ``save_dir`` are checked by one helper (it was written twice, in run.py and
    calls.py): the same value is refused in the same line under either keyword."""
    from ffade.api.run import check_dir_path

    for key in ("out", "save_dir"):
        with pytest.raises(ffade.FfadeError, match=rf"^{key}: {said}"):
            check_dir_path(key, value)
    check_dir_path("out", Path("runs"))  # a path is taken as it is


class _PathLike(os.PathLike):
    """A path of the user's own kind (not pathlib's): ``os.fspath`` gives its text."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def __fspath__(self) -> str:
        return self.path


def test_any_path_like_is_taken_where_a_path_is(run: ffade.Run, tmp_path: Path) -> None:
    """``ffade.Run(path)`` took any ``os.PathLike``, but ``ffade.report``, ``compare`` and
    ``mitigate``'s ``run`` and ``priorities`` said it was no path ("expected a run directory
    (a path or a Run), got a _PathLike")."""
    assert ffade.report(_PathLike(run.dir), compare=_PathLike(run.dir), tensorboard=False) == run
    missing = tmp_path / "priorities.yaml"
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(_PathLike(run.dir), _PathLike(missing), save_dir=tmp_path)
    assert str(error.value) == f"priorities: file {missing} not found; give a priorities file"


def test_mitigation_may_be_the_fine_tunes_file_directory_or_run(
    run: ffade.Run, tmp_path: Path
) -> None:
    """``ffade.report(rerun, compare=..., mitigation=fix)`` with the Run mitigate returned read
    a directory as a file (IsADirectoryError) and a Run as a path (TypeError)."""
    fix = tmp_path / "mitigate" / "version_0"
    fix.mkdir(parents=True)
    record = {"status": "accepted", "clean_accuracy_before": 0.9, "clean_accuracy_after": 0.89}
    (fix / "mitigation.json").write_text(json.dumps(record))
    leads = []
    for mitigation in (fix / "mitigation.json", fix, str(fix), ffade.Run(fix)):
        out = tmp_path / f"report_{len(leads)}"
        compared = ffade.report(run, compare=run, mitigation=mitigation, out=out)
        leads.append(compared.report_data()["compare"]["mitigation"])
    assert leads[0]["status"] == "accepted" and leads.count(leads[0]) == 4


def test_a_fix_of_another_model_is_refused_under_the_keyword_a_python_caller_typed(
    run: ffade.Run, tmp_path: Path
) -> None:
    """The refusal said "--mitigation: ..." to a caller who typed ``mitigation=``."""
    fix = tmp_path / "mitigate" / "version_0"
    fix.mkdir(parents=True)
    record = {"status": "accepted", "clean_accuracy_before": 0.9, "clean_accuracy_after": 0.89}
    other = {"name": "synthetic", "args": {"seed": 5}}
    record.update(fixed_weights=str(fix / "model.pt"), fixed_target=other)
    (fix / "mitigation.json").write_text(json.dumps(record))
    with pytest.raises(ffade.FfadeError) as error:
        ffade.report(run, compare=run, mitigation=fix, out=tmp_path / "out")
    assert str(error.value).startswith(f"mitigation: {fix / 'mitigation.json'} saved the fixed")
    # the fine-tune's fixed_target is what the compared run searched: an instance fixed in place
    record["fixed_target"] = run.summary["task"]["target"]
    (fix / "mitigation.json").write_text(json.dumps(record))
    compared = ffade.report(run, compare=run, mitigation=fix, out=tmp_path / "out")
    assert compared.report_data()["compare"]["mitigation"]["status"] == "accepted"
    with pytest.raises(ffade.FfadeError) as error:  # not "--axes: ..."
        ffade.report(run, axes=["nope"])
    assert str(error.value).startswith("axes: unknown concept 'nope' in ")
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ffade.FfadeError) as error:
        ffade.report(run, out=tmp_path / "a_file" / "report")
    assert str(error.value).startswith(f"out {tmp_path / 'a_file' / 'report'}: cannot create")


def test_run_of_something_not_a_path_is_one_line() -> None:
    with pytest.raises(ffade.FfadeError) as error:  # not pathlib's TypeError
        ffade.Run(5)
    assert str(error.value) == "Run: expected a run directory (a path), got 5"


def test_run_of_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    """``ffade.Run(path)`` reopens a run directory (README): a path that is none is said at
    once, not by an empty Run whose examples read [] and mitigation None."""
    missing = tmp_path / "runs" / "ffade" / "version_9"
    with pytest.raises(ffade.FfadeError) as error:
        ffade.Run(str(missing))
    assert str(error.value) == f"run directory {missing} does not exist"
    (tmp_path / "summary.json").write_text("{}")
    assert ffade.Run(tmp_path).dir == tmp_path  # a run directory that exists still opens


def test_run_of_a_directory_holding_no_run_is_one_line(tmp_path: Path) -> None:
    """``ffade.Run("runs")`` (the save_dir, not a run in it) was taken: a Run whose every file,
    read later, asked whether it was a run directory. Refused at once, naming the run to give
    where the folder holds runs; a report folder (``ffade.report(out=...)``'s) is still a Run."""
    run = ffade.discover(synthetic_spec(), explorer="random", budget=8, save_dir=tmp_path, name="d")
    for folder in (tmp_path, tmp_path / "d"):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.Run(folder)
        assert str(error.value).startswith(f"Run: no run in {folder}: ")
        assert "\n" not in str(error.value)
    assert str(error.value).endswith(
        f"holds runs, each in a version folder; give one, e.g. the latest: {run.dir}"
    )
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(str(tmp_path))  # a path where a Run is taken: the same line
    assert str(error.value) == (
        f"Run: no run in {tmp_path}: {tmp_path} holds runs, each in a NAME/version_N folder; "
        f"give one, e.g. the latest: {run.dir}"
    )
    assert ffade.report(run, out=tmp_path / "report").dir == tmp_path / "report"


def test_run_of_a_file_is_one_line_as_ffade_report_says_it(
    run: ffade.Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ffade.Run("RUN/summary.json")`` was taken: its examples then read [] and its
    mitigation None, and only other attributes said it was a file. Refused at once, in the
    words ``ffade report FILE`` says, the path as typed."""
    monkeypatch.chdir(run.dir.parent)
    typed = f"{run.dir.name}/summary.json"
    with pytest.raises(ffade.FfadeError) as error:
        ffade.Run(typed)
    said = f"{typed} is a file; give the run directory that holds it ({run.dir.name})"
    assert str(error.value) == said
    cli = ffade_in_process("report", typed, cwd=run.dir.parent)
    assert cli.returncode == 2 and cli.stderr.strip() == f"ffade: error: {said}"
    config = tmp_path / "quickstart.yaml"
    config.write_text("trainer: {}\n")
    with pytest.raises(ffade.FfadeError) as error:
        ffade.Run(config)
    assert str(error.value) == (
        f"{config} is a file, not a run directory (a folder holding summary.json)"
    )


def test_a_run_whose_directory_is_deleted_later_says_so_for_every_attribute(
    tmp_path: Path,
) -> None:
    """Opened while its directory stood, then deleted (``rm -r runs``): ``examples`` read [] and
    ``mitigation`` None, as of a run that found nothing, and ``evaluations`` asked whether the
    path was an ffade run directory; ``summary``, ``rules`` and ``regions`` said it is gone."""
    gone = tmp_path / "version_0"
    gone.mkdir()
    (gone / "summary.json").write_text("{}")
    run = ffade.Run(gone)
    shutil.rmtree(gone)
    for attribute in ("summary", "evaluations", "examples", "mitigation", "rules", "regions"):
        with pytest.raises(ffade.FfadeError) as error:
            getattr(run, attribute)
        assert str(error.value) == f"run directory {gone} does not exist", attribute


def test_run_behind_a_broken_link_names_the_link(tmp_path: Path) -> None:
    """It said "does not exist" of a runs folder the user sees listed (a link to a disk not
    mounted), as ``ffade report`` and ``ffade fit`` now name the link."""
    (tmp_path / "runs").symlink_to(tmp_path / "unmounted")
    missing = tmp_path / "runs" / "version_0"
    with pytest.raises(ffade.FfadeError) as error:
        ffade.Run(missing)
    link = f"{tmp_path / 'runs'} is a symbolic link to {tmp_path / 'unmounted'}"
    assert str(error.value) == f"run directory {missing}: {link}, which does not exist"


def test_a_run_made_before_os_chdir_still_names_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Run opened from a relative path named another directory, or none, once the caller
    changed directory: ffade.report(run, mitigation=fix) refused fix as "not found"."""
    run = ffade.discover(synthetic_spec(), explorer="random", budget=8, save_dir=tmp_path, name="d")
    monkeypatch.chdir(tmp_path)
    reopened = ffade.Run("d/version_0")
    monkeypatch.chdir(run.dir)
    assert reopened.dir == run.dir and reopened.summary["evaluations"] == 8
    assert ffade.report(reopened).dir == run.dir


def test_a_runs_repr_says_what_it_found(tmp_path: Path) -> None:
    """A printed Run said only its path: not what it searched, whether it ended, what it found,
    nor whether a fine-tune was accepted."""
    run = ffade.discover(synthetic_spec(), explorer="random", budget=8, save_dir=tmp_path, name="d")
    failures = run.summary["failures"]
    assert repr(run) == (
        f"Run({str(run.dir)!r})  # random, finished: 8 evaluations, {failures} failure"
        + "s" * (failures != 1)
    )
    one = tmp_path / "one"  # one input, one value: a run of 1 evaluation and 1 failure
    one.mkdir()
    summary = {"explorer": "grid", "status": "finished", "evaluations": 1, "failures": 1}
    (one / "summary.json").write_text(json.dumps(summary))
    assert repr(ffade.Run(one)).endswith("  # grid, finished: 1 evaluation, 1 failure")
    fix = tmp_path / "fix"
    fix.mkdir()
    rates = {"targeted_failure_rate_before": 0.5, "targeted_failure_rate_after": 0.25}
    (fix / "mitigation.json").write_text(json.dumps({"status": "accepted", **rates}))
    assert repr(ffade.Run(fix)).endswith("  # fine-tune accepted: targeted failure rate 50% -> 25%")
    # not "100% -> 100%": a fix that lowered the rate a little, from short of all
    rates = {"targeted_failure_rate_before": 0.998, "targeted_failure_rate_after": 0.995}
    (fix / "mitigation.json").write_text(json.dumps({"status": "accepted", **rates}))
    assert repr(ffade.Run(fix)).endswith("targeted failure rate 99.8% -> 99.5%")
    # a fall within noise (mitigation.json's targeted_change) is said to be one; a clear one not
    for outcome, said in (("no clear change", " (no clear change)"), ("clear fall", "")):
        record = {"status": "accepted", **rates, "targeted_change": {"outcome": outcome}}
        (fix / "mitigation.json").write_text(json.dumps(record))
        assert repr(ffade.Run(fix)).endswith(f"targeted failure rate 99.8% -> 99.5%{said}")
    started = tmp_path / "started"  # killed as it began: only its config
    started.mkdir()
    (started / "config.yaml").write_text("model: {}\n")
    assert repr(ffade.Run(started)) == f"Run({str(started)!r})"  # nothing to say: the path


def test_a_notebook_shows_any_run_it_is_handed(run: ffade.Run, tmp_path: Path) -> None:
    """``ffade.report(run, out=...)`` returns a Run of a folder with no summary.json: a notebook
    cell ending in it showed summary.json's "not found" error instead of the run. A fine-tune
    shows its verdict, as its repr does."""
    out = ffade.report(run, out=tmp_path / "out", tensorboard=False)
    assert out._repr_html_() == f"<b>{out.dir}</b><table></table>"
    assert "<td>finished</td>" in run._repr_html_()
    fix = tmp_path / "fix"
    fix.mkdir()
    rates = {"targeted_failure_rate_before": 0.5, "targeted_failure_rate_after": 0.25}
    (fix / "mitigation.json").write_text(json.dumps({"status": "accepted", **rates}))
    (fix / "summary.json").write_text(json.dumps({"finetuner": "classifier", "status": "accepted"}))
    verdict = "fine-tune accepted: targeted failure rate 50% -&gt; 25%"
    assert ffade.Run(fix)._repr_html_().endswith(f"<tr><td>{verdict}</td></tr></table>")


def test_a_report_written_elsewhere_names_its_run(run: ffade.Run, tmp_path: Path) -> None:
    """``ffade.report(run, out=DIR)`` returns the Run of DIR, which holds the report and not the
    run's summary.json or log: asking it for them said "is DIR an ffade run directory?", as if
    the report had gone astray. The line names the run they are in, as ``ffade report DIR``
    says it."""
    out = ffade.report(run, out=tmp_path / "out", tensorboard=False)
    assert out.rules == run.rules  # the report's own, read from DIR
    where = f"{out.dir} holds a report only; its run's files are in {run.dir}"
    for read in ("summary", "evaluations"):
        with pytest.raises(ffade.FfadeError) as error:
            getattr(out, read)
        assert str(error.value).endswith(f" not found: {where}")
    result = ffade_in_process("report", str(out.dir))
    assert result.returncode == 2 and result.stderr.strip().endswith(where)


def test_a_report_from_python_reads_the_log_once(
    run: ffade.Run, tmp_path: Path, log_reads: list[Path]
) -> None:
    """The landscape and the log's counts (its problems) share one read, as in ``ffade report``:
    a large log is not read twice."""
    reads = log_reads
    assert run.report(tensorboard=False) == run.dir / "report.html"
    assert reads == [run.dir]
    ffade.report(run, compare=run.dir, out=tmp_path, tensorboard=False)  # the same log twice
    assert reads == [run.dir, run.dir] and (tmp_path / "report.json").is_file()


def test_a_path_under_home_is_read_and_written_there(
    run: ffade.Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ffade.Run("~/run")`` said "run directory '.../~/run' does not exist", and
    ``ffade.report(run, out="~/report")`` wrote into a folder named ``~`` in the working
    directory, where ``ffade report '~/run' --out=~/report`` and ``discover(save_dir="~/runs")``
    read ``~`` as home."""
    home, work = tmp_path / "home", tmp_path / "work"
    shutil.copytree(run.dir, home / "run")
    fix = home / "fix"
    fix.mkdir()
    record = {"status": "accepted", "clean_accuracy_before": 0.9, "clean_accuracy_after": 0.89}
    (fix / "mitigation.json").write_text(json.dumps(record))
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    assert ffade.Run("~/run").dir == home / "run"
    with pytest.raises(ffade.FfadeError) as error:  # a file is refused, "~" or not
        ffade.Run("~/run/summary.json")
    assert str(error.value) == (
        "'~/run/summary.json' is a file; give the run directory that holds it ('~/run')"
    )
    (home / "saved.ckpt").write_bytes(b"")  # resume= takes a checkpoint file, "~" or not
    assert resume_path("~/saved.ckpt") == str(home / "saved.ckpt")
    written = ffade.report(
        "~/run", compare="~/run", mitigation="~/fix", out="~/report", tensorboard=False
    )
    assert written.dir == home / "report" and (home / "report" / "report.md").is_file()
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate("~/run", "~/priorities.yaml", save_dir="~/runs")
    said = f"priorities: file {home / 'priorities.yaml'} not found; give a priorities file"
    assert str(error.value) == said
    assert list(work.iterdir()) == []
