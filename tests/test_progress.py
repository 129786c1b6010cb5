import fcntl
import io
import logging
import os
import struct
import sys
import termios
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
import torch
import tqdm.std
import yaml
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.loggers import TensorBoardLogger

from ffade.explore import RandomExplorer
from ffade.explore.run import discover
from ffade.log_bars import bar_for
from ffade.progress import BudgetProgressBar, quiet_lightning
from tests.helpers import ffade_in_process, search_stopped_at_step, synthetic_spec, write_config


class Fitter(LightningModule):
    """A module without an evaluator, as a fine-tuner is: it logs its loss to the bar."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        loss = (self.weight * batch).pow(2).mean()
        self.log("loss", loss, prog_bar=True)
        return loss

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(torch.ones(4, 1), batch_size=2)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_a_fine_tuners_bar_shows_its_metrics_without_the_logger_version(tmp_path: Path) -> None:
    bar = BudgetProgressBar()
    trainer = Trainer(
        max_epochs=1,
        callbacks=[bar],
        logger=TensorBoardLogger(tmp_path),
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    module = Fitter()
    trainer.fit(module)
    metrics = bar.get_metrics(trainer, module)
    assert "loss" in metrics
    assert "v_num" not in metrics


def test_a_search_draws_its_bar_once_a_step(tmp_path: Path, monkeypatch) -> None:
    """In a log file (no terminal) every render is a line: a step must not write two."""
    renders: list[int] = []
    refresh = tqdm.std.tqdm.refresh

    def counted(bar, *args, **kwargs):
        if bar.desc.startswith("evaluations") and 0 < bar.n < 64:
            renders.append(bar.n)
        return refresh(bar, *args, **kwargs)

    monkeypatch.setattr(tqdm.std.tqdm, "refresh", counted)
    discover(RandomExplorer(task=synthetic_spec(), budget=64, num_envs=16), tmp_path, progress=True)
    assert renders == [16, 32, 48]


def test_lightnings_own_ending_is_hidden_whatever_max_epochs_is() -> None:
    """ffade prints its own ending; a fine-tuner's max_epochs=10 printed Lightning's too."""
    quiet_lightning()
    lightning = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    for ending in ("`max_epochs=1` reached.", "`max_epochs=10` reached.", "`max_steps=5` reached."):
        record = lightning.makeRecord(
            lightning.name, logging.INFO, __file__, 1, f"`Trainer.fit` stopped: {ending}", (), None
        )
        assert not lightning.filter(record), ending


def test_lightnings_notes_of_ctrl_c_and_sigterm_are_hidden() -> None:
    """A stopped run ends on ffade's one interrupted line; Lightning's "Detected
    KeyboardInterrupt, attempting graceful shutdown ..." (after a blank line) or "[rank: 0]
    Received SIGTERM: 15" came before it."""
    quiet_lightning()
    for name, message in (
        ("lightning.pytorch.utilities.rank_zero", "\nDetected KeyboardInterrupt, attempting ..."),
        ("lightning.pytorch.trainer.connectors.signal_connector", "[rank: 0] Received SIGTERM: 15"),
    ):
        logger = logging.getLogger(name)
        record = logger.makeRecord(name, logging.INFO, __file__, 1, message, (), None)
        assert not logger.filter(record), message
    kept = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "Something else", (), None)
    assert logger.filter(kept)


def test_a_searchs_bar_counts_evaluations_from_its_first_render(tmp_path: Path) -> None:
    """``ffade fit ... > out.txt`` keeps every render: Lightning's 'Training: 0/?' and
    'Epoch 0: 0/?' came before the evaluations, and the closing lines start a line of their own."""
    result = ffade_in_process("fit", "--config", str(write_config(tmp_path / "c.yaml")))
    assert result.returncode == 0, result.stderr[-2000:]
    renders = [r for r in result.stderr.split("\r") if r.strip()]
    assert renders and all(r.startswith("evaluations:") for r in renders), renders[:3]
    assert result.stdout.startswith("run: ") and "\r" not in result.stdout


def test_a_searchs_bar_in_a_log_file_is_one_line(tmp_path: Path) -> None:
    """``ffade fit ... > out.txt`` (a SLURM or CI log): the bar draws nothing while it runs and one
    plain line when it ends; it left a redraw per step joined by carriage returns."""
    result = ffade_in_process("fit", "--config", str(write_config(tmp_path / "c.yaml")))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    bar = result.stderr.splitlines()
    assert len(bar) == 1 and bar[0].startswith("evaluations: 100%|##########|"), bar
    assert "failures=" in bar[0] and bar[0].isascii()  # tqdm's Unicode blocks were no plain line
    assert result.stdout.startswith("run: ")


def test_a_long_searchs_bar_in_a_log_file_prints_a_line_now_and_then(
    tmp_path: Path, monkeypatch
) -> None:
    """A search of 14 minutes in a CI log or a ``nohup`` file printed nothing until its closing
    line; now a line each tenth of the budget it passes, at most one a minute, a least time that
    ``TQDM_MININTERVAL`` (tqdm's own setting) changes: 0 here, so the lines follow the budget."""
    monkeypatch.setenv("TQDM_MININTERVAL", "0")
    result = ffade_in_process("fit", "--config", str(write_config(tmp_path / "c.yaml")))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "\r" not in result.stderr
    bar = result.stderr.splitlines()
    assert len(bar) >= 4 and all(line.startswith("evaluations: ") for line in bar), bar
    percents = [int(line.split(":")[1].split("%")[0]) for line in bar]
    assert percents == sorted(set(percents)) and percents[-1] == 100, bar
    assert all(10 <= p < 100 for p in percents[:-1]), bar


def test_a_bar_with_nothing_to_count_in_a_log_file_prints_nothing() -> None:
    """``ffade feedback --from`` with no picture to draw: a disabled bar (tqdm sets up none of
    its clock) crashed when it was made."""
    stream = Utf8Log()
    with bar_for(stream, total=0, desc="examples", disable=True) as bar:
        bar.update(0)
    assert stream.getvalue() == ""


def fit_two_epochs(tmp_path: Path) -> None:
    """Two epochs of the stand-in fine-tuner under ffade's bar, logged to ``tmp_path``."""
    trainer = Trainer(
        max_epochs=2,
        callbacks=[BudgetProgressBar()],
        logger=TensorBoardLogger(tmp_path),
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    trainer.fit(Fitter())


def test_a_fine_tuners_bars_in_a_log_file_are_one_line_an_epoch(tmp_path: Path, capsys) -> None:
    fit_two_epochs(tmp_path)
    out = capsys.readouterr().err  # on stderr, as ffade's own bars
    assert "\r" not in out
    epochs = [line for line in out.splitlines() if line.startswith("Epoch")]
    assert [line[:12] for line in epochs] == ["Epoch 0: 100", "Epoch 1: 100"], out
    assert out.isascii(), out


class Terminal(io.StringIO):
    """A stream that says it is a terminal: the bar redraws itself there, each render kept."""

    def isatty(self) -> bool:
        return True


def test_a_fine_tuners_bar_on_a_terminal_says_its_epoch_from_its_first_render(
    tmp_path: Path, monkeypatch
) -> None:
    """A fine-tune's bar first drew Lightning's 'Training: 0/?', standing while the fine-tuner set
    up, before Lightning renamed it 'Epoch 0'."""
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    fit_two_epochs(tmp_path)
    renders = [r.strip() for r in terminal.getvalue().replace("\n", "\r").split("\r")]
    renders = [r for r in renders if r]
    assert renders and all(r.startswith("Epoch ") for r in renders), renders[:3]
    assert renders[0].startswith("Epoch 0: ") and renders[-1].startswith("Epoch 1: 100%")


def test_a_searchs_bar_on_a_terminal_shows_its_budget_from_its_first_render(
    tmp_path: Path, monkeypatch
) -> None:
    """The t2i quickstart's bar first drew 'evaluations: 0/?' on a terminal, standing while the
    explorer evaluated its coverage probes, before the epoch's start gave it the budget."""
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    explorer = RandomExplorer(task=synthetic_spec(), budget=64, num_envs=16)
    discover(explorer, tmp_path, progress=True)
    monkeypatch.undo()
    renders = [r.strip() for r in terminal.getvalue().replace("\n", "\r").split("\r")]
    renders = [r for r in renders if r]
    assert renders[0].startswith("evaluations:   0%|") and "| 0/64 [" in renders[0], renders[:3]
    assert not [r for r in renders if "/?" in r], renders[:3]


class Utf8Log(io.StringIO):
    """A log file as ``> out.txt`` opens it under a UTF-8 locale, where tqdm draws Unicode
    blocks unless told otherwise (a StringIO names no encoding, so tqdm draws ASCII there)."""

    encoding = "utf-8"


def test_a_bar_on_a_stream_that_is_not_a_terminal_is_one_line_at_the_end() -> None:
    """The gate's pairs bar on stderr, with a line printed while it runs (tqdm.write)."""
    stream = Utf8Log()
    with bar_for(stream, total=100, desc="pairs", unit="pair") as bar:
        for _ in range(100):
            bar.update(1)
            if bar.n == 50:
                tqdm.std.tqdm.write("ffade: warning: halfway", file=stream)
    assert "\r" not in stream.getvalue()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "ffade: warning: halfway"
    assert lines[1].startswith("pairs: 100%|##########|") and "100/100" in lines[1]
    assert stream.getvalue().isascii()  # a CI log read in any encoding: no Unicode blocks
    assert len(lines) == 2


def test_a_resumed_searchs_bar_rates_only_its_own_evaluations(tmp_path: Path) -> None:
    """The bar of a resumed search starts at the evaluations it restored; counted as new, they
    showed a rate of thousands a second in its first render."""

    class ReadBar(Callback):
        def on_train_end(self, trainer, explorer) -> None:
            self.initial = trainer.progress_bar_callback.train_progress_bar.initial

    spec = synthetic_spec()
    first = search_stopped_at_step(tmp_path, spec)
    restored = first.evaluator.evaluations
    assert 0 < restored < 100
    bar = ReadBar()
    again = discover(
        RandomExplorer(task=spec, budget=100, num_envs=10),
        tmp_path,
        progress=True,
        checkpoints=True,
        callbacks=[bar],
        ckpt_path=first.recorder.run_dir,
    )
    assert again.evaluator.evaluations == 100 and bar.initial == restored


def test_a_notebooks_output_keeps_its_redrawn_bar() -> None:
    """A notebook's cell (ipykernel's stream, which says it is no terminal) redraws a line on a
    carriage return: the bar there still moves as it runs (the Python API promises so)."""
    OutStream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})
    stream = OutStream()
    with bar_for(stream, total=10, desc="evaluations", mininterval=0) as bar:
        for _ in range(10):
            bar.update(1)
    assert stream.getvalue().count("\r") > 2


@pytest.mark.slow
def test_a_run_works_with_warnings_as_errors(tmp_path: Path) -> None:
    """``python -W error`` (a strict CI, a pytest run with ``-W error``): LightningCLI's own use
    of APIs jsonargparse deprecated raised JsonargparseDeprecationWarning before any run began.
    Only Lightning's CLI's deprecations are ignored: the run itself warns nothing here."""
    import subprocess
    import sys

    code = (
        "import ffade\n"
        "from tests.helpers import synthetic_spec\n"
        "run = ffade.discover(task=synthetic_spec(), explorer='random', budget=8, "
        f"save_dir={str(tmp_path)!r})\n"
        "print(run.summary['evaluations'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1:] == ["8"]


def test_a_search_that_ends_before_its_budget_ends_its_bar_at_100_percent(tmp_path: Path) -> None:
    """Every (input, state) pair evaluated before the budget: the bar's last line read
    '40%|####      | 8000/20000 [00:09<00:13' on a finished run; it now counts what was done."""
    config = write_config(tmp_path / "c.yaml", "ffade.explore.GridExplorer", budget=100_000)
    spec = yaml.safe_load(config.read_text())
    spec["model"]["init_args"]["task"] = synthetic_spec(num_concepts=2, num_inputs=4)
    config.write_text(yaml.safe_dump(spec))
    result = ffade_in_process("fit", "--config", str(config))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "every (input, state) pair evaluated" in result.stdout, result.stdout
    done = result.stdout.splitlines()[1].split(",")[0].removeprefix("evaluations: ")
    bar = result.stderr.splitlines()
    assert len(bar) == 1 and bar[0].startswith("evaluations: 100%|##########|"), bar
    assert f" {done}/{done} " in bar[0], bar


@pytest.mark.slow  # a fresh Python, a Pool worker and a Lightning fit: ~15 s of CPU
def test_a_fit_in_the_callers_own_worker_process_leaves_lightning_as_it_was(
    tmp_path: Path,
) -> None:
    """Only ranks that Lightning's ``ddp_spawn`` started are quieted for good: a worker of the
    caller's own ``multiprocessing.Pool`` fitting an explorer with a plain Trainer was quieted
    too (its later ``seed_everything`` said nothing, Lightning's lines were gone), while the
    same code in the caller's main process printed them."""
    import subprocess
    import sys

    code = (
        "import logging, multiprocessing, sys\n"
        "def work(save_dir):\n"
        "    from lightning.pytorch import Trainer\n"
        "    from lightning.pytorch.loggers import CSVLogger\n"
        "    from ffade.explore import RandomExplorer\n"
        "    from tests.helpers import synthetic_spec\n"
        "    explorer = RandomExplorer(task=synthetic_spec(num_inputs=4), budget=4)\n"
        "    Trainer(accelerator='cpu', devices=1, max_epochs=1, logger=CSVLogger(save_dir),\n"
        "            enable_progress_bar=False, enable_model_summary=False).fit(explorer)\n"
        "    seed = logging.getLogger('lightning.fabric.utilities.seed')\n"
        "    rank_zero = logging.getLogger('lightning.pytorch.utilities.rank_zero')\n"
        "    return seed.level, len(rank_zero.filters)\n"
        "if __name__ == '__main__':\n"
        "    with multiprocessing.get_context('fork').Pool(1) as pool:\n"
        "        print(pool.map(work, [sys.argv[1]])[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1:] == ["(0, 0)"], result.stdout  # NOTSET, no filter


@contextmanager
def sizeless_terminal() -> Iterator[tuple[IO[str], list[bytes]]]:
    """A real terminal (a pty) that says it has 0 columns and 0 rows, as ``docker run -t`` or
    ``script`` started from a CI job makes one: its stream, and what was drawn on it once the
    block ends."""
    main, side = os.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
    drawn: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the side closed: all is read
                return
            if not chunk:
                return
            drawn.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    stream = open(side, "w", encoding="utf-8")  # noqa: SIM115  (closed below, ending the reader)
    try:
        yield stream, drawn
    finally:
        stream.close()
        reader.join(timeout=30)
        os.close(main)


def test_a_bar_on_a_terminal_with_no_size_is_drawn(monkeypatch) -> None:
    """tqdm read a terminal of 0 columns and 0 rows as -1 rows and drew its bars below the
    screen: nothing at all, not even the last line (the gate's bar on stderr, as report's)."""
    with sizeless_terminal() as (stream, drawn):
        assert stream.isatty() and os.get_terminal_size(stream.fileno()).columns == 0
        monkeypatch.setattr("sys.stderr", stream)  # tqdm sizes its bar only on sys's streams
        with bar_for(sys.stderr, total=10, desc="pairs", unit="pair") as bar:
            for _ in range(10):
                bar.update(1)
        monkeypatch.undo()
    assert "pairs: 100%|" in b"".join(drawn).decode(), drawn


def test_a_searchs_bar_on_a_terminal_with_no_size_is_drawn(tmp_path: Path, monkeypatch) -> None:
    """``docker run -t ... ffade fit`` from a CI job: the search's bar (Lightning's, ffade's
    BudgetProgressBar) showed nothing on such a terminal."""
    with sizeless_terminal() as (stream, drawn):
        monkeypatch.setattr("sys.stderr", stream)
        explorer = RandomExplorer(task=synthetic_spec(), budget=64, num_envs=16)
        discover(explorer, tmp_path, progress=True)
        monkeypatch.undo()
    shown = b"".join(drawn).decode()
    assert "evaluations: 100%|" in shown and "64/64" in shown, shown


def test_a_progress_bar_of_ones_own_replaces_ffades(tmp_path: Path) -> None:
    """``--trainer.callbacks+=...RichProgressBar`` replaces the default bar in Lightning; ffade
    refused it with Lightning's "You added multiple progress bar callbacks", though the user
    added one: ffade's own was the other."""
    config = str(write_config(tmp_path / "c.yaml", "ffade.explore.RandomExplorer", budget=32))
    own = "--trainer.callbacks+=lightning.pytorch.callbacks.TQDMProgressBar"
    result = ffade_in_process("fit", "--config", config, own)
    assert result.returncode == 0, result.stderr[-2000:]
    shown = result.stdout + result.stderr  # Lightning's own bar draws on stdout
    assert "Epoch 0" in shown and "evaluations: 100%" not in shown, shown
    assert "run: " in result.stdout


class SixBatches(Fitter):
    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(torch.ones(6, 1), batch_size=1)


class _SavedAndKilledAtStep3(Callback):
    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_batch_end(self, trainer: Trainer, *args) -> None:
        if trainer.global_step == 3:  # mid-epoch, as a Ctrl-C'd fine-tune's last.ckpt is
            trainer.save_checkpoint(self.path)
            raise RuntimeError("killed")


def test_a_fine_tune_resumed_mid_epoch_shows_its_epochs_total(tmp_path: Path, capsys) -> None:
    """Lightning skips on_train_epoch_start when it resumes mid-epoch, and that hook sets the
    bar's total: a resumed fine-tune's first epoch showed 'Epoch 0: | | 35/?' though its data
    has a length."""
    quiet = {"enable_model_summary": False, "logger": False, "enable_checkpointing": False}
    ckpt = tmp_path / "mid.ckpt"
    first = Trainer(
        max_epochs=1, callbacks=[BudgetProgressBar(), _SavedAndKilledAtStep3(ckpt)], **quiet
    )
    with pytest.raises(RuntimeError, match="killed"):
        first.fit(SixBatches())
    capsys.readouterr()
    resumed = Trainer(max_epochs=1, callbacks=[BudgetProgressBar()], **quiet)
    resumed.fit(SixBatches(), ckpt_path=ckpt)
    err = capsys.readouterr().err
    epochs = [line for line in err.splitlines() if line.startswith("Epoch")]
    assert len(epochs) == 1 and "| 6/6 [" in epochs[0], err
