"""A fine-tune's run directory removed while it trains (``rm -rf runs/x/version_0``): one line
naming that folder, exit 2, as a discovery run says it (a fine-tune has no log to guard; its next
summary.json write finds the folder gone, or made again since)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import test_folder_gone
from tests.helpers import ffade_in_process
from tests.mitigate.test_stopped_early import fit_args


class RemovesRunDir(test_folder_gone.RemovesRunDir):
    """Removes the fine-tune's run directory after its second step."""

    after_steps = 2


@pytest.mark.slow  # a small fine-tune through the CLI, about 12 s
def test_a_fine_tunes_folder_removed_mid_run_is_named_as_removed(
    digits_run: Path, tmp_path: Path
) -> None:
    """The fine-tune's cleanup of a start that made no evaluations then removed the empty
    runs/mitigate_digits and runs too, and the line named runs as the folder removed."""
    callback = "--trainer.callbacks+=tests.mitigate.test_folder_gone.RemovesRunDir"
    result = ffade_in_process(*fit_args(digits_run, tmp_path / "runs"), callback, cwd=tmp_path)
    run = tmp_path / "runs" / "mitigate_digits" / "version_0"
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert f"the folder {run} was removed while ffade wrote there" in errors[0]
    assert run.parent.is_dir() and not run.exists()  # only what the user removed is gone


@pytest.mark.slow  # a small fine-tune through the CLI, about 10 s
def test_a_fine_tunes_folder_removed_and_made_again_as_it_loads_is_named_as_removed(
    digits_run: Path, tmp_path: Path
) -> None:
    """Removed once the model is loaded, before it measures, and made again (as Lightning's
    logger does): the fine-tune ran on, exit 0, in a folder without its config.yaml."""
    callback = "--trainer.callbacks+=tests.test_folder_gone.RemakesRunDirAtFitStart"
    result = ffade_in_process(*fit_args(digits_run, tmp_path / "runs"), callback, cwd=tmp_path)
    run = tmp_path / "runs" / "mitigate_digits" / "version_0"
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ffade: error:")]
    assert errors == [
        f"ffade: error: {run / 'summary.json'}: cannot write it: the folder {run} was removed "
        "while ffade wrote there (what was in it is gone); run the command again"
    ], result.stderr[-3000:]
    assert not (run / "mitigation.json").exists()  # no verdict in a folder not the run's
