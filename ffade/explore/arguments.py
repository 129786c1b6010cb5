"""Explorer arguments checked when the explorer is built, before any run directory exists.

A value out of range would otherwise run and quietly mean nothing (``gamma: 1.5``, a negative
step penalty that pays long episodes, ``epsilon: 2``) or end in a traceback from deep inside
torch (``learning_rate: -1``, ``buffer_size: 0``). Each is refused in one line that names the key
as a config spells it and what is allowed.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ffade.errors import FfadeError, require_above, require_at_least, require_within
from ffade.task import TASK_MODES

DEFAULT_LEARNING_STARTS = 64
"""Without ``learning_starts``: 64 transitions, or half the budget when that is fewer."""


def check_explorer_arguments(args: Mapping[str, Any]) -> None:
    """The arguments every explorer shares (:class:`~ffade.explore.base.Explorer`)."""
    require_at_least(1, whole=True, budget=args["budget"], num_envs=args["num_envs"])
    require_at_least(
        1, whole=True, max_steps=args["max_steps"], max_idle_steps=args["max_idle_steps"]
    )
    require_at_least(0, step_penalty=args["step_penalty"], novelty_bonus=args["novelty_bonus"])
    require_within(0, 1, coverage_probes=args["coverage_probes"])
    if args["reward_clip"] is not None:
        require_above(0, reward_clip=args["reward_clip"])


class ModeError(FfadeError):
    """A task's mode the explorer does not search, or a start state beside a macroscopic task.

    Its line names the mode and the explorers as a config sets them (``task.mode``,
    ``ffade.explore.DQNExplorer``); ``keyword_line`` says the same as :func:`ffade.discover`'s
    caller typed it, ``mode='microscopic'`` and ``explorer='dqn'``, which the call says instead
    when ``mode=`` set the mode, and ``task_line`` when ``task=`` did: its mode stays
    ``task.mode``, but the caller names explorers ``explorer='dqn'``, not by class path.
    """

    def __init__(self, line: str, keyword_line: str, task_line: str | None = None) -> None:
        super().__init__(line)
        self.keyword_line = keyword_line
        self.task_line = line if task_line is None else task_line


def checked_mode(explorer: Any, task: Any, start_state: Any) -> str:
    """The task's ``mode``, refused in one line when the explorer does not search it, and
    ``start_state`` (where microscopic episodes start) refused beside a macroscopic one."""
    mode = task.get("mode", "macroscopic") if isinstance(task, dict) else task.mode
    cls, supported = type(explorer).__name__, explorer.supported_modes
    if mode not in TASK_MODES:  # null too: not "search None tasks with another explorer"
        shown = "null" if mode is None else repr(mode)
        raise FfadeError(
            f"model.init_args.task.mode: {shown} is not allowed; "
            f"choose one of {', '.join(TASK_MODES)}"
        )
    if mode not in supported:
        said = f"{cls}: the {explorer.name} explorer supports"
        as_keyword = " or ".join(f"mode={supported_mode!r}" for supported_mode in supported)
        line = (
            f"{said} task.mode {' or '.join(supported)}, not '{mode}'; set task.mode: "
            f"{supported[0]}, or search {mode} tasks with another explorer "
        )
        by_keyword = "(explorer='dqn' and explorer='random' search both)"
        raise ModeError(
            line + "(ffade.explore.DQNExplorer and RandomExplorer search both)",
            f"{said} {as_keyword}, not mode={mode!r}; pass mode={supported[0]!r}, or search "
            f"{mode} tasks with another explorer {by_keyword}",
            line + by_keyword,
        )
    if start_state is not None and mode != "microscopic":
        # a macroscopic step jumps anywhere: a start state would be ignored
        start = "model.init_args.start_state is where microscopic episodes start; "
        if "microscopic" not in supported:
            remove = f"{cls} searches macroscopic tasks only: remove it"
            raise ModeError(start + remove, start + remove)
        raise ModeError(
            f"{start}set task.mode: microscopic to use it, or remove it (task.mode is {mode})",
            f"{start}pass mode='microscopic' to use it, or remove it (mode={mode!r})",
        )
    return mode


def check_dqn_arguments(args: Mapping[str, Any]) -> None:
    """The DQN's own arguments (:class:`~ffade.explore.dqn.DQNExplorer`)."""
    # null: one line, first
    require_at_least(0, whole=True, learning_starts=args["learning_starts"])
    require_within(0, 1, start_e=args["start_e"], end_e=args["end_e"])
    if args["learning_starts"] >= args["budget"]:
        # a config's own value refused a smaller --model.init_args.budget: say what to type
        default = min(DEFAULT_LEARNING_STARTS, args["budget"] // 2)
        raise FfadeError(
            f"model.init_args.learning_starts ({args['learning_starts']}) must be below the "
            f"budget ({args['budget']}), or the agent never makes a gradient update; give "
            f"--model.init_args.learning_starts null for the default ({default} here: "
            f"{DEFAULT_LEARNING_STARTS}, or half the budget when that is fewer), or a number "
            f"below {args['budget']}"
        )
    start_e, end_e = args["start_e"], args["end_e"]
    if not 0 <= end_e <= start_e <= 1:
        raise FfadeError(
            "model.init_args.start_e and end_e must satisfy 0 <= end_e <= start_e <= 1 (epsilon "
            f"decays from start_e to end_e), got start_e={start_e}, end_e={end_e}"
        )
    sizes = ("buffer_size", "batch_size", "num_candidates", "hidden_dim", "embedding_dim")
    require_at_least(1, whole=True, **{key: args[key] for key in sizes})
    require_at_least(
        1,
        whole=True,
        target_network_frequency=args["target_network_frequency"],
        train_frequency=args["train_frequency"],
    )
    require_at_least(0, whole=True, gradient_steps=args["gradient_steps"])  # 0: acts, never learns
    require_at_least(0, exploration_bonus=args["exploration_bonus"])
    require_above(0, learning_rate=args["learning_rate"], tau=args["tau"])
    require_within(0, 1, gamma=args["gamma"], tau=args["tau"])
    require_within(0, 1, exploration_fraction=args["exploration_fraction"])


MAX_UNCHECKED_ENVS = 2**16
"""A ``num_envs`` up to this is never refused for its grid: a grid sweep may take a small grid
in one step of 1,024 (benchmarks/discovery.py's ground truth), and defaults are at most 256."""


def check_num_envs(num_envs: int, num_inputs: int, num_states: int) -> None:
    """Refuse a step of more episodes than the grid has (input, state) pairs, past
    ``MAX_UNCHECKED_ENVS``: the step is never filled, yet each episode holds its arrays (about
    400 bytes each), so a typed 10^8 filled the memory for minutes before evaluating anything."""
    pairs = num_inputs * num_states
    if num_envs > max(pairs, MAX_UNCHECKED_ENVS):
        raise FfadeError(
            f"model.init_args.num_envs must be at most {MAX_UNCHECKED_ENVS:,} or the "
            f"{pairs:,} (input, state) pairs of this task's grid ({num_inputs:,} inputs x "
            f"{num_states:,} states), whichever is more, got {num_envs}"
        )


def untrained_search_note(payable: int, num_envs: int, learning_starts: int) -> str | None:
    """A note when the steps taken before the DQN's first gradient update spend the whole
    budget, so that no choice is a learned one: a run that reads as a DQN search but is not.

    A macroscopic step of ``num_envs`` pairs adds that many transitions; the first update comes
    once ``learning_starts`` are stored, so its first informed step is the one after. Where
    the budget stores that many, updates follow the last step and the progress bar counts them
    (``updates=2``): the note says they came too late, not that there were none."""
    untrained = max(-(-learning_starts // num_envs), 1) * num_envs
    if payable > untrained:
        return None
    late = (
        "the updates the progress bar counts come after its last choice"
        if payable >= learning_starts
        else "it stores too few transitions for any update"
    )
    return (
        f"num_envs {num_envs} spends {'all ' if payable > 1 else ''}{payable} "
        f"{'evaluations' if payable > 1 else 'evaluation'} before the DQN's first gradient "
        f"update (after learning_starts {learning_starts} transitions): none of its choices is "
        f"learned ({late}); a smaller num_envs or a larger budget lets it learn"
    )


ONLY_IN_MODE = {
    "macroscopic": ("num_candidates", "exploration_bonus"),  # they shape a step's plan
    "microscopic": ("max_steps", "step_penalty", "gamma"),  # they shape episodes of many steps
}
"""Explorer options that only one ``task.mode`` uses."""
_WHERE = {
    "microscopic": "where each step moves one concept",
    "macroscopic": "where each episode is one step",
}


def mode_notes(explorer: Any) -> list[str]:
    """Options of the other ``task.mode`` a user set (to other than their defaults: a default
    says nothing), named in a note instead of being ignored in silence."""
    h, mode = explorer.hparams, explorer.mode
    other = "microscopic" if mode == "macroscopic" else "macroscopic"
    if other in explorer.supported_modes:
        said = f"task.mode is {mode}, {_WHERE[mode]}, so it has no effect here"
    else:  # the grid's and the bandit's: no task.mode makes it count
        cls = type(explorer).__name__
        said = f"{cls} searches {mode} tasks only, {_WHERE[mode]}: it has no effect; remove it"
    return [
        f"model.init_args.{key} ({h[key]}) shapes {other} steps only; {said}"
        for key in ONLY_IN_MODE[other]
        if key in h and h[key] != default_of(type(explorer), key)
    ]


def start_notes(explorer: Any) -> list[str]:
    """Every explorer's notes as its search starts: options its mode ignores. (A grid of any size
    is reported: a landscape holds the states a run visited, not the grid.)"""
    return mode_notes(explorer)


def dqn_notes(explorer: Any) -> list[str]:
    """A macroscopic DQN search no choice of which is learned (:func:`untrained_search_note`;
    a microscopic step's transitions outrun its evaluations)."""
    if explorer.mode != "macroscopic":
        return []
    h = explorer.hparams
    note = untrained_search_note(explorer.payable, explorer.num_envs, h.learning_starts)
    return [note] if note else []


def default_of(cls: type, key: str) -> Any:
    """The default of argument ``key`` in the first ``__init__`` along ``cls``'s MRO naming it
    (a subclass may change a default)."""
    for klass in cls.__mro__:
        parameter = inspect.signature(klass.__init__).parameters.get(key)
        if parameter is not None:
            return parameter.default
    return None


def check_epsilon(epsilon: float) -> None:
    """The epsilon-greedy bandit's probability of a random state."""
    require_within(0, 1, epsilon=epsilon)
