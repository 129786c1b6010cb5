"""What a large run costs after its search: ffade report, feedback --from, export.

    python benchmarks/big_run.py                   # a 200,000-evaluation synthetic DQN run
    python benchmarks/big_run.py --budget 50000    # smaller, quicker
    python benchmarks/big_run.py --keep DIR        # keep the run (and its report) in DIR

It runs ``ffade fit`` on the synthetic task with 2,000 discovery inputs under 4 axes of 10
values (10,000 states, 20 million pairs), then each command a user types next, each in its own
process, and prints per command its wall time and peak resident memory (the child's own
``ru_maxrss``, what ``/usr/bin/time -v`` reports). Last, side by side in this process, the DQN
replay buffer's write of a thousand rows by indexed assignment (what it did before) and by
``index_copy_`` (what it does), over the same rows, on torch's default thread count.
Benchmarks are never run as tests; docs/scale.md quotes nothing from here.
Without --keep its run lives in a temporary folder it deletes: Ctrl-C ends it with one line
saying nothing was kept, exit 130, and so does SIGTERM (with --keep, the run's own line says how
to resume it).
"""

from __future__ import annotations

# first, before torch and Lightning load: a Ctrl-C from here on is one line, exit 130
from one_line_errors import ArgumentParser, at_least  # beside this script

# isort: split
# before torch: ffade's import takes back, as the process ends, the empty
# $TMPDIR/torchinductor_<user> folder torch's import makes (ffade/inductor_cache.py)
import ffade  # noqa: F401

# isort: split
import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from temporary_runs import INTERRUPTED, temporary_runs  # beside this script

from ffade.interrupts import sigterm_as_ctrl_c

CONFIG = """\
seed_everything: 0
model:
  class_path: ffade.explore.DQNExplorer
  init_args:
    task:
      target: {{name: synthetic}}
      dataset: {{name: synthetic, args: {{num_inputs: 4000, fractions: [0.5, 0.25, 0.25]}}}}
      reward: {{name: margin}}
      concepts:
        - {{name: axis, args: {{index: 0}}}}
        - {{name: axis, args: {{index: 1}}}}
        - {{name: axis, args: {{index: 2}}}}
        - {{name: axis, args: {{index: 3}}}}
      mode: macroscopic
    budget: {budget}
    num_envs: 1024
    eval_batch_size: 1024
trainer:
  logger:
    class_path: lightning.pytorch.loggers.TensorBoardLogger
    init_args: {{save_dir: {runs}, name: big}}
"""


def timed(*args: str, errors: Path | None = None) -> tuple[float, float]:
    """(seconds, peak resident MiB) of ``ffade ARGS`` in a child process of its own; its stderr
    goes to ``errors`` when given (a run in a folder deleted at the end: a Ctrl-C's "resume it
    with" would name a folder gone by then). A Ctrl-C reaches the child too: the parent waits
    for the child to end before it goes on, and so before it deletes that folder."""
    start = time.perf_counter()
    with open(errors, "w") if errors else contextlib.nullcontext() as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "ffade", *args], stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)  # when only this process was signalled
            child.wait()
            raise
    if os.waitstatus_to_exitcode(status) != 0:
        last = errors.read_text().strip().splitlines()[-1:] if errors else []
        raise SystemExit(f"ffade {' '.join(args)} failed{': ' + last[0] if last else ''}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def replay_writes(rows: int = 1024, capacity: int = 50_000, repeats: int = 200) -> None:
    """Milliseconds per write of ``rows`` rows of 5 columns, the old way and the new."""
    import torch  # here, not at the top: a child forked from a process holding torch would
    # count torch's pages in its own peak memory

    data, value = torch.zeros(capacity, 5), torch.rand(rows, 5)
    index = (capacity - rows // 2 + torch.arange(rows)) % capacity  # one that wraps around

    def per_write(write) -> float:
        start = time.perf_counter()
        for _ in range(repeats):
            write()
        return (time.perf_counter() - start) / repeats * 1e3

    def indexed() -> None:
        data[index] = value

    def copied() -> None:
        data.index_copy_(0, index, value)

    old, new = per_write(indexed), per_write(copied)
    print(f"replay write of {rows} rows on {torch.get_num_threads()} threads:")
    print(f"  indexed assignment {old:.3f} ms, index_copy_ {new:.3f} ms ({old / new:.0f}x)")


def main() -> None:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(  # one step of 1,024 pairs: less would not learn, nor time anything
        "--budget", type=at_least(1024), default=200_000, help="evaluations (200,000; >= 1024)"
    )
    parser.add_argument("--keep", help="a folder to keep the run in")
    args = parser.parse_args()
    root = kept_folder(parser, args.keep) or Path(tempfile.mkdtemp(prefix="ffade-big-"))
    try:
        with sigterm_as_ctrl_c() if args.keep else temporary_runs(parser):
            measure(root, args.budget, errors=None if args.keep else root / "stderr.txt")
    except KeyboardInterrupt:  # with --keep: the run's own line said how to resume it
        parser.exit(INTERRUPTED, f"{parser.prog}: interrupted; the run stays in {root}\n")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def config_text(budget: int, runs: Path) -> str:
    """The run's config, ``runs`` quoted: a bare path in YAML's flow mapping broke at a comma or
    a colon (``--keep "runs, 2"`` put the run in ``runs`` and then failed to find it)."""
    return CONFIG.format(budget=budget, runs=json.dumps(str(runs)))


def kept_folder(parser: argparse.ArgumentParser, keep: str | None) -> Path | None:
    """``--keep``'s folder, made before the run starts: an empty path (an unset shell variable)
    once ran in the current folder as ``.``, and a folder that cannot be made was mkdir's
    traceback; both are refused in one line, as a file is."""
    if keep is None:
        return None
    if not keep.strip():
        parser.error("argument --keep: an empty path; name a folder to keep the run in")
    folder = Path(keep)
    if folder.exists() and not folder.is_dir():
        parser.error(f"argument --keep: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"argument --keep: cannot make the folder {folder}: {error.strerror}")
    return folder


def measure(root: Path, budget: int, errors: Path | None) -> None:
    """Runs ``ffade fit`` in ``root``, then the commands a user types next, and prints the table."""
    config = root / "big.yaml"
    config.write_text(config_text(budget, root / "runs"))
    rows = [("ffade fit", *timed("fit", "--config", str(config), errors=errors))]
    run = max((root / "runs" / "big").iterdir(), key=lambda p: p.stat().st_mtime)
    priorities = root / "priorities.yaml"
    priorities.write_text("regions: [{rank: 1, priority: high}]\ndefault: skip\n")
    commands = {
        "ffade report": ["report", str(run), "--out", str(root / "report")],
        "ffade feedback --from": ["feedback", str(run), "--from", str(priorities)],
        "ffade export": ["export", str(run), "--to", str(root / "suite.yaml")],
    }
    rows += [(name, *timed(*argv, errors=errors)) for name, argv in commands.items()]
    print(f"{budget:,} evaluations, {(run / 'evaluations.jsonl').stat().st_size:,} B log")
    for name, seconds, mib in rows:
        print(f"  {name:24s} {seconds:7.1f} s  {mib:7.0f} MiB peak")
    replay_writes()


if __name__ == "__main__":
    main()
