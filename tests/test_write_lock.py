"""Two processes writing one file at once take turns (:mod:`ffade.write_lock`).

Two ``ffade report`` of one run at once both exited 2 ("file not found: .../...ffade-report"):
each wrote ``NAME.tmp`` under the other's feet. Here the second writer runs in a thread (a
``flock`` on a file opened twice conflicts within one process as between two) and the first
waits until the second has either reached the lock or finished: no timing decides the outcome.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from ffade.records import atomic_path, partial_write, write_text_atomic
from ffade.summarize.plots import save_figure
from ffade.summarize.report_events import REPORT_EVENTS_SUFFIX, log_images
from ffade.write_lock import writing_alone

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")


def second_writer(monkeypatch: pytest.MonkeyPatch, write: Callable[[], None]) -> tuple:
    """Start ``write`` in a thread; return it, its errors, and an event set once it has asked
    for the lock (the real ``flock`` is still called) or has ended without asking."""
    import fcntl

    reached = threading.Event()
    errors: list[BaseException] = []
    flock = fcntl.flock

    def asked(handle: int, operation: int) -> None:
        reached.set()
        flock(handle, operation)

    def run() -> None:
        try:
            write()
        except BaseException as exc:  # the test reads it
            errors.append(exc)
        finally:
            reached.set()

    monkeypatch.setattr(fcntl, "flock", asked)
    thread = threading.Thread(target=run)
    thread.start()
    assert reached.wait(60), "the second writer neither asked for the lock nor ended"
    return thread, errors


def test_a_second_writer_of_one_file_waits_for_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.json"
    with atomic_path(path) as tmp:
        tmp.write_text('{"first": ', encoding="utf-8")  # half written
        thread, errors = second_writer(
            monkeypatch, lambda: write_text_atomic(path, '{"second": 2}\n')
        )
        assert tmp.read_text(encoding="utf-8") == '{"first": ', "the second wrote over it"
        assert not path.exists(), "the second renamed its file into place under the first"
        tmp.write_text('{"first": 1}\n', encoding="utf-8")
    thread.join()
    assert errors == []
    assert path.read_text(encoding="utf-8") == '{"second": 2}\n'
    assert not partial_write(path).exists()


def test_a_second_report_waits_for_the_first_reports_pictures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figure = Figure()
    figure.add_subplot().plot([0, 1])
    picture = save_figure(figure, tmp_path / "failure_rate.png")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    staging = partial_write(run_dir / "report-events")
    with writing_alone(staging, folder=True):  # the first report, writing its events file
        half = staging / f"events.out.tfevents.1.first.1.0{REPORT_EVENTS_SUFFIX}.tmp"
        half.write_bytes(b"half")
        thread, errors = second_writer(
            monkeypatch, lambda: log_images(run_dir, {"failure_rate": picture})
        )
        assert half.read_bytes() == b"half", "the second report emptied the first's folder"
        shutil.rmtree(staging)  # the first ends as log_images ends: its folder removed
    thread.join()
    assert errors == []
    (written,) = run_dir.glob(f"events.out.tfevents.*{REPORT_EVENTS_SUFFIX}")
    assert written.stat().st_size > len(b"half")
    assert not staging.exists()
