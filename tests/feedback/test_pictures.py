"""Region pictures: a grid of a region's worst failing inputs, as the target saw them."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch
import yaml

from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.feedback.pictures import PICTURES_DIR, RegionPictures, _caption
from ffade.feedback.priorities import load_regions
from ffade.records import read_evaluations
from ffade.summarize.regions import Region
from tests.helpers import (
    REPO,
    TRAINING_LIBRARIES,
    hangup_as_a_terminal_gives_it,
    python_m_ffade,
    waiting_for_input,
)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short random search of the quickstart grid on 16 digits: enough failing regions."""
    config = yaml.safe_load((REPO / "configs" / "quickstart.yaml").read_text())
    spec = {**config["model"]["init_args"]["task"], "max_inputs": 16}
    explorer = RandomExplorer(task=spec, budget=256, num_envs=64)
    discover(explorer, tmp_path_factory.mktemp("pictures"), seed=0)
    return Path(explorer.recorder.run_dir)


def biggest(run: Path) -> Region:
    """The region with the most failures, so it has examples to spare."""
    return max(load_regions(run, slices="regions")[1], key=lambda region: region.failures)


def test_an_image_target_gets_one_grid_per_region_in_the_run(digits_run: Path) -> None:
    region = biggest(digits_run)
    path = RegionPictures(digits_run, count=4).save(region)
    assert path == digits_run / PICTURES_DIR / f"{region.id}.png"
    picture = matplotlib.image.imread(path)
    assert picture.ndim == 3 and picture.shape[1] > picture.shape[0]  # a row of examples
    assert np.ptp(picture[..., :3]) > 0.5  # drawn digits, not a blank page


def test_examples_beyond_a_row_of_four_start_a_second_row(digits_run: Path) -> None:
    region = biggest(digits_run)
    assert region.failures >= 5, "the fixture's biggest region should hold five failures or more"
    one_row = matplotlib.image.imread(RegionPictures(digits_run, count=4).save(region))
    two_rows = matplotlib.image.imread(RegionPictures(digits_run, count=8).save(region))
    assert two_rows.shape[0] > 1.5 * one_row.shape[0]
    assert two_rows.shape[1] == pytest.approx(one_row.shape[1], rel=0.05)  # still 4 columns


def test_a_region_with_no_logged_failure_has_no_picture(digits_run: Path) -> None:
    failing = {tuple(r.state) for r in read_evaluations(digits_run) if r.failed}
    passing = next(
        s for s in itertools.product(range(9), range(4), range(5), range(6)) if s not in failing
    )
    unseen = dataclasses.replace(biggest(digits_run), states=np.array([passing]))
    assert RegionPictures(digits_run).save(unseen) is None


def test_a_target_that_draws_nothing_gets_no_picture(run: Path, regions: list[Region]) -> None:
    assert RegionPictures(run).save(regions[0]) is None  # the synthetic target renders None
    assert not (run / PICTURES_DIR).exists()


def test_captions_name_the_input_and_its_label_in_the_target_s_words(digits_run: Path) -> None:
    """Each example says which input it is and what it should be as the target names it
    (describe_references: an ImageNet classifier's "goldfish", not 1), as the report's do."""
    region = biggest(digits_run)
    pictures = RegionPictures(digits_run, count=4)
    target = pictures._setup().task.target
    target.describe_references = lambda refs: [f"digit {int(r)}" for r in refs]
    figure = pictures.figure(region)
    titles = [axes.get_title() for axes in figure.axes]
    assert len(titles) == 4
    for title in titles:
        found = re.match(r"input (\d+) \(label digit (\d)\): predicted", title)
        assert found, title
        assert int(found.group(2)) == int(pictures._setup().task.inputs[int(found.group(1))][1])
    # a PNG is often seen alone: its title says what it shows, and of which region (wrapped
    # to the picture's width)
    title = figure._suptitle.get_text()
    assert title.replace("\n", " ") == f"Worst failing inputs of {region.id}: {region.description}"


@pytest.mark.parametrize("count", [2, 3, 4, 8])
def test_the_title_clears_the_captions_below_it(count: int) -> None:
    """With one row of two or three examples (`--examples 3`), the figure's title was drawn
    over the first line of the captions: too little height for constrained layout to fit them;
    and over five-line captions (CJK and a long path, wrapped to the picture's width)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ffade.feedback.pictures import _grid
    from ffade.figure_text import fonts

    caption = "input 48 (label 2): predicted 4 (p=1.00)\nrotation=-20, brightness=0.8,\nblur=2"
    long = f"input 1 (label 猫): predicted {'犬' * 40}\n{'/data/photos/IMG_0001' * 3}=1"  # 5 lines
    title = "Worst failing inputs of S-ca1f07a1: brightness <= 0.8: 92% failure (95% CI 91-94%)"
    for captions in ([caption] * count, [long] * count):
        with fonts():
            figure = _grid(np.zeros((count, 8, 8, 3)), captions, title)
            renderer = FigureCanvasAgg(figure).get_renderer()
            figure.draw(renderer)
        top = figure._suptitle.get_window_extent(renderer)
        for axes in figure.axes:
            assert axes.title.get_window_extent(renderer).y1 <= top.y0  # below the title, apart


def test_redo_with_other_slices_leaves_no_pictures_of_the_replaced_answers(
    digits_run: Path, tmp_path: Path, in_process
) -> None:
    """``--redo --slices regions`` after rules left the rules' pictures in RUN/feedback/ beside
    the regions': a reader took them for pictures of what feedback.yaml ranks."""
    run = tmp_path / "run"
    run.mkdir()
    for name in ("summary.json", "evaluations.jsonl"):
        (run / name).write_bytes((digits_run / name).read_bytes())
    pictures = run / PICTURES_DIR
    code, _, _ = in_process("feedback", str(run), "--examples", "1", answers="h\nm\n")
    assert code == 0 and len(list(pictures.glob("S-*.png"))) >= 2
    (pictures / "notes.txt").write_text("mine")  # not a picture of ffade's: kept
    redo = ["--slices", "regions", "--examples", "1", "--redo"]
    code, _, _ = in_process("feedback", str(run), *redo, answers="l\nq\n")
    held = {r["id"] for r in yaml.safe_load((run / "feedback.yaml").read_text())["regions"]}
    assert code == 0 and len(held) == 1 and next(iter(held)).startswith("R-")
    assert sorted(p.name for p in pictures.iterdir()) == [f"{next(iter(held))}.png", "notes.txt"]
    priorities = tmp_path / "priorities.yaml"  # --from: the regions' pictures go, rules' come
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\n")
    args = ["--from", str(priorities), "--examples", "1", "--redo"]
    assert in_process("feedback", str(run), *args)[0] == 0
    saved = yaml.safe_load((run / "feedback.yaml").read_text())["regions"]
    (high,) = [r["id"] for r in saved if r["priority"] != "skip"]  # a skip gets no picture
    assert saved[0]["id"].startswith("S-")
    assert sorted(p.name for p in pictures.iterdir()) == [f"{high}.png", "notes.txt"]


def test_feedback_from_a_file_draws_its_picture_without_lightning_or_scikit_learn(
    digits_run: Path, tmp_path: Path
) -> None:
    """``ffade feedback RUN --from FILE`` is among the commands that do not train: it imports
    torch, torchvision and matplotlib to rebuild and draw the examples, never Lightning; nor
    scikit-learn (0.6 s of its 6.5 s of CPU) to read the digits it draws."""
    run = tmp_path / "run"
    run.mkdir()
    for name in ("summary.json", "evaluations.jsonl"):
        (run / name).write_bytes((digits_run / name).read_bytes())
    priorities = REPO / "configs" / "feedback_digits.yaml"
    args = ["feedback", str(run), "--from", str(priorities), "--examples", "2"]
    result, imported = python_m_ffade(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list((run / PICTURES_DIR).glob("S-*.png"))) == 1  # rank 1: high, one picture
    assert {"torch", "matplotlib", "ffade.feedback.pictures"} <= imported  # it drew one
    late = sorted(m for m in imported if m.split(".")[0] in (*TRAINING_LIBRARIES, "sklearn"))
    assert late == [], late[:5]
    # rules (the default slices) need no connected regions: scipy.ndimage (about a second) waits
    assert not [m for m in imported if m.startswith("scipy.ndimage")]


def test_a_long_title_with_dollars_wraps_and_draws_as_typed() -> None:
    """A slice over labels with '$' stopped the pictures on a ParseException; a slice over long
    labels made a title several times the picture's width."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ffade.feedback.pictures import _grid

    title = "Worst failing inputs of S-1: " + "price $5 >= 1 and " * 8 + "tax $2 = 0"
    figure = _grid(np.zeros((2, 8, 8, 3)), ["input 1: $3 $4"] * 2, title)
    FigureCanvasAgg(figure).draw()
    lines = figure._suptitle.get_text().split("\n")
    assert len(lines) > 1 and all(len(line.replace("\\$", "$")) <= 80 for line in lines)
    assert "\\$5" in lines[0] and figure.axes[0].title.get_text() == "input 1: \\$3 \\$4"


def test_wide_captions_wrap_by_their_width_and_stay_over_their_picture() -> None:
    """Captions wrapped at 44 characters ran into the next picture's or out of the figure: CJK
    (drawn wider, or as boxes where no font has them) and a file path (one long word). They
    wrap by the width they are drawn at, keeping every character."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ffade.feedback.pictures import _grid
    from ffade.figure_text import fonts

    path = "/data/photos/aquarium/tank_03/IMG_20240101_123456_goldfish_closeup.jpg"
    captions = [f"input {i} (label 猫): predicted {'犬' * 40}\n{path}=1" for i in range(4)]
    with fonts():
        figure = _grid(np.zeros((4, 8, 8, 3)), captions, "Worst failing inputs of R-1: " + path)
        renderer = FigureCanvasAgg(figure).get_renderer()
        figure.draw(renderer)
    boxes = [axes.title.get_window_extent(renderer) for axes in figure.axes]
    for left, right in itertools.pairwise(boxes):  # one row, left to right
        assert left.x1 < right.x0
    title = figure._suptitle.get_window_extent(renderer)
    assert min(b.x0 for b in boxes) >= 0 and max(b.x1 for b in boxes) <= figure.bbox.x1
    assert title.x0 >= 0 and title.x1 <= figure.bbox.x1
    for axes, caption in zip(figure.axes, captions, strict=True):
        assert "".join(axes.title.get_text().split()) == "".join(caption.split())


def test_an_input_without_a_label_is_captioned_without_one() -> None:
    """Unlabelled prompts (configs/sd14.yaml) read "input 15 (label None): ..." in the pictures
    `ffade feedback` shows; a label is named only when there is one."""
    said, values = _caption(15, None, "an image at CLIP cosine 0.12", {"setting": "a city"})
    assert (said, values) == ("input 15: an image at CLIP cosine 0.12", "setting=a city")
    assert _caption(2, torch.tensor(7), "drew 1", {})[0] == "input 2 (label 7): drew 1"


def copied_run(digits_run: Path, tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    for name in ("summary.json", "evaluations.jsonl"):
        (run / name).write_bytes((digits_run / name).read_bytes())
    return run


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stdin", [io.StringIO, _Terminal], ids=["dev-null", "ctrl-d"])
def test_feedback_that_ends_without_an_answer_leaves_no_picture(
    digits_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stdin: type
) -> None:
    """``ffade feedback RUN < /dev/null`` (exit 2) and Ctrl-D at the first question (exit 0)
    save no answer, yet left the first slice's picture in RUN/feedback/, which no file names."""
    from ffade.cli import main

    run = copied_run(digits_run, tmp_path)
    monkeypatch.setattr("sys.stdin", stdin(""))
    code = main(["feedback", str(run), "--examples", "1"])
    assert code == (2 if stdin is io.StringIO else 0)
    assert sorted(p.name for p in run.iterdir()) == ["evaluations.jsonl", "summary.json"]


def test_stopping_keeps_only_the_pictures_of_answers_an_out_file_holds(
    digits_run: Path, tmp_path: Path, in_process
) -> None:
    """With ``--out`` elsewhere no picture is deleted on saving (the run's own file may name
    them), so the picture of the slice stopped at with ``q`` stayed; the answered one is kept."""
    run = copied_run(digits_run, tmp_path)
    pictures = run / PICTURES_DIR
    pictures.mkdir()
    (pictures / "notes.txt").write_text("mine")  # there before: kept
    out = tmp_path / "answers.yaml"
    code, _, _ = in_process(
        "feedback", str(run), "--examples", "1", "--out", str(out), answers="h\nq\n"
    )
    (answered,) = [r["id"] for r in yaml.safe_load(out.read_text())["regions"]]
    assert code == 0
    assert sorted(p.name for p in pictures.iterdir()) == [f"{answered}.png", "notes.txt"]


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this system")
def test_a_closed_terminal_keeps_the_answers_and_leaves_no_picture_unanswered(
    digits_run: Path, tmp_path: Path
) -> None:
    """A closed terminal (SIGHUP) at the second question ended the process on the spot: the first
    answer was saved, but the second slice's picture stayed in RUN/feedback/, which no saved
    file names. It now stops the review as Ctrl-C does."""
    run = copied_run(digits_run, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "ffade", "feedback", str(run), "--examples", "1"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=hangup_as_a_terminal_gives_it,  # not this process's SIGHUP: see there
    )
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write("h\n")  # the input stays open: the second question waits for a person
    process.stdin.flush()
    read = []
    for line in process.stderr:  # the second question is asked once its picture is drawn
        read.append(line)
        if line.startswith("[2/"):
            break
    else:  # the command ended before it: no closed terminal was tested
        pytest.fail(f"no second question: {''.join(read)}{''.join(process.communicate())}")
    waiting_for_input(process.pid)  # at its prompt: one sent sooner may wait for an answer
    process.send_signal(signal.SIGHUP)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, "".join(read) + out + err
    assert "stopped; saved priorities for 1 of " in out
    (answered,) = [r["id"] for r in yaml.safe_load((run / "feedback.yaml").read_text())["regions"]]
    assert sorted(p.name for p in (run / PICTURES_DIR).iterdir()) == [f"{answered}.png"]


@pytest.mark.filterwarnings("default::ffade.errors.FfadeWarning")  # pyproject ignores UserWarning
def test_pictures_that_cannot_be_drawn_are_a_warning_on_stderr(
    digits_run: Path, tmp_path: Path, in_process
) -> None:
    """A run whose target is no longer installed still takes its answers, without pictures; the
    reason was a bare "no example pictures: ..." line on stdout, among the prompts a script
    reads, where every other such line of ffade's is an ``ffade: warning:`` line on stderr."""
    run = copied_run(digits_run, tmp_path)
    summary = json.loads((run / "summary.json").read_text())
    summary["task"]["target"]["name"] = "not_installed"
    (run / "summary.json").write_text(json.dumps(summary))
    code, out, err = in_process("feedback", str(run), "--examples", "1", answers="h\nq\n")
    assert code == 0
    assert "no example pictures" not in out
    assert err.count("ffade: warning: no example pictures: unknown target 'not_installed'") == 1
    (answer,) = yaml.safe_load((run / "feedback.yaml").read_text())["regions"]
    assert (answer["priority"], answer["examples"]) == ("high", None)


def test_an_answer_saved_without_a_picture_leaves_none_of_its_old_one(
    digits_run: Path, tmp_path: Path, in_process
) -> None:
    """``--from ... --redo`` turning pictured answers into skips saves them with ``examples:
    null``, yet their old pictures stayed in RUN/feedback/, which feedback.yaml no longer named."""
    run = copied_run(digits_run, tmp_path)
    pictures = run / PICTURES_DIR
    code, _, _ = in_process("feedback", str(run), "--examples", "1", answers="h\nm\nq\n")
    assert code == 0 and len(list(pictures.glob("S-*.png"))) == 2
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions:\n  - {rank: 1, priority: high}\ndefault: skip\n")
    args = ["--from", str(priorities), "--examples", "1", "--redo"]
    assert in_process("feedback", str(run), *args)[0] == 0
    saved = yaml.safe_load((run / "feedback.yaml").read_text())["regions"]
    named = sorted(Path(r["examples"]).name for r in saved if r["examples"])
    assert len(named) == 1 and saved[1]["examples"] is None
    assert sorted(p.name for p in pictures.iterdir()) == named
