"""``ddp_spawn`` left an empty ``$TMPDIR/tmpXXXXXXXX`` behind each fit: ffade takes it back.

Lightning's multiprocessing launcher (``--trainer.strategy ddp_spawn``, ``ddp_fork``,
``ddp_notebook``) hands rank 0's trained weights to the main process through a file in a folder
of its own, ``tempfile.mkdtemp()/.temp.ckpt``; the main process reads the file and removes it,
but never the folder. A CI run's data-parallel test left one each time, and a user's every
data-parallel fit one more. :func:`remove_spawn_scratch` gives the Trainer's launcher a
subclass that removes the file and then the folder once the weights are read, or failed to be.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

try:  # a private class: a later Lightning may move it, and then the empty folder stays, no more
    from lightning.pytorch.strategies.launchers.multiprocessing import _MultiProcessingLauncher
except ImportError:  # pragma: no cover - Lightning 2.4 to 2.6 have it
    _MultiProcessingLauncher = object


class TidyMultiProcessingLauncher(_MultiProcessingLauncher):  # type: ignore[misc,valid-type]
    """Lightning's multiprocessing launcher, which removes its weights' folder once read.

    A module-level class, not a patched method: the launcher is pickled to the ranks it spawns.
    """

    def _recover_results_in_main_process(self, worker_output: Any, trainer: Any) -> None:
        try:
            super()._recover_results_in_main_process(worker_output, trainer)
        finally:  # read or not (a failed load, Ctrl-C), the copy of the weights is spent
            if worker_output.weights_path is not None:
                weights = os.fspath(worker_output.weights_path)
                with contextlib.suppress(OSError):  # removed already once read
                    os.remove(weights)
                with contextlib.suppress(OSError):  # something else in it: not only ours
                    os.rmdir(os.path.dirname(weights))


def remove_spawn_scratch(strategy: Any) -> None:
    """Give ``strategy``'s multiprocessing launcher, if it has one, the tidy subclass.

    Called in the main process on the Trainer the CLI builds, before it launches the ranks.
    A launcher of another class (the user's own subclass) is left as it is.
    """
    launcher = getattr(strategy, "launcher", None)
    if _MultiProcessingLauncher is not object and type(launcher) is _MultiProcessingLauncher:
        launcher.__class__ = TidyMultiProcessingLauncher
