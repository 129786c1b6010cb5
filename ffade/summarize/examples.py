"""The worst failing examples of a run, as pictures a person can look at.

After discovery, the deepest failures (highest reward, one per input first, so the grid shows
many inputs rather than one input many times) are rebuilt from their input and concept state,
rendered by the target, and saved as ``examples/*.png`` with ``examples/examples.json``, plus one
grid image in TensorBoard. Targets that are not images (``render`` returns None) save nothing.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from ffade.env import Evaluator


def worst_failures(evaluator: Evaluator, count: int) -> list[tuple[int, np.ndarray, float, float]]:
    """(input id, state, metric, reward) of the deepest failures, distinct inputs first."""
    space = evaluator.space
    failures = [(key, m, r) for key, (m, r, failed) in evaluator.memo.items() if failed]
    failures.sort(key=lambda f: -f[2])
    chosen, seen_inputs, rest = [], set(), []
    for key, metric, reward in failures:
        input_id, flat = divmod(key, space.num_states)
        item = (input_id, space.unflat(flat), metric, reward)
        (rest if input_id in seen_inputs else chosen).append(item)
        seen_inputs.add(input_id)
    return (chosen + rest)[:count]


def save_worst_examples(
    evaluator: Evaluator, run_dir: Path, count: int = 16, logger: Any = None
) -> int:
    """Render and save the worst failures; returns how many were saved."""
    worst = worst_failures(evaluator, count)
    if not worst:
        return 0
    ids = np.array([w[0] for w in worst])
    states = np.stack([w[1] for w in worst])
    target = evaluator.task.target
    with torch.inference_mode():
        inputs = evaluator.changed_inputs(ids, states)
        images = target.render(inputs)
        if images is None:
            return 0
        captions = target.describe_outputs(target.predict(inputs)) or [""] * len(worst)
    folder = run_dir / "examples"
    folder.mkdir(exist_ok=True)
    entries = []
    pictures = images.detach().float().cpu().permute(0, 2, 3, 1).numpy()
    for i, ((input_id, state, metric, reward), picture) in enumerate(
        zip(worst, pictures, strict=True)
    ):
        name = f"failure_{i:02d}.png"
        _save_png(picture, folder / name)
        reference = evaluator.task.inputs[int(input_id)][1]
        entries.append(
            {
                "file": name,
                "input_id": int(input_id),
                "reference": _short(reference),
                "concepts": evaluator.space.values(state),
                "metric": round(float(metric), 4),
                "reward": round(float(reward), 3),
                "output": captions[i],
            }
        )
    (folder / "examples.json").write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    grid = _grid_figure(pictures, entries)
    grid.savefig(folder / "worst_failures.png", dpi=100)
    if logger is not None and hasattr(logger, "experiment"):
        logger.experiment.add_figure("discovery/worst_failures", grid, global_step=0)
    return len(entries)


def _save_png(picture: np.ndarray, path: Path) -> None:
    figure = Figure(figsize=(2, 2))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.imshow(np.clip(picture, 0, 1), interpolation="nearest")
    axes.axis("off")
    figure.savefig(path, dpi=64)


def _grid_figure(pictures: np.ndarray, entries: list[dict[str, Any]]) -> Figure:
    columns = min(4, len(entries))
    rows = math.ceil(len(entries) / columns)
    figure = Figure(figsize=(3.2 * columns, 3.4 * rows), layout="constrained")
    for i, (picture, entry) in enumerate(zip(pictures, entries, strict=True)):
        axes = figure.add_subplot(rows, columns, i + 1)
        axes.imshow(np.clip(picture, 0, 1), interpolation="nearest")
        axes.axis("off")
        values = ", ".join(f"{k}={_short(v)}" for k, v in entry["concepts"].items())
        title = f"input {entry['input_id']} (label {entry['reference']}): {entry['output']}"
        axes.set_title(f"{title}\n{values}", fontsize=7)
    figure.suptitle("Worst failing examples")
    return figure


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}"
    return value if isinstance(value, (int, str)) else str(value)[:40]
