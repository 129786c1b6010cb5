"""How ``ffade fit`` takes its run directory (ffade.lightning_run)."""

from __future__ import annotations

from pathlib import Path

import yaml
from lightning.pytorch.loggers import TensorBoardLogger

from tests.helpers import ffade_in_process, write_config


class RacedLogger(TensorBoardLogger):
    """TensorBoard's logger, with another ``ffade fit`` started at the same moment: it makes the
    folder this logger's first pick names, between the pick and the run making it."""

    def _get_next_version(self) -> int:
        version = super()._get_next_version()
        if not getattr(self, "_raced", False):
            self._raced = True
            (Path(self.root_dir) / f"version_{version}").mkdir(parents=True)
        return version


def test_a_run_started_at_the_same_moment_as_another_takes_the_next_version(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "c.yaml", explorer="ffade.explore.RandomExplorer", budget=32)
    spec = yaml.safe_load(config.read_text())
    spec["trainer"]["logger"]["class_path"] = f"{__name__}.RacedLogger"
    config.write_text(yaml.safe_dump(spec))
    result = ffade_in_process("fit", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = tmp_path / "runs" / "test"
    assert list((runs / "version_0").iterdir()) == []  # the other run's, left to it
    assert (runs / "version_1" / "summary.json").is_file()
    assert result.stdout.startswith(f"run: {runs / 'version_1'}\n"), result.stdout
