"""``python -m ffade ARGS`` is ``ffade ARGS``: the same commands, output and exit status."""

from __future__ import annotations

import sys

from ffade.cli import main

if __name__ == "__main__":
    sys.argv[0] = "ffade"  # argparse's usage lines name sys.argv[0]: "usage: __main__.py ..."
    status = main()
    # A KeyboardInterrupt (Ctrl-C, or SIGTERM as ffade takes it) raised in code Python ran with
    # exec(), as a dataclass being made while a module loads is, sets a flag in CPython that ends
    # ``python -m`` by SIGINT (a status of -2 to a parent process) whatever the status: ffade
    # caught it and said so; an exec() that ends well clears the flag.
    exec("pass")
    sys.exit(status)
