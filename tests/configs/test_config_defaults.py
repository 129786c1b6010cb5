"""No shipped config sets a DQN argument to what its default works out to anyway: such a key
refuses the smaller budget a user tries first (``--model.init_args.budget 64`` on the
text-to-image quickstart met its ``learning_starts: 64``), where the default follows it."""

from __future__ import annotations

import pytest
import yaml

from ffade.explore.arguments import DEFAULT_LEARNING_STARTS
from tests.helpers import REPO

DQN_CONFIGS = sorted(
    path.name
    for path in (REPO / "configs").glob("*.yaml")
    if "DQNExplorer" in str((yaml.safe_load(path.read_text()) or {}).get("model", ""))
)


def test_the_dqn_configs_are_found() -> None:
    assert {"quickstart.yaml", "t2i_quickstart.yaml", "text_quickstart.yaml"} <= set(DQN_CONFIGS)


@pytest.mark.parametrize("name", DQN_CONFIGS)
def test_learning_starts_is_set_only_where_it_differs_from_its_default(name: str) -> None:
    args = yaml.safe_load((REPO / "configs" / name).read_text())["model"]["init_args"]
    if args.get("learning_starts") is None:
        return
    default = min(DEFAULT_LEARNING_STARTS, args["budget"] // 2)
    assert args["learning_starts"] != default, (
        f"configs/{name}: learning_starts {default} is its default at budget {args['budget']}; "
        "leave it out, so that a smaller --model.init_args.budget is not refused"
    )
