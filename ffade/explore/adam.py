"""The DQN's optimizer: torch's Adam, without a GPU probe at every step of a CPU network.

Before each step torch's optimizers check that a CUDA (or XPU) graph being captured may capture
them, and to know whether one is being captured they first ask whether CUDA is available.
Lightning's import sets ``PYTORCH_NVML_BASED_CUDA_CHECK=1``, and then, on a machine without a
GPU, torch answers by loading ``libnvidia-ml`` through ctypes at every ask (a failed dlopen and a
new class each time: the answer is cached only once CUDA has started, which never happens there).
A DQN on the CPU makes two small updates a step, and that ask was a fifth of each one's CPU time
on the digits benchmark. A graph capture records GPU work only, so a network whose parameters
are all on the CPU has nothing to check; a network on any other device is checked as before, and
how torch looks for a GPU is left alone.
"""

from __future__ import annotations

import torch
from typing_extensions import override


class Adam(torch.optim.Adam):
    """:class:`torch.optim.Adam`, the same arithmetic and state; see the module docstring."""

    @override
    def _accelerator_graph_capture_health_check(self) -> None:
        if all(p.device.type == "cpu" for group in self.param_groups for p in group["params"]):
            return
        super()._accelerator_graph_capture_health_check()
