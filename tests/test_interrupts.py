"""SIGTERM as Ctrl-C for ffade's own commands (``ffade check`` stopped so: tests/gate)."""

from __future__ import annotations

import os
import signal

from ffade.interrupts import sigterm_as_ctrl_c


def test_sigterm_raises_keyboard_interrupt_once_then_the_default_is_back() -> None:
    """Python may swallow a KeyboardInterrupt raised in a finalizer: a second SIGTERM must end
    the process as it always did; after the block, the handler it found is back."""

    def outside(signum: int, frame: object) -> None:
        raise AssertionError("SIGTERM reached the handler from before the block")

    before = signal.signal(signal.SIGTERM, outside)
    try:
        with sigterm_as_ctrl_c():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary to run it on
                raised = False
            except KeyboardInterrupt:
                raised = True
            assert raised and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is outside
    finally:
        signal.signal(signal.SIGTERM, before)
