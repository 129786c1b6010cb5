"""The Lightning Trainer settings every ffade run shares, from the command line or from Python.

``ffade fit`` (:mod:`ffade.lightning_run`) and :func:`ffade.explore.run.discover` both start from
these, so a run made from code looks like one made from a config: same logger, same progress bar,
same checkpoints.
"""

from __future__ import annotations

from typing import Any

from ffade.checkpoint import LastCheckpoint
from ffade.progress import BudgetProgressBar


def trainer_defaults() -> dict[str, Any]:
    """Explorers make their own data and end when the budget is spent: one 'epoch', logged per step.

    Fresh callback objects each call, so several runs in one process never share state.
    """
    return {
        "max_epochs": 1,
        "logger": {
            "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
            "init_args": {"save_dir": "runs", "name": "ffade"},
        },
        "log_every_n_steps": 1,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
        "callbacks": [
            BudgetProgressBar(),
            LastCheckpoint(every_n_steps=10),
        ],
        "enable_checkpointing": False,  # Lightning's own ModelCheckpoint: see LastCheckpoint
    }
