"""``--ckpt_path`` of another run's config or seed: the refusal names the setting that differs."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from ffade.checkpoint import LAST_CHECKPOINT
from ffade.cli import main
from tests.helpers import ffade_in_process, write_config


@pytest.mark.parametrize(
    ("change", "said"),
    [
        # a task differing deep inside used to print two identical-looking cut JSON prefixes
        (
            lambda task: task["dataset"]["args"].update(num_inputs=12),
            "model.init_args.task.dataset.args.num_inputs = 16, but the config says 12",
        ),
        (
            lambda task: task["concepts"][2]["args"].update(index=0),
            "model.init_args.task.concepts[2].args.index = 2, but the config says 0",
        ),
        (lambda task: task.update(max_inputs=8), "task.max_inputs = null, but the config says 8"),
    ],
)
def test_another_task_is_refused_naming_the_setting(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change, said: str
) -> None:
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    data = yaml.safe_load(config.read_text())
    change(data["model"]["init_args"]["task"])
    config.write_text(yaml.safe_dump(data))
    code = main(["fit", "--config", str(config), "--ckpt_path", str(finished / LAST_CHECKPOINT)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ffade")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert said in lines[0], lines[0]
    assert not list(tmp_path.glob("runs/**/version_*")), "a refused resume left a run folder"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (  # both lists were cut at 80 characters, before the concept that was gone
            lambda concepts: concepts.pop(),
            "saved with 3 model.init_args.task.concepts (axis(index=0), axis(index=1), "
            "axis(index=2)), but the config says 2 (axis(index=0), axis(index=1)): it lacks "
            "the run's concepts[2] = axis(index=2);",
        ),
        (
            lambda concepts: concepts.pop(1),
            "but the config says 2 (axis(index=0), axis(index=2)): it lacks the run's "
            "concepts[1] = axis(index=1);",
        ),
        (
            lambda concepts: concepts.insert(0, {"name": "axis", "args": {"index": 2}}),
            "but the config says 4 (axis(index=2), axis(index=0), axis(index=1), axis(index=2)): "
            "it adds concepts[0] = axis(index=2);",
        ),
        (
            lambda concepts: concepts.__setitem__(slice(1, None), [concepts[2]] * 3),
            "but the config says 4 (axis(index=0), axis(index=2), axis(index=2), axis(index=2)): "
            "they differ first at concepts[1];",
        ),
    ],
)
def test_another_number_of_concepts_is_refused_naming_the_one_that_differs(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change, said: str
) -> None:
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    data = yaml.safe_load(config.read_text())
    change(data["model"]["init_args"]["task"]["concepts"])
    config.write_text(yaml.safe_dump(data))
    code = main(["fit", "--config", str(config), "--ckpt_path", str(finished)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ffade")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert said in lines[0], lines[0]
    assert not list(tmp_path.glob("runs/**/version_*")), "a refused resume left a run folder"


def test_another_explorer_is_named_as_configs_name_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The config's class was named by its module (ffade.explore.baselines.RandomExplorer)
    beside the run's public path (ffade.explore.DQNExplorer)."""
    config = write_config(tmp_path / "c.yaml", budget=16, learning_starts=8)
    assert main(["fit", "--config", str(config)]) == 0
    run = tmp_path / "runs" / "test" / "version_0"
    config = write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=16)
    assert main(["fit", "--config", str(config), "--ckpt_path", str(run)]) == 2
    err = capsys.readouterr().err
    assert (
        "was saved by ffade.explore.DQNExplorer, but the config runs "
        "ffade.explore.RandomExplorer; resume with that run's own config.yaml"
    ) in err, err[-2000:]


@pytest.mark.parametrize("kept", ["checkpoint", "replay", "checkpoint only"])
def test_another_seed_is_refused(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kept: str
) -> None:
    """``--seed_everything 1`` on a seed-0 run went on with seed 0's streams from the checkpoint
    (or, replaying, with fresh seed-1 ones) while summary.json said seed 1. With summary.json
    lost (README: a run rebuilt from its checkpoint), the seed was not checked at all: the
    checkpoint keeps it too."""
    stopped = tmp_path / "stopped"
    shutil.copytree(finished, stopped)
    summary = json.loads((stopped / "summary.json").read_text())
    (stopped / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    if kept == "replay":
        shutil.rmtree(stopped / "checkpoints")
    if kept == "checkpoint only":
        (stopped / "summary.json").unlink()
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    args = ["fit", "--config", str(config), "--ckpt_path", str(stopped), "--seed_everything", "1"]
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ffade")]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert "was run with seed_everything = 0, but the config says 1" in lines[0], lines[0]
    assert not list(tmp_path.glob("runs/**/version_*")), "a refused resume left a run folder"


def test_a_search_a_trainer_limit_stopped_goes_on_to_its_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Such a run's summary says finished, and Lightning counted its one epoch done: resumed, it
    was "already finished" and never spent the rest of its budget."""
    config = write_config(tmp_path / "c.yaml", budget=200, learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    cut = tmp_path / "runs" / "test" / "version_0"
    summary = json.loads((cut / "summary.json").read_text())
    assert summary["stop_reason"].startswith("Lightning's Trainer stopped it")
    assert summary["evaluations"] < 200
    capsys.readouterr()
    resume = ["fit", "--config", str(cut / "config.yaml"), "--ckpt_path", str(cut)]
    assert main(resume) == 0  # its own config.yaml keeps max_steps 4
    assert "--trainer.max_steps 4 is reached already" in capsys.readouterr().err
    assert main([*resume, "--trainer.max_steps", "-1"]) == 0
    assert f"{cut} was stopped by a trainer limit before its budget" in capsys.readouterr().err
    assert main(["fit", "--config", str(config)]) == 0  # never stopped
    resumed, whole = (
        (tmp_path / "runs" / "test" / f"version_{n}" / "evaluations.jsonl").read_text()
        for n in (2, 3)
    )
    assert len(whole.splitlines()) == 200 and resumed == whole


def test_a_resumed_run_the_same_limit_stopped_at_once_goes_on_to_its_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resumed under its own max_steps, a stopped search takes no step: Lightning skipped its
    training loop, so the new run saved no checkpoint, and resuming *that* run with no limit
    said "already finished" at 80 of 200 evaluations."""
    config = write_config(tmp_path / "c.yaml", budget=200, learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    runs = tmp_path / "runs" / "test"
    first = runs / "version_0"
    assert main(["fit", "--config", str(first / "config.yaml"), "--ckpt_path", str(first)]) == 0
    again = runs / "version_1"  # stopped again at once, by its config.yaml's max_steps 4
    capsys.readouterr()
    resume = ["fit", "--config", str(again / "config.yaml"), "--ckpt_path", str(again)]
    assert main([*resume, "--trainer.max_steps", "-1"]) == 0
    out, err = capsys.readouterr()
    assert "already finished" not in out + err, (out + err)[-2000:]
    assert f"{again} was stopped by a trainer limit before its budget" in err, err[-2000:]
    assert main(["fit", "--config", str(config)]) == 0  # never stopped
    resumed, whole = ((runs / f"version_{n}" / "evaluations.jsonl").read_text() for n in (2, 3))
    assert len(whole.splitlines()) == 200 and resumed == whole


def test_a_resumed_run_an_older_ffade_left_without_a_checkpoint_replays_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the fix above, the resumed run stopped at once saved no checkpoint; such a run
    folder, resumed with no limit, said "already finished (status finished)" at 32 of 200
    evaluations. Its summary says a trainer limit stopped it before its budget: its log is
    replayed and it goes on."""
    config = write_config(tmp_path / "c.yaml", budget=200, learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    runs = tmp_path / "runs" / "test"
    first = runs / "version_0"
    assert main(["fit", "--config", str(first / "config.yaml"), "--ckpt_path", str(first)]) == 0
    again = runs / "version_1"
    (again / LAST_CHECKPOINT).unlink()  # as an older ffade left it
    capsys.readouterr()
    resume = ["fit", "--config", str(again / "config.yaml"), "--ckpt_path", str(again)]
    assert main([*resume, "--trainer.max_steps", "-1"]) == 0
    out, err = capsys.readouterr()
    assert "already finished" not in out + err, (out + err)[-2000:]
    assert f"{again} was stopped by a trainer limit before its budget (32 of 200" in err, err
    summary = json.loads((runs / "version_2" / "summary.json").read_text())
    assert (summary["status"], summary["evaluations"], summary["stop_reason"]) == (
        "finished",
        200,
        "budget spent",
    )
    assert (
        (runs / "version_2" / "evaluations.jsonl")
        .read_text()
        .startswith((again / "evaluations.jsonl").read_text())
    )
    (runs / "version_2" / LAST_CHECKPOINT).unlink()  # spent: finished, whatever saved it
    assert main([*resume[:-1], str(runs / "version_2")]) == 0
    assert "already finished" in capsys.readouterr().out


def test_a_run_killed_at_start_up_says_there_is_nothing_to_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kill just after Lightning saved config.yaml, before ffade wrote summary.json, leaves a
    run directory with config.yaml alone: resuming it said "a directory with neither
    checkpoints/last.ckpt nor evaluations.jsonl; point it at an ffade run
    directory", which it is."""
    killed = tmp_path / "killed"
    killed.mkdir()
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    shutil.copy(config, killed / "config.yaml")
    assert main(["fit", "--config", str(config), "--ckpt_path", str(killed)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ffade")]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert "stopped at start-up" in lines[0] and "drop --ckpt_path" in lines[0], lines[0]
    assert not list(tmp_path.glob("runs/**/version_*")), "a refused resume left a run folder"


def test_a_run_moved_after_it_stopped_resumes_from_where_it_lies(tmp_path: Path) -> None:
    """A checkpoint recorded its run directory as the run named it (``runs/...``, relative to
    the working directory): once the run was moved, a resume from its new place read the log
    of whatever now stood at the old path (here the new run's own, empty), said the 80 of 300
    evaluations were a finished run and ended without spending the rest of its budget."""
    config = write_config(tmp_path / "c.yaml", budget=200, learning_starts=8, save_dir=Path("runs"))
    stopped = ffade_in_process(
        "fit", "--config", "c.yaml", "--trainer.max_steps", "4", cwd=tmp_path
    )
    assert stopped.returncode == 0, stopped.stderr[-2000:]
    (tmp_path / "runs" / "test" / "version_0").rename(tmp_path / "moved")
    resume = ["fit", "--config", "moved/config.yaml", "--ckpt_path", "moved"]
    resumed = ffade_in_process(*resume, "--trainer.max_steps", "-1", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "moved was stopped by a trainer limit before its budget" in resumed.stderr
    whole = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr[-2000:]
    logs = [(tmp_path / "runs" / "test" / f"version_{n}" / "evaluations.jsonl") for n in (0, 1)]
    resumed_log, whole_log = (log.read_text() for log in logs)
    assert len(whole_log.splitlines()) == 200 and resumed_log == whole_log


def test_a_missing_ckpt_path_is_named_as_typed(tmp_path: Path) -> None:
    """`--ckpt_path 'my runs/é/'` that is not there said `--ckpt_path my runs/é: file not
    found`: the path unquoted, its slash gone."""
    config = write_config(tmp_path / "c.yaml", budget=16)
    done = ffade_in_process(
        "fit", "--config", str(config), "--ckpt_path", "my runs/é/", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "ffade: error: --ckpt_path 'my runs/é/' not found; give a run directory or its "
        "checkpoints/last.ckpt"
    )


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("checkpoints/last.ckpt", " was saved with model.init_args.budget = 40, but the config"),
        ("empty.ckpt", ": the file is empty;"),
        ("random.ckpt", ": not a readable checkpoint (damaged, cut short"),
        ("", ": a directory with neither checkpoints/last.ckpt nor evaluations.jsonl;"),
        ("nothing here", " not found;"),
    ],
)
def test_a_ckpt_path_with_a_space_or_accents_is_quoted_in_the_error(
    finished: Path, tmp_path: Path, where: str, said: str
) -> None:
    """`--ckpt_path 'données/実行 x/...'` was said unquoted (`--ckpt_path données/実行 x/...
    was saved with ...`), which reads as two words and cannot be pasted back, while ffade's
    `next:` lines and other options' errors quote such a path."""
    run = tmp_path / "données" / "実行 x"
    shutil.copytree(finished, run)
    (run / "empty.ckpt").touch()
    (run / "random.ckpt").write_bytes(bytes(range(256)))
    if not where:  # a run directory holding neither a checkpoint nor a log
        (run / LAST_CHECKPOINT).unlink()
        (run / "evaluations.jsonl").unlink()
    config = write_config(tmp_path / "c.yaml", budget=48, learning_starts=8)
    typed = str(Path("données", "実行 x", where)) if where else "données/実行 x"
    done = ffade_in_process("fit", "--config", str(config), "--ckpt_path", typed, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.startswith(f"ffade: error: --ckpt_path '{typed}'{said}"), done.stderr


@pytest.mark.parametrize(
    ("saved", "said"),
    [
        # another trainer's {"state_dict": ..., "epoch": ...}: Lightning's restore raised
        # KeyError 'pytorch-lightning_version' in a run directory marked failed
        ({"state_dict": {}, "epoch": 3}, "not a Lightning checkpoint"),
        (
            {"state_dict": {}, "epoch": 0, "pytorch-lightning_version": "2.4.0"},
            "a Lightning checkpoint, but not one an ffade run saved",
        ),
    ],
)
def test_a_foreign_checkpoint_with_a_state_dict_is_one_line_and_no_run(
    tmp_path: Path, saved: dict, said: str
) -> None:
    config = write_config(tmp_path / "c.yaml", budget=16)
    torch.save(saved, tmp_path / "other.ckpt")
    done = ffade_in_process(
        "fit", "--config", str(config), "--ckpt_path", "other.ckpt", cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip().splitlines() == [
        f"ffade: error: --ckpt_path other.ckpt: {said}"
        + ("" if said.startswith("not") else " (it holds no ffade state)")
        + "; point --ckpt_path at a run's checkpoints/last.ckpt (or its run directory)"
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("damage", ["deleted", "cut short"])
def test_a_checkpoint_whose_runs_log_is_lost_is_refused_before_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    """The resumed run starts with the evaluations its checkpoint counts, copied from the old
    log: with that log deleted, it went on silently and finished with a log of 4,960 lines
    under a summary of 8,000 evaluations. A log cut short is named, as a deleted one is: the
    line said the checkpoint "holds 5 of the N evaluations it counts", which it does not."""
    config = write_config(tmp_path / "c.yaml", budget=200, learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    cut = tmp_path / "runs" / "test" / "version_0"
    log = cut / "evaluations.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    if damage == "deleted":
        log.unlink()
        said = f"counts {len(lines)} evaluations, but {log} is missing"
    else:
        log.write_text("".join(lines[:5]))
        said = f"counts {len(lines)} evaluations, but {log} holds 5"  # the log holds them
    capsys.readouterr()
    resume = ["fit", "--config", str(cut / "config.yaml"), "--ckpt_path", str(cut)]
    assert main([*resume, "--trainer.max_steps", "-1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"ffade: error: --ckpt_path {cut / LAST_CHECKPOINT} {said}; a resume starts with them: "
        "put the run's evaluations.jsonl back, or drop --ckpt_path to run it again"
    )
    assert sorted(p.name for p in (tmp_path / "runs" / "test").iterdir()) == ["version_0"]


def test_a_resume_says_where_it_resumes_from_in_ffades_own_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A resume printed Lightning's "Restoring states from the checkpoint path at ..." and
    "Restored all states from the checkpoint at ..." beside ffade's lines, while ffade quiets
    Lightning's other lines (progress.NOISE): it now says where it resumes from once, its way."""
    config = write_config(tmp_path / "c.yaml", budget=200, learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    cut = tmp_path / "runs" / "test" / "version_0"
    capfd.readouterr()
    resume = ["fit", "--config", str(cut / "config.yaml"), "--ckpt_path", str(cut)]
    assert main([*resume, "--trainer.max_steps", "-1"]) == 0
    printed = capfd.readouterr()
    lines = [
        line.strip()
        for line in (printed.err + printed.out).replace("\r", "\n").splitlines()
        if line.strip() and "it/s" not in line and "?it" not in line  # the progress bar
    ]
    assert not any("Restor" in line for line in lines), lines
    said = [line for line in lines if line.startswith("ffade:")]
    assert said == [  # the note once the run starts: a refusal on the way is the one line
        f"ffade: resuming from {cut / LAST_CHECKPOINT}",
        f"ffade: note: {cut} was stopped by a trainer limit before its budget (32 of 200 "
        "evaluations): it goes on to its budget or this command's trainer limits",
    ]
    assert lines[-1] == f"next: ffade report {tmp_path / 'runs' / 'test' / 'version_1'}"


def test_the_lines_a_resume_prints_quote_the_run_as_its_errors_do(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Under a folder with a space, a resume's notes named the run unquoted (`ffade: note:
    /tmp/my runs/test/version_0 was stopped by a trainer limit ...`, `ffade: resuming from
    /tmp/my runs/...`, `ffade: /tmp/my runs/... already finished ...`), as two words, while its
    errors and its `next:` and `Read it with:` commands quote such a path."""
    folder = tmp_path / "my runs"
    folder.mkdir()
    config = write_config(folder / "c.yaml", budget=200, learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    cut = folder / "runs" / "test" / "version_0"
    capfd.readouterr()
    resume = ["fit", "--config", str(cut / "config.yaml"), "--ckpt_path", str(cut)]
    assert main([*resume, "--trainer.max_steps", "-1"]) == 0
    printed = capfd.readouterr().err.replace("\r", "\n")
    said = [line.strip() for line in printed.splitlines() if line.startswith("ffade:")]
    assert said == [
        f"ffade: resuming from {shlex.quote(str(cut / LAST_CHECKPOINT))}",
        f"ffade: note: {shlex.quote(str(cut))} was stopped by a trainer limit before its budget "
        "(32 of 200 evaluations): it goes on to its budget or this command's trainer limits",
    ]
    done = shlex.quote(str(cut.parent / "version_1"))
    again = ["--config", str(cut.parent / "version_1" / "config.yaml")]
    assert main(["fit", *again, "--ckpt_path", str(cut.parent / "version_1")]) == 0
    assert capfd.readouterr().out.splitlines() == [
        f"ffade: {done} already finished (status finished); nothing to resume. Read it with: "
        f"ffade report {done}"
    ]


def test_a_run_whose_summary_was_lost_after_its_final_checkpoint_says_it_resumes(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """README: a run killed after its final checkpoint but before its summary is completed in
    the new directory, and a resumed run says where it goes on from. Its fit loop had nothing left
    to run, so Lightning never called on_train_start, and the resume went by without its
    ``ffade: resuming from`` line."""
    config = write_config(tmp_path / "c.yaml", budget=120, learning_starts=8)
    assert main(["fit", "--config", str(config)]) == 0
    done = tmp_path / "runs" / "test" / "version_0"
    (done / "summary.json").unlink()  # as a kill between the final save and the summary
    capfd.readouterr()
    assert main(["fit", "--config", str(done / "config.yaml"), "--ckpt_path", str(done)]) == 0
    printed = capfd.readouterr()
    said = [line for line in printed.err.splitlines() if line.startswith("ffade: resuming")]
    assert said == [f"ffade: resuming from {done / LAST_CHECKPOINT}"], printed.err[-2000:]
    summary = json.loads((done.parent / "version_1" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["evaluations"] == 120


def test_a_runs_checkpoints_folder_resumes_from_its_last_checkpoint(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--ckpt_path RUN/checkpoints/``, where tab completion stops, was "a directory with
    neither checkpoints/last.ckpt nor evaluations.jsonl": the folder's own last.ckpt is taken."""
    config = write_config(tmp_path / "c.yaml", budget=40, learning_starts=8)
    folder = f"{finished / LAST_CHECKPOINT.parent}/"
    code = main(["fit", "--config", str(config), "--ckpt_path", folder])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err, err[-2000:]
    assert f"{finished} already finished (status finished)" in out, out
    assert not list(tmp_path.glob("runs/**/version_*")), "a finished run was run again"
