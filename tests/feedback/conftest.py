"""One exhaustive synthetic run shared by the feedback tests: its regions are known in advance."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from ffade.cli import main
from ffade.explore import GridExplorer
from ffade.explore.run import discover
from ffade.feedback.priorities import load_regions
from ffade.summarize.regions import Region
from tests.helpers import synthetic_spec


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exhaustive synthetic run: one input, 1,000 states, the three planted boxes."""
    root = tmp_path_factory.mktemp("feedback")
    spec = synthetic_spec(num_inputs=2)  # 3 concepts, 1000 states; one discovery input
    explorer = discover(GridExplorer(task=spec, budget=2000, num_envs=250), root, name="grid")
    return Path(explorer.recorder.run_dir)


@pytest.fixture
def run(run_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so each starts without feedback.yaml."""
    copy = tmp_path / "run"
    copy.mkdir()
    for name in ("summary.json", "evaluations.jsonl"):
        (copy / name).write_bytes((run_dir / name).read_bytes())
    return copy


@pytest.fixture
def regions(run: Path) -> list[Region]:
    """The run's connected failure regions, most severe first, as ``ffade feedback --slices
    regions`` finds them: three planted boxes, one of them a single state (rules leave it out:
    one evaluation is too little evidence)."""
    return load_regions(run, slices="regions")[1]


@pytest.fixture
def in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """``ffade ...`` through the CLI's entry point, without a new interpreter: (code, out, err)."""

    def run(*args: str, answers: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(answers))
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
