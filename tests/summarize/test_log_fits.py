"""A log that does not fit its run (a state off the grid, an input the run did not search) is
refused alike by ``ffade report``, ``ffade feedback`` and ``ffade export``, in one line that
names the line and says what to do: a run-folder fuzzer found input 9999 counted by report,
-1 (which indexes from the end) pictured as the last input, and export with a feedback.yaml
writing a suite from a log with an off-grid state that report refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import ffade_in_process, write_config

MEND = "; mend or remove that line"
PRIORITIES = "regions:\n  - {rank: 1, priority: high}\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic run (8 inputs searched) with its feedback.yaml, never damaged itself."""
    root = tmp_path_factory.mktemp("fits")
    config = write_config(root / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=80)
    fit = ffade_in_process("fit", "--config", str(config), cwd=root)
    assert fit.returncode == 0, fit.stderr[-2000:]
    run = root / "runs" / "test" / "version_0"
    priorities = root / "p.yaml"
    priorities.write_text(PRIORITIES)
    answered = ffade_in_process("feedback", str(run), "--from", str(priorities), "--no-examples")
    assert answered.returncode == 0, answered.stderr[-2000:]
    assert json.loads((run / "summary.json").read_text())["num_inputs"] == 8
    return run


def damaged(run: Path, to: Path, **changed: object) -> Path:
    """A copy of ``run`` whose log's third line has ``changed`` fields."""
    shutil.copytree(run, to)
    log = to / "evaluations.jsonl"
    lines = log.read_text().splitlines()
    lines[2] = json.dumps({**json.loads(lines[2]), **changed})
    log.write_text("\n".join(lines) + "\n")
    return to


def commands(run: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Each reader of the log as a user types it, writing under ``tmp_path``."""
    priorities = tmp_path / "p.yaml"
    priorities.write_text(PRIORITIES)
    feedback = ["--from", str(priorities), "--out", str(tmp_path / "f.yaml"), "--no-examples"]
    return {
        "report": ["report", str(run), "--out", str(tmp_path / "report")],
        "feedback": ["feedback", str(run), *feedback],
        "export": ["export", str(run), "--to", str(tmp_path / "s.yaml")],
    }


@pytest.mark.parametrize("input_id", [9999, -1, 8, 2**64])  # 2**64: past any int64 column
def test_a_logged_input_the_run_did_not_search_is_refused_by_every_reader(
    run: Path, tmp_path: Path, input_id: int
) -> None:
    bad = damaged(run, tmp_path / "run", input_id=input_id)
    expected = (
        f"ffade: error: {bad / 'evaluations.jsonl'} line 3: input_id {input_id} is not one of "
        f"the run's searched inputs (0 to 7, summary.json's num_inputs 8){MEND}"
    )
    for name, args in commands(bad, tmp_path).items():
        result = ffade_in_process(*args)
        assert result.returncode == 2, (name, result.stderr[-2000:])
        assert result.stderr.strip().splitlines()[-1] == expected, (name, result.stderr[-2000:])
    assert not (tmp_path / "report").exists() and not (tmp_path / "s.yaml").exists()
    assert not (tmp_path / "f.yaml").exists()


@pytest.mark.parametrize("state", [[0, 99, 0], [0, 2**64, 0], [0, 0], [0, 0, 0, 0]])
def test_a_logged_state_off_the_grid_is_refused_by_export_with_a_feedback_file(
    run: Path, tmp_path: Path, state: list[int]
) -> None:
    """Export took the slices from feedback.yaml and never read the log's states; report and
    feedback refused the log. Every refusal now says the way out, for a state past int64 or of
    another length too (held apart from the log's columns, :mod:`ffade.log_table`)."""
    bad = damaged(run, tmp_path / "run", state=state)
    assert (bad / "feedback.yaml").is_file()
    for name, args in commands(bad, tmp_path).items():
        result = ffade_in_process(*args)
        assert result.returncode == 2, (name, result.stderr[-2000:])
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"ffade: error: {bad / 'evaluations.jsonl'} line 3: state {state}")
        assert "is off the grid of summary.json" in last and last.endswith(MEND), (name, last)
    assert not (tmp_path / "s.yaml").exists()
