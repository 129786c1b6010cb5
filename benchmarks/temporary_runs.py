"""The benchmarks whose runs live in temporary folders they delete as they end (discovery.py,
coverage.py, scaling.py, big_run.py): Ctrl-C or SIGTERM must not print a run's "resume it with"
for a folder gone a moment later, nor a traceback, but one line saying nothing was kept, exit
130 for both, as ``ffade report`` says it. SIGTERM to the benchmark alone (``kill``, a scheduler)
once ended it at once, without a word: its forked child ran on, its temporary folders stayed."""

from __future__ import annotations

# before Lightning (torch): ffade's import takes back, as the process ends, the empty
# $TMPDIR/torchinductor_<user> folder torch's import makes, should this module run as a script
import ffade  # noqa: F401

# isort: split
import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from lightning.pytorch.utilities.exceptions import SIGTERMException
from one_line_errors import INTERRUPTED  # beside this script

from ffade.interrupts import sigterm_as_ctrl_c
from ffade.run_base import TEMPORARY_RUNS


def stopped(error: BaseException) -> bool:
    """Whether ``error`` is a Ctrl-C or SIGTERM, as it reaches the caller: Lightning ends a run
    stopped by Ctrl-C with ``sys.exit(1)`` raised while it handles the KeyboardInterrupt, and a
    run stopped by SIGTERM with a SIGTERMException. A benchmark's own ``parser.exit`` is not."""
    return isinstance(error, (KeyboardInterrupt, SIGTERMException)) or isinstance(
        error.__context__, KeyboardInterrupt
    )


def interrupted(parser: argparse.ArgumentParser) -> None:
    """Ends the benchmark, stopped, with its one line and exit status 130."""
    parser.exit(INTERRUPTED, f"{parser.prog}: interrupted; its runs were temporary: nothing kept\n")


@contextmanager
def temporary_runs(parser: argparse.ArgumentParser) -> Iterator[None]:
    """Runs made inside say no line of their own when stopped (``TEMPORARY_RUNS``, which forked
    children inherit too); a stop ends the benchmark by :func:`interrupted`. SIGTERM stops it as
    Ctrl-C does (:func:`ffade.interrupts.sigterm_as_ctrl_c`: a KeyboardInterrupt where no run's
    Lightning holds it), so the children are signalled and waited for, the folders deleted. The
    flag and the handlers are put back as the block ends, so a later run in the same process (a
    test calling ``main``) says its lines again."""
    token = TEMPORARY_RUNS.set(True)
    try:
        with sigterm_as_ctrl_c():
            yield
    except (KeyboardInterrupt, SystemExit) as error:
        if not stopped(error):
            raise
        interrupted(parser)
    finally:
        TEMPORARY_RUNS.reset(token)


if __name__ == "__main__":
    from one_line_errors import not_a_benchmark  # beside this script

    not_a_benchmark(__doc__)
