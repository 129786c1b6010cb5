"""A Ctrl-C or SIGTERM while a fine-tune writes its verdict waits for the verdict, then acts
(docs/mitigation.md): ``ffade.mitigate`` stops the script as it does for one just after it.
Before, it was dropped: the call returned and the script (or ``ffade loop``) went on."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

import ffade
from ffade.mitigate.classifier import ClassifierFineTuner
from tests.mitigate.conftest import SMALL


class CtrlCAsItJudges(ClassifierFineTuner):
    """Signalled as its verdict is being made (inside the block that writes it)."""

    signum = signal.SIGINT

    def decide(self):
        os.kill(os.getpid(), self.signum)
        signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary to take it on
        return super().decide()


class SigtermAsItJudges(CtrlCAsItJudges):
    signum = signal.SIGTERM


@pytest.mark.parametrize(
    ("finetuner", "raised"),
    [(CtrlCAsItJudges, KeyboardInterrupt), (SigtermAsItJudges, SystemExit)],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_while_the_verdict_is_written_stops_the_call_once_it_is(
    digits_run: Path, tmp_path: Path, finetuner: type, raised: type, capsys
) -> None:
    with pytest.raises(raised) as stopped:
        ffade.mitigate(digits_run, finetuner=finetuner, max_epochs=1, save_dir=tmp_path, **SMALL)
    if raised is SystemExit:
        assert stopped.value.code == 1  # README: SIGTERM ends the script with status 1
    run = tmp_path / "mitigate" / "version_0"
    verdict = json.loads((run / "mitigation.json").read_text())["status"]
    assert json.loads((run / "summary.json").read_text())["status"] == verdict
    assert f"ffade: stopped after the run had ended; its results are complete in {run} " in (
        capsys.readouterr().err
    )
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the caller's, back
