"""``python -m ffade``: the same as the ``ffade`` command."""

import sys

from ffade.cli import main

sys.exit(main())
