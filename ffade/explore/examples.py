"""The worst failing examples of a run, as pictures a person can look at.

Written by the explorer when discovery finishes, while its evaluator (the memo of scores, and the
changed inputs) is still alive; reports only read what lands in the run directory. The deepest
failures (highest reward, one per input first, so the grid shows many inputs rather than one
input many times) are rebuilt from their input and concept state, rendered by the target, and
saved as ``examples/*.png`` with ``examples/examples.json``, plus one grid image in TensorBoard.
Targets that are not images (``render`` returns None) save the texts ``describe_inputs`` gives
instead: in examples.json and as a table in TensorBoard's text tab. Targets with neither save
nothing.
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
    """Save the worst failures (pictures, else texts); returns how many were saved."""
    worst = worst_failures(evaluator, count)
    if not worst:
        return 0
    ids = np.array([w[0] for w in worst])
    states = np.stack([w[1] for w in worst])
    target = evaluator.task.target
    with torch.inference_mode():
        inputs = evaluator.changes.inputs(ids, states)
        images = target.render(inputs)
        texts = target.describe_inputs(inputs) if images is None else None
        if images is None and texts is None:
            return 0
        captions = target.describe_outputs(target.predict(inputs)) or [""] * len(worst)
    folder = run_dir / "examples"
    folder.mkdir(exist_ok=True)
    pictures = None if images is None else images.detach().float().cpu().permute(0, 2, 3, 1)
    entries = []
    for i, (input_id, state, metric, reward) in enumerate(worst):
        entry: dict[str, Any] = {
            "input_id": int(input_id),
            "reference": _short(evaluator.task.inputs[int(input_id)][1]),
            "concepts": evaluator.space.values(state),
            "changed": evaluator.space.changes(state),
            "metric": round(float(metric), 4),
            "reward": round(float(reward), 3),
            "output": captions[i],
        }
        if pictures is not None:
            entry = {"file": f"failure_{i:02d}.png", **entry}
            _save_png(pictures[i].numpy(), folder / entry["file"])
        else:
            entry["input"] = texts[i]
        entries.append(entry)
    (folder / "examples.json").write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")
    if pictures is not None:
        grid = _grid_figure(pictures.numpy(), entries)
        grid.savefig(folder / "worst_failures.png", dpi=100)
    if logger is not None and hasattr(logger, "experiment"):
        if pictures is not None:
            logger.experiment.add_figure("discovery/worst_failures", grid, global_step=0)
        else:
            logger.experiment.add_text("discovery/worst_failures", _text_table(entries), 0)
    return len(entries)


def _text_table(entries: list[dict[str, Any]]) -> str:
    """The examples as a Markdown table, which TensorBoard's text tab renders."""
    rows = ["| input | changes | output | reference |", "|---|---|---|---|"]
    for entry in entries:
        cells = [entry["input"], _changes(entry), entry["output"], str(entry["reference"])]
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in cells]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


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
        title = f"input {entry['input_id']} (label {entry['reference']}): {entry['output']}"
        axes.set_title(f"{title}\n{_changes(entry)}", fontsize=7)
    figure.suptitle("Worst failing examples")
    return figure


def _changes(entry: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in entry["changed"].items()) or "no change"


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}"
    return value if isinstance(value, (int, str)) else str(value)[:40]
