"""``python -m ffade ARGS`` is ``ffade ARGS``: the same commands, output and exit status."""

from __future__ import annotations

import sys

from ffade.cli import main

if __name__ == "__main__":
    sys.argv[0] = "ffade"  # argparse's usage lines name sys.argv[0]: "usage: __main__.py ..."
    sys.exit(main())
