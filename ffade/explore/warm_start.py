"""Why an earlier run's Q-network cannot warm-start this one, in a user's words.

The layer shapes alone ("observes 11 values with width 128") leave a user to work out which of
the concepts, their grids, the task's mode, the target's features or the network's sizes
differ. The checkpoint's hyperparameters hold the earlier run's task, so the shapes can be
taken apart into those, and the error names each that differs, the earlier run's value first.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from torch import nn

from ffade.errors import FfadeError, broken_link
from ffade.shell_words import shell_path

NEEDS = (
    "warm_start needs a DQN run over the same concepts and grids, in the same task.mode, with a "
    "target whose features have the same size, and the same hidden_dim and embedding_dim"
)


def check_warm_start(warm_start: str | None) -> None:
    """One line when ``warm_start`` names nothing there, or nothing at all: an empty path
    (``--model.init_args.warm_start "$RUN"`` with the variable unset) would be the working
    directory, said as "no checkpoint at './checkpoints/last.ckpt'"."""
    if warm_start is not None and not str(warm_start).strip():
        raise FfadeError(
            "model.init_args.warm_start is an empty path; give an earlier run directory or its "
            "checkpoint file, or null to start untrained (was a variable that names it left unset?)"
        )
    if warm_start is not None and not Path(warm_start).expanduser().exists():
        if link := broken_link(Path(warm_start).expanduser()):  # a disk not mounted, say
            raise FfadeError(f"model.init_args.warm_start: {shell_path(warm_start)}: {link}")
        raise FfadeError(
            f"model.init_args.warm_start: {shell_path(warm_start)} does not exist; give an "
            "earlier run directory or its checkpoint file"
        )


def mismatch_message(
    checkpoint: Path, saved: dict[str, Any], found: dict[str, tuple[int, ...]], ours: nn.Module
) -> str:
    """One line: what differs between the run saved in ``checkpoint`` (its whole checkpoint
    ``saved``; ``found``: its Q-network's weight shapes) and this run's Q-network ``ours``."""
    theirs = _earlier_network(saved, found)
    mine = _this_network(ours)
    said = {
        "concepts": "concepts",
        "mode": "task.mode",
        "grid_positions": "grid positions over its concepts",
        "features": "features per input from the target",
        "hidden_dim": "hidden_dim",
        "embedding_dim": "embedding_dim",
    }
    differences = [
        f"{what}: {theirs[key]} there, {mine[key]} here"
        for key, what in said.items()
        if theirs.get(key) is not None and theirs[key] != mine[key]
    ]
    observed = found.get("observation_tower.0.weight", (None, None))[1]
    if "concepts" not in theirs and observed != mine["features"] + mine["concepts"]:
        differences.append(  # no task in the checkpoint: the layer says less
            f"its network observes {observed} values (features + concepts), this run's "
            f"{mine['features'] + mine['concepts']} ({mine['features']} + {mine['concepts']})"
        )
    if not differences:  # e.g. the action tower alone, and no task to tell why
        differences.append("its Q-network's layers have other shapes than this run's")
    return (
        f"model.init_args.warm_start: the run saved in {shell_path(checkpoint)} differs from this "
        f"one: {'; '.join(differences)}. {NEEDS}"
    )


def _this_network(network: nn.Module) -> dict[str, Any]:
    concepts = int(network.bump_concept.max()) + 1
    positions = len(network.centers)
    flags = network.action_tower[0].in_features - concepts - positions
    return {
        "concepts": concepts,
        "mode": "macroscopic" if flags == 1 else "microscopic",
        "grid_positions": positions,
        "features": network.observation_tower[0].in_features - concepts,
        "hidden_dim": network.observation_tower[0].out_features,
        "embedding_dim": network.observation_tower[2].out_features,
    }


def _earlier_network(saved: dict[str, Any], found: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    """The earlier network's parts; only its sizes when its task is not in the checkpoint."""
    observed, acted = found.get("observation_tower.0.weight"), found.get("action_tower.0.weight")
    embedded = found.get("observation_tower.2.weight")
    sizes = {
        "hidden_dim": observed[0] if observed else None,
        "embedding_dim": embedded[0] if embedded else None,
    }
    task = saved.get("hyper_parameters", {}).get("task")
    task = asdict(task) if is_dataclass(task) else task
    if not isinstance(task, dict) or not isinstance(task.get("concepts"), list) or not acted:
        return sizes
    concepts, mode = len(task["concepts"]), task.get("mode", "macroscopic")
    flags = 1 if mode == "macroscopic" else 2
    return {
        **sizes,
        "concepts": concepts,
        "mode": mode,
        "grid_positions": acted[1] - concepts - flags,
        "features": observed[1] - concepts,
    }
