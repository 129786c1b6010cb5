"""jsonargparse's words for a key other than ``model`` said as the user typed it
(ffade.other_key_hint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO, ffade_in_process, print_config_of_edited

LOGGERS = "lightning.pytorch.loggers"


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (
            (f"{LOGGERS}.TensorBoardLogger", f"{LOGGERS}.TensorBoardLoger"),
            f"trainer.logger: module '{LOGGERS}' has no attribute 'TensorBoardLoger' (did you "
            f"mean '{LOGGERS}.TensorBoardLogger'?); its classes: CSVLogger, ",
        ),
        (
            (f"{LOGGERS}.TensorBoardLogger", f"{LOGGERS}.CSVLoger"),
            f"trainer.logger: module '{LOGGERS}' has no attribute 'CSVLoger' (did you mean "
            f"'{LOGGERS}.CSVLogger'?); its classes: CSVLogger, ",
        ),
        (
            ("trainer:\n", "trainer:\n  callbacks: [lightning.pytorch.callbacks.EarlyStoping]\n"),
            "trainer.callbacks: module 'lightning.pytorch.callbacks' has no attribute "
            "'EarlyStoping' (did you mean 'lightning.pytorch.callbacks.EarlyStopping'?); its "
            "classes: ",
        ),
    ],
)
def test_a_misspelt_trainer_class_gets_the_closest_class_of_its_module(
    edit: tuple[str, str], said: str, tmp_path: Path
) -> None:
    """A logger's or callback's misspelt class_path was told only "module '...' has no
    attribute '...'", where a misspelt model class gets the closest one and the list."""
    _, done = print_config_of_edited(tmp_path, edit)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"ffade: error: {said}")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (  # in the config file: the import error names the package, not the class path
            ["--config", "{misspelt}"],
            "trainer.logger: module 'lightning.pytorch' has no attribute 'logers' (did you mean "
            "'lightning.pytorch.loggers.TensorBoardLogger'?)",
        ),
        (
            ["--config", "{config}", "--trainer.logger", "lightning.pytorch.logers.CSVLogger"],
            "trainer.logger: module 'lightning.pytorch' has no attribute 'logers' (did you mean "
            "'lightning.pytorch.loggers.CSVLogger'?)",
        ),
        (
            [
                "--config",
                "{config}",
                "--trainer.callbacks+=lightning.pytorch.callbaks.EarlyStopping",
            ],
            "trainer.callbacks: lightning.pytorch.callbaks.EarlyStopping is neither a class "
            "(module.Class) nor a readable file (did you mean "
            "'lightning.pytorch.callbacks.EarlyStopping'?)",
        ),
        (  # a plugin's fine-tuner, in no list of ffade's own
            ["--config", "{config}", "--model", "ffade_text.mitigat.Seq2SeqFineTuner"],
            "model: unknown model class 'ffade_text.mitigat.Seq2SeqFineTuner' (did you mean "
            "'ffade_text.mitigate.Seq2SeqFineTuner'?)",
        ),
    ],
)
def test_a_misspelt_module_in_a_class_path_gets_the_closest_module(
    args: list[str], said: str, tmp_path: Path
) -> None:
    """``lightning.pytorch.logers.CSVLogger`` was told the import's error alone, where a
    misspelt class gets the closest class."""
    config = REPO / "configs" / "synthetic.yaml"
    misspelt = tmp_path / "c.yaml"
    misspelt.write_text(config.read_text().replace(".loggers.", ".logers."))
    typed = [a.format(config=config, misspelt=misspelt) for a in args]
    done = ffade_in_process("fit", *typed, "--print_config")
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr[-2000:]
    assert done.stderr.startswith(f"ffade: error: {said}"), done.stderr


@pytest.mark.parametrize(
    "logger",
    [
        f"{LOGGERS}.CSVLoger",  # a plain string
        f"[{LOGGERS}.CSVLoger]",  # a list of one
        f"[{{class_path: {LOGGERS}.CSVLoger}}]",
    ],
)
def test_a_misspelt_logger_class_in_any_form_gets_the_closest_class(
    logger: str, tmp_path: Path
) -> None:
    """``logger: lightning.pytorch.loggers.CSVLoger`` was told "... is neither a class
    (module.Class) nor a readable file", and a list of it "Not a valid subclass of Logger",
    while the same class_path in a mapping got the closest class."""
    edit = (
        f"  logger:\n    class_path: {LOGGERS}.TensorBoardLogger\n"
        "    init_args: {save_dir: runs, name: synthetic}\n",
        f"  logger: {logger}\n",
    )
    _, done = print_config_of_edited(tmp_path, edit)
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"ffade: error: trainer.logger: module '{LOGGERS}' has no attribute 'CSVLoger' (did you "
        f"mean '{LOGGERS}.CSVLogger'?); its classes: CSVLogger, "
    )
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("logger", "got"),
    [("CSVLoger", "'CSVLoger'"), ("{class_path: CSVLoger}", "{class_path: CSVLoger}")],
)
def test_a_misspelt_bare_logger_name_gets_the_closest_logger(logger: str, got: str) -> None:
    """A bare class name works (``logger: CSVLogger``); a misspelt one was told what
    trainer.logger takes, without the logger it was close to."""
    quickstart = str(REPO / "configs" / "synthetic.yaml")
    done = ffade_in_process("fit", "--config", quickstart, "--trainer.logger", logger)
    assert done.returncode == 2
    assert done.stderr.endswith(f"; got {got} (did you mean '{LOGGERS}.CSVLogger'?)\n")
    assert done.stderr.startswith("ffade: error: trainer.logger must be true, false, a logger")


@pytest.mark.parametrize("how", ["config", "command line"])
def test_a_logger_of_no_kind_it_takes_is_told_what_trainer_logger_takes(
    how: str, tmp_path: Path
) -> None:
    """``trainer: {logger: 7}`` was told "trainer.logger: Not a valid subclass of Logger" (and
    ``--trainer.logger 7`` "7 is neither a class nor a readable file"), naming nothing it takes."""
    quickstart = str(REPO / "configs" / "synthetic.yaml")
    if how == "config":
        config = tmp_path / "logger.yaml"
        config.write_text("trainer:\n  logger: 7\n")
        done = ffade_in_process("fit", "--config", quickstart, "--config", str(config))
    else:
        done = ffade_in_process("fit", "--config", quickstart, "--trainer.logger", "7")
    assert done.returncode == 2
    assert done.stderr == (
        "ffade: error: trainer.logger must be true, false, a logger as {class_path: "
        "lightning.pytorch.loggers.CSVLogger, init_args: {save_dir: runs}}, or a list of "
        "loggers; got 7\n"
    )
