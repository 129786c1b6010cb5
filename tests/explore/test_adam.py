"""The DQN's Adam: torch's arithmetic, without asking for a GPU at every step of a CPU network."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch import Callback

from ffade.explore import DQNExplorer
from ffade.explore.adam import Adam
from ffade.explore.run import discover
from tests.helpers import synthetic_spec


def _parameters(device: str = "cpu") -> list[torch.nn.Parameter]:
    generator = torch.Generator().manual_seed(0)
    shapes = [(8, 5), (8,), (3, 8)]
    return [
        torch.nn.Parameter(torch.randn(shape, generator=generator).to(device)) for shape in shapes
    ]


@pytest.fixture
def accelerator_asks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each time torch's graph-capture check asks which accelerator is available (the ask that
    loads libnvidia-ml on a machine without a GPU once Lightning is imported)."""
    asks: list[bool] = []
    ask = torch.accelerator.current_accelerator

    def counted(*args, **kwargs):
        asks.append(True)
        return ask(*args, **kwargs)

    monkeypatch.setattr(torch.accelerator, "current_accelerator", counted)
    return asks


@pytest.mark.parametrize("fused", [True, False])
def test_steps_are_torchs_bit_for_bit(fused: bool) -> None:
    ours, torchs = _parameters(), _parameters()
    optimizers = Adam(ours, lr=3e-3, fused=fused), torch.optim.Adam(torchs, lr=3e-3, fused=fused)
    generator = torch.Generator().manual_seed(1)
    for _ in range(5):
        for a, b in zip(ours, torchs, strict=True):
            a.grad = torch.randn(a.shape, generator=generator)
            b.grad = a.grad.clone()
        for optimizer in optimizers:
            optimizer.step()
    for a, b in zip(ours, torchs, strict=True):
        assert torch.equal(a, b)
    assert str(optimizers[0].state_dict()) == str(optimizers[1].state_dict())


def test_a_cpu_step_does_not_ask_for_an_accelerator(accelerator_asks: list[bool]) -> None:
    parameters = _parameters()
    for parameter in parameters:
        parameter.grad = torch.ones_like(parameter)
    torch.optim.Adam(parameters, fused=True).step()
    assert accelerator_asks  # torch's own asks: what the next lines must not
    accelerator_asks.clear()
    Adam(parameters, fused=True).step()
    assert accelerator_asks == []


def test_parameters_elsewhere_are_checked_as_before(accelerator_asks: list[bool]) -> None:
    """A network on a GPU (here the meta device, which every machine has) may be in a graph
    capture: torch's check runs."""
    Adam(_parameters("meta"))._accelerator_graph_capture_health_check()
    assert accelerator_asks


def test_the_dqn_learns_with_it(tmp_path: Path) -> None:
    seen: list[torch.optim.Optimizer] = []

    class Optimizers(Callback):
        def on_train_end(self, trainer, module) -> None:
            seen.extend(optimizer.optimizer for optimizer in [module.optimizers()])

    explorer = DQNExplorer(task=synthetic_spec(), budget=96, num_envs=16, learning_starts=32)
    discover(explorer, tmp_path, seed=0, callbacks=[Optimizers()])
    assert explorer.gradient_updates > 0
    assert [type(optimizer) for optimizer in seen] == [Adam]
