"""``ffade ARGS`` whose standard output's last reader goes away at a chosen moment of a loop.

``python -m tests.reader_gone FD MOMENT ARGS...``: the test closed its own copy of the pipe's
read end; this process holds the last one (``FD``) and closes it at ``MOMENT``, so the loop's
next write finds the pipe closed there, not at whatever moment a reader's timing gives:

- ``verdict``: once the fine-tune wrote its verdict (none of its lines said yet);
- ``summary``: once the stages are done, as the closing summary is to be printed.

Nothing else is changed: the loop runs, prints and exits as ``ffade`` does.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ffade import loop
from ffade.cli import main


def close_at(fd: int, moment: str) -> None:
    """Close ``fd`` once the loop reaches ``moment``."""
    if moment == "verdict":
        mitigate = loop._mitigate

        def mitigated(*args: Any) -> tuple[Any, dict[str, Any]]:
            done = mitigate(*args)
            os.close(fd)
            return done

        loop._mitigate = mitigated
    else:
        run_stages = loop._run_stages

        def ran(*args: Any) -> dict[str, Any]:
            record = run_stages(*args)
            os.close(fd)
            return record

        loop._run_stages = ran


if __name__ == "__main__":
    close_at(int(sys.argv[1]), sys.argv[2])
    sys.argv[:] = ["ffade", *sys.argv[3:]]
    status = main()
    exec("pass")  # as ffade/__main__.py: a KeyboardInterrupt caught in an exec()'d module
    sys.exit(status)
