"""``ffade export`` and ``ffade check`` say the task's notes, as ``ffade fit`` does: they were
dropped, though a note (a split smaller than ``max_inputs``, text cut to the model's positions)
holds for the pairs they measure too."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.helpers import ffade_in_process, write_config

NOTE = "task.max_inputs is 1000, but split 'discovery' of dataset 'synthetic' has 8 inputs"


def notes(stderr: str) -> list[str]:
    return [
        line for line in stderr.splitlines() if line.startswith("ffade: note: ") and NOTE in line
    ]


def test_export_and_check_say_the_tasks_notes_once(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    data = yaml.safe_load(config.read_text())
    data["model"]["init_args"]["task"]["max_inputs"] = 1000  # the split holds fewer: a note
    config.write_text(yaml.safe_dump(data))
    fit = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr[-2000:]
    assert len(notes(fit.stderr)) == 1, fit.stderr[-2000:]  # what the others now say as fit did
    run = tmp_path / "runs" / "test" / "version_0"
    suite = tmp_path / "s.yaml"
    export = ffade_in_process("export", str(run), "--slices", "regions", "--to", str(suite))
    assert export.returncode == 0, export.stderr[-2000:]
    assert len(notes(export.stderr)) == 1, export.stderr[-2000:]
    check = ffade_in_process("check", "--suite", str(suite))
    assert check.returncode == 1, check.stderr[-2000:]  # the target is unfixed: cases fail
    assert len(notes(check.stderr)) == 1, check.stderr[-2000:]
