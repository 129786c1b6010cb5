"""How much of a rule's failure rate one concept value causes: the rule's states as they are, and
the same states with that concept at its neutral value, on every held-out input.

A fix that teaches the model to draw through a prompt word can at best bring the rule's states
down to the second figure; the rest fails for other reasons (the sampler settings the rule also
holds). With ``--lora`` the same is measured on the fixed model.

    python plugins/diffusion/scripts/word_effect.py configs/t2i_quickstart.yaml \\
        style=thin "guidance_scale=3.0|1.5" [--lora runs/loop_t2i/version_0/mitigate/lora] \\
        [--only-passing]

``--only-passing`` keeps the held-out inputs the model without the LoRA draws right unchanged:
the ones a fine-tuner's guard measures failure rates on for a run with ``only_passing_inputs``.

The first condition names the concept and value whose effect is measured; the others restrict
concepts to ``|``-separated values (concepts not named take every value of their grid); a
number may be written either way (``guidance_scale=3`` or ``3.0``). A
mistake (a config it cannot read or that is no YAML, an unknown concept or value) is one
``ffade: error:`` line, exit 2, as ffade's commands say theirs.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import numpy as np
import yaml

from ffade.errors import FfadeError, OneLineParser, shown_as_ffade_lines
from ffade.evaluator import Evaluator
from ffade.mitigate.guard import passing_inputs
from ffade.task import build_task, restrict_inputs
from ffade.yamlfile import yaml_problem


def grid_values(task: Any, condition: str) -> tuple[str, list[Any]]:
    """``label=a|b`` to the concept's label and its grid values named ``a`` and ``b``."""
    label, equals, names = condition.partition("=")
    if not equals:
        raise FfadeError(f"condition {condition!r} must be label=value or label=a|b")
    concept = next((c for c in task.space.concepts if c.label == label), None)
    if concept is None:
        raise FfadeError(f"unknown concept {label!r}; concepts: {task.space.labels}")
    by_name = {str(v): v for v in concept.values}
    chosen = [by_name.get(name, _same_number(name, concept.values)) for name in names.split("|")]
    unknown = [name for name, value in zip(names.split("|"), chosen, strict=True) if value is None]
    if unknown:
        raise FfadeError(f"concept {label!r}: {unknown[0]!r} is not one of {list(by_name)}")
    return label, chosen


def _same_number(name: str, values: list[Any]) -> Any:
    """The grid's number that ``name`` spells another way (``3`` for 3.0, ``10.0`` for 10), so a
    user need not guess whether the grid holds an int or a float; None when there is none."""
    try:
        number = float(name)
    except ValueError:
        return None
    numbers = (v for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    return next((v for v in numbers if v == number), None)


def failure_rate(evaluator: Evaluator, states: list[dict[str, Any]]) -> float:
    """Failed share of every (input, state) pair."""
    n, space = evaluator.num_inputs, evaluator.space
    flat = np.stack([space.index_of(values) for values in states])
    ids = np.repeat(np.arange(n), len(flat))
    return float(evaluator.evaluate(ids, np.tile(flat, (n, 1))).failed.mean())


def main() -> None:
    parser = OneLineParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("config")
    parser.add_argument("conditions", nargs="+", help="label=value, then label=a|b ...")
    parser.add_argument("--lora", help="a LoRA directory the fine-tuner wrote")
    parser.add_argument("--split", default="heldout")
    parser.add_argument("--only-passing", action="store_true", help="see the module docstring")
    args = parser.parse_args()
    try:
        with shown_as_ffade_lines():
            measure(args)
    except FfadeError as exc:  # a bare message, exit 1, where ffade's scripts say "ffade: error:"
        parser.error(str(exc))


def measure(args: argparse.Namespace) -> None:
    """Print the rule's failure rate as it is and with the first condition's concept neutral."""
    try:
        with open(args.config, encoding="utf-8") as f:
            spec = yaml.safe_load(f)["model"]["init_args"]["task"]
    except OSError as exc:
        raise FfadeError(f"cannot read {args.config}: {exc.strerror}") from None
    except yaml.YAMLError as exc:  # a traceback, as PyYAML raised it
        raise FfadeError(f"{args.config}: not valid YAML ({yaml_problem(exc)})") from None
    except UnicodeDecodeError:
        raise FfadeError(f"{args.config}: not valid YAML (not UTF-8 text)") from None
    except (KeyError, TypeError):
        raise FfadeError(
            f"{args.config} is not an explorer config (no model.init_args.task)"
        ) from None
    spec = {**spec, "split": args.split, "only_passing_inputs": False, "input_ids": None}
    original = spec
    if args.lora:
        target = spec["target"]
        spec = {
            **spec,
            "target": {**target, "args": {**target.get("args", {}), "lora_weights": args.lora}},
        }
    task = build_task(spec)
    if args.only_passing:
        passing = passing_inputs(build_task(original) if args.lora else task, 64)
        task = restrict_inputs(task, passing.tolist())
    chosen = dict(grid_values(task, c) for c in args.conditions)
    grids = {c.label: chosen.get(c.label, c.values) for c in task.space.concepts}
    combos = itertools.product(*grids.values())
    states = [dict(zip(grids, values, strict=True)) for values in combos]
    word = args.conditions[0].partition("=")[0]
    neutral = task.space.concepts[task.space.labels.index(word)].neutral
    evaluator = Evaluator(task, batch_size=64)
    as_is = failure_rate(evaluator, states)
    without = failure_rate(evaluator, [{**s, word: neutral} for s in states])
    pairs = evaluator.num_inputs * len(states)
    print(f"{len(states)} states x {evaluator.num_inputs} {args.split} inputs ({pairs} pairs)")
    print(f"failure rate as the rule: {as_is:.1%}; with {word} = {neutral!r}: {without:.1%}")


if __name__ == "__main__":
    main()
