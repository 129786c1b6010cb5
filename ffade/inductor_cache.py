"""torch's import leaves an empty ``$TMPDIR/torchinductor_<user>`` folder: ffade takes it back.

Importing ``torch._dynamo`` (Lightning, torchmetrics and torchvision all do) makes torch's
inductor cache folder at once, for a compile that may never come: every ``ffade`` command and
``import ffade.explore`` left an empty ``torchinductor_root`` in the temporary folder. It cannot
be avoided without patching torch, so as the process ends ffade removes the folder if it was not
there when ffade was imported and is still empty (a ``torch.compile``'s kernels, kept for the
next run, stay). A folder that was there already, or one ``TORCHINDUCTOR_CACHE_DIR`` names, is
the user's and is left alone. Stdlib only: ``import ffade`` stays light.
"""

from __future__ import annotations

import atexit
import getpass
import os
import re
import tempfile
from contextlib import suppress


def default_folder() -> str | None:
    """The folder torch's import would make (``torch._inductor.runtime.cache_dir_utils``), or
    None where ``TORCHINDUCTOR_CACHE_DIR`` chooses it."""
    if os.environ.get("TORCHINDUCTOR_CACHE_DIR") is not None:
        return None
    try:
        user = getpass.getuser()
    except (KeyError, ModuleNotFoundError, OSError):
        getuid = getattr(os, "getuid", None)
        user = f"uid_{getuid()}" if callable(getuid) else "unknown_user"
    name = "torchinductor_" + re.sub(r'[\\/:*?"<>|]', "_", user)
    return os.path.join(tempfile.gettempdir(), name)


def remove_if_left_empty() -> None:
    """At the process's end, remove torch's cache folder if it is new since now and empty."""
    with suppress(OSError):  # an unreadable temporary folder: nothing to take back
        folder = default_folder()
        if folder is not None and not os.path.lexists(folder):
            atexit.register(_remove_empty, folder)


def _remove_empty(folder: str) -> None:
    with suppress(OSError):  # not empty (a compile's kernels), or gone already: as it is
        os.rmdir(folder)
