"""A run directory seen from Python: what ``ffade.discover`` and friends return.

Everything is read from the directory, the same files ``ffade report`` and CI read, so a Run of a
directory written by ``ffade fit`` yesterday is as good as one just made.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ffade.errors import (
    FfadeError,
    does_not_exist,
    require_region_options,
    shown,
)
from ffade.folder_options import REPORT_OUT
from ffade.records import MITIGATION_FILE, SUMMARY_FILE, no_run_hint, refuse_a_file
from ffade.shell_words import shell_path
from ffade.shown_numbers import change_note, shares_told_apart

if TYPE_CHECKING:
    from ffade.record_lines import EvaluationRecord

REPORT_JSON = "report.json"
RUN_FILES = (
    SUMMARY_FILE,
    MITIGATION_FILE,
    "config.yaml",
    "hparams.yaml",
    REPORT_JSON,
    "report.html",
)
"""Files one of which every run directory holds (a search's or fine-tune's, from the moment it
starts; ``ffade.report(out=...)``'s, which writes report.json and report.html): a directory with
none holds no run to read."""
REPORT_OPTIONS = ("threshold", "min_evaluations", "axes", "tensorboard", "slices", "mitigation")
"""What :meth:`Run.report` passes on to :func:`report` (``ffade report``'s options)."""


@dataclass(frozen=True)
class Run:
    """One run directory: discovery, mitigation or a report's. ``ffade.Run(path)`` reopens one.

    Attributes:
        dir: the run directory (``runs/NAME/version_N``), as an absolute path, so the Run holds
            after the caller's ``os.chdir``.
        summary, evaluations, rules, regions (alias ``slices``), examples, mitigation: its
            files, read when asked (see each); ``report()`` writes its report.
    """

    dir: Path

    def __post_init__(self) -> None:
        """``ffade.Run("runs/ffade/version_0")`` reopens a run: a str becomes an absolute Path, a
        leading ``~`` the home directory (as ``ffade report '~/runs/x'`` and configs read it)."""
        if not isinstance(self.dir, (str, os.PathLike)):  # not pathlib's TypeError
            raise FfadeError(f"Run: expected a run directory (a path), got {shown(self.dir)}")
        typed = self.dir
        # absolute: a Run made before os.chdir (a notebook's) still names its directory after
        object.__setattr__(self, "dir", Path(os.path.abspath(os.path.expanduser(self.dir))))
        if not self.dir.exists():  # not an empty Run whose files fail one by one, later
            raise FfadeError(does_not_exist(f"run directory {shell_path(self.dir)}", self.dir))
        # ffade.Run("RUN/summary.json"): its examples read [] and its mitigation None; said as
        # ffade report says it, the path as typed
        refuse_a_file(os.fspath(typed))
        if self.dir.is_dir() and not any((self.dir / name).exists() for name in RUN_FILES):
            # ffade.Run("runs"): refused here, not at its first file, asked for later
            raise FfadeError(f"Run: no run in {self.dir}{no_run_hint(self.dir)}")

    @classmethod
    def of(cls, run: Run | str | Path, where: str = "run") -> Run:
        """A Run from a Run or a path; the directory must exist. ``where`` is the keyword the
        caller gave it as (``compare``), which a wrong type is said under."""
        if not isinstance(run, (Run, str, os.PathLike)):  # any path ffade.Run(path) takes
            raise FfadeError(
                f"{where}: expected a run directory (a path or a Run), got {shown(run)}"
            )
        run = run if isinstance(run, Run) else cls(Path(os.fspath(run)))
        if not run.dir.exists():  # a Run whose directory went since; a file: by read_summary
            raise FfadeError(does_not_exist(f"run directory {shell_path(run.dir)}", run.dir))
        return run

    @property
    def summary(self) -> dict[str, Any]:
        """summary.json: explorer, evaluations, failures, seed, the concepts' grids, ..."""
        from ffade.records import read_summary

        return read_summary(self.dir)

    @property
    def evaluations(self) -> list[EvaluationRecord]:
        """Every evaluation of evaluations.jsonl, in order, as records (attributes, not keys:
        ``step``, ``input_id``, ``state``, ``concepts``, ``metric``, ``reward``, ``failed``,
        ``invalid``; ``dataclasses.asdict`` makes one a dict)."""
        from ffade.records import read_evaluations

        return list(read_evaluations(Run.of(self).dir))  # a deleted run: the line summary says

    @property
    def examples(self) -> list[dict[str, Any]]:
        """The worst failing examples the run saved (examples/examples.json), worst first.

        Picture entries name their PNG as an absolute ``file``; text entries hold the ``input``.
        """
        from ffade.summarize.example_listing import read_examples

        folder = Run.of(self).dir.absolute() / "examples"  # a deleted run's are not []
        return [
            {**e, "file": str(folder / e["file"])} if isinstance(e.get("file"), str) else e
            for e in read_examples(self.dir)
        ]

    @property
    def regions(self) -> list[dict[str, Any]]:
        """The connected failure regions, most severe first, as report.json lists them; the
        report is written first if the run has none yet. A priorities ``rank`` counts
        :attr:`rules` instead.
        """
        return self.report_data()["regions"]

    slices = regions

    @property
    def rules(self) -> list[dict[str, Any]]:
        """The failure rules, as ``ffade report`` lists them: ``rules[0]`` is rank 1, the rule
        a priorities file's ``{rank: 1}`` names and :func:`ffade.mitigate` fixes by default
        (``regions`` are the connected regions, another list in another order)."""
        return self.report_data()["rules"]["rules"]

    @property
    def mitigation(self) -> dict[str, Any] | None:
        """mitigation.json of a fine-tuning run (before/after rates, status), else None."""
        path = Run.of(self).dir / MITIGATION_FILE  # a deleted fine-tune's is not None
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def report(self, compare: Run | str | Path | None = None, **options: Any) -> Path:
        """Write report.md, report.html and report.json here, as ``ffade report`` does.

        Args:
            compare: a second run over the same grid (``--compare``).
            **options: ``threshold``, ``min_evaluations``, ``axes``, ``tensorboard``,
                ``slices``, ``mitigation``, as the command's options.

        Returns:
            the path of report.html.
        """
        _check_options(options, ("compare", *REPORT_OPTIONS))  # the list names all it takes
        report(self, compare=compare, **options)
        return self.dir / "report.html"

    def report_data(self) -> dict[str, Any]:
        """report.json's data, writing the report first if the run has none."""
        path = self.dir / REPORT_JSON
        if not path.is_file():
            self.report()
        return json.loads(path.read_text(encoding="utf-8"))

    def __repr__(self) -> str:
        """``Run('/…/version_0')``, then what it holds as a comment: a printed run said where it
        is and nothing of what it found."""
        try:
            headline = self._headline()
        except (FfadeError, OSError, ValueError, TypeError, AttributeError):  # a damaged file
            headline = ""
        return f"Run({str(self.dir)!r})" + (f"  # {headline}" if headline else "")

    def _headline(self) -> str:
        """``dqn, finished: 1500 evaluations, 907 failures``, or a fine-tune's verdict."""
        fix = self.mitigation
        if isinstance(fix, dict) and "status" in fix:
            before, after = (fix.get(f"targeted_failure_rate_{k}") for k in ("before", "after"))
            known = all(isinstance(rate, (int, float)) for rate in (before, after))
            shown = " -> ".join(shares_told_apart(before, after, 0)) if known else ""
            rates = f": targeted failure rate {shown}{change_note(fix)}" if known else ""
            return f"fine-tune {fix['status']}{rates}"
        if not (self.dir / "summary.json").is_file():
            return ""
        summary = self.summary
        counts = (_counted(summary.get(key), key[:-1]) for key in ("evaluations", "failures"))
        return f"{summary.get('explorer')}, {summary.get('status')}: " + ", ".join(counts)

    def _repr_html_(self) -> str:
        """A notebook shows a run as its headline numbers, a fine-tune as its verdict; a
        directory with no summary.json (``ffade.report(run, out=...)``'s) or a damaged one as
        its path, as :meth:`__repr__` does: the cell showed summary.json's error instead."""
        import html

        try:
            summary = {} if self.mitigation else self.summary
        except (FfadeError, OSError, ValueError, TypeError):
            summary = {}
        keys = ("explorer", "status", "evaluations", "failures", "distinct_failure_states")
        rows = "".join(
            f"<tr><td>{k}</td><td>{html.escape(str(summary[k]))}</td></tr>"
            for k in keys
            if k in summary
        )
        if not rows:
            try:
                headline = self._headline()
            except (FfadeError, OSError, ValueError, TypeError, AttributeError):
                headline = ""
            rows = f"<tr><td>{html.escape(headline)}</td></tr>" if headline else ""
        return f"<b>{html.escape(str(self.dir))}</b><table>{rows}</table>"


def report(
    run: Run | str | Path,
    compare: Run | str | Path | None = None,
    out: str | Path | None = None,
    threshold: float = 0.5,
    min_evaluations: int = 1,
    axes: list[str] | None = None,
    tensorboard: bool = True,
    slices: str = "rules",
    mitigation: Run | str | Path | None = None,
    **misspelled: Any,
) -> Run:
    """Write a run's report (report.md, report.html, report.json), as ``ffade report`` does;
    each keyword is the command's option of that name (``slices`` is ``--slices``).
    ``mitigation`` may also be the fine-tune's run directory or its Run (what
    :func:`ffade.mitigate` returned), whose mitigation.json is read.

    Returns the run, or with ``out=DIR`` the Run of DIR: its ``rules``, ``regions`` and
    ``report_data()`` read what was written, while ``summary`` and ``evaluations`` stay
    ``run``'s. A keyword it does not take (``treshold=``) is an :class:`FfadeError` naming it,
    as for the other calls.
    """
    from ffade.evaluation_log import one_read_per_log
    from ffade.summarize.report import build_report

    _check_options(misspelled, ("compare", "out", *REPORT_OPTIONS))
    run = Run.of(run)
    axes = [axes] if isinstance(axes, str) else axes  # one label, as `--axes rotation` gives
    if axes is not None and not (
        isinstance(axes, (list, tuple)) and all(isinstance(a, str) for a in axes)
    ):
        raise FfadeError(
            f"axes: expected concept labels (a str or a list of them), got {shown(axes)}"
        )
    if axes is not None and not 1 <= len(axes) <= 3:
        raise FfadeError(f"axes takes 1 to 3 concept labels; got {len(axes)}")
    check_slices(slices)
    require_region_options(threshold, min_evaluations)
    check_flag("tensorboard", tensorboard)
    if mitigation is not None and compare is None:
        raise FfadeError("mitigation leads a comparison: give compare too")
    if out is not None:
        check_dir_path("out", out)
        out = os.path.expanduser(out)  # "~/reports": home, not a folder "~" in the working one
    other = None if compare is None else Run.of(compare, "compare").dir
    mitigation = _mitigation_file(mitigation)
    try:
        with one_read_per_log():  # the landscape and the log's counts, as `ffade report`
            build_report(
                run.dir,
                other,
                out,
                threshold,
                min_evaluations,
                axes,
                tensorboard,
                mitigation,
                slices,
            )
    except FfadeError as error:  # "--axes: ..." said as the keyword a Python caller typed
        if str(error).startswith(tuple(f"--{key}" for key in ("compare", "out", *REPORT_OPTIONS))):
            raise FfadeError(str(error)[2:]) from None
        raise
    return run if out is None else Run(Path(out))


def _check_options(options: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """A keyword not in ``allowed`` is one line naming it, with the closest allowed one."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        close = difflib.get_close_matches(unknown[0], allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FfadeError(
            f"report: unknown option {unknown[0]!r}{hint}; allowed: {', '.join(allowed)}"
        )


def check_slices(slices: Any) -> None:
    """``slices`` as ``--slices`` takes it: "rules" or "regions"."""
    from ffade.summarize.regions import SLICE_KINDS

    if slices not in SLICE_KINDS:
        raise FfadeError(f"slices must be one of {', '.join(SLICE_KINDS)}, got {shown(slices)}")


_FOLDERS = {
    "out": REPORT_OUT,
    "save_dir": "the folder the runs go under, such as runs (the default)",
}
"""A folder keyword -> the folder it wants, said when it is empty, as ``ffade report --out ""``
says it: the shared "give a file or folder" misled where only a folder will do."""


def check_dir_path(key: str, value: Any) -> None:
    """A folder keyword (``report``'s ``out``, ``discover``'s ``save_dir``) is a str or path and
    not empty: ``Path("")`` is the working directory, which an unset variable wrote into (as
    ``--out ""`` is refused on the command line); 123 made a folder "123", a list os.fspath's
    TypeError."""
    if not isinstance(value, (str, os.PathLike)):
        raise FfadeError(f"{key}: expected a directory path, got {shown(value)}")
    if not str(os.fspath(value)).strip():
        raise FfadeError(
            f"{key}: an empty path; give {_FOLDERS[key]} (was a variable that names it left unset?)"
        )


def check_flag(key: str, value: Any) -> None:
    """A switch is True or False: any str (even "no") would read as True."""
    if not isinstance(value, bool):
        raise FfadeError(f"{key}: expected True or False, got {shown(value)}")


def _mitigation_file(mitigation: Any) -> Path | None:
    """The mitigation.json a comparison leads with, from the file, the fine-tune's run directory
    or its Run; refused in one line naming the keyword before any picture is drawn."""
    if mitigation is None:
        return None
    path = mitigation.dir if isinstance(mitigation, Run) else mitigation
    if not isinstance(path, (str, os.PathLike)):
        raise FfadeError(f"mitigation: expected a mitigation.json path or a Run, got {shown(path)}")
    from ffade.summarize.comparison import mitigation_file

    kinds = "mitigation.json, its run directory or the Run ffade.mitigate returned"
    return mitigation_file(path, "mitigation", kinds)


def _counted(count: Any, noun: str) -> str:
    """``1 failure``, ``907 failures``: a search of one input said "1 failures"."""
    return f"{count} {noun}{'s' * (count != 1)}"
