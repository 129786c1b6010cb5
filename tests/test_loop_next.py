"""The lines that close a loop whose fix the guard rejected (:mod:`ffade.loop_next`).

A loop on the digits with a held-out split of 90 inputs (one is 1.11 points, past the default
tolerance of one) ended with only the learning-rate / clean_share advice, where ``ffade fit`` on
the same fine-tune says that one input is past the tolerance: loop.json kept no held-out count.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ffade.cli import main
from ffade.loop_config import LoopConfig
from ffade.loop_next import rejected_next
from tests.helpers import REPO
from tests.test_guard_grain import rejected_record
from tests.test_loop import small_loop_config


def test_a_fix_rejected_on_few_held_out_inputs_says_one_is_past_the_tolerance() -> None:
    """The note of ``ffade fit``'s ending, with the mitigate config's key for the tolerance, its
    file quoted as a shell word; docs/mitigation.md quotes it for the shipped digits loop."""
    config = LoopConfig(Path("fix.yaml"), Path("prio.yaml"), Path("my fix.yaml"))
    record = {"status": "rejected", "mitigation": rejected_record(53, 1)}
    note, line = rejected_next(record, config, "loop.yaml").splitlines()
    assert note == (
        "note: one of the 53 held-out inputs is 1.89 points of clean accuracy, more than the "
        "tolerance of 1.00, so a fix that loses a single input's answer is rejected; "
        "model.init_args.clean_tolerance: 0.02 in 'my fix.yaml' allows one, or give the heldout "
        "split more inputs"
    )
    assert line.startswith("next: the original model is kept; to lose less clean accuracy")
    config.mitigate = Path("configs/mitigate_digits.yaml")
    shipped = rejected_next(record, config, "loop.yaml").splitlines()[0]
    doc = " ".join((REPO / "docs" / "mitigation.md").read_text().split())
    quoted = doc.split("naming the key in its mitigate config", 1)[1].split("`")[1]
    assert quoted in shipped, quoted


@pytest.mark.parametrize("inputs", [400, None], ids=["one-input-within", "no-count"])
def test_no_note_where_one_input_is_within_the_tolerance_or_uncounted(inputs: int | None) -> None:
    mitigation = rejected_record(400, 8)
    mitigation["guard"] = {} if inputs is None else {"inputs": inputs}
    config = LoopConfig(Path("fix.yaml"), Path("prio.yaml"), Path("fix.yaml"))
    lines = rejected_next({"status": "rejected", "mitigation": mitigation}, config, "loop.yaml")
    assert lines.startswith("next: ") and "\n" not in lines


@pytest.mark.slow  # discovery and a fine-tune, about 15 s of CPU
def test_a_loop_on_few_held_out_inputs_keeps_the_count_its_note_needs(
    tmp_path: Path, capsys
) -> None:
    """The digits loop with 5% held out (90 inputs) and a learning rate that ruins the model:
    loop.json keeps the guard's input count, which the closing note needs; the note is said only
    where one input is all the fix lost (this collapse lost more: no note, as ``ffade fit`` says
    none), and with the same record losing one input, the loop's lines say it before next:."""
    loop = small_loop_config(tmp_path)
    stages = yaml.safe_load(loop.read_text())
    discover = yaml.safe_load(Path(stages["discover"]).read_text())
    discover["model"]["init_args"]["budget"] = 96
    discover["model"]["init_args"]["task"]["max_inputs"] = 16
    discover["model"]["init_args"]["task"]["dataset"]["args"]["fractions"] = [0.4, 0.55, 0.05]
    Path(stages["discover"]).write_text(yaml.safe_dump(discover))
    mitigate = yaml.safe_load(Path(stages["mitigate"]).read_text())
    mitigate["model"]["init_args"].update(learning_rate=1.0, clean_tolerance=0.01)
    Path(stages["mitigate"]).write_text(yaml.safe_dump(mitigate))
    assert main(["loop", "--config", str(loop)]) == 1
    lines = capsys.readouterr().out.splitlines()
    record = json.loads((tmp_path / "loops" / "version_0" / "loop.json").read_text())
    assert record["status"] == "rejected"
    assert record["mitigation"]["guard"] == {"inputs": 90}
    lost = -record["mitigation"]["clean_accuracy_change"]
    noted = lines[-2].startswith("note: one of the 90 held-out inputs is 1.11 points")
    assert noted == (0.01 < lost <= 1 / 90 + 1e-9), (lost, lines[-3:])
    assert lines[-1].startswith("next: the original model is kept; to lose less clean accuracy")
    one = {**record, "mitigation": {**record["mitigation"], "clean_accuracy_change": -1 / 90}}
    config = LoopConfig(
        Path(stages["discover"]), Path(stages["feedback"]), Path(stages["mitigate"])
    )
    note = rejected_next(one, config, str(loop)).splitlines()[0]
    assert note.startswith("note: one of the 90 held-out inputs is 1.11 points"), note
    assert f"model.init_args.clean_tolerance: 0.02 in {stages['mitigate']} allows one" in note
