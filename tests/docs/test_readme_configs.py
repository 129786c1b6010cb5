"""README's table of configs lists every file in configs/, and only files that are there."""

from __future__ import annotations

import re

from tests.helpers import REPO


def test_the_configs_table_lists_every_config_once() -> None:
    """bart, t5, sd14, the text quickstart and every feedback, mitigation and loop config were in
    configs/ but not in the table, so a reader of the README never learnt they could run them."""
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("| config | what it does |") :].split("\n\n", 1)[0]
    rows = [row for row in table.splitlines() if row.startswith("| `configs/")]
    named = [
        name for row in rows for name in re.findall(r"`(configs/[\w.]+)`", row.split(" | ")[0])
    ]
    files = sorted(f"configs/{path.name}" for path in (REPO / "configs").glob("*.yaml"))
    assert sorted(named) == files
    assert all(row.split(" | ")[1].strip(" |") for row in rows)  # each says what it does
