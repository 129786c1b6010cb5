"""The speed options of a target's forward pass (ffade.speed) on a tiny convolutional network."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from ffade.errors import PluginError
from ffade.speed import FastForward


def tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 5),
    ).eval()


@pytest.fixture
def images() -> torch.Tensor:
    return torch.rand(16, 3, 12, 12, generator=torch.Generator().manual_seed(1))


def test_channels_last_changes_the_layout_not_the_outputs(images) -> None:
    plain = tiny_cnn()(images)
    forward = FastForward(tiny_cnn(), torch.device("cpu"), channels_last=True)
    assert forward.model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert forward.inputs(images).is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(forward(images), plain, atol=1e-5, rtol=1e-5)


def test_bf16_runs_in_bfloat16_within_its_rounding(images) -> None:
    plain = tiny_cnn()(images)
    outputs = FastForward(tiny_cnn(), torch.device("cpu"), precision="bf16")(images)
    assert outputs.dtype == torch.bfloat16
    # bfloat16 keeps 8 significant bits: about 2-3 decimal digits
    torch.testing.assert_close(outputs.float(), plain, atol=2e-2, rtol=2e-2)
    assert not torch.equal(outputs.float(), plain)  # it did run in lower precision


def test_precision_32_given_as_a_number_is_float32(images) -> None:
    outputs = FastForward(tiny_cnn(), torch.device("cpu"), precision=32)(images)
    assert outputs.dtype == torch.float32


@pytest.mark.slow
def test_compiled_forward_gives_the_plain_outputs(images, compile_cache: Path) -> None:
    forward = FastForward(tiny_cnn(), torch.device("cpu"), compile=True)
    torch.testing.assert_close(forward(images), tiny_cnn()(images), atol=1e-5, rtol=1e-5)
    assert forward.compiled is not None
    assert any(compile_cache.iterdir())  # its kernels went to the test's folder


class CountsThreads(nn.Module):
    """Records torch's CPU thread count while its forward runs."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        self.seen.append(torch.get_num_threads())
        return batch.sum(-1)


@pytest.mark.parametrize("count", [1, 2])
def test_cpu_threads_hold_while_the_model_runs_and_are_restored(count) -> None:
    previous = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        model = CountsThreads()
        FastForward(model, torch.device("cpu"), cpu_threads=count)(torch.ones(2, 4))
        assert model.seen == [count]
        assert torch.get_num_threads() == 3
        FastForward(model, torch.device("cpu"))(torch.ones(2, 4))  # None: torch's own count
        assert model.seen == [count, 3]
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"cpu_threads": 0},
            r"cpu_threads must be a whole number from 1 \(or null for torch's default\)",
        ),
        ({"cpu_threads": 1.5}, "cpu_threads must be a whole number from 1 .*got 1.5"),
        ({"cpu_threads": True}, "cpu_threads must be a whole number from 1 .*got True"),
        ({"cpu_threads": "2"}, "cpu_threads must be a whole number from 1 .*got '2'"),
        ({"precision": "fp8"}, "precision 'fp8' is not allowed; choose 32 or bf16"),
        ({"precision": "16"}, "precision '16' is not allowed"),
        ({"channels_last": "yes"}, "channels_last must be true or false, got 'yes'"),
        ({"compile": 1}, "compile must be true or false, got 1"),
    ],
)
def test_bad_options_are_one_line_errors(arguments, message) -> None:
    with pytest.raises(PluginError, match=message) as error:
        FastForward(tiny_cnn(), torch.device("cpu"), target="tiny", **arguments)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("target 'tiny': ")
