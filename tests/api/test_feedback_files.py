"""A run's feedback.yaml and pictures kept and put back (ffade/api/feedback_files.py), as a
refused ``ffade.mitigate`` does with the priorities it applied."""

from __future__ import annotations

from pathlib import Path

from ffade.api.feedback_files import FeedbackFiles, entries
from ffade.feedback.pictures import PICTURES_DIR
from ffade.feedback.priorities import FEEDBACK_FILE


def test_restore_puts_back_feedback_and_pictures_and_removes_what_came_since(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    pictures = run / PICTURES_DIR
    pictures.mkdir(parents=True)
    (run / FEEDBACK_FILE).write_text("regions: [{rank: 1, priority: low}]\n")
    (pictures / "region_1.png").write_bytes(b"first")
    kept = FeedbackFiles.of(run)
    (run / FEEDBACK_FILE).write_text("regions: [{rank: 1, priority: high}]\n")
    (pictures / "region_1.png").write_bytes(b"changed")
    (pictures / "region_2.png").write_bytes(b"new")
    kept.restore()
    assert (run / FEEDBACK_FILE).read_text() == "regions: [{rank: 1, priority: low}]\n"
    assert sorted(p.name for p in pictures.iterdir()) == ["region_1.png"]
    assert (pictures / "region_1.png").read_bytes() == b"first"


def test_restore_removes_feedback_and_a_pictures_folder_that_were_not_there(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text("{}")
    kept = FeedbackFiles.of(run)
    (run / PICTURES_DIR).mkdir()
    (run / PICTURES_DIR / "region_1.png").write_bytes(b"new")
    (run / FEEDBACK_FILE).write_text("regions: []\n")
    kept.restore()
    assert entries(run) == {"summary.json"}
    assert entries(tmp_path / "missing") == set()
