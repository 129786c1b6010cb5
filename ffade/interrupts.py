"""SIGTERM stops ffade's own commands as Ctrl-C does: one line, and what was saved stays saved.

A scheduler, a CI timeout or ``kill`` sends SIGTERM. Python's default for it ends the process on
the spot, without a word, and a shell reads status 143. For ``ffade report``, ``export``, ``check``,
``feedback``, ``plugins`` and ``loop``, raising KeyboardInterrupt instead sends SIGTERM down the
path Ctrl-C takes: ``ffade: interrupted``, exit 130, every file whole (the loop: its stage named,
exit 1). Python may swallow a KeyboardInterrupt raised inside a finalizer, so the first SIGTERM
also restores the default: a second one always ends the process.

``ffade fit`` and a loop's stages are Lightning runs: once one's task is built (a fine-tune's
guard measured), Lightning's own handler holds SIGTERM (it stops the run at its next step, the
run's status ``interrupted``) and calls the one it found, this one, after its own. Raising then
would cut across Lightning's orderly stop (a stage written ``failed``), so this handler does
nothing unless it is the one Python called: before, while the run loads its model and data, it
stops the run as Ctrl-C does (a SIGTERM there once ended the process without a word, its
summary.json left ``created``).

Raised in the middle of a library's import, a KeyboardInterrupt can leave the library half
loaded, for the next import to fail on (a traceback about ``numpy._core``, a RecursionError, an
abort): while ffade loads a command's libraries a SIGTERM waits, then stops it as above.

A closed terminal (an ssh connection dropped) sends SIGHUP, whose default ended ``ffade fit``
and ``ffade loop`` on the spot, the run's summary.json left ``running`` and loop.json without its
``stopped``. Within these blocks a SIGHUP raises SIGTERM, so whatever holds SIGTERM then (the
handlers here, Lightning's, a data-parallel run's) stops the command as it stops for SIGTERM. A
process started under ``nohup`` ignores SIGHUP, and still does; a caller's own handler is kept.

Whatever a run does to the process's handlers (Lightning ignores SIGINT for good once Ctrl-C
stopped a run), a command run in a caller's process (``ffade.discover``, ``main(argv)``) gives
them back as it found them: a notebook's or script's next Ctrl-C still interrupts it.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

HANGUP = getattr(signal, "SIGHUP", None)
"""A closed terminal's signal (not on Windows)."""
KEPT = (signal.SIGINT, signal.SIGTERM, *([] if HANGUP is None else [HANGUP]))
"""The signals whose handlers a command gives back as it found them."""


class Terminated(KeyboardInterrupt):
    """The KeyboardInterrupt a SIGTERM raises: stopped as Ctrl-C is, but a Python call
    (``ffade.discover``) tells them apart, ending the script with status 1 for SIGTERM."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if signal.getsignal(signal.SIGTERM) is not _interrupt:  # called by Lightning's, which stops
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated


def _hang_up(signum: int, frame: FrameType | None) -> None:
    """SIGHUP is SIGTERM: raised here, SIGTERM's handler of the moment takes it (nested signal
    handlers run at once), or its default ends the process as a second SIGTERM does."""
    signal.raise_signal(signal.SIGTERM)


def _hang_up_as_sigterm() -> None:
    """SIGHUP raises SIGTERM from now on, unless it is ignored (``nohup``) or handled already."""
    if HANGUP is not None and signal.getsignal(HANGUP) == signal.SIG_DFL:
        signal.signal(HANGUP, _hang_up)


@contextmanager
def handlers_kept() -> Iterator[None]:
    """The block ends, however it ends, with SIGINT's, SIGTERM's and SIGHUP's handlers as it found
    them.

    Lightning sets SIGINT to SIG_IGN when Ctrl-C stops a run ("user could press Ctrl+C many
    times") and never puts it back: a script's or notebook's later Ctrl-C did nothing. A handler
    set from C (``getsignal`` gives None) cannot be set again from Python: it is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    found = {signum: signal.getsignal(signum) for signum in KEPT}
    try:
        yield
    finally:
        for signum, handler in found.items():
            if handler is not None:
                signal.signal(signum, handler)


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt and SIGHUP SIGTERM (main thread only, as
    signals go); the block ends with the handlers as it found them (:func:`handlers_kept`)."""
    with handlers_kept():
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)
            _hang_up_as_sigterm()
        yield


@contextmanager
def held_while_loading(interrupt: bool = True) -> Iterator[None]:
    """Within the block, a SIGTERM that :func:`sigterm_as_ctrl_c` would take waits for the block
    to end, then raises KeyboardInterrupt; a second one ends the process at once.

    ``interrupt=False`` (a finished run's closing lines: its summary says finished, its files
    are whole) lets the block end and drops the SIGTERM, so the command's own status stands,
    as it does for one that comes while the process exits: it read as Ctrl-C, exit 130."""
    if signal.getsignal(signal.SIGTERM) is not _interrupt:
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, hold)
    try:
        yield
    finally:
        if not received:
            signal.signal(signal.SIGTERM, _interrupt)
    if received and interrupt:
        raise KeyboardInterrupt


def exit_with_on_sigterm(status: int) -> None:
    """For the rest of the process, a SIGTERM or Ctrl-C ends it at once with ``status``, its
    command's.

    Once a command is over, the interpreter still shuts down (Lightning's and torch's teardown,
    its module teardown: a second or so). A SIGTERM then ended a finished run with status 143,
    read as killed, where its summary says finished (Ctrl-C: 130, without a word); its files are
    whole, so the command's own status is the process's. Only the process's command calls this
    (not ``main(argv)`` in a caller's process, whose signals stay its own). A signal the process
    was started ignoring (SIGINT in ``cmd &`` from a script) stays ignored, as it was all along."""
    if threading.current_thread() is not threading.main_thread():
        return

    def end(signum: int, frame: FrameType | None) -> None:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):  # a closed pipe: nothing more to say
                stream.flush()
        os._exit(status)

    for signum in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(signum) != signal.SIG_IGN:  # ``cmd &`` in a script, nohup: ignored
            signal.signal(signum, end)
    _hang_up_as_sigterm()  # a terminal closed now: the same end


def ignored_as_the_interpreter_ends() -> None:
    """Have the process's last atexit hook ignore SIGTERM and Ctrl-C: call before the command.

    Past its atexit hooks, Python gives each signal handled in Python its default back, then
    tears down its modules (torch's: the last second of a report's exit), so a signal there
    killed a finished command, status 143 or 130, without a word. Ignored, it lets the process
    end with the command's status. Hooks run last registered first: registered before the
    command imports its libraries, this one runs after theirs, which :func:`exit_with_on_sigterm`
    still ends at once.

    The same hook freezes the heap (``gc.freeze``): tearing its modules down, Python runs its
    cycle collector again and again over every object torch and Lightning made, 1.6 s of CPU
    after ``ffade fit``'s last line (7 s of waiting on a busy two-core machine), to free memory
    the process gives back as it ends anyway. Every file ffade writes is closed by then."""
    if threading.current_thread() is threading.main_thread():
        atexit.register(_last_hook)


def _last_hook() -> None:
    for signum in KEPT:  # SIGHUP too: Python gives its default back past this hook
        signal.signal(signum, signal.SIG_IGN)
    gc.freeze()  # the teardown's collections skip what is frozen


@contextmanager
def signals_held() -> Iterator[None]:
    """A Ctrl-C or SIGTERM that comes within the block waits for it to end, then acts as it
    would have (its handler, as the block found it, is called by the signal again): a fine-tune's
    verdict is written whole, then the signal stops what would follow it.

    For steps that must not be cut in two and take microseconds: ``ffade report`` renames its new
    TensorBoard file in, then deletes the last report's; a Ctrl-C between the two left both, the
    same pictures twice in TensorBoard until the next report. Main thread only, as signals go."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    found = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    held = [signum for signum, handler in found.items() if handler is not None]
    for signum in held:
        signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum in held:
            signal.signal(signum, found[signum])
        for signum in dict.fromkeys(received):  # once each
            signal.raise_signal(signum)
