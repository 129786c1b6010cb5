"""``eval_batch_size: auto``: a size is probed, recorded, and changes nothing else of the run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ffade import auto_batch
from ffade.auto_batch import FIRST_SIZE, BatchSizeProbe, check_eval_batch_size, probe_batch_size
from ffade.cli import main
from ffade.errors import FfadeError
from ffade.evaluator import Evaluator
from ffade.explore import DQNExplorer, RandomExplorer
from ffade.explore.run import discover
from ffade.task import build_task
from tests.helpers import synthetic_spec, write_config


def run(tmp_path: Path, name: str, eval_batch_size: int | str) -> tuple[dict, list[dict]]:
    explorer = RandomExplorer(
        task=synthetic_spec(), budget=96, num_envs=16, eval_batch_size=eval_batch_size
    )
    discover(explorer, tmp_path, name=name, seed=2)
    run_dir = next((tmp_path / name).iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    log = [json.loads(line) for line in (run_dir / "evaluations.jsonl").read_text().splitlines()]
    return summary, [{k: v for k, v in r.items() if k != "time"} for r in log]


def test_auto_picks_a_probed_size_and_the_run_is_the_same(tmp_path: Path) -> None:
    summary, log = run(tmp_path, "auto", "auto")
    probe = summary["eval_batch_size_probe"]
    chosen = summary["eval_batch_size"]
    rates = {int(size): rate for size, rate in probe["inputs_per_second"].items()}
    assert chosen == probe["batch_size"] == max(rates, key=rates.get)
    assert min(rates) == FIRST_SIZE and all(rate > 0 for rate in rates.values())
    assert probe["stopped"]
    assert summary["evaluations"] == 96 and summary["hyperparameters"]["eval_batch_size"] == "auto"
    by_hand, by_hand_log = run(tmp_path, "by_hand", chosen)
    assert "eval_batch_size_probe" not in by_hand and by_hand["eval_batch_size"] == chosen
    assert log == by_hand_log  # the probes are off the record and draw no run randomness


def test_out_of_memory_ends_the_probe_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=1)
    predict = evaluator.task.target.predict

    def small_batches_only(inputs):
        if len(inputs["coords"]) > 32:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return predict(inputs)

    monkeypatch.setattr(evaluator.task.target, "predict", small_batches_only)
    probe = probe_batch_size(evaluator, seed=0)
    assert max(probe.inputs_per_second) <= 32 and probe.batch_size <= 32
    assert probe.stopped == "a batch of 64 ran out of memory" or "faster" in probe.stopped
    assert evaluator.evaluations == 0 and not evaluator.memo  # off the record


def test_no_size_fits_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluator = Evaluator(build_task(synthetic_spec()), batch_size=1)

    def never(inputs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(evaluator.task.target, "predict", never)
    with pytest.raises(FfadeError, match="auto found no batch size that fits") as error:
        probe_batch_size(evaluator, seed=0)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("value", ["big", "Auto", 0, -4, 2.5, True, None])
def test_bad_values_are_one_line_errors(value) -> None:
    message = "eval_batch_size must be a positive integer or 'auto', got"
    with pytest.raises(FfadeError, match=message) as error:
        check_eval_batch_size(value)
    assert "\n" not in str(error.value)
    with pytest.raises(FfadeError, match=message):
        DQNExplorer(task=synthetic_spec(), budget=200, eval_batch_size=value)


def test_null_is_said_as_a_config_spells_it() -> None:
    """``eval_batch_size: null`` in a config: "got null", not Python's "got None", with what to
    do instead, as every other argument's null is said (it lacked that ending)."""
    with pytest.raises(FfadeError) as error:
        check_eval_batch_size(None)
    assert str(error.value).endswith(
        "got null (no value: give a number, or leave the key out for its default)"
    )


def test_a_fraction_typed_is_shown_bare_as_other_numbers_are() -> None:
    """``--model.init_args.eval_batch_size 2.5`` was shown as ``'2.5'``, in quotes, as if typed
    as text (the CLI hands this ``int | str`` argument the text "2.5")."""
    from tests.helpers import REPO, ffade_in_process

    config = str(REPO / "configs" / "synthetic.yaml")
    done = ffade_in_process("fit", "--config", config, "--model.init_args.eval_batch_size", "2.5")
    assert done.returncode == 2
    assert done.stderr == (
        "ffade: error: model.init_args.eval_batch_size must be a positive integer or 'auto', "
        "got 2.5\n"
    )


def test_good_values_pass() -> None:
    for value in ("auto", 1, 256, np.int64(8).item()):
        check_eval_batch_size(value)


def test_a_resumed_auto_run_cuts_the_batches_it_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe is timed, so a resumed run's own probe can choose another size; the resumed run
    used it, and a target that rounds batches of 8 and 64 differently went apart from the
    uninterrupted run. The probe's timing is the one thing replaced here: 8, then 64."""
    chosen = iter([8, 64])

    def timed(evaluator: Evaluator, seed: int) -> BatchSizeProbe:
        size = next(chosen)
        return BatchSizeProbe(size, {size: 100.0}, "timed")

    monkeypatch.setattr(auto_batch, "probe_batch_size", timed)
    config = write_config(tmp_path / "c.yaml", eval_batch_size="auto", learning_starts=8)
    assert main(["fit", "--config", str(config), "--trainer.max_steps", "4"]) == 0
    cut = tmp_path / "runs" / "test" / "version_0"
    resume = ["fit", "--config", str(cut / "config.yaml"), "--ckpt_path", str(cut)]
    assert main([*resume, "--trainer.max_steps", "-1"]) == 0
    assert next(chosen, None) is None  # the resumed run probed too
    summary = json.loads((tmp_path / "runs" / "test" / "version_1" / "summary.json").read_text())
    assert summary["evaluations"] == 200 and summary["eval_batch_size"] == 8
    assert summary["eval_batch_size_probe"] == {
        "batch_size": 8,
        "inputs_per_second": {"8": 100.0},
        "stopped": "timed",
    }
