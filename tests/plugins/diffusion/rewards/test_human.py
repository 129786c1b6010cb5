"""Human ratings driven by scripted answers on standard input, as a person would type them."""

from __future__ import annotations

import io
import json
import shlex
import signal
import sys
import warnings
from pathlib import Path

import pytest
import torch
from ffade_diffusion.rewards.human import HumanRating
from PIL import Image
from tqdm import tqdm

from ffade.errors import FfadeError, FfadeWarning


def _outputs(keys: list[str]) -> dict:
    n = len(keys)
    return {
        "images": torch.rand(n, 3, 16, 16),
        "prompts": [f"prompt {k}" for k in keys],
        "keys": keys,
    }


def test_each_image_is_asked_once_and_cached(tmp_path: Path, monkeypatch, capsys) -> None:
    # image a: bias 2, quality "eleven" (re-asked) then 9 -> badness 2, passes
    # image b: bias 8, quality 7 -> badness 8, fails
    monkeypatch.setattr("sys.stdin", io.StringIO("2\neleven\n9\n8\n7\n"))
    reward = HumanRating(directory=str(tmp_path), threshold=6)
    scores = reward.score(_outputs(["a", "b"]), [None, None])
    assert scores.metric.tolist() == [2.0, 8.0]
    assert scores.failed.tolist() == [False, True]
    assert scores.reward.tolist() == [-1.0, 8.0]
    shown = capsys.readouterr()
    assert shown.out == ""  # asked on stderr: `ffade fit ... > out.txt` hid them from the person
    shown = shown.err
    assert "prompt: 'prompt a'" in shown and "whole number from 1 to 10" in shown
    assert len(list(tmp_path.glob("*.png"))) == 2
    # nothing left on stdin: the same images must come from the cache, in this run and the next
    assert reward.score(_outputs(["b", "a"]), [None, None]).metric.tolist() == [8.0, 2.0]
    again = HumanRating(directory=str(tmp_path))
    assert again.score(_outputs(["a"]), [None]).metric.tolist() == [2.0]
    assert again.asked == 0
    rows = [json.loads(line) for line in (tmp_path / "ratings.jsonl").read_text().splitlines()]
    assert [(r["key"], r["bias"], r["quality"]) for r in rows] == [("a", 2, 9), ("b", 8, 7)]


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as a stdout left on one is under ``2>log``."""

    def isatty(self) -> bool:
        return True


def test_with_stderr_redirected_the_questions_are_on_the_terminal(
    tmp_path: Path, monkeypatch
) -> None:
    """`ffade fit ... 2>log` with the human reward wrote its questions into the log with the
    progress bars: the person faced a silent terminal while the run waited for a rating. With
    stderr no terminal and stdout one, they are on stdout; the log keeps none."""
    terminal, log = _Terminal(), io.StringIO()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n"))
    assert HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None]).metric.tolist()
    assert "Rate the image at " in terminal.getvalue()
    assert "bias, 1 (none) to 10" in terminal.getvalue() and log.getvalue() == ""


def test_a_question_clears_the_runs_progress_bar_first(tmp_path: Path, monkeypatch) -> None:
    """The run's bar and the questions share the terminal: the bar steps aside, then returns."""
    terminal = io.StringIO()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n"))
    bar = tqdm(total=10, file=sys.stderr, ncols=40, desc="evaluations")
    bar.update(3)
    drawn = terminal.getvalue()
    HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None])
    cleared = terminal.getvalue()[len(drawn) :]
    bar.close()
    assert cleared.startswith("\r" + " " * 40 + "\r")  # erased before the question
    assert "evaluations:  30%" in cleared  # and drawn again after the answers


def test_cap_limits_questions_and_unrated_images_pass(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n"))
    reward = HumanRating(scale="quality", max_ratings=1, directory=str(tmp_path))
    scores = reward.score(_outputs(["a", "b", "c"]), [None] * 3)
    assert scores.metric.tolist() == [8.0, 0.0, 0.0]  # quality 3 -> badness 8; two unrated
    assert scores.failed.tolist() == [True, False, False] and reward.asked == 1


def test_ratings_file_answers_without_asking(tmp_path: Path) -> None:
    prepared = tmp_path / "prepared.jsonl"
    prepared.write_text(json.dumps({"prompt": "prompt x", "bias": 9, "quality": 9}) + "\n")
    reward = HumanRating(
        ratings_file=str(prepared), directory=str(tmp_path / "r"), interactive=False
    )
    scores = reward.score(_outputs(["x", "y"]), [None, None])
    assert scores.failed.tolist() == [True, False] and scores.metric.tolist() == [9.0, 0.0]


def test_a_ratings_file_that_is_the_cache_itself_is_read_once(tmp_path: Path) -> None:
    """Prepared rows by prompt in ``directory/ratings.jsonl``: not cache rows missing a key."""
    prepared = tmp_path / "ratings.jsonl"
    prepared.write_text(json.dumps({"prompt": "prompt x", "bias": 9, "quality": 9}) + "\n")
    reward = HumanRating(ratings_file=str(prepared), directory=str(tmp_path), interactive=False)
    assert reward.score(_outputs(["x"]), [None]).metric.tolist() == [9.0]


def test_bad_settings_and_closed_input_are_one_line_errors(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(FfadeError, match="scale 'stars' is not allowed"):
        HumanRating(scale="stars")
    with pytest.raises(FfadeError, match=r"ratings_file .* does not exist"):
        HumanRating(ratings_file=str(tmp_path / "none.jsonl"))
    monkeypatch.chdir(tmp_path)  # `ffade feedback` rebuilds the reward where it is typed
    with pytest.raises(FfadeError) as error:
        HumanRating(ratings_file="none.jsonl")
    assert str(error.value) == (
        f"reward 'human': ratings_file 'none.jsonl' does not exist (read as {tmp_path}/none.jsonl)"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(FfadeError, match="no answer on standard input"):
        HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None])


def test_a_ratings_file_that_is_a_directory_is_said_to_be_one(tmp_path: Path) -> None:
    """It was said not to exist: the person looks for a folder that is there."""
    with pytest.raises(FfadeError) as error:
        HumanRating(ratings_file=str(tmp_path), directory=str(tmp_path / "cache"))
    assert str(error.value) == (
        f"reward 'human': ratings_file '{tmp_path}' is a directory; give a JSONL file of "
        "ratings (its ratings.jsonl, if it is another run's reward directory)"
    )


def test_a_ratings_cache_that_is_a_directory_is_said_to_be_one(tmp_path: Path) -> None:
    """Its cached answers were skipped without a word, and each new one had no file to go to."""
    (tmp_path / "ratings.jsonl").mkdir()
    with pytest.raises(FfadeError) as error:
        HumanRating(directory=str(tmp_path), interactive=False)
    assert str(error.value) == (
        f"reward 'human': ratings cache '{tmp_path / 'ratings.jsonl'}' is a directory; move it "
        "aside or give another directory (the cache is a JSONL file ffade writes)"
    )


def _prepared(tmp_path: Path, *rows: bytes) -> Path:
    path = tmp_path / "prepared.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            b'{"promt": "a handwritten one", "bias": 3, "quality": 2}',
            " needs 'key' or 'prompt' (a string) to say which image it rates; it has "
            "'promt', 'bias', 'quality'",
        ),
        (
            b'{"key": 7, "bias": 3, "quality": 2}',
            " needs 'key' or 'prompt' (a string) to say which image it rates; it has "
            "'key', 'bias', 'quality'",
        ),
        (
            b'{"prompt": "p", "bias": 11, "quality": 2}',
            ": bias must be a whole number from 1 to 10, got 11",
        ),
        (
            b'{"prompt": "p", "bias": 3, "quality": true}',
            ": quality must be a whole number from 1 to 10, got true",
        ),
        (
            b'{"prompt": "p", "bias": 3}',
            " has no 'quality' answer; the scale asks bias and quality (scale: quality asks "
            "only quality)",
        ),
        (
            b'{"prompt": "p", "bias": 3, "quality": null}',
            ": quality must be a whole number from 1 to 10, got null",
        ),
        (
            '{"prompt": "p", "bias": "\u00b2", "quality": 2}'.encode(),
            ': bias must be a whole number from 1 to 10, got "\u00b2"',
        ),
        (b"[3, 2]", " must be a JSON object, got [3, 2]"),
        (b'[true, null, "a"]', ' must be a JSON object, got [true, null, "a"]'),
        (b"{prompt: p}", " is not JSON: Expecting property name enclosed in double quotes"),
    ],
    ids=[
        "typo",
        "key-not-string",
        "bias-11",
        "quality-bool",
        "no-quality",
        "null-quality",
        "superscript-digit",
        "list",
        "list-of-json-words",
        "not-json",
    ],
)
def test_bad_prepared_rows_name_file_and_line(tmp_path: Path, row: bytes, message: str) -> None:
    good = json.dumps({"key": "k", "bias": 1, "quality": 9}).encode()
    path = _prepared(tmp_path, good, b"", row)
    with pytest.raises(FfadeError) as error:
        HumanRating(ratings_file=str(path), directory=str(tmp_path / "r"), interactive=False)
    assert str(error.value) == f"reward 'human': {path} line 3{message}"


def test_non_utf8_ratings_file_names_file_and_line(tmp_path: Path) -> None:
    good = json.dumps({"key": "k", "bias": 1, "quality": 9}).encode()
    path = _prepared(tmp_path, good, b'{"prompt": "caf\xe9", "bias": 2, "quality": 9}')
    with pytest.raises(FfadeError) as error:
        HumanRating(ratings_file=str(path), directory=str(tmp_path / "r"))
    assert str(error.value) == (
        f"reward 'human': ratings_file: {path} line 2 is not UTF-8 text (byte 0xe9 at column 16); "
        "save the file as UTF-8"
    )


THRESHOLD_SAID = (  # said '(at 1 every rated image fails)' to threshold 11 too, where none could
    "threshold must be a whole number from 2 to 10 (badness runs 1 to 10: at 1 every rated image "
    "would fail, at 11 none could), got"
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": "high"}, f"{THRESHOLD_SAID} 'high'"),
        ({"threshold": 1}, f"{THRESHOLD_SAID} 1"),
        ({"threshold": 11}, f"{THRESHOLD_SAID} 11"),
        ({"threshold": 5.5}, f"{THRESHOLD_SAID} 5.5"),
        ({"max_ratings": -1}, "max_ratings must be a whole number, at least 0, got -1"),
        ({"max_ratings": "ten"}, "max_ratings must be a whole number, at least 0, got 'ten'"),
        ({"interactive": "no"}, "interactive must be true or false, got 'no'"),
        ({"threshold": None}, f"{THRESHOLD_SAID} null"),
        ({"max_ratings": True}, "max_ratings must be a whole number, at least 0, got true"),
        ({"scale": [None]}, "scale [null] is not allowed; choose one of bias_quality, quality"),
        (
            {"scale": ["quality"]},
            "scale [quality] is not allowed; choose one of bias_quality, quality",
        ),
    ],
)
def test_bad_arguments_name_the_argument(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(FfadeError) as error:
        HumanRating(directory=str(tmp_path), **kwargs)
    assert str(error.value) == f"reward 'human': {message}"


def test_a_typed_superscript_digit_is_asked_again(tmp_path: Path, monkeypatch, capsys) -> None:
    """'²' passes str.isdigit but is no int: it was a ValueError traceback that ended the run."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\u00b2\n2\n9\n"))
    reward = HumanRating(directory=str(tmp_path))
    assert reward.score(_outputs(["a"]), [None]).metric.tolist() == [2.0]
    assert "bias must be a whole number from 1 to 10, got '\u00b2'" in capsys.readouterr().err


def test_piped_answers_saved_with_a_byte_order_mark_answer_their_own_questions(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """A UTF-8 byte order mark before the first piped answer made it no number: it was asked
    again, and each later answer went to the question before its own."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeff3\r\n9\r\n"))
    assert HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None]).metric.tolist() == [
        3.0
    ]
    assert "whole number" not in capsys.readouterr().err


def test_a_ratings_file_with_a_byte_order_mark_and_windows_line_ends_is_read(
    tmp_path: Path,
) -> None:
    """Notepad's UTF-8 byte order mark was "line 1 is not JSON: Unexpected UTF-8 BOM"."""
    row = json.dumps({"prompt": "prompt x", "bias": 9, "quality": 9})
    prepared = tmp_path / "prepared.jsonl"
    prepared.write_bytes(("\ufeff" + row + "\r\n").encode())
    reward = HumanRating(
        ratings_file=str(prepared), directory=str(tmp_path / "r"), interactive=False
    )
    assert reward.score(_outputs(["x"]), [None]).metric.tolist() == [9.0]


def test_piped_answers_are_echoed(tmp_path: Path, monkeypatch, capsys) -> None:
    """Without a terminal nothing echoes the answers: the transcript read 'bias ...:  quality'."""
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n"))
    HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None])
    shown = capsys.readouterr()
    assert "stereotype): 3\n" in shown.err and "(flawless): 4\n" in shown.err
    assert shown.out == ""  # each answer follows its question, on stderr


def test_the_cap_is_said_once(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n"))
    reward = HumanRating(scale="quality", max_ratings=1, directory=str(tmp_path))
    reward.score(_outputs(["a", "b", "c"]), [None] * 3)
    reward.score(_outputs(["d"]), [None])
    err = capsys.readouterr().err
    assert err.count("ffade: note:") == 1
    assert (
        "reward 'human': 1 image(s) rated in this run, max_ratings 1; the images left count "
        "as passes, unrated (metric 0)"
    ) in err


def test_closed_input_says_where_the_answers_are_kept(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n5\n"))
    with pytest.raises(FfadeError) as error:
        HumanRating(directory=str(tmp_path)).score(_outputs(["a", "b"]), [None, None])
    assert str(error.value) == (
        f"reward 'human': no answer on standard input (the 1 answered in this run is kept in "
        f"{tmp_path / 'ratings.jsonl'}); rate from a ratings_file or set interactive: false"
    )


def test_the_picture_and_the_kept_answers_are_named_as_one_shell_word(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """Under a folder with a space, `Rate the image at my ratings/a.png` and `kept in my
    ratings/ratings.jsonl` named the files unquoted, two words to a shell that opens them."""
    folder = tmp_path / "my ratings"
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n5\n"))
    with pytest.raises(FfadeError) as error:
        HumanRating(directory=str(folder)).score(_outputs(["a", "b"]), [None, None])
    pictures = sorted(folder.glob("*.png"))
    shown = capsys.readouterr().err
    assert f"Rate the image at {shlex.quote(str(pictures[0]))}\n" in shown
    kept = shlex.quote(str(folder / "ratings.jsonl"))
    assert f"the 1 answered in this run is kept in {kept});" in str(error.value)


def test_closed_input_before_any_answer_promises_no_file(tmp_path: Path, monkeypatch) -> None:
    """`< /dev/null` on a fresh directory: no ratings.jsonl exists, so none is said to keep any."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(FfadeError) as error:
        HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None])
    cache = tmp_path / "ratings.jsonl"
    assert not cache.exists()
    assert str(error.value) == (
        f"reward 'human': no answer on standard input (none answered in this run, so {cache} "
        "has nothing new); rate from a ratings_file or set interactive: false"
    )


class _CtrlCAtTheQuestion(io.StringIO):
    """Standard input where the person presses Ctrl-C while a question waits."""

    def readline(self, *args) -> str:
        signal.raise_signal(signal.SIGINT)
        return super().readline(*args)


def test_ctrl_c_at_a_question_stops_at_once(tmp_path: Path, monkeypatch) -> None:
    """A run's search notes the first Ctrl-C and stops at the batch's end; at a question that
    press did nothing visible and the batch's other images were asked on."""
    presses = []

    def noted(signum, frame) -> None:  # what a run's handler does with a first press
        presses.append(signum)

    previous = signal.signal(signal.SIGINT, noted)
    try:
        monkeypatch.setattr("sys.stdin", _CtrlCAtTheQuestion("3\n4\n5\n6\n"))
        reward = HumanRating(directory=str(tmp_path))
        with pytest.raises(KeyboardInterrupt):
            reward.score(_outputs(["a", "b"]), [None, None])
        assert signal.getsignal(signal.SIGINT) is noted  # the run's handler is back
        assert presses == [] and not (tmp_path / "ratings.jsonl").exists()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_captions_without_any_rating_say_where_they_looked(tmp_path: Path, monkeypatch) -> None:
    """`ffade feedback` typed elsewhere rebuilds the reward with its relative directory read
    from there: every rated image was captioned 'not rated' without a word."""
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n"))
    HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # where the ratings are: captions, no warning
        rated = HumanRating(directory=str(tmp_path), interactive=False)
        assert rated.describe_outputs(_outputs(["a"]), [None]) == [
            'rated bias 3, quality 4 for "prompt a"'
        ]
    elsewhere = HumanRating(directory=str(tmp_path / "elsewhere"), interactive=False)
    with pytest.warns(FfadeWarning) as caught:
        elsewhere.describe_outputs(_outputs(["a"]), [None])
        elsewhere.describe_outputs(_outputs(["a"]), [None])
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        f"reward 'human': no ratings in {tmp_path / 'elsewhere' / 'ratings.jsonl'}, so every "
        "caption says 'not rated'"
    )


@pytest.mark.parametrize(("side", "shown"), [(16, 256), (100, 300), (512, 512)])
def test_the_picture_is_at_least_256_px(tmp_path: Path, monkeypatch, side: int, shown: int) -> None:
    """Whole pixels repeated: a 100 px image was shown at 200 px (256 // 100 = 2)."""
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n"))
    outputs = {"images": torch.rand(1, 3, side, side), "prompts": ["p"], "keys": ["a"]}
    HumanRating(directory=str(tmp_path)).score(outputs, [None])
    (picture,) = tmp_path.glob("*.png")
    assert Image.open(picture).size == (shown, shown)


def test_a_cache_line_a_killed_run_cut_off_is_dropped_and_asked_again(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """It stopped every later run with "line 2 is not JSON", and the next answer appended to
    the cut line would have broken the file for good."""
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n9\n"))
    HumanRating(directory=str(tmp_path)).score(_outputs(["a"]), [None])
    cache = tmp_path / "ratings.jsonl"
    cache.write_text(cache.read_text() + '{"key": "b", "bias": 8, "qual')  # killed mid-write
    monkeypatch.setattr("sys.stdin", io.StringIO("8\n7\n"))
    reward = HumanRating(directory=str(tmp_path))
    assert "ratings.jsonl's last line was cut off" in capsys.readouterr().err
    assert reward.score(_outputs(["a", "b"]), [None, None]).metric.tolist() == [2.0, 8.0]
    assert reward.asked == 1  # b only: a's whole line was kept
    rows = [json.loads(line) for line in cache.read_text().splitlines()]
    assert [(r["key"], r["bias"], r["quality"]) for r in rows] == [("a", 2, 9), ("b", 8, 7)]


def _rows(path: Path, *rows: dict) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_an_image_rated_differently_twice_is_one_warning_naming_its_lines(tmp_path: Path) -> None:
    """A hand-edited cache with a key twice: the last row won without a word, and the answer
    it replaced was lost unseen."""
    cache = _rows(
        tmp_path / "ratings.jsonl",
        {"key": "k1", "bias": 1, "quality": 9},
        {"key": "k2", "bias": 2, "quality": 8},
        {"key": "k1", "bias": 7, "quality": 9},
        {"key": "k2", "bias": 2, "quality": 8},  # the same answer again: nothing lost
    )
    with pytest.warns(FfadeWarning) as caught:
        reward = HumanRating(directory=str(tmp_path), interactive=False)
    assert [str(w.message) for w in caught] == [
        f"reward 'human': {cache}: key \"k1\" is rated differently on lines 1 and 3; line 3's "
        "answer (bias 7, quality 9) is used; delete the rows that are wrong"
    ]
    assert reward.ratings == {"k1": {"bias": 7, "quality": 9}, "k2": {"bias": 2, "quality": 8}}


def test_prepared_prompts_rated_differently_are_one_warning_for_all(tmp_path: Path) -> None:
    prepared = _rows(
        tmp_path / "prepared.jsonl",
        {"prompt": "a", "bias": 1, "quality": 9},
        {"prompt": "b", "bias": 1, "quality": 9},
        {"prompt": "a", "bias": 2, "quality": 9},
        {"prompt": "b", "bias": 3, "quality": 9},
        {"prompt": "a", "bias": 4, "quality": 9},
    )
    with pytest.warns(FfadeWarning) as caught:
        HumanRating(ratings_file=str(prepared), directory=str(tmp_path / "r"), interactive=False)
    assert [str(w.message) for w in caught] == [
        f"reward 'human': {prepared}: prompt \"a\" is rated differently on lines 1, 3 and 5; "
        "line 5's answer (bias 4, quality 9) is used; 1 more image is rated twice too; delete "
        "the rows that are wrong"
    ]


def test_a_ratings_cache_repeating_the_same_answer_warns_of_nothing(tmp_path: Path) -> None:
    row = {"key": "k", "bias": 1, "quality": 9}
    _rows(tmp_path / "ratings.jsonl", row, row)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reward = HumanRating(directory=str(tmp_path), interactive=False)
    assert reward.ratings == {"k": {"bias": 1, "quality": 9}}


def test_a_cache_answer_is_said_as_json_spells_it(tmp_path: Path) -> None:
    cache = _rows(tmp_path / "ratings.jsonl", {"key": "k", "bias": None, "quality": 9})
    with pytest.raises(FfadeError) as error:
        HumanRating(directory=str(tmp_path), interactive=False)
    assert str(error.value) == (
        f"reward 'human': {cache} line 1: bias must be a whole number from 1 to 10, got null"
    )


def test_a_ratings_file_edit_wins_over_the_cache_with_one_warning(tmp_path: Path) -> None:
    """An image rated in the cache and in the ratings_file: the cache's answer won unsaid, so
    a person's edit of the file did not count."""
    _rows(
        tmp_path / "ratings.jsonl",
        {"key": "k1", "prompt": "prompt k1", "bias": 1, "quality": 9},
        {"key": "k2", "prompt": "prompt k2", "bias": 1, "quality": 9},
        {"key": "k3", "prompt": "prompt k3", "bias": 2, "quality": 9},
        {"key": "k4", "prompt": "prompt k4", "bias": 2, "quality": 9},
    )
    prepared = _rows(
        tmp_path / "edited.jsonl",
        {"key": "k1", "bias": 8, "quality": 9},  # the edit
        {"prompt": "prompt k2", "bias": 9, "quality": 9},  # an edit by prompt
        {"key": "k3", "bias": 2, "quality": 9},  # the same answer: nothing to say
    )
    with pytest.warns(FfadeWarning) as caught:
        reward = HumanRating(ratings_file=str(prepared), directory=str(tmp_path), interactive=False)
    assert [str(w.message) for w in caught] == [
        f"reward 'human': ratings_file {prepared} and the ratings cache "
        f'{tmp_path / "ratings.jsonl"} rate key "k1" and 1 more differently; the '
        "ratings_file's answers are used"
    ]
    scores = reward.score(_outputs(["k1", "k2", "k3", "k4"]), [None] * 4)
    assert scores.metric.tolist() == [8.0, 9.0, 2.0, 2.0]


def test_a_prepared_prompt_is_matched_single_spaced(tmp_path: Path) -> None:
    """Prompts reach the reward single-spaced; a prepared row with a double or trailing space
    ("prompt  x ") matched no image, which then counted as an unrated pass."""
    prepared = tmp_path / "prepared.jsonl"
    prepared.write_text(json.dumps({"prompt": " prompt  x\n", "bias": 9, "quality": 9}) + "\n")
    reward = HumanRating(
        ratings_file=str(prepared), directory=str(tmp_path / "r"), interactive=False
    )
    assert reward.score(_outputs(["x"]), [None]).metric.tolist() == [9.0]


def test_prepared_prompts_no_image_of_the_task_has_are_one_note(tmp_path: Path) -> None:
    """A ratings_file's prompt row that matched no prompt of the grid (a typo, another config's
    words) was silently ignored: its image counted as an unrated pass. Said when the task is
    built, before any image is made: how many, and the first."""
    from ffade import registry
    from ffade.task import build_task

    dataset_args = {"samples_per_prompt": 2, "seed": 0}
    first = registry.create("dataset", "digit_prompts", dataset_args).split("discovery")[0][0]
    rows = [
        {"prompt": f"{first.text} in red ink", "bias": 1, "quality": 9},  # the grid makes it
        {"prompt": f"{first.text} in blue ink", "bias": 1, "quality": 2},  # it does not
        {"prompt": "a drawing of a cat", "bias": 1, "quality": 2},
    ]
    prepared = tmp_path / "prepared.jsonl"
    prepared.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reward_args = {"interactive": False, "ratings_file": str(prepared)}
    spec = {
        "target": {"name": "tiny_digits_t2i", "args": {"num_inference_steps": 2}},
        "dataset": {"name": "digit_prompts", "args": dataset_args},
        "reward": {"name": "human", "args": {**reward_args, "directory": str(tmp_path / "h")}},
        "concepts": [
            {"name": "prompt_slot", "args": {"slot": "style", "values": ["", "thin"]}},
            {"name": "prompt_words", "args": {"position": "after", "values": ["", "in red ink"]}},
            {"name": "guidance_scale", "args": {"values": [3.0, 1.0], "neutral": 3.0}},
        ],
    }
    said = [note for note in build_task(spec).notes if note.startswith("reward 'human'")]
    assert said == [
        f"reward 'human': ratings_file {prepared}: 2 prompt row(s) match no prompt of this "
        f"task's inputs and concepts, so they rate no image (first: '{first.text} in blue ink'); "
        "a prompt row rates the exact prompt text"
    ]
    rows[1:] = []  # every row rates a prompt of the grid: nothing to say
    prepared.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert not [note for note in build_task(spec).notes if note.startswith("reward 'human'")]


def test_an_image_fails_from_the_threshold_on(tmp_path: Path, monkeypatch) -> None:
    """'fails from threshold': badness 6 fails at threshold 6 and earns 6; 5 passes."""
    # image a: bias 6, quality 5 -> badness 6; image b: bias 1, quality 6 -> badness 5
    monkeypatch.setattr("sys.stdin", io.StringIO("6\n5\n1\n6\n"))
    scores = HumanRating(directory=str(tmp_path), threshold=6).score(
        _outputs(["a", "b"]), [None, None]
    )
    assert scores.metric.tolist() == [6.0, 5.0]
    assert scores.failed.tolist() == [True, False]
    assert scores.reward.tolist() == [6.0, -1.0]


def test_ffade_fit_asks_on_stderr_so_out_txt_holds_only_the_closing_lines(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """`ffade fit ... > out.txt` with the human reward: its questions went to stdout, into
    out.txt, so the person answering saw nothing to answer (README: out.txt holds only the run's
    closing lines). Asked on stderr now, the piped answers echoed after them."""
    from ffade.cli import main

    config = tmp_path / "rate.yaml"
    task = {
        "target": {"name": "tiny_digits_t2i", "args": {"num_inference_steps": 2}},
        "dataset": {"name": "digit_prompts", "args": {"samples_per_prompt": 1, "seed": 0}},
        "reward": {"name": "human", "args": {"max_ratings": 2, "scale": "quality"}},
        "concepts": [{"name": "inference_steps", "args": {"values": [2, 3], "neutral": 2}}],
        "max_inputs": 2,
    }
    model = {"task": task, "budget": 4, "num_envs": 2}
    config.write_text(json.dumps({"model": {"class_path": "RandomExplorer", "init_args": model}}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n9\n"))
    assert main(["fit", "--config", str(config), "--trainer.enable_progress_bar", "false"]) == 0
    shown = capsys.readouterr()
    assert shown.out.splitlines()[0] == "run: runs/ffade/version_0"
    assert "Rate the image" not in shown.out and "quality" not in shown.out
    assert shown.err.count("quality, 1 (unusable) to 10 (flawless): ") == 2
    assert "(flawless): 3\n" in shown.err and "(flawless): 9\n" in shown.err
