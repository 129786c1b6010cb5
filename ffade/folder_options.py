"""argparse types for options that name a folder: an empty one says which folder it should be.

:func:`ffade.errors.user_path` refuses an empty path with "give a file or folder", which misled
where only a folder will do (``ffade report --out ""``): the line now names the folder the option
wants and an example, as ``ffade loop --out ""`` does (:data:`ffade.loop_config.EMPTY_OUT`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ffade.errors import user_path

REPORT_OUT = "the folder where the report goes, such as reports/run1"
"""What ``ffade report --out`` and ``ffade.report(out=...)`` take, said when one is empty."""


def folder_path(what: str) -> Callable[[str], str]:
    """A ``type=`` for an option naming a folder; ``what`` ends "give ..." in its empty-path line.

    Args:
        what: the folder wanted and an example, e.g. "the folder where the report goes, such
            as reports/run1".
    """

    def folder(text: str) -> str:
        if not text.strip():  # Path("") is the working directory: say what to give instead
            raise argparse.ArgumentTypeError(
                f"an empty path; give {what} (was a variable that names it left unset?)"
            )
        return user_path(text)

    return folder
