"""The plugins' scripts (plugins/*/scripts/, which their READMEs give): a mistyped option or a
count below 1 is one ``ffade: error:`` line, exit 2, before anything is written. argparse printed
its whole usage block first, and a count of 0 went on: ``--epochs 0`` saved untrained weights
over the bundled checkpoint, ``--count 0`` wrote an empty corpus over the bundled one."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

# script, what it is given (OUT: where it would write), and one of its counts
SCRIPTS = {
    "vision/scripts/train_digits_cnn.py": (["--out", "OUT"], "--epochs"),
    "text/scripts/make_tiny_news.py": (["--out", "OUT"], "--count"),
    "text/scripts/make_tiny_sentiment.py": (["--out", "OUT"], "--count"),
    "text/scripts/train_tiny_news_bart.py": (["--out", "OUT"], "--threads"),
    "text/scripts/train_tiny_sentiment.py": (["--out", "OUT"], "--batch-size"),
    "diffusion/scripts/train_tiny_digits_clip.py": (["--out", "OUT"], "--steps"),
    "diffusion/scripts/train_tiny_digits_t2i.py": (["--out", "OUT"], "--denoiser-steps"),
    "diffusion/scripts/clip_on_generated.py": ([], "--samples"),
    "diffusion/scripts/write_digit_images.py": (["OUT"], "--per-class"),
    "diffusion/scripts/word_effect.py": (["configs/t2i_quickstart.yaml", "style=thin"], None),
}


def refusal(script: str, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> list[str]:
    """The stderr lines of ``script`` run with ``args`` here (its imports shared with the other
    cases rather than a process each), which must exit 2."""
    path = REPO / "plugins" / script
    monkeypatch.setattr(sys, "argv", [str(path), *args])
    monkeypatch.chdir(REPO)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(path), run_name="__main__")
    assert exit.value.code == 2
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_bad_option_is_one_line(
    script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    given, count = SCRIPTS[script]
    given = [str(tmp_path / "out") if a == "OUT" else a for a in given]
    lines = refusal(script, [*given, "--zzz"], monkeypatch, capsys)
    name = Path(script).name
    assert lines == [f"ffade: error: unrecognized arguments: --zzz (see {name} --help)"]
    if count is None:
        return
    lines = refusal(script, [*given, count, "0"], monkeypatch, capsys)
    assert lines == [
        f"ffade: error: argument {count}: expected a whole number from 1, got '0' "
        f"(see {name} --help)"
    ]
    assert not (tmp_path / "out").exists()


def test_make_tiny_sentiment_refuses_more_reviews_than_its_templates_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A count past the distinct reviews the templates can write looped forever, skipping
    repeats; it is refused in one line, naming the most, before anything is written."""
    script = "text/scripts/make_tiny_sentiment.py"
    most = runpy.run_path(str(REPO / "plugins" / script))["distinct_reviews"]()
    out = str(tmp_path / "out")
    lines = refusal(script, ["--out", out, "--count", str(most + 1)], monkeypatch, capsys)
    assert lines == [
        f"ffade: error: argument --count: the templates make at most {most} distinct reviews, "
        f"got '{most + 1}' (see make_tiny_sentiment.py --help)"
    ]
    assert not (tmp_path / "out").exists()
