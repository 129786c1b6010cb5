"""``ffade feedback`` in a terminal (a pseudo-terminal): what a person sees continuing a review
and redoing it (docs/mitigation.md, "run the command again to continue", ``--redo``)."""

from __future__ import annotations

import fcntl
import os
import select
import shlex
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ffade.feedback import read_feedback
from ffade.summarize.regions import Region
from tests.helpers import REPO, waiting_for_input

pty = pytest.importorskip("pty")  # not on Windows
termios = pytest.importorskip("termios")


def _controlling_terminal() -> None:
    """Make the pseudo-terminal (standard input) the command's controlling terminal, as a shell's
    is, so that Ctrl-C typed there is SIGINT for it: a new session (``start_new_session``) has
    none until it asks for one."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """``ffade ARGS`` on a pseudo-terminal: read until a text appears, type a line."""

    def __init__(
        self, *args: str, stdout: Any = None, stderr: Any = None, columns: int = 0
    ) -> None:
        """``stdout``, ``stderr``: a file it goes to instead (``ffade ... > log``, ``2> log``),
        else the terminal; ``columns``: the terminal's width (0: one that says it has no size)."""
        self.master, slave = pty.openpty()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("COLUMNS", None)  # the terminal's own size, not the test runner's
        if columns:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ffade", *args],
            cwd=REPO,
            stdin=slave,
            stdout=slave if stdout is None else stdout,
            stderr=slave if stderr is None else stderr,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        self.seen = ""
        self._read_to = 0

    def wait_for(self, text: str) -> str:
        """What the terminal showed from the last text waited for up to ``text`` (a hung
        command fails after two minutes, not the test run)."""
        give_up = time.monotonic() + 120
        while text not in self.seen[self._read_to :]:
            left = give_up - time.monotonic()
            assert left > 0, f"never showed {text!r}: {self.seen[-2000:]!r}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the command ended: the terminal is closed
                    chunk = b""
                assert chunk, f"ended before showing {text!r}: {self.seen[-2000:]!r}"
                self.seen += chunk.decode(errors="replace")
        end = self.seen.index(text, self._read_to) + len(text)
        shown, self._read_to = self.seen[self._read_to : end], end
        return shown

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")  # Enter, as a keyboard sends it

    def ctrl_c(self) -> None:
        """Ctrl-C typed at the prompt, once the command waits there for the answer, as a person
        presses it: the terminal sends SIGINT to the command. Sent the moment the prompt showed,
        it could come before the command began to wait, and no Ctrl-C is acted on there (Python's
        input()): in two of three CI runs the command waited on, and the test hung 120 s."""
        waiting_for_input(self.process.pid)
        os.write(self.master, b"\x03")

    def close(self) -> int:
        code = self.process.wait(timeout=120)
        os.close(self.master)
        return code


def test_continuing_numbers_by_place_and_redo_offers_the_earlier_answer(
    run: Path, regions: list[Region], in_process
) -> None:
    """Continuing asked "[1/2]" about the 2nd of 3 regions, and --redo showed a bare prompt, so
    the earlier answer was not seen (and Enter was "no priority")."""
    in_process("feedback", str(run), "--slices", "regions", answers="h\nq\n")
    ask = "priority [h/m/l/s, q to stop]: "
    terminal = Terminal("feedback", str(run), "--slices", "regions")
    assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for(ask)
    terminal.type("m")
    assert f"\n[3/3] {regions[2].id}  " in terminal.wait_for(ask)
    terminal.type("q")
    assert terminal.close() == 0

    terminal = Terminal("feedback", str(run), "--slices", "regions", "--redo")
    assert f"\n[1/3] {regions[0].id}  " in terminal.wait_for(
        "priority [h/m/l/s, q to stop; Enter keeps high]: "
    )
    terminal.type("")
    assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for(
        "priority [h/m/l/s, q to stop; Enter keeps medium]: "
    )
    terminal.type("l")
    assert f"\n[3/3] {regions[2].id}  " in terminal.wait_for(ask)  # never answered: no default
    terminal.type("q")
    assert terminal.close() == 0
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "high"), (regions[1].id, "low")]


def test_with_stdout_redirected_the_person_still_sees_the_questions(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    """`ffade feedback RUN > log` in a terminal: the questions and their prompts went to stdout,
    into the log, so the person faced a silent terminal. They are on stderr now, as git's and
    pip's are; the log holds the closing lines alone."""
    log = tmp_path / "log"
    with open(log, "w") as file:
        terminal = Terminal("feedback", str(run), "--slices", "regions", stdout=file)
        shown = terminal.wait_for("priority [h/m/l/s, q to stop]: ")
        assert f"{run}: 3 failure regions" in shown and f"\n[1/3] {regions[0].id}  " in shown
        terminal.type("h")
        assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for("q to stop]: ")
        terminal.type("q")
        assert terminal.close() == 0
    assert log.read_text().splitlines() == [
        "stopped; answers so far are saved. Run the same command again to continue.",
        f"saved priorities for 1 of 3 regions to {run / 'feedback.yaml'} (1 high, 0 medium, "
        "0 low, 0 skip); fix them with a fine-tuner config (docs/mitigation.md, Fixing your own "
        "run): ffade fit --config MITIGATE.yaml "
        f"--model.init_args.run {run}",
    ]


def test_ctrl_c_says_how_many_answers_were_saved_and_where(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    """Ctrl-C at the second question said "stopped; answers so far are saved", naming neither
    how many nor the file, and `q`'s closing line (which names both) is not printed for an
    interrupted review. One line now says both (the file quoted for a shell, as the heading's),
    then `ffade: interrupted`, exit 130; the answer given stays saved."""
    spaced = run.rename(tmp_path / "my runs")
    terminal = Terminal("feedback", str(spaced), "--slices", "regions", "--no-examples")
    ask = "priority [h/m/l/s, q to stop]: "
    terminal.wait_for(ask)
    terminal.type("h")
    assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for(ask)
    terminal.ctrl_c()
    shown = terminal.wait_for("ffade: interrupted").replace("\r", "")
    assert terminal.close() == 130
    saved = shlex.quote(str(spaced / "feedback.yaml"))
    assert shown.strip().splitlines()[-2:] == [
        f"stopped; saved priorities for 1 of 3 regions to {saved} (1 high, 0 medium, 0 low, "
        "0 skip). Run the same command again to continue.",
        "ffade: interrupted",
    ]
    answers = [(r.id, r.priority) for r in read_feedback(spaced / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "high")]


LEFT, UP = "\x1b[D", "\x1b[A"  # the arrow keys, as a terminal sends them


@pytest.mark.parametrize("redirected", [False, True], ids=["terminal", "stdout-to-log"])
def test_an_answer_is_edited_as_at_any_prompt(
    run: Path, regions: list[Region], tmp_path: Path, redirected: bool
) -> None:
    """Without readline an arrow key typed to mend `mdium` went into the answer (`'mdiu\\x1b[De'
    is not a priority`), and Up recalled nothing; with stdout in a log too (the prompt is on the
    terminal, the log keeps the closing lines)."""
    log = tmp_path / "log"
    with open(log, "w") as file:
        terminal = Terminal(
            "feedback", str(run), "--slices", "regions", stdout=file if redirected else None
        )
        ask = "priority [h/m/l/s, q to stop]: "
        terminal.wait_for(ask)
        terminal.type("mdium" + LEFT * 4 + "e")
        assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for(ask)
        terminal.type(UP)  # the last answer again
        assert f"\n[3/3] {regions[2].id}  " in terminal.wait_for(ask)
        terminal.type("q")
        assert terminal.close() == 0
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "medium"), (regions[1].id, "medium")]
    assert "not a priority" not in terminal.seen
    if redirected:
        assert log.read_text().startswith("stopped; answers so far are saved.")


def test_with_stderr_redirected_the_person_still_sees_the_questions(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    """`ffade feedback RUN 2>log` in a terminal: the questions and their prompts went to stderr,
    into the log, so the person faced a silent terminal and the command waited for answers to
    questions never seen. With stderr no terminal and stdout one, they are on stdout; an answer
    is still edited at the prompt, and the log gets no question."""
    log = tmp_path / "log"
    with open(log, "w") as file:
        terminal = Terminal("feedback", str(run), "--slices", "regions", stderr=file)
        ask = "priority [h/m/l/s, q to stop]: "
        shown = terminal.wait_for(ask)
        assert f"{run}: 3 failure regions" in shown and f"\n[1/3] {regions[0].id}  " in shown
        terminal.type("mdium" + LEFT * 4 + "e")  # medium, mended with an arrow key
        assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for(ask)
        terminal.type("q")
        closing = terminal.wait_for("--model.init_args.run ")
        assert terminal.close() == 0
    assert "stopped; answers so far are saved." in closing
    assert "priority [" not in log.read_text() and "[1/3]" not in log.read_text()
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "medium")]


def test_with_both_streams_redirected_the_person_still_sees_the_questions(
    run: Path, regions: list[Region], tmp_path: Path
) -> None:
    """`ffade feedback RUN &>log` with the answers typed at the terminal: stdout and stderr are
    both the log, so the questions went there and the person saw nothing while the command
    waited. They go to the controlling terminal (/dev/tty) now; an answer is still edited at
    the prompt, and the log holds the closing lines alone."""
    log = tmp_path / "log"
    with open(log, "w") as file:
        terminal = Terminal("feedback", str(run), "--slices", "regions", stdout=file, stderr=file)
        ask = "priority [h/m/l/s, q to stop]: "
        shown = terminal.wait_for(ask)
        assert f"{run}: 3 failure regions" in shown and f"\n[1/3] {regions[0].id}  " in shown
        terminal.type("mdium" + LEFT * 4 + "e")  # medium, mended with an arrow key
        assert f"\n[2/3] {regions[1].id}  " in terminal.wait_for(ask)
        terminal.type("q")
        assert terminal.close() == 0
    written = log.read_text()
    assert "priority [" not in written and "[1/3]" not in written, written
    assert written.startswith("stopped; answers so far are saved."), written
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "medium")]


@pytest.mark.slow
def test_a_second_session_never_saves_over_the_first_ones_answers(
    run: Path, regions: list[Region]
) -> None:
    """Two sessions ranking one run (two shells): the later save replaced the other's ranking
    with its own, silently. Now a session whose file changed since it read it refuses to save
    in one line that says to run it again, which continues from the other's answers."""
    ask = "priority [h/m/l/s, q to stop]: "
    first = Terminal("feedback", str(run), "--slices", "regions")
    second = Terminal("feedback", str(run), "--slices", "regions")
    first.wait_for(ask)
    second.wait_for(ask)
    first.type("h")
    first.wait_for(f"\n[2/3] {regions[1].id}  ")
    second.type("l")
    saved = shlex.quote(str(run / "feedback.yaml"))
    refused = second.wait_for("(rank a run in one shell at a time)")
    assert f"ffade: error: {saved} changed since this session read it" in refused
    assert "run the command again to continue from the answers it holds now" in refused
    assert second.close() == 2
    first.wait_for(ask)
    first.type("q")
    assert first.close() == 0
    answers = [(r.id, r.priority) for r in read_feedback(run / "feedback.yaml").regions]
    assert answers == [(regions[0].id, "high")]  # the first session's, whole

    again = Terminal("feedback", str(run), "--slices", "regions")
    assert f"\n[2/3] {regions[1].id}  " in again.wait_for(ask)
    again.type("q")
    assert again.close() == 0


def test_on_a_narrow_terminal_lines_wrap_between_words(run: Path, regions: list[Region]) -> None:
    """On 40 columns the terminal cut the heading and each slice's lines at the last column,
    mid-word (`min ev` / `aluations 1`), and a pasted line said back as no priority filled
    screens. Lines now wrap between words, indented under their text; a path longer than the
    width stays whole (it copies as one word); a wrong answer is said back cut."""
    terminal = Terminal("feedback", str(run), "--slices", "regions", columns=40)
    ask = "priority [h/m/l/s, q to stop]: "
    shown = terminal.wait_for(ask).replace("\r", "")
    terminal.type("x" * 300)
    refused = terminal.wait_for(ask).replace("\r", "")
    terminal.type("q")
    assert terminal.close() == 0
    lines = shown.splitlines()[:-1] + refused.splitlines()[1:-1]  # less the prompts and echo
    assert [line for line in lines if len(line) > 40 and " " in line.strip()] == []
    text = " ".join(line.strip() for line in shown.splitlines())
    assert "(threshold 0.5, min evaluations 1)" in text
    assert f"[1/3] {regions[0].id}  {regions[0].description}" in text
    assert "'xxxxxxxxxxxxxxxxxxxx'... is not a priority" in " ".join(refused.split())
