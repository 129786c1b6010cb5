"""``ffade feedback``: priorities typed at the prompt or read from a file, saved as they come."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.errors import FfadeError
from ffade.explore import GridExplorer
from ffade.explore.run import discover
from ffade.feedback import read_feedback
from ffade.feedback.from_file import read_priorities
from ffade.feedback.priorities import load_regions
from tests.helpers import REPO, ffade, synthetic_spec


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


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exhaustive synthetic run: its regions are the planted boxes, known before it runs."""
    root = tmp_path_factory.mktemp("feedback")
    spec = synthetic_spec(num_inputs=2)  # 3 concepts, 1000 states, 3 regions
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


def in_process(
    *args: str, answers: str = "", monkeypatch: pytest.MonkeyPatch, capsys
) -> tuple[int, str, str]:
    """``ffade ...`` through the same entry point, without a new interpreter: (code, out, err)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def regions_of(run: Path) -> list:
    return load_regions(run)[1]


def test_the_run_has_regions_to_review(run: Path) -> None:
    assert len(regions_of(run)) >= 3


def test_interactive_answers_are_saved_and_a_bad_one_is_asked_again(run: Path) -> None:
    regions = regions_of(run)
    result = typed("feedback", str(run), answers="urgent\nh\nskip\nq\n")
    assert result.returncode == 0, result.stderr
    assert "'urgent' is not a priority" in result.stdout
    assert regions[0].id in result.stdout and regions[0].conditions in result.stdout
    feedback = read_feedback(run / "feedback.yaml")
    assert [(r.id, r.priority) for r in feedback.regions] == [
        (regions[0].id, "high"),
        (regions[1].id, "skip"),
    ]
    assert feedback.regions[0].states == regions[0].states.tolist()
    assert feedback.regions[0].source == "interactive"
    assert "stopped; answers so far are saved" in result.stdout


def test_input_ending_early_loses_nothing_and_the_next_session_continues(
    run: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    regions = regions_of(run)
    code, _, _ = in_process(
        "feedback", str(run), answers="m\n", monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == 0  # the input ended after one answer, as with Ctrl-D
    assert [r.priority for r in read_feedback(run / "feedback.yaml").regions] == ["medium"]
    code, out, _ = in_process(
        "feedback",
        str(run),
        "--max-regions",
        "2",
        answers="low\n",
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert "1 of these regions are already answered" in out
    answers = {r.id: r.priority for r in read_feedback(run / "feedback.yaml").regions}
    assert answers == {regions[0].id: "medium", regions[1].id: "low"}


def test_from_file_by_rank_id_and_state(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    regions = regions_of(run)
    member = regions[2].states[0] if len(regions) > 2 else None
    entries = [{"rank": 1, "priority": "high"}, {"id": regions[1].id, "priority": "low"}]
    if member is not None:
        landscape = load_regions(run)[0]
        entries.append({"contains": landscape.state_values(member), "priority": "medium"})
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text(yaml.safe_dump({"regions": entries}))
    code, out, err = in_process(
        "feedback", str(run), "--from", str(priorities), monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == 0, err
    assert f"saved priorities for {len(regions)} of {len(regions)} regions" in out
    feedback = read_feedback(run / "feedback.yaml")
    answers = {r.id: r.priority for r in feedback.regions}
    assert len(answers) == len(regions)  # the unlisted ones are recorded as skipped
    assert answers[regions[0].id] == "high" and answers[regions[1].id] == "low"
    if member is not None:
        assert answers[regions[2].id] == "medium"
    assert all(p == "skip" for i, p in answers.items() if i not in {r.id for r in regions[:3]})


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"rank": 1, "prio": "high"}], "regions[0]: unknown key 'prio'; allowed: id, rank"),
        ([{"rank": 1}], "regions[0]: 'priority' is missing; give one of high, medium, low, skip"),
        ([{"rank": 1, "priority": "urgent"}], "priority 'urgent' is not allowed; choose high"),
        ([{"id": "R-00000000", "priority": "high"}], "id 'R-00000000' is not a failure region"),
        ([{"rank": 99, "priority": "high"}], "rank 99 is past the last region"),
        ([{"priority": "high"}], "name the region with exactly one of id, rank, contains"),
        ([{"contains": {"axis9": 0.0}, "priority": "low"}], "unknown concept 'axis9'"),
        ([{"contains": {"axis0": 0.5}, "priority": "low"}], "axis0 = 0.5 is not on its grid"),
        (
            [{"rank": 1, "priority": "high"}, {"rank": 1, "priority": "low"}],
            "regions[1]: region R-",
        ),
    ],
)
def test_bad_priorities_files_are_one_line_errors(
    run: Path, tmp_path: Path, entries: list, message: str
) -> None:
    priorities = tmp_path / "p.yaml"
    priorities.write_text(yaml.safe_dump({"regions": entries}))
    landscape, regions = load_regions(run)
    with pytest.raises(FfadeError) as error:
        read_priorities(priorities, landscape, regions)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_command_prints_a_bad_entry_as_one_line_and_saves_nothing(
    run: Path, tmp_path: Path
) -> None:
    priorities = tmp_path / "p.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: urgent}\n")
    result = ffade("feedback", str(run), "--from", str(priorities))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"ffade: error: {priorities}: regions[0]: priority 'urgent' is not allowed; "
        "choose high, medium, low, skip"
    ]
    assert not (run / "feedback.yaml").exists()


def test_missing_files_are_one_line_errors(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    code, _, err = in_process(
        "feedback",
        str(run),
        "--from",
        str(tmp_path / "nope.yaml"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert code == 2 and err.startswith("ffade: error: --from: priorities file")
    code, _, err = in_process(
        "feedback", str(tmp_path / "no-run"), monkeypatch=monkeypatch, capsys=capsys
    )
    assert code == 2 and "no-run" in err
    assert len(err.strip().splitlines()) == 1


def test_feedback_yaml_is_checked_when_read(
    run: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    in_process("feedback", str(run), answers="h\nq\n", monkeypatch=monkeypatch, capsys=capsys)
    path = run / "feedback.yaml"
    data = yaml.safe_load(path.read_text())
    data["regions"][0]["priority"] = "asap"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(FfadeError, match=r"regions\[0\]: priority 'asap' is not allowed"):
        read_feedback(path)
    data["regions"][0].update(priority="high", states=[[0, 99]])
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(FfadeError, match=r"'states' must be a non-empty list of grid indices"):
        read_feedback(path)


def test_a_different_threshold_does_not_silently_mix_answers(
    run: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    in_process("feedback", str(run), answers="h\nq\n", monkeypatch=monkeypatch, capsys=capsys)
    code, _, err = in_process(
        "feedback",
        str(run),
        "--threshold",
        "0.9",
        answers="q\n",
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert code == 2
    assert "threshold 0.5" in err and "--redo" in err
