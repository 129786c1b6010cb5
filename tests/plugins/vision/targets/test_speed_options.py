"""Image targets' speed options: the same failures as float32, or within bf16's rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from ffade_vision.targets import DigitsCNNTarget, TorchvisionClassifier

from ffade import registry
from ffade.errors import PluginError
from ffade.evaluator import Evaluator
from ffade.task import build_task
from tests.helpers import ffade_in_process

CONCEPTS = [
    {"name": "rotation", "args": {"values": [-20, -10, 0, 10, 20]}},
    {"name": "gaussian_blur", "args": {"values": [0.0, 1.0, 2.0]}},
]


def evaluate(target_args: dict) -> tuple[np.ndarray, torch.Tensor]:
    """Failed flags and logits of 200 seeded (digit, state) pairs with the bundled digits CNN."""
    task = build_task(
        {
            "target": {"name": "digits_cnn", "args": target_args},
            "dataset": {"name": "digits", "args": {"seed": 0}},
            "reward": {"name": "misclassification"},
            "concepts": CONCEPTS,
            "max_inputs": 40,
        }
    )
    evaluator = Evaluator(task, batch_size=64)
    rng = np.random.default_rng(0)
    ids, states = rng.integers(0, 40, 200), rng.integers(0, (5, 3), (200, 2))
    outcome = evaluator.evaluate(ids, states)
    logits = task.target.predict(evaluator.changes.inputs(ids, states))
    return outcome.failed, logits


@pytest.fixture(scope="module")
def float32() -> tuple[np.ndarray, torch.Tensor]:
    return evaluate({})


def test_channels_last_finds_the_same_failures(float32) -> None:
    failed, logits = evaluate({"channels_last": True})
    assert float32[0].any() and not float32[0].all()  # a grid with both outcomes
    np.testing.assert_array_equal(failed, float32[0])
    torch.testing.assert_close(logits, float32[1], atol=1e-4, rtol=1e-4)


def test_bf16_differs_only_where_float32_nearly_ties(float32) -> None:
    failed, logits = evaluate({"precision": "bf16"})
    top2 = float32[1].topk(2, dim=-1).values
    close_call = (top2[:, 0] - top2[:, 1] < 0.25).numpy()
    np.testing.assert_array_equal(failed[~close_call], float32[0][~close_call])
    torch.testing.assert_close(logits, float32[1], atol=0.25, rtol=0.05)


def test_one_cpu_thread_finds_the_same_failures(float32) -> None:
    failed, logits = evaluate({"cpu_threads": 1})
    np.testing.assert_array_equal(failed, float32[0])
    torch.testing.assert_close(logits, float32[1], atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_compile_finds_the_same_failures(float32, compile_cache: Path) -> None:
    failed, logits = evaluate({"compile": True})
    np.testing.assert_array_equal(failed, float32[0])
    torch.testing.assert_close(logits, float32[1], atol=1e-4, rtol=1e-4)


def test_torchvision_classifier_takes_the_options() -> None:
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    plain = TorchvisionClassifier("resnet18", num_classes=3, image_size=32)
    torch.manual_seed(0)
    fast = TorchvisionClassifier(
        "resnet18", num_classes=3, image_size=32, precision="bf16", channels_last=True
    )
    assert fast.model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast.predict(images), plain.predict(images), atol=0.1, rtol=0.1)
    assert fast.features(images).shape == plain.features(images).shape == (2, 512)


def test_bad_option_from_a_config_is_one_line() -> None:
    with pytest.raises(PluginError, match="precision 'half' is not allowed; choose 32 or bf16"):
        registry.create("target", "digits_cnn", {"precision": "half"})
    with pytest.raises(PluginError) as error:
        DigitsCNNTarget(channels_last="no")
    assert "\n" not in str(error.value)
    with pytest.raises(
        PluginError, match="'digits_cnn': cpu_threads must be a whole number from 1"
    ):
        registry.create("target", "digits_cnn", {"cpu_threads": 0})


def test_a_fractional_cpu_threads_is_one_line_saying_a_whole_number(tmp_path: Path) -> None:
    """The README's ``cpu_threads`` is "a whole number from 1"; 1.5 was refused as "must be at
    least 1", which 1.5 is."""
    result = ffade_in_process(
        "fit",
        "--config",
        "configs/quickstart.yaml",
        "--model.init_args.task.target",
        "{name: digits_cnn, args: {cpu_threads: 1.5}}",
        "--trainer.logger.init_args.save_dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ffade: error: target 'digits_cnn': model.init_args.task.target.args.cpu_threads must be "
        "a whole number from 1 (or null for torch's default), got 1.5"
    ]
    assert not (tmp_path / "runs").exists()
