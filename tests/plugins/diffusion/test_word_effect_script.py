"""scripts/word_effect.py, which the README prints: its help as typed, and its mistakes."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

SCRIPT = REPO / "plugins" / "diffusion" / "scripts" / "word_effect.py"


def word_effect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def word_effect_in_process(*args: str, monkeypatch: pytest.MonkeyPatch, capsys) -> list[str]:
    """The lines the script leaves on stderr when run with ``args``, which must exit 2 (a
    mistake, as ffade's other scripts exit with theirs): run here, its imports already made,
    instead of in a process of its own (about 7 s each). The help test runs it as typed."""
    monkeypatch.setattr(sys, "argv", [str(SCRIPT), *args])
    monkeypatch.chdir(REPO)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit.value.code == 2  # a bare message exited 1, unlike every other script's mistake
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.slow
def test_help_says_what_it_measures_in_whole_sentences() -> None:
    result = word_effect("--help")
    assert result.returncode == 0
    # the first docstring line alone stopped at "the rule's states as they are, and"
    assert "the same states with that concept at its neutral value" in result.stdout


def test_mistakes_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """Each mistake is one ``ffade: error:`` line naming the script's help, as ffade.errors.
    OneLineParser says the other scripts' (it was a bare message, exit 1)."""
    hint = " (see word_effect.py --help)"
    missing = word_effect_in_process(
        str(tmp_path / "none.yaml"), "style=thin", monkeypatch=monkeypatch, capsys=capsys
    )
    assert missing == [
        f"ffade: error: cannot read {tmp_path / 'none.yaml'}: No such file or directory{hint}"
    ]
    loop = word_effect_in_process(
        "configs/loop_t2i.yaml", "style=thin", monkeypatch=monkeypatch, capsys=capsys
    )
    assert len(loop) == 1 and loop[0].startswith("ffade: error: ")
    assert loop[0].endswith(f"is not an explorer config (no model.init_args.task){hint}")
    # "style" alone read as style = '' and measured nothing, silently
    bare = word_effect_in_process(
        "configs/t2i_quickstart.yaml", "style", monkeypatch=monkeypatch, capsys=capsys
    )
    assert bare[-1] == f"ffade: error: condition 'style' must be label=value or label=a|b{hint}"
    assert not any(line.startswith("Traceback") for line in bare)


def test_a_config_that_is_no_yaml_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """PyYAML's ScannerError came out as a traceback."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("model:\n  init_args: {task: [\n")
    lines = word_effect_in_process(
        str(broken), "style=thin", monkeypatch=monkeypatch, capsys=capsys
    )
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"ffade: error: {broken}: not valid YAML (line ")
    assert lines[0].endswith(") (see word_effect.py --help)")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00model")
    lines = word_effect_in_process(
        str(binary), "style=thin", monkeypatch=monkeypatch, capsys=capsys
    )
    assert lines == [
        f"ffade: error: {binary}: not valid YAML (not UTF-8 text) (see word_effect.py --help)"
    ]


def test_a_number_may_be_written_as_int_or_float(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`guidance_scale=3` was refused ("'3' is not one of ['3.0', '1.5', '1.0']"), and
    `inference_steps=10.0` likewise, though both numbers are in the grid: the numbers now match,
    so the first mistake left is the unknown style at the end."""
    lines = word_effect_in_process(
        "configs/t2i_quickstart.yaml",
        "guidance_scale=3|1.5",
        "inference_steps=10.0|2",
        "style=nope",
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert lines[-1].startswith("ffade: error: concept 'style': 'nope' is not one of ")
    module = runpy.run_path(str(SCRIPT))
    assert module["_same_number"]("3", [3.0, 1.5]) == 3.0
    assert module["_same_number"]("10.0", [10, 5]) == 10
    assert module["_same_number"]("1", [True, 2]) is None  # a flag is no number
    assert module["_same_number"]("thin", ["", "thin"]) is None
