"""YAML anchors in an ``ffade fit`` config (ffade.yaml_anchors): where they go, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.helpers import ffade_in_process, write_config

ANCHORED = """\
{head}seed_everything: 0
model:
  class_path: ffade.explore.RandomExplorer
  init_args:
    task:
      target: {{name: synthetic}}
      dataset: {{name: synthetic, args: {{num_inputs: 16}}}}
      reward: {{name: margin}}
      concepts:
        - {first}
        - {{name: axis, args: {{<<: *a0, index: 1}}}}
        - {{name: axis, args: {{<<: *a0, label: axis0_again}}}}
    budget: 24
trainer: {trainer}
"""


def _config(tmp_path: Path, spare_key: bool) -> Path:
    trainer = yaml.safe_load(write_config(tmp_path / "base.yaml").read_text())["trainer"]
    concept = "{name: axis, args: &a0 {index: 0}}"
    head = f"_defs:\n  ax0: &ax0 {concept}\n" if spare_key else ""
    first = "*ax0" if spare_key else f"&ax0 {concept}"
    path = tmp_path / "anchored.yaml"
    text = ANCHORED.format(head=head, first=first, trainer=json.dumps(trainer))
    path.write_text(text)
    return path


def test_anchors_defined_at_first_use_run_with_their_values(tmp_path: Path) -> None:
    config = _config(tmp_path, spare_key=False)
    printed = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    concepts = yaml.safe_load(printed.stdout)["model"]["init_args"]["task"]["concepts"]
    assert [c["args"]["index"] for c in concepts] == [0, 1, 0]


def test_a_spare_key_holding_only_anchors_is_refused_saying_where_anchors_go(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, spare_key=True)
    result = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        f"ffade: error: --config {config}: unknown key '_defs' (it holds the YAML anchor &ax0)"
    )
    assert "where its value is first used (KEY: &ax0 VALUE) and write *ax0" in result.stderr


def test_a_misspelt_key_without_anchors_keeps_its_did_you_mean(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml")
    config.write_text(config.read_text() + "seed_everythin: 1\n")
    result = ffade_in_process("fit", "--config", str(config), "--print_config", cwd=tmp_path)
    assert result.returncode == 2
    assert "(did you mean 'seed_everything'?)" in result.stderr and "anchor" not in result.stderr
