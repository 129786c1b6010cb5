"""ffade.discover / report / mitigate: the CLI's runs, from Python, with in-process plugins."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from ffade_synthetic.target import SyntheticTarget
from lightning.pytorch.callbacks import Callback

import ffade
from ffade import registry
from ffade.cli import main
from ffade.errors import FfadeWarning
from ffade.mitigate import ClassifierFineTuner
from ffade.plugin_api import Reward, Scores
from ffade.plugin_names import snake_case
from tests.helpers import print_config_of_edited, synthetic_spec, write_config

ROTATED_DIGITS = {
    "dataset": "digits",
    "reward": "misclassification",
    "concepts": [{"name": "rotation", "args": {"values": [-40, 0, 40]}}],
    "max_inputs": 8,
}
"""A task of 8 digits at three rotations, for its target: a grid of 24 pairs, some failing."""


def test_api_and_cli_write_identical_evaluations(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.yaml", budget=96, save_dir=tmp_path / "cli")
    assert main(["fit", "--config", str(config)]) == 0
    run = ffade.discover(
        task=synthetic_spec(),
        budget=96,
        num_envs=16,
        seed=0,
        save_dir=tmp_path / "api",
        name="test",
    )
    cli_log = (tmp_path / "cli" / "test" / "version_0" / "evaluations.jsonl").read_bytes()
    assert run.dir == tmp_path / "api" / "test" / "version_0"
    assert (run.dir / "evaluations.jsonl").read_bytes() == cli_log
    assert len(cli_log.splitlines()) == 96
    assert run.summary["evaluations"] == 96 and run.summary["seed"] == 0
    assert len(run.evaluations) == 96
    reopened = ffade.Run(str(run.dir))  # a run written earlier, named by a str
    assert reopened.dir == run.dir and reopened.summary == run.summary
    assert ffade.report(reopened).dir == run.dir


@pytest.mark.slow  # 10-15 s: a grid sweep, then the report's pictures
def test_run_reports_and_lists_regions(tmp_path: Path) -> None:
    run = ffade.discover(
        task=synthetic_spec(num_concepts=2, num_inputs=4),
        explorer="grid",
        budget=1000,
        num_envs=64,
        save_dir=tmp_path,
    )
    html = run.report()
    assert html == run.dir / "report.html" and html.is_file()
    assert (run.dir / "report.md").is_file()
    regions = run.regions
    assert regions and regions == run.slices
    assert regions[0]["failure_rate"] >= regions[-1]["failure_rate"] or len(regions) == 1
    assert ffade.report(run.dir).dir == run.dir
    label = run.summary["concepts"][0]["label"]  # one axis may be given as a str, not a list
    assert ffade.report(run.dir, axes=label, out=tmp_path / "one").dir == tmp_path / "one"
    # --slices: a comparison follows the connected regions into the other run, not the rules
    compared = ffade.report(run, compare=run, slices="regions", out=tmp_path / "by_regions")
    assert [r["id"] for r in compared.report_data()["compare"]["regions"]] == [
        r["id"] for r in regions
    ]
    with pytest.raises(ffade.FfadeError) as error:
        ffade.report(run, slices="region")
    assert str(error.value) == "slices must be one of rules, regions, got 'region'"
    with pytest.raises(ffade.FfadeError) as error:  # --mitigation without --compare
        run.report(mitigation=run.dir / "summary.json")
    assert str(error.value) == "mitigation leads a comparison: give compare too"


def test_pieces_may_be_classes_and_instances(tmp_path: Path) -> None:
    class HalfMargin(Reward):
        """Fails below half the synthetic margin's zero: a reward defined in the notebook."""

        def score(self, outputs, references, clean_outputs=None) -> Scores:
            failed = outputs < 0
            return Scores(outputs, failed, torch.where(failed, 1.0, -1.0))

    spec = synthetic_spec(num_concepts=2)
    run = ffade.discover(
        task=spec,
        target=SyntheticTarget(seed=0),
        reward=HalfMargin,
        explorer="random",
        budget=40,
        save_dir=tmp_path,
    )
    task = run.summary["task"]
    assert task["reward"]["name"] == "half_margin" and task["target"]["name"] == "synthetic_target"
    assert run.summary["evaluations"] == 40
    names = {(p.kind, p.name) for p in registry.available() if p.distribution == "in-process"}
    assert {("reward", "half_margin"), ("target", "synthetic_target")} <= names


def test_a_concept_class_given_a_label_is_registered_under_it(tmp_path: Path) -> None:
    """docs/plugins.md: a concept goes by its label, else its class name; a class given with
    ``args: {label: ...}`` went by ``axis`` (the class name), whatever its label."""
    from ffade_synthetic.concept import Axis

    spec = synthetic_spec(num_concepts=2)
    concepts = [
        {"name": Axis, "args": {"index": 0, "label": "tilt"}},
        {"name": Axis, "args": {"index": 1, "label": "slide"}},
    ]
    run = ffade.discover(
        task={**spec, "concepts": concepts}, explorer="random", budget=20, save_dir=tmp_path
    )
    assert [c["name"] for c in run.summary["task"]["concepts"]] == ["tilt", "slide"]
    assert [c["label"] for c in run.summary["concepts"]] == ["tilt", "slide"]


class MarginModule(torch.nn.Module):
    """The synthetic task's margin as a module: a user's own model, with no Target class."""

    def forward(self, batch: dict) -> torch.Tensor:
        return 0.7 - batch["coords"][:, 0]


def test_a_module_or_a_function_is_a_target_as_it_is(tmp_path: Path) -> None:
    from tests.api.callables import margin

    spec = synthetic_spec(num_concepts=2)
    module = MarginModule()
    runs = [
        ffade.discover(task=spec, target=piece, explorer="random", budget=40, save_dir=tmp_path)
        for piece in (module, module, margin)
    ]
    names = [run.summary["task"]["target"]["name"] for run in runs]
    assert names[0] == names[1] != names[2]  # the same module keeps its name (and wrapper)
    assert registry.registered("target", names[0]).model is module
    evaluations = [[e.failed for e in run.evaluations] for run in runs]
    assert evaluations[0] == evaluations[2] and 0 < sum(evaluations[0]) < 40
    with pytest.raises(ffade.FfadeError, match=r"or a torch.nn.Module or function"):
        ffade.discover(task=spec, target=3, explorer="random", budget=10, save_dir=tmp_path)


@pytest.mark.parametrize(
    ("cls", "name"),
    [("MyReward", "my_reward"), ("HTTPReward", "http_reward"), ("MyCNN", "my_cnn")],
)
def test_class_names_become_plugin_names_in_snake_case(cls: str, name: str) -> None:
    assert snake_case(cls) == name


@pytest.mark.parametrize("explorer", ["ffade.explore.DQNExplorr", "DQNExplorr"])
def test_a_misspelled_explorer_class_gets_the_commands_guess(explorer: str, tmp_path) -> None:
    """README, Python API: ffade.discover says what ffade fit --model says of a misspelled
    class, "did you mean 'ffade.explore.DQNExplorer'?"; it said only that there was none."""
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(task=synthetic_spec(), explorer=explorer, budget=10, save_dir=tmp_path)
    assert "(did you mean 'ffade.explore.DQNExplorer'?)" in str(error.value)
    assert "\n" not in str(error.value) and not list(tmp_path.iterdir())


def test_run_report_lists_compare_among_the_options_it_takes(tmp_path: Path) -> None:
    """The error for an option Run.report does not take listed what it takes without compare
    (out is ffade.report's: a Run writes its report into its own folder)."""
    (tmp_path / "summary.json").write_text("{}")  # a run directory: ffade.Run takes no other
    with pytest.raises(ffade.FfadeError) as error:
        ffade.Run(tmp_path).report(out=tmp_path / "elsewhere")
    assert str(error.value) == (
        "report: unknown option 'out'; allowed: compare, threshold, min_evaluations, axes, "
        "tensorboard, slices, mitigation"
    )


@pytest.mark.parametrize(
    ("word", "meant"), [("targte", "target"), ("max", "max_inputs"), ("concept", "concepts")]
)
def test_a_misspelt_task_key_gets_the_closest_key_as_the_config_does(
    word: str, meant: str, tmp_path: Path
) -> None:
    """``ffade.discover({"targte": ...})`` was told only what the task takes, where the same key
    misspelt in a config's task section gets "did you mean"; the same rule, the key as typed."""
    spec = synthetic_spec()
    given = {**spec, word: spec.get(meant, 3)}
    given.pop(meant, None)
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(given, explorer="random", budget=10, save_dir=tmp_path)
    assert str(error.value) == (
        f"task: unknown key '{word}' (did you mean '{meant}'?); allowed: target, dataset, "
        "reward, concepts, mode, split, max_inputs, only_passing_inputs, input_ids"
    )
    edit = ("      mode: macroscopic\n", f"      mode: macroscopic\n      {word}: 3\n")
    _, printed = print_config_of_edited(tmp_path, edit)
    assert printed.stderr.startswith(
        f"ffade: error: unknown key 'model.init_args.task.{word}' (did you mean "
        f"'model.init_args.task.{meant}'?); allowed task keys: target, dataset, "
    )


def test_a_misspelt_key_of_a_plugin_or_explorer_mapping_gets_the_closest_key(
    tmp_path: Path,
) -> None:
    """``{"name": ..., "arg": {...}}`` and ``{"class_path": ..., "init_arg": {...}}`` were told
    the keys allowed, not the one meant."""
    spec = synthetic_spec()
    with pytest.raises(ffade.FfadeError) as error:
        target = {"name": "synthetic", "arg": {}}
        ffade.discover({**spec, "target": target}, budget=10, save_dir=tmp_path)
    assert str(error.value) == (
        "task.target: expected {name, args}; unknown key 'arg' (did you mean 'args'?)"
    )
    with pytest.raises(ffade.FfadeError) as error:
        explorer = {"class_path": "random", "init_arg": {}}
        ffade.discover(spec, explorer=explorer, budget=10, save_dir=tmp_path)
    assert str(error.value) == (
        "explorer: expected {class_path, init_args}; unknown key 'init_arg' (did you mean "
        "'init_args'?)"
    )


def test_init_args_that_are_no_mapping_are_one_line(tmp_path: Path) -> None:
    """``explorer={"class_path": ..., "init_args": [1]}`` was "TypeError: cannot convert
    dictionary update sequence element #0 to a sequence" from deep in the call (a fine-tuner's
    ``init_args: 3`` "'int' object is not iterable"); now the key and what it takes."""
    spec = synthetic_spec()
    with pytest.raises(ffade.FfadeError) as error:
        explorer = {"class_path": "random", "init_args": [1]}
        ffade.discover(spec, explorer=explorer, budget=10, save_dir=tmp_path)
    assert str(error.value) == "explorer.init_args: expected a mapping of arguments, got [1]"
    run = tmp_path / "run"  # a run directory: ffade.Run takes no other
    run.mkdir()
    (run / "summary.json").write_text("{}")
    with pytest.raises(ffade.FfadeError) as error:
        finetuner = {"class_path": "classifier", "init_args": 3}
        ffade.mitigate(run, finetuner=finetuner, save_dir=tmp_path)
    assert str(error.value) == "finetuner.init_args: expected a mapping of arguments, got 3"
    assert not (tmp_path / "ffade").exists() and not (run / "feedback.yaml").exists()


def test_mistakes_raise_one_line_errors(tmp_path: Path, capsys) -> None:
    spec = synthetic_spec()
    with pytest.raises(ffade.FfadeError, match="unknown target 'nope'; known targets:"):
        ffade.discover(task=spec, target="nope", explorer="random", budget=10, save_dir=tmp_path)
    with pytest.raises(
        ffade.FfadeError, match=r"learning_starts .* must be below the budget"
    ) as error:
        ffade.discover(task=spec, budget=10, learning_starts=20, save_dir=tmp_path)
    assert "; give learning_starts=None for the default (5 here: " in str(error.value)
    assert "--model" not in str(error.value)  # the command line's option, said as the keyword
    with pytest.raises(ffade.FfadeError, match=r"num_env.*allowed:") as error:
        ffade.discover(task=spec, explorer="random", budget=10, num_env=4, save_dir=tmp_path)
    assert "\n" not in str(error.value)
    with pytest.raises(ffade.FfadeError, match=r"'trainer.max_epoch' \(did you mean 'trainer.max_"):
        ffade.discover(task=spec, explorer="random", trainer={"max_epoch": 1}, save_dir=tmp_path)
    with pytest.raises(ffade.FfadeError, match="task: unknown key 'targets'"):
        ffade.discover(task={**spec, "targets": "x"}, budget=10, save_dir=tmp_path)
    with pytest.raises(ffade.FfadeError, match=r"unknown explorer 'randm' \(did you mean 'rand"):
        ffade.discover(task=spec, explorer="randm", budget=10, save_dir=tmp_path)
    with pytest.raises(ffade.FfadeError, match=r"task.reward: 3 is not a reward name"):
        ffade.discover(task=spec, reward=3, budget=10, save_dir=tmp_path)
    reported = tmp_path / "reported"  # a run directory: ffade.Run takes no other
    reported.mkdir()
    (reported / "summary.json").write_text("{}")
    with pytest.raises(ffade.FfadeError, match=r"unknown option 'treshold' \(did you mean 'thr"):
        ffade.Run(reported).report(treshold=0.3)  # a keyword typo is the same kind of mistake
    with pytest.raises(ffade.FfadeError, match=r"unknown option 'treshold' \(did you mean 'thr"):
        ffade.report(reported, treshold=0.3)  # not Python's TypeError: the same line as above
    pieces = {k: v for k, v in spec.items() if k != "target"}
    with pytest.raises(ffade.FfadeError) as error:  # not "task.target is missing"
        ffade.discover(task=pieces, targt=SyntheticTarget(seed=0), budget=10, save_dir=tmp_path)
    assert str(error.value).startswith(
        "discover: unknown argument 'targt' (did you mean 'target'?); allowed: task, target,"
    )
    for explorer in ("random", "dqn"):  # not "'>=' (or '//') not supported ... 'NoneType'"
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, explorer=explorer, budget=None, save_dir=tmp_path)
        assert str(error.value) == (  # the keyword as typed, not model.init_args.budget
            "budget must be at least 1, got null (no value: give a number, "
            "or leave the key out for its default)"
        )
    with pytest.raises(ffade.FfadeError, match="trainer: expected a mapping of Trainer arg"):
        ffade.discover(task=spec, explorer="random", budget=10, trainer="cpu", save_dir=tmp_path)
    for not_a_path in (None, 3):  # not pathlib's TypeError
        with pytest.raises(ffade.FfadeError, match="run: expected a run directory"):
            ffade.mitigate(not_a_path)
    for seed in ("a", 1.5, None):  # not "Expected <class 'bool'>"; None took a stale seed
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, explorer="random", budget=10, seed=seed, save_dir=tmp_path)
        assert str(error.value) == f"seed: expected an integer, got {seed!r}"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    a_run = tmp_path / "run"
    a_run.mkdir()
    (a_run / "summary.json").write_text("{}")
    for not_a_run, expected in (
        (tmp_path / "missing", f"run directory {tmp_path / 'missing'} does not exist"),
        (a_file, f"{a_file} is a file, not a run directory (a folder holding summary.json)"),
        (
            a_run / "summary.json",
            f"{a_run / 'summary.json'} is a file; give the run directory that holds it ({a_run})",
        ),
    ):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.mitigate(not_a_run)
        assert str(error.value) == expected  # the line `ffade report` prints after "error: "
        assert main(["report", str(not_a_run)]) == 2
        assert capsys.readouterr().err == f"ffade: error: {expected}\n"
    with pytest.raises(ffade.FfadeError) as error:  # named as the argument, not as a CLI flag
        ffade.mitigate(a_run, "nope.yaml")
    assert str(error.value) == "priorities: file nope.yaml not found; give a priorities file"


def test_a_bad_value_is_named_as_the_keyword_typed_and_the_command_keeps_the_config_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ffade.discover(budget=0)`` said "model.init_args.budget must be at least 1, got 0", a
    key the Python caller never typed; the command, whose user types that key, still says it."""
    spec = synthetic_spec()
    for keywords, expected in (
        ({"budget": 0}, "budget must be at least 1, got 0"),
        ({"budget": 10, "learning_rate": 0}, "learning_rate must be above 0, got 0.0"),
        ({"budget": 10, "gamma": 2.0}, "gamma must be in [0, 1], got 2.0"),
    ):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, save_dir=tmp_path, **keywords)
        assert str(error.value) == expected
    run = ffade.discover(task=spec, explorer="random", budget=16, save_dir=tmp_path)
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, save_dir=tmp_path, max_epochs=1, slices="regions", learning_rate=0)
    assert str(error.value).startswith("learning_rate ")
    config = write_config(tmp_path / "c.yaml", budget=10, save_dir=tmp_path / "cli")
    capsys.readouterr()
    assert main(["fit", "--config", str(config), "--model.init_args.budget", "0"]) == 2
    assert capsys.readouterr().err == (
        "ffade: error: model.init_args.budget must be at least 1, got 0\n"
    )


def test_a_run_leaves_the_callers_random_generators_and_seed_variables_as_they_were(
    tmp_path: Path,
) -> None:
    """seed_everything reseeded the caller's generators (random.random() after discover(seed=0)
    was random.seed(0)'s first draw) and left PL_GLOBAL_SEED set, which seed=None then took."""
    import random

    import numpy as np

    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    os.environ.pop("PL_SEED_WORKERS", None)
    os.environ["PL_GLOBAL_SEED"] = "5"
    task = synthetic_spec()
    ffade.discover(task=task, explorer="random", budget=10, seed=7, save_dir=tmp_path)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected
    assert os.environ.pop("PL_GLOBAL_SEED") == "5" and "PL_SEED_WORKERS" not in os.environ


def test_a_run_leaves_no_thread_of_its_own_behind(tmp_path: Path) -> None:
    """tqdm's monitor thread, started by the run's first bar, stayed alive in the caller's
    process after discover returned; a monitor the caller's own bars run is left alone."""
    from tqdm import TMonitor, tqdm

    for thread in threading.enumerate():  # an earlier test's: this run must start its own
        if isinstance(thread, TMonitor):
            thread.exit()
            thread.tqdm_cls.monitor = None
    before = set(threading.enumerate())
    ffade.discover(task=synthetic_spec(), explorer="random", budget=10, save_dir=tmp_path)
    assert set(threading.enumerate()) - before == set()
    with tqdm(total=1, disable=False, file=io.StringIO()):  # the caller's bar and its monitor
        mine = set(threading.enumerate()) - before
        assert {type(thread) for thread in mine} == {TMonitor}
        ffade.discover(task=synthetic_spec(), explorer="random", budget=10, save_dir=tmp_path)
        assert all(thread.is_alive() for thread in mine)


THEN_A_NAN = "--- then a target that scores nan ---"


@pytest.fixture(scope="module")
def first_calls_in_a_process(
    tmp_path_factory: pytest.TempPathFactory,
) -> subprocess.CompletedProcess:
    """One ``python -c`` script, for two tests (a process imports Lightning for seconds): the
    first discover and a refused mitigate, whether Python's generator is as it was after each;
    then a discover whose target scores nan, its warning on stderr as a script shows it."""
    where = str(tmp_path_factory.mktemp("first_calls"))
    nan = str(tmp_path_factory.mktemp("nan_run"))
    code = (
        "import random, sys, ffade\n"
        "from tests.helpers import synthetic_spec\n"
        "assert 'lightning' not in sys.modules\n"
        "random.seed(1); expected = random.random(); random.seed(1)\n"
        f"ffade.discover(task=synthetic_spec(), explorer='random', budget=10, save_dir={where!r})\n"
        "after_discover = random.random() == expected\n"
        "random.seed(1)\n"
        "try:\n"
        f"    ffade.mitigate({where!r}, finetuner='nope')\n"
        "except ffade.FfadeError:\n"
        "    pass\n"
        "print(after_discover, random.random() == expected)\n"
        f"print({THEN_A_NAN!r}, flush=True)\n"
        "from tests.api.callables import nan_far_out\n"
        f"ffade.discover(task=synthetic_spec(), target=nan_far_out, explorer='random', "
        f"budget=64, save_dir={nan!r})\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_the_first_call_in_a_process_leaves_pythons_generator_as_it_was(
    first_calls_in_a_process: subprocess.CompletedProcess,
) -> None:
    """The first discover (or mitigate, even one refused) imports Lightning, whose import draws
    from Python's generator: taken after that import, its state was not the caller's."""
    result = first_calls_in_a_process
    first_calls = result.stdout.split(THEN_A_NAN)[0]
    assert first_calls.splitlines()[-1:] == ["True True"], result.stderr[-2000:]


CTRL_C_THRICE = """
import os, signal, ffade
from lightning.pytorch.callbacks import Callback
from tests.helpers import synthetic_spec

class CtrlC(Callback):  # a terminal's Ctrl-C: SIGINT to this process, at the hook named
    def __init__(self, hook):
        setattr(self, hook, lambda *args: os.kill(os.getpid(), signal.SIGINT))

def mine(signum, frame):  # a script's own handler, as a notebook's may be
    raise KeyboardInterrupt

term = signal.getsignal(signal.SIGTERM)
for hook, handler in (
    ("on_fit_start", signal.default_int_handler),  # while it loads: Lightning's teardown is not due
    ("on_train_batch_end", signal.default_int_handler),  # the next run, handlers as left
    ("on_fit_start", mine),
):
    if handler is mine:
        signal.signal(signal.SIGINT, handler)
    try:
        ffade.discover(task=synthetic_spec(), budget=4000, save_dir=SAVE_DIR,
                       trainer={"callbacks": [CtrlC(hook)]})
        print(hook, "ran to its end")
    except KeyboardInterrupt:
        print(hook, "interrupted")
    kept = signal.getsignal(signal.SIGINT) is handler and signal.getsignal(signal.SIGTERM) == term
    print(hook, "handlers kept" if kept else f"handlers {signal.getsignal(signal.SIGINT)}")
"""


@pytest.mark.slow
def test_a_run_stopped_by_ctrl_c_gives_the_callers_signal_handlers_back(tmp_path: Path) -> None:
    """Lightning sets SIGINT to SIG_IGN when Ctrl-C stops a run and never puts it back: in a
    script or a notebook, the next Ctrl-C did nothing and the next run could not be stopped."""
    code = CTRL_C_THRICE.replace("SAVE_DIR", repr(str(tmp_path)))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.stdout.splitlines() == [
        "on_fit_start interrupted",
        "on_fit_start handlers kept",
        "on_train_batch_end interrupted",
        "on_train_batch_end handlers kept",
        "on_fit_start interrupted",
        "on_fit_start handlers kept",
    ], result.stdout + result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]


@pytest.mark.slow
def test_mitigate_trains_the_users_module_in_place_and_hands_it_back_in_eval_mode(
    tmp_path: Path,
) -> None:
    """A module passed as the target is the one fine-tuned: an accepted fix changes its weights,
    a rejected one puts them back, and either way it comes back in eval mode (as it was
    handed over), so a second discover does not measure it with dropout on."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 16), torch.nn.Dropout(0.5), torch.nn.Linear(16, 10)
    )
    from ffade_vision.datasets.digits import DigitsDataset

    images, labels = DigitsDataset(seed=0).collate(DigitsDataset(seed=0).split("finetune"))
    optimizer = torch.optim.Adam(module.parameters(), lr=3e-3)
    for _ in range(20):  # good enough that a ruinous learning rate costs clean accuracy
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(module(images), labels).backward()
        optimizer.step()
    run = ffade.discover(
        task=ROTATED_DIGITS, target=module, explorer="grid", budget=24, save_dir=tmp_path
    )
    small = {"max_finetune_inputs": 32, "guard_pairs": 64, "batch_size": 16}
    with pytest.raises(ffade.FfadeError) as error:  # a mapping is named as the argument
        ffade.mitigate(run, {"regions": [{"rank": 1, "priority": "urgent"}]}, save_dir=tmp_path)
    assert str(error.value).startswith("priorities: regions[0]: priority 'urgent' is not allowed")
    assert not (run.dir / "priorities.yaml").exists() and not (run.dir / "feedback.yaml").exists()
    original = {k: v.clone() for k, v in module.state_dict().items()}
    rejected = ffade.mitigate(
        run, max_epochs=1, save_dir=tmp_path, learning_rate=5.0, clean_tolerance=0.0, **small
    )
    assert rejected.mitigation["status"] == "rejected" and not module.training
    # by default mitigate fixes rank 1, which run.rules lists first (not run.regions)
    assert [r["id"] for r in rejected.mitigation["regions"]] == [run.rules[0]["id"]]
    assert all(torch.equal(v, original[k]) for k, v in module.state_dict().items())
    accepted = ffade.mitigate(  # a fix that lowers the targeted rate: more than one slow epoch
        run, max_epochs=4, save_dir=tmp_path, learning_rate=0.05, clean_tolerance=1.0, **small
    )
    assert accepted.mitigation["status"] == "accepted" and not module.training
    assert any(not torch.equal(v, original[k]) for k, v in module.state_dict().items())
    fixed = accepted.mitigation["fixed_target"]  # the instance, fixed in place: no weights arg
    assert fixed == run.summary["task"]["target"]
    assert Path(accepted.mitigation["fixed_weights"]).is_file()
    again = ffade.discover(
        task=ROTATED_DIGITS, target=fixed, explorer="grid", budget=24, save_dir=tmp_path
    )
    assert again.summary["evaluations"] == 24
    # the README's ffade.report(run, compare=rerun, mitigation=fix): refused, as the fixed model
    # "the compared run's target does not load", because an instance is fixed in place
    compared = ffade.report(run, compare=again, mitigation=accepted, out=tmp_path / "cmp")
    assert compared.report_data()["compare"]["mitigation"]["status"] == "accepted"

    # feedback.yaml now holds rank 1 high: a mapping that would change it (a person's ranking,
    # say) is refused, and a priorities.yaml of the user's own beside it is never written over
    feedback, mine = run.dir / "feedback.yaml", run.dir / "priorities.yaml"
    mine.write_text("regions: [{rank: 2, priority: high}]  # my own file\n")
    before = feedback.read_bytes(), mine.read_bytes()
    low = {"regions": [{"rank": 1, "priority": "low"}]}
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, low, max_epochs=1, save_dir=tmp_path, **small)
    answers = f"{len(run.rules)} answer{'s' if len(run.rules) != 1 else ''}"
    them = "it" if len(run.rules) == 1 else "them"
    assert str(error.value) == (
        f"{feedback} holds other priorities: 1 of its {answers} would change "
        f"(first: {run.rules[0]['id']} high -> low); pass redo=True to replace {them}, or "
        "priorities=None to fix what it holds"
    )
    assert (feedback.read_bytes(), mine.read_bytes()) == before
    redone = ffade.mitigate(
        run, low, redo=True, max_epochs=1, save_dir=tmp_path, clean_tolerance=1.0, **small
    )
    assert [r["priority"] for r in redone.mitigation["regions"]] == ["low"]
    assert mine.read_bytes() == before[1]


def test_a_run_whose_in_process_plugin_is_gone_says_to_register_it_again() -> None:
    """A restarted notebook mitigating a run of a module passed to ffade.discover: not the
    registry's "unknown target 'callable_target' (did you mean 'callable'?)"."""
    from ffade.api.pieces import check_plugins_known

    task = synthetic_spec()
    check_plugins_known(task, "RUN")  # installed plugins pass
    check_plugins_known({**task, "reward": {"name": "tests.api.callables:Nothing"}}, "RUN")
    with pytest.raises(ffade.FfadeError) as error:
        check_plugins_known({**task, "target": {"name": "callable_target", "args": {}}}, "RUN")
    assert str(error.value).startswith(
        "RUN: its target 'callable_target' is neither installed nor registered in this process"
    )
    assert str(error.value).endswith("ffade.register('target', 'callable_target', ...)")
    ffade.register("target", "callable_target", ffade.CallableTarget(MarginModule()))
    check_plugins_known({**task, "target": {"name": "callable_target", "args": {}}}, "RUN")


def test_mitigating_a_run_of_a_forgotten_plugin_writes_nothing_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check came after the priorities were applied: feedback.yaml was written and its
    pictures said "no example pictures: unknown target 'synthetic_target' (did you mean ...)"
    before the one line that says to register the plugin again."""
    run = ffade.discover(
        task=synthetic_spec(), target=SyntheticTarget, budget=64, num_envs=16, save_dir=tmp_path
    )
    assert run.rules  # priorities that would apply
    registry.unregister("target", "synthetic_target")  # a new process knows it no longer
    capsys.readouterr()
    with pytest.raises(ffade.FfadeError, match=r"its target 'synthetic_target' is neither"):
        ffade.mitigate(run, save_dir=tmp_path)
    assert not (run.dir / "feedback.yaml").exists() and not (run.dir / "feedback").exists()
    assert capsys.readouterr().err == ""


def test_a_refused_fine_tune_takes_back_the_priorities_it_applied(tmp_path: Path) -> None:
    """mitigate applied the priorities, then the fine-tuner was refused (a misspelled name or
    argument): feedback.yaml and its pictures stayed, and with ``redo=True`` a person's answers
    were gone for a fine-tune that never ran; the next call with other priorities was refused
    for answers the user never gave. A refusal now leaves the run as it was."""
    task = {"target": "digits_cnn", **ROTATED_DIGITS}
    runs = tmp_path / "runs"
    run = ffade.discover(task=task, explorer="grid", budget=24, save_dir=runs)
    assert run.rules
    files = {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()}  # rules reported
    high = {"regions": [{"rank": 1, "priority": "high"}]}
    for mistake in ({"finetuner": "clasifier"}, {"learning_rte": 0.1}, {"learning_rate": -1.0}):
        with pytest.raises(ffade.FfadeError):
            ffade.mitigate(run, high, save_dir=runs, name="fix", **mistake)
        assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == files
    with pytest.raises(ffade.FfadeError) as error:  # was "TypeError: 'str' object is not a mapping"
        ffade.mitigate(run, high, save_dir=runs, name="fix", trainer="cpu")
    assert str(error.value) == "trainer: expected a mapping of Trainer arguments, got 'cpu'"
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == files
    assert not (runs / "fix").exists()

    priorities = tmp_path / "person.yaml"  # a person's answers, then redo=True and a typo
    priorities.write_text("regions: [{rank: 1, priority: low}]\ndefault: skip\n")
    assert main(["feedback", str(run.dir), "--from", str(priorities)]) == 0
    person = {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()}
    assert person[run.dir / "feedback.yaml"] != b""
    with pytest.raises(ffade.FfadeError, match="unknown argument 'learning_rte'"):
        ffade.mitigate(run, high, redo=True, save_dir=runs, name="fix", learning_rte=0.1)
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == person
    with pytest.raises(ffade.FfadeError, match="learning_rate"):  # refused after they applied
        ffade.mitigate(run, high, redo=True, save_dir=runs, name="fix", learning_rate=-1.0)
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == person


def test_priorities_that_skip_every_rule_are_said_as_the_keyword(tmp_path: Path) -> None:
    """Priorities with nothing high, medium or low got the fine-tuner's "RUN/feedback.yaml: no
    rule has priority ...; (give one a priority with `ffade feedback`)", of a feedback.yaml the
    refusal had just put back as it was: now the keyword, and what to give."""
    task = {"target": "digits_cnn", **ROTATED_DIGITS}
    runs = tmp_path / "runs"
    run = ffade.discover(task=task, explorer="grid", budget=24, save_dir=runs)
    assert run.rules
    files = {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()}
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, {"regions": [], "default": "skip"}, save_dir=runs, name="fix")
    assert str(error.value) == (
        "priorities: no rule has priority high, medium or low; nothing to fix (give one a "
        "priority: {'regions': [{'rank': 1, 'priority': 'high'}]})"
    )
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == files
    assert not (runs / "fix").exists()


def test_mitigate_reads_the_log_once_for_the_priorities_and_their_pictures(
    tmp_path: Path, log_reads: list[Path]
) -> None:
    """The priorities' slices and the pictures' worst failures share one read of the log, as
    in ``ffade feedback --from``: a large log is not read twice. The fine-tuner is then refused
    (learning_rate), so nothing trains."""
    run = ffade.discover(
        task={"target": "digits_cnn", **ROTATED_DIGITS},
        budget=24,
        explorer="grid",
        save_dir=tmp_path / "runs",
    )
    log_reads.clear()  # the discovery's own
    reads = log_reads
    high = {"regions": [{"rank": 1, "priority": "high"}]}
    with pytest.raises(ffade.FfadeError, match="learning_rate"):
        ffade.mitigate(run, high, save_dir=tmp_path / "runs", name="fix", learning_rate=-1.0)
    assert reads == [run.dir]


def test_mitigate_takes_slices_for_a_run_without_rules(tmp_path: Path, capsys) -> None:
    """A run whose evidence backs no rule (microscopic ones often) is fixed by its regions; the
    error said to pass ``--slices regions``, a flag a Python caller has no way to give."""
    task = {"target": "digits_cnn", **ROTATED_DIGITS}
    run = ffade.discover(task=task, explorer="grid", budget=24, save_dir=tmp_path)
    log = run.dir / "evaluations.jsonl"
    failing = [line for line in log.read_text().splitlines() if '"failed": true' in line]
    log.write_text(failing[0] + "\n")  # one failure: a region, but too little evidence for a rule
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, save_dir=tmp_path)
    assert str(error.value) == (
        f"{run.dir}: nothing to review: no failure rule has enough evidence to name (its 1 "
        "evaluation is too few to be sure); give slices='regions' to prioritize its 1 failure "
        "region instead"
    )
    assert not (run.dir / "feedback.yaml").exists()  # the empty answers are taken back
    with pytest.raises(
        ffade.FfadeError, match="slices must be one of rules, regions, got 'region'"
    ):
        ffade.mitigate(run, slices="region", save_dir=tmp_path)
    small = {"max_finetune_inputs": 32, "guard_pairs": 64, "batch_size": 16}
    capsys.readouterr()
    fixed = ffade.mitigate(run, slices="regions", max_epochs=1, save_dir=tmp_path, **small)
    region = run.report_data()["regions"][0]
    assert [r["id"] for r in fixed.mitigation["regions"]] == [region["id"]]
    # no priorities, no feedback.yaml: what it fixes unasked is said (it was not)
    notes = [line for line in capsys.readouterr().err.splitlines() if "ffade: note" in line]
    assert notes == [
        f"ffade: note: {run.dir} has no feedback.yaml, so this fixes its first failure region, "
        f"{region['id']} ({region['conditions']}), at priority high; to choose what to fix, pass "
        f"priorities, or answer `ffade feedback {run.dir}` first"
    ]
    with pytest.raises(ffade.FfadeError) as error:  # not the fine-tuner's list of arguments
        ffade.mitigate(run, max_epoch=1, save_dir=tmp_path)
    said = "mitigate: unknown argument 'max_epoch' (did you mean 'max_epochs'?); allowed: run, "
    assert str(error.value).startswith(said)
    records = [json.loads(line) | {"failed": False} for line in log.read_text().splitlines()]
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    high = {"regions": [{"rank": 1, "priority": "high"}]}  # said "rank 1 is past the last rule"
    stale = tmp_path / "stale.yaml"  # a file for another run: its rank and id name nothing
    stale.write_text("regions: [{rank: 2, priority: high}, {id: S-00000000, priority: low}]\n")
    said = f"{stale}: regions[0] (rank: 2) and regions[1] (id: S-00000000) name"
    for given, named in ((high, "priorities: regions[0] (rank: 1) names"), (stale, said)):
        capsys.readouterr()
        with pytest.raises(ffade.FfadeError) as error:
            ffade.mitigate(run, given, redo=True, save_dir=tmp_path)
        assert str(error.value) == f"{run.dir}: nothing to review: no failure was found"
        # said nothing of the entries, as if they had matched (`ffade feedback --from` said it)
        notes = [line for line in capsys.readouterr().err.splitlines() if "note" in line]
        assert notes == [f"ffade: note: {named} no rule of this run: it has none"]
    (run.dir / "feedback.yaml").unlink(missing_ok=True)  # no priorities given: the default's
    with pytest.raises(ffade.FfadeError, match="nothing to review"):  # `rank: 1` is not noted,
        ffade.mitigate(run, save_dir=tmp_path)  # a rank the caller never typed
    assert "note" not in capsys.readouterr().err


UNCHANGED = (
    "the neutral state alone: its inputs fail unchanged, so a fine-tune on it would train on "
    "unchanged inputs, which no concept change explains"
)
SEARCH_PASSING = "to search what the concepts break, discover it again with 'only_passing_inputs'"


def test_mitigate_refuses_to_fix_only_the_inputs_unchanged(tmp_path: Path) -> None:
    """A run whose inputs fail only unchanged has one slice, the neutral state (`ffade loop`
    stops before fine-tuning on it). ``ffade.mitigate(run, slices="regions")`` fixed it unasked,
    a fine-tune on the inputs unchanged, and with rules said to give slices='regions', which led
    there. Each is refused now, saying what the slice is, feedback.yaml left as it was."""
    task = {"target": "digits_cnn", **ROTATED_DIGITS}
    run = ffade.discover(task=task, explorer="grid", budget=24, save_dir=tmp_path)
    log = run.dir / "evaluations.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    for record in records:  # rotation 0 is the neutral value: those inputs fail unchanged
        record["failed"] = record["state"] == [1] and record["input_id"] < 6
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, save_dir=tmp_path)
    assert str(error.value) == (
        f"{run.dir}: nothing to review: no failure rule has enough evidence to name, and its one "
        f"failure region is {UNCHANGED}; {SEARCH_PASSING}: True in its task"
    )
    region = run.report_data()["regions"][0]["id"]
    high = {"regions": [{"rank": 1, "priority": "high"}]}
    for given, said in ((None, f"{run.dir}: the first failure"), (high, "priorities: the one")):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.mitigate(run, given, slices="regions", max_epochs=1, save_dir=tmp_path)
        assert str(error.value) == (
            f"{said} region to fix, {region} (high), is {UNCHANGED}; nothing is fine-tuned; "
            f"{SEARCH_PASSING}: True in its task"
        )
        assert not (run.dir / "feedback.yaml").exists()
        assert not (tmp_path / "mitigate").exists()


def test_numbers_paths_and_switches_of_the_wrong_type_are_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    """``budget="100"`` and ``max_epochs="3"`` were quietly read as numbers (``seed="0"`` was
    refused), ``save_dir=123`` made a folder "123", and mitigate ignored ``threshold="x"``,
    ``min_evaluations=0`` and ``redo="yes"`` whenever a feedback.yaml was already there."""
    spec, save_dir = synthetic_spec(), tmp_path / "runs"
    mistakes = {
        "budget: expected an integer, got '100'": {"budget": "100"},
        "max_inputs: expected an integer, got '8'": {"max_inputs": "8"},
        "save_dir: expected a directory path, got 123": {"save_dir": 123},
        "name: expected a non-empty str (the runs' folder in save_dir), got 5": {"name": 5},
        "name: expected a non-empty str (the runs' folder in save_dir), got ''": {"name": ""},
    }
    for expected, mistake in mistakes.items():
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(**{"task": spec, "explorer": "random", "save_dir": save_dir, **mistake})
        assert str(error.value) == expected
    assert not save_dir.exists()
    run = ffade.discover(task=spec, explorer="random", budget=32, save_dir=save_dir)
    priorities = tmp_path / "priorities.yaml"
    priorities.write_text("regions: [{rank: 1, priority: high}]\ndefault: skip\n")
    given = ["--from", str(priorities), "--slices", "regions"]  # too few evaluations for rules
    assert main(["feedback", str(run.dir), *given]) == 0
    before = {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()}
    mistakes = {
        "max_epochs: expected an integer, got '3'": {"max_epochs": "3"},
        "threshold: expected a failure rate in (0, 1], got 'x'": {"threshold": "x"},
        "min_evaluations: expected a whole number from 1, got 0": {"min_evaluations": 0},
        "redo: expected True or False, got 'yes'": {"redo": "yes"},
        "max_epochs: expected a whole number from 1, got 0": {"max_epochs": 0},
        "max_epochs: expected a whole number from 1, got -2": {"max_epochs": -2},
    }
    for expected, mistake in mistakes.items():
        with pytest.raises(ffade.FfadeError) as error:
            ffade.mitigate(run, save_dir=save_dir, **mistake)
        assert str(error.value) == expected
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in save_dir.iterdir()) == ["ffade"]  # no fine-tune was started


def test_max_epochs_given_twice_differently_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    """``trainer={"max_epochs": 5}`` quietly replaced mitigate's own ``max_epochs``: the
    README's ``max_epochs=3`` trained for the trainer's count, unsaid."""
    save_dir = tmp_path / "runs"
    run = ffade.discover(task=synthetic_spec(), explorer="random", budget=32, save_dir=save_dir)
    before = {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()}
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(
            run, slices="regions", save_dir=save_dir, max_epochs=3, trainer={"max_epochs": 5}
        )
    assert str(error.value) == (
        "trainer: max_epochs 5 differs from mitigate's max_epochs=3; give the epochs once, as "
        "max_epochs=N or in trainer"
    )
    assert {p: p.read_bytes() for p in run.dir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in save_dir.iterdir()) == ["ffade"]  # no fine-tune was started


def test_max_epochs_in_trainer_alone_sets_the_epochs(tmp_path: Path) -> None:
    """``trainer={"max_epochs": 1}`` alone was refused (it differed from the keyword's default
    10, which the user never gave); now it is the fine-tune's epochs, as in a config."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    run = ffade.discover(
        task=ROTATED_DIGITS, target=module, explorer="grid", budget=24, save_dir=tmp_path
    )
    small = {"max_finetune_inputs": 16, "guard_pairs": 16, "batch_size": 16}
    fix = ffade.mitigate(run, save_dir=tmp_path, trainer={"max_epochs": 1}, **small)
    assert "max_epochs: 1\n" in (fix.dir / "config.yaml").read_text()


@pytest.mark.slow  # a discovery and a fine-tune: 12 s on two busy cores
def test_mitigate_without_epochs_trains_the_fine_tuners_own(tmp_path: Path) -> None:
    """Neither ``max_epochs`` nor ``trainer``'s: the fine-tuner's ``default_epochs`` (the
    classifier's 10), which the bare ``ffade fit`` command trains too; recorded in config.yaml.
    A ``max_steps`` beyond them does not lengthen them (left null, Lightning's max_epochs would
    have been none, and this 12 steps of one batch an epoch)."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    run = ffade.discover(
        task=ROTATED_DIGITS, target=module, explorer="grid", budget=24, save_dir=tmp_path
    )
    small = {"max_finetune_inputs": 16, "guard_pairs": 16, "batch_size": 16}
    fix = ffade.mitigate(run, save_dir=tmp_path, trainer={"max_steps": 12}, **small)
    assert fix.mitigation["training"]["epochs"] == ClassifierFineTuner.default_epochs == 10
    assert "max_epochs: 10\n" in (fix.dir / "config.yaml").read_text()


def test_an_accelerator_lightning_cannot_load_is_one_line(tmp_path: Path, capsys) -> None:
    """``trainer={"accelerator": "tpu"}`` without torch_xla was Lightning's ModuleNotFoundError
    traceback, from Python and from ``ffade fit --trainer.accelerator tpu`` alike."""
    if importlib.util.find_spec("torch_xla") is not None:
        pytest.skip("torch_xla is installed: a TPU accelerator can load")
    with pytest.raises(ffade.FfadeError, match=r"^trainer: Requirement 'torch_xla.*not met"):
        ffade.discover(
            task=synthetic_spec(),
            explorer="random",
            budget=16,
            trainer={"accelerator": "tpu"},
            save_dir=tmp_path,
        )
    random = "ffade.explore.RandomExplorer"
    config = write_config(tmp_path / "c.yaml", random, budget=16, save_dir=tmp_path / "cli")
    assert main(["fit", "--config", str(config), "--trainer.accelerator", "tpu"]) == 2
    assert capsys.readouterr().err.startswith("ffade: error: trainer: Requirement 'torch_xla")


def test_devices_lightning_refuses_with_a_type_error_is_said_as_a_trainer_key(
    tmp_path: Path, capsys
) -> None:
    """``devices: x`` on the CPU is Lightning's TypeError, which came out without saying that
    it was about the trainer section: "`devices` selected with `CPUAccelerator` should be..."."""
    expected = "trainer: `devices` selected with `CPUAccelerator` should be an int > 0."
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(
            task=synthetic_spec(), explorer="random", budget=16, trainer={"devices": "x"},
            save_dir=tmp_path,
        )  # fmt: skip
    assert str(error.value) == expected
    random = "ffade.explore.RandomExplorer"
    config = write_config(tmp_path / "c.yaml", random, budget=16, save_dir=tmp_path / "cli")
    assert main(["fit", "--config", str(config), "--trainer.devices", "x"]) == 2
    assert capsys.readouterr().err == f"ffade: error: {expected}\n"


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_a_stopped_run_raises_as_python_does_and_keeps_the_run(tmp_path: Path, stop: str) -> None:
    """Lightning ends an interrupted run with ``sys.exit(1)``: ``except KeyboardInterrupt``
    around ffade.discover missed it and the caller's script ended with status 1; after SIGTERM
    (a scheduler) it raised a SystemExit with no code, so the script ended with 0, a success.
    Ctrl-C lands in the model most of the time; here the model stops on its 20th batch."""
    batches = 0

    def predict(batch: dict) -> torch.Tensor:
        nonlocal batches
        batches += 1
        if batches == 20 and stop == "ctrl-c":
            raise KeyboardInterrupt
        if batches == 20:
            os.kill(os.getpid(), signal.SIGTERM)  # Lightning's handler turns it into a stop
        return 0.7 - batch["coords"][:, 0]

    with pytest.raises(KeyboardInterrupt if stop == "ctrl-c" else SystemExit) as raised:
        ffade.discover(
            task=synthetic_spec(),
            target=predict,
            explorer="random",
            budget=10_000,
            num_envs=4,
            save_dir=tmp_path,
        )
    assert stop == "ctrl-c" or raised.value.code == 1
    run = ffade.Run(tmp_path / "ffade" / "version_0")
    assert run.summary["status"] == "interrupted"
    assert run.summary["evaluations"] == len(run.evaluations) > 0  # every one logged is kept


def test_a_model_or_an_array_given_for_a_path_or_a_name_is_said_by_its_type_in_one_line(
    tmp_path: Path,
) -> None:
    """The one line quoted the object's repr: ffade.mitigate(model) printed the model's layers,
    an array given for save_dir its 60 lines; an array as a concept's args was numpy's
    "truth value of an array is ambiguous" ValueError."""
    import numpy as np

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    array = np.zeros((30, 30))
    task = {**synthetic_spec(), "concepts": ["axis"]}
    calls = {
        "run: expected a run directory (a path or a Run), got a Sequential": lambda: ffade.mitigate(
            model
        ),
        "Run: expected a run directory (a path), got a Sequential": lambda: ffade.Run(model),
        "task.dataset: a Sequential is not a dataset name": lambda: ffade.discover(
            task=task, dataset=model, save_dir=tmp_path
        ),
        "save_dir: expected a directory path, got an ndarray": lambda: ffade.discover(
            task=task, save_dir=array
        ),
        "budget: expected an integer, got an ndarray": lambda: ffade.discover(
            task=task, budget=array, save_dir=tmp_path
        ),
        "task.concepts[0].args: expected a mapping of arguments, got an ndarray": lambda: (
            ffade.discover(task={**task, "concepts": [{"name": "axis", "args": array}]})
        ),
    }
    for expected, call in calls.items():
        with pytest.raises(ffade.FfadeError) as error:
            call()
        assert str(error.value).startswith(expected) and "\n" not in str(error.value)
    assert not any(tmp_path.iterdir())


def test_an_argument_the_class_does_not_take_is_said_without_jsonargparses_parser_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line began 'Parser key "model": ', jsonargparse's words, from the command and Python."""
    config = write_config(tmp_path / "c.yaml", budget=10, save_dir=tmp_path / "runs")
    assert main(["fit", "--config", str(config), "--model.init_args.gama", "0.5"]) == 2
    expected = "unknown key 'model.init_args.gama' (did you mean 'model.init_args.gamma'?); "
    assert capsys.readouterr().err.startswith(
        f"ffade: error: {expected}allowed model.init_args keys of ffade.explore.DQNExplorer: task,"
    )
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(task=synthetic_spec(), budget=10, gama=0.5, save_dir=tmp_path / "api")
    typed = "discover: unknown argument 'gama' (did you mean 'gamma'?); allowed: task, "
    assert str(error.value).startswith(typed)  # named as the keyword a Python caller typed
    assert not (tmp_path / "runs").exists() and not (tmp_path / "api").exists()


def test_a_run_leaves_warnings_filters_and_lightning_loggers_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call left Lightning's seed logger at WARNING (the caller's own seed_everything no
    longer said "Seed set to N"), filters on two of its loggers, and five 'ignore' warnings
    filters in the caller's process."""
    import logging
    import warnings

    import ffade.lightning_run  # what it imports adds filters of its own
    from ffade.progress import QUIET_LOGGERS, QUIET_WARNINGS, SEED_LOGGER

    loggers = [logging.getLogger(name) for name in (*QUIET_LOGGERS, SEED_LOGGER)]
    for logger in loggers:  # as in a fresh process, whatever earlier tests ran in this one
        monkeypatch.setattr(logger, "filters", [])
        monkeypatch.setattr(logger, "level", logging.NOTSET)
    with warnings.catch_warnings():
        mine = [f for f in warnings.filters if f[1] is None or f[1].pattern not in QUIET_WARNINGS]
        warnings.filters[:] = mine
        ffade.discover(synthetic_spec(), explorer="random", budget=4, save_dir=tmp_path)
        assert warnings.filters == mine
    assert [(logger.level, logger.filters) for logger in loggers] == [(logging.NOTSET, [])] * 3


def test_a_run_in_a_no_grad_block_leaves_grad_mode_off(tmp_path: Path) -> None:
    """Lightning's fit turned grad mode on and left it on: inside the caller's torch.no_grad()
    block, their own tensors built graphs again after ffade.discover returned."""
    with torch.no_grad():
        ffade.discover(synthetic_spec(), explorer="random", budget=4, save_dir=tmp_path)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    ffade.discover(synthetic_spec(), explorer="random", budget=4, save_dir=tmp_path)
    assert torch.is_grad_enabled()


def test_a_misspelt_discover_keyword_is_named_as_typed_with_the_allowed_ones(
    tmp_path: Path,
) -> None:
    """budjet=100 was "model: Option 'budjet' is not accepted by ffade.explore.DQNExplorer",
    config words, and trainr={} vanished in jsonargparse: a whole run with the default Trainer."""
    spec = synthetic_spec()
    for typed, meant in (("budjet", "budget"), ("trainr", "trainer"), ("num_env", "num_envs")):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, save_dir=tmp_path, **{typed: {}})
        said = str(error.value)
        assert said.startswith(f"discover: unknown argument {typed!r} (did you mean {meant!r}?)")
        assert "; allowed: task, target, dataset, reward, concepts, " in said
        assert "resume, and DQNExplorer's num_envs, " in said and "model" not in said
    with pytest.raises(ffade.FfadeError) as error:  # nothing close: the allowed ones still
        ffade.discover(task=spec, explorer="random", xyzzy=1, save_dir=tmp_path)
    assert str(error.value).startswith("discover: unknown argument 'xyzzy'; allowed: task, ")
    assert "and RandomExplorer's num_envs, " in str(error.value)
    for mode in ("macro", 3):  # was "model.init_args.task.mode: 'macro' is not allowed; ..."
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, mode=mode, save_dir=tmp_path)
        assert str(error.value) == f"mode must be one of macroscopic, microscopic, got {mode!r}"
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("explorer", ["grid", "epsilon_greedy"])
def test_a_mode_the_explorer_does_not_search_is_said_as_the_mode_keyword(
    tmp_path: Path, explorer: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """discover(mode="microscopic", explorer="grid") was told "set task.mode: macroscopic" and
    "ffade.explore.DQNExplorer", config words a Python caller never typed; the command keeps
    them, and a mode given in task= stays task.mode, its explorers explorer='dqn' (they read
    "ffade.explore.DQNExplorer and RandomExplorer", as in the README's task= call)."""
    cls = {"grid": "GridExplorer", "epsilon_greedy": "EpsilonGreedyExplorer"}[explorer]
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(
            task=synthetic_spec(),
            mode="microscopic",
            explorer=explorer,
            budget=8,
            save_dir=tmp_path,
        )
    assert str(error.value) == (
        f"{cls}: the {explorer} explorer supports mode='macroscopic', not mode='microscopic'; "
        "pass mode='macroscopic', or search microscopic tasks with another explorer "
        "(explorer='dqn' and explorer='random' search both)"
    )
    with pytest.raises(ffade.FfadeError) as error:  # the caller typed task.mode here
        ffade.discover(
            task=synthetic_spec(mode="microscopic"), explorer=explorer, budget=8, save_dir=tmp_path
        )
    assert str(error.value) == (
        f"{cls}: the {explorer} explorer supports task.mode macroscopic, not 'microscopic'; "
        "set task.mode: macroscopic, or search microscopic tasks with another explorer "
        "(explorer='dqn' and explorer='random' search both)"
    )
    config = write_config(tmp_path / "config.yaml", f"ffade.explore.{cls}", budget=8)
    typed = ["--model.init_args.task.mode", "microscopic"]
    assert main(["fit", "--config", str(config), *typed]) == 2
    assert capsys.readouterr().err.strip() == (
        f"ffade: error: {cls}: the {explorer} explorer supports task.mode macroscopic, not "
        "'microscopic'; set task.mode: macroscopic, or search microscopic tasks with another "
        "explorer (ffade.explore.DQNExplorer and RandomExplorer search both)"
    )


def test_a_start_state_beside_a_macroscopic_mode_is_said_as_the_mode_keyword(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same for start_state: "set task.mode: microscopic to use it" to discover(mode=...)."""
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(
            task=synthetic_spec(),
            mode="macroscopic",
            explorer="random",
            budget=8,
            start_state={"axis0": 0.5},
            save_dir=tmp_path,
        )
    assert str(error.value) == (
        "start_state is where microscopic episodes start; pass mode='microscopic' to use it, "
        "or remove it (mode='macroscopic')"
    )
    config = write_config(tmp_path / "config.yaml", "ffade.explore.RandomExplorer", budget=8)
    typed = ["--model.init_args.start_state", "{axis0: 0.5}"]
    assert main(["fit", "--config", str(config), *typed]) == 2
    assert capsys.readouterr().err.strip() == (
        "ffade: error: model.init_args.start_state is where microscopic episodes start; set "
        "task.mode: microscopic to use it, or remove it (task.mode is macroscopic)"
    )


def test_a_run_stopped_in_python_names_the_python_resume_and_resume_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model passed to discover lives in this process only: the stopped run's line gave
    "resume it with: ffade fit --config ... --ckpt_path ...", which a shell cannot run."""
    batches, stopped = 0, False

    def predict(batch: dict) -> torch.Tensor:
        nonlocal batches, stopped
        batches += 1
        if batches == 25 and not stopped:
            stopped = True
            raise KeyboardInterrupt
        return 0.7 - batch["coords"][:, 0]

    run = {"task": synthetic_spec(), "target": predict, "explorer": "dqn", "num_envs": 4}
    with pytest.raises(KeyboardInterrupt):
        ffade.discover(**run, budget=300, save_dir=tmp_path / "a")
    stopped_dir = tmp_path / "a" / "ffade" / "version_0"
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith(
        f"; resume it with: ffade.discover(<the same arguments>, resume={str(stopped_dir)!r})"
    )
    assert "ffade fit" not in line
    resumed = ffade.discover(**run, budget=300, save_dir=tmp_path / "a", resume=stopped_dir)
    whole = ffade.discover(**run, budget=300, save_dir=tmp_path / "b")
    assert resumed.summary["status"] == "finished" and resumed.summary["evaluations"] == 300
    log = "evaluations.jsonl"  # the same decisions as a run never stopped
    assert (resumed.dir / log).read_bytes() == (whole.dir / log).read_bytes()
    with pytest.raises(ffade.FfadeError, match=r"^resume: expected a run directory"):
        ffade.discover(**run, budget=300, save_dir=tmp_path / "a", resume=3)
    with pytest.raises(ffade.FfadeError) as error:  # named as the keyword typed
        ffade.discover(**run, budget=300, resume=tmp_path / "nope")
    assert str(error.value) == f"resume: run directory {tmp_path / 'nope'} does not exist"


def test_a_run_with_a_callback_object_stopped_names_the_python_resume_and_it_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """config.yaml cannot record a callback object (a warning says so up front), so the shell's
    ``ffade fit --config ... --ckpt_path`` cannot resume such a run: its stopped line names the
    call's ``resume=``, and that call, given the same callback again, finishes the run."""

    class StopOnce(Callback):
        def __init__(self) -> None:
            self.batches, self.stopped = 0, False

        def on_train_batch_end(self, *args: Any) -> None:
            self.batches += 1
            if self.batches == 2 and not self.stopped:
                self.stopped = True
                raise KeyboardInterrupt

    stop = StopOnce()
    run = {"task": synthetic_spec(), "explorer": "random", "budget": 64, "num_envs": 8}
    run |= {"save_dir": tmp_path, "trainer": {"callbacks": [stop]}}
    with pytest.warns(FfadeWarning, match="cannot record it"), pytest.raises(KeyboardInterrupt):
        ffade.discover(**run)
    stopped = tmp_path / "ffade" / "version_0"
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "ffade fit" not in line and line.endswith(
        f"; resume it with: ffade.discover(<the same arguments>, resume={str(stopped)!r})"
    )
    with pytest.warns(FfadeWarning, match="cannot record it"):
        resumed = ffade.discover(**run, resume=stopped)
    assert resumed.summary["status"] == "finished" and resumed.summary["evaluations"] == 64
    assert stop.batches > 2  # the resumed run used the callback given again


def test_an_ffade_warning_in_a_script_is_one_ffade_line(
    first_calls_in_a_process: subprocess.CompletedProcess,
) -> None:
    """Python printed "/.../ffade/evaluator.py:242: FfadeWarning: ..." and then a source line of
    ffade's; a caller that records warnings (pytest.warns: test_callable_target.py) still gets
    the FfadeWarning itself. (The whole script's stderr: its first calls warn of nothing.)"""
    result = first_calls_in_a_process
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [ln for ln in result.stderr.replace("\r", "\n").splitlines() if "warning" in ln.lower()]
    assert len(lines) == 1 and lines[0].startswith(
        "ffade: warning: reward 'margin' scored the outputs of target 'nan_far_out' as metric nan"
    ), result.stderr[-2000:]
    assert "evaluator.py" not in result.stderr and "FfadeWarning" not in result.stderr


def test_resuming_a_finished_run_returns_it_and_a_changed_argument_is_said_as_the_call_says(
    tmp_path: Path,
) -> None:
    """resume= of a run that had finished raised TypeError (Path(None)) after "nothing to
    resume"; one whose budget differs was refused in the command's words (--ckpt_path,
    model.init_args.budget, "the run's own config.yaml")."""
    run = {"task": synthetic_spec(), "explorer": "random", "budget": 16, "save_dir": tmp_path}
    finished = ffade.discover(**run)
    again = ffade.discover(**run, resume=finished)
    assert again.dir == finished.dir and again.summary["evaluations"] == 16
    assert [p.name for p in (tmp_path / "ffade").iterdir()] == ["version_0"]  # nothing new
    # its checkpoint named instead: the run was returned as Run('.../checkpoints/last.ckpt')
    again = ffade.discover(**run, resume=finished.dir / "checkpoints" / "last.ckpt")
    assert again.dir == finished.dir and again.summary["evaluations"] == 16
    with pytest.raises(ffade.FfadeError) as error:  # was "point resume: at a run's ..."
        ffade.discover(**run, resume=str(finished.dir / "evaluations.jsonl"))
    assert str(error.value).endswith(
        "; point resume at a run's checkpoints/last.ckpt (or its run directory)"
    )
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(**{**run, "budget": 32}, resume=finished.dir)
    said = str(error.value)
    assert said.startswith(f"resume: {finished.dir}") and "--ckpt_path" not in said
    assert "saved with budget = 16, but this call says 32;" in said
    assert said.endswith(
        "give the arguments the run was started with, or leave resume out to start a new run"
    )


def test_a_resume_of_another_explorer_or_concepts_says_what_differs(tmp_path: Path) -> None:
    """The refusal named the run's class by its module (ffade.explore.baselines.RandomExplorer)
    beside this call's public path, and a concept left out only as two lists cut at 80
    characters, which hid it."""
    run = {"task": synthetic_spec(), "explorer": "random", "budget": 16, "save_dir": tmp_path}
    finished = ffade.discover(**run)
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(**{**run, "explorer": "dqn"}, resume=finished)
    assert (
        "was saved by ffade.explore.RandomExplorer, but this call runs ffade.explore.DQNExplorer;"
    ) in str(error.value)
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(**{**run, "task": synthetic_spec(num_concepts=2)}, resume=finished)
    assert (
        "saved with 3 task.concepts (axis(index=0), axis(index=1), axis(index=2)), but this call "
        "says 2 (axis(index=0), axis(index=1)): it lacks the run's concepts[2] = axis(index=2);"
    ) in str(error.value)


class StopAtStep(Callback):
    """Ctrl-C as the fine-tune's ``step``-th optimizer step starts (past its checkpoint at 10)."""

    def __init__(self, step: int) -> None:
        self.step, self.stopped = step, False

    def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
        if trainer.global_step == self.step and not self.stopped:
            self.stopped = True
            raise KeyboardInterrupt


def test_a_fine_tune_stopped_in_python_resumes_with_resume_to_the_uninterrupted_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """mitigate had no ``resume``: its stopped fine-tune's line gave "resume it with: ffade fit
    --config ... --ckpt_path ...", which cannot load a model living in the script. The same
    priorities given again on resume change nothing (they were refused by nothing, but feedback.yaml
    and its pictures were written again); other ones are refused, as a resume keeps its run's."""
    run = ffade.discover(
        task={"target": "digits_cnn", **ROTATED_DIGITS},
        explorer="grid",
        budget=24,
        save_dir=tmp_path,
    )
    high = {"regions": [{"rank": 1, "priority": "high"}]}
    args = {"save_dir": tmp_path, "name": "fix", "max_epochs": 6, "clean_tolerance": 1.0}
    args.update(max_finetune_inputs=32, batch_size=8, guard_pairs=64)  # 4 steps an epoch
    with pytest.raises(KeyboardInterrupt):
        ffade.mitigate(run, high, trainer={"callbacks": [StopAtStep(15)]}, **args)
    stopped = tmp_path / "fix" / "version_0"
    line = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("ffade:")][-1]
    assert line.endswith(
        f"; resume it with: ffade.mitigate(<the same arguments>, resume={str(stopped)!r})"
    )
    assert "ffade fit" not in line and not (stopped / "mitigation.json").exists()
    files = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in run.dir.rglob("*") if p.is_file()}
    low = {"regions": [{"rank": 1, "priority": "low"}]}
    with pytest.raises(ffade.FfadeError) as error:  # redo=True or not: it would train on others
        ffade.mitigate(run, low, redo=True, resume=stopped, **args)
    assert str(error.value).startswith(
        f"resume: {run.dir / 'feedback.yaml'} holds other priorities"
    )
    assert not (tmp_path / "fix" / "version_1").exists()
    with pytest.raises(ffade.FfadeError) as error:  # other slices: the setting is named
        ffade.mitigate(run, high, threshold=0.25, resume=stopped, **args)
    assert str(error.value).startswith(
        f"resume: {run.dir / 'feedback.yaml'} holds answers for slices found with threshold=0.5,"
    )
    with pytest.raises(ffade.FfadeError) as error:  # was Lightning's traceback, a failed run
        ffade.mitigate(run, high, resume=stopped, **{**args, "max_epochs": 1})
    assert str(error.value) == (
        f"resume: {stopped / 'checkpoints' / 'last.ckpt'} has trained 3 epochs already, more "
        "than the trainer's max_epochs 1; give max_epochs 3 or more, or leave resume out to "
        "start a new run"
    )
    assert not (tmp_path / "fix" / "version_1").exists()

    resumed = ffade.mitigate(run, high, resume=stopped, **args)  # the same priorities: a no-op
    now = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in run.dir.rglob("*") if p.is_file()}
    assert now == files  # nothing rewritten, no picture drawn again
    whole = ffade.mitigate(run, high, **{**args, "name": "whole"})
    assert resumed.dir == tmp_path / "fix" / "version_1"
    first, second = whole.mitigation, resumed.mitigation
    for key in ("wall_seconds", "fixed_weights", "fixed_target"):  # times and paths differ
        first.pop(key), second.pop(key)
    assert second == first and first["status"] == "accepted"
    assert first["training"]["steps"] == 24
    a, b = (torch.load(r.dir / "model.pt", weights_only=True) for r in (whole, resumed))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    again = ffade.mitigate(run, resume=resumed, **args)  # finished: returned, not run again
    assert again.dir == resumed.dir and not (tmp_path / "fix" / "version_2").exists()


def test_a_keyword_mitigate_does_not_take_is_named_as_typed_before_anything_runs(
    tmp_path: Path,
) -> None:
    """One not close to mitigate's own keywords got jsonargparse's "model: Option 'lerning' is
    not accepted by ffade.mitigate.ClassifierFineTuner", after the priorities were applied."""
    run = ffade.discover(task=synthetic_spec(), budget=64, num_envs=16, save_dir=tmp_path)
    for typed, meant in (("lerning", "learning_rate"), ("max_epoch", "max_epochs")):
        with pytest.raises(ffade.FfadeError) as error:
            ffade.mitigate(run, save_dir=tmp_path, **{typed: 1})
        said = str(error.value)
        assert said.startswith(f"mitigate: unknown argument {typed!r} (did you mean {meant!r}?)")
        assert "; allowed: run, priorities, finetuner, max_epochs, " in said
        assert (
            "resume, and ClassifierFineTuner's train, learning_rate, " in said
            and "model" not in said
        )
        assert ", run," not in said.partition(" and ")[2]  # mitigate sets run and feedback itself
    with pytest.raises(ffade.FfadeError) as error:  # nothing close: the allowed ones still
        ffade.mitigate(run, xyzzy=1, save_dir=tmp_path)
    assert str(error.value).startswith("mitigate: unknown argument 'xyzzy'; allowed: run, ")
    assert not (run.dir / "feedback.yaml").exists() and not (tmp_path / "mitigate").exists()


def test_an_argument_the_call_sets_is_refused_in_init_args(tmp_path: Path) -> None:
    """``explorer={class_path, init_args: {budget: 5}}`` was overwritten by ``budget``'s default:
    a search of 1000 evaluations, not 5, and nothing said so."""
    spec = synthetic_spec()
    for key in ("budget", "task"):
        explorer = {"class_path": "random", "init_args": {key: 5}}
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, explorer=explorer, save_dir=tmp_path)
        assert str(error.value) == (
            f"explorer: init_args {key!r} is set by discover's {key!r} keyword, which would "
            f"replace it; give {key}= to discover instead"
        )
    finetuner = {"class_path": "classifier", "init_args": {"feedback": "mine.yaml"}}
    run = tmp_path / "run"  # a run directory: ffade.Run takes no other
    run.mkdir()
    (run / "summary.json").write_text("{}")
    with pytest.raises(ffade.FfadeError) as error:
        ffade.mitigate(run, finetuner=finetuner, save_dir=tmp_path)
    assert str(error.value) == (
        "finetuner: init_args 'feedback' is set by mitigate's 'priorities' keyword, which would "
        "replace it; give priorities= to mitigate instead"
    )
    assert [path.name for path in tmp_path.iterdir()] == ["run"]


def test_a_callback_object_is_one_warning_that_config_yaml_cannot_record_it(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    """A callback object passed from Python printed jsonargparse's raw "Unable to serialize
    instance <...>" warning, though the run used it; config.yaml holds that text instead."""

    class Count(Callback):
        def __init__(self) -> None:
            self.batches = 0

        def on_train_batch_end(self, *args: Any) -> None:
            self.batches += 1

    count = Count()
    ffade.discover(
        task=synthetic_spec(),
        explorer="random",
        budget=64,
        num_envs=16,
        save_dir=tmp_path,
        trainer={"callbacks": [count]},
    )
    assert count.batches == 4  # the run used it
    said = [str(w.message) for w in recwarn if issubclass(w.category, FfadeWarning)]
    assert said == [
        "trainer.callbacks[0] is a Count object made in this process: the run uses it, but its "
        "config.yaml cannot record it, so `ffade fit --config` cannot rerun that config; give "
        "{class_path, init_args} to record it"
    ]
    assert not [w for w in recwarn if "Unable to serialize" in str(w.message)]


def test_an_ffade_warning_points_at_the_callers_line(tmp_path: Path) -> None:
    """A recorded (or logged) FfadeWarning was located in ffade/api/calls.py or
    ffade/evaluator.py, lines of ffade's that told the caller nothing; it is at the call."""
    from tests.api.callables import nan_far_out

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        ffade.discover(
            task=synthetic_spec(),
            target=nan_far_out,  # a metric nan: a warning from deep in the run
            explorer="random",
            budget=64,
            save_dir=tmp_path,
            trainer={"callbacks": [Callback()]},  # one from the call itself: config.yaml
        )
    ours = [w for w in caught if issubclass(w.category, FfadeWarning)]
    said = [str(w.message) for w in ours]
    assert any("cannot record it" in m for m in said) and any("metric nan" in m for m in said)
    assert {(w.filename, w.lineno) for w in ours} == {(__file__, line)}


@pytest.mark.parametrize(
    ("action", "filters"),
    [("ignore", {"category": FfadeWarning}), ("ignore", {"module": "ffade"}), ("error", {})],
)
def test_an_ffade_warning_is_silenced_or_raised_by_a_warnings_filter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str, filters: dict
) -> None:
    """The README says how to silence FfadeWarning or make it an error: a filter on its
    category, or on the ``ffade`` module (a warning is issued from ffade's modules; only its
    shown place is the caller's line). "error" ends the call with the warning raised and the
    run's summary.json saying ``status: failed``."""
    from tests.api.callables import nan_far_out

    call = {"task": synthetic_spec(), "target": nan_far_out, "explorer": "random", "budget": 64}
    with warnings.catch_warnings():
        warnings.filterwarnings(action, **(filters or {"category": FfadeWarning}))
        if action == "error":
            with pytest.raises(FfadeWarning, match="metric nan"):
                ffade.discover(**call, save_dir=tmp_path)
            summary = json.loads((tmp_path / "ffade" / "version_0" / "summary.json").read_text())
            assert summary["status"] == "failed"
        else:
            assert ffade.discover(**call, save_dir=tmp_path).summary["invalid"] > 0
            assert "warning" not in capsys.readouterr().err


def test_a_callback_whose_default_config_yaml_cannot_hold_is_one_line_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lightning's Timer by class_path was refused as "('cannot represent an object',
    <Interval.step: 'step'>)" (jsonargparse cannot write its Enum default to config.yaml),
    naming neither the callback nor the fix; the value given plainly runs."""
    expected = (
        "lightning.pytorch.callbacks.Timer: config.yaml cannot record its interval "
        "<Interval.step: 'step'>; give it as a plain value (init_args: {interval: 'step'}), "
        "or, from Python, pass a Timer object"
    )
    timer = {"class_path": "lightning.pytorch.callbacks.Timer"}
    run = {"task": synthetic_spec(), "explorer": "random", "budget": 8, "save_dir": tmp_path}
    with pytest.raises(ffade.FfadeError) as error:
        ffade.discover(**run, trainer={"callbacks": [timer]})
    assert str(error.value) == expected
    config = write_config(tmp_path / "c.yaml", budget=8, save_dir=tmp_path / "cli")
    typed = [
        "fit",
        "--config",
        str(config),
        "--trainer.callbacks+=lightning.pytorch.callbacks.Timer",
    ]
    capsys.readouterr()
    assert main(typed) == 2
    assert capsys.readouterr().err == f"ffade: error: {expected}\n"
    timer["init_args"] = {"interval": "step"}
    assert ffade.discover(**run, trainer={"callbacks": [timer]}).summary["evaluations"] == 8


def test_a_count_given_as_any_integer_scalar_is_taken(tmp_path: Path) -> None:
    """``budget=torch.tensor(20)`` was refused ("expected an integer, got tensor(20)") while
    ``np.int64(20)`` was taken, and an explorer's ``num_envs`` takes either: a 0-d integer tensor
    or array is one integer too. A float, a bool or a one-element list of them is still not."""
    import numpy as np
    import torch

    spec = synthetic_spec()
    for mistake in [torch.tensor(8.0), torch.tensor(True), torch.tensor([8]), np.array([8])]:
        with pytest.raises(ffade.FfadeError) as error:
            ffade.discover(task=spec, explorer="random", budget=mistake, save_dir=tmp_path)
        assert str(error.value).startswith("budget: expected an integer, got ")
    assert not tmp_path.joinpath("ffade").exists()
    run = ffade.discover(
        task=spec,
        explorer="random",
        budget=torch.tensor(8),
        seed=np.array(3),
        max_inputs=torch.tensor(4, dtype=torch.int32),
        save_dir=tmp_path,
    )
    summary = run.summary
    assert (summary["budget"], summary["seed"], summary["task"]["max_inputs"]) == (8, 3, 4)
    assert summary["evaluations"] == 8


def test_a_finished_run_resumed_from_python_names_what_python_types(tmp_path: Path, capsys) -> None:
    """A finished run given to ``resume=`` said "Read it with: ffade report RUN", and a search a
    trainer limit stopped, resumed under the same limit, "--trainer.max_steps 3 is reached
    already": shell words for a caller in Python, as ``ffade.discover(budget=0)`` is told
    ``budget``, not ``model.init_args.budget``."""
    spec = synthetic_spec()
    run = ffade.discover(spec, explorer="random", budget=20, save_dir=tmp_path, name="done")
    capsys.readouterr()
    again = ffade.discover(
        spec, explorer="random", budget=20, save_dir=tmp_path, name="done", resume=run
    )
    said = capsys.readouterr()
    assert again.dir == run.dir
    assert said.out == (
        f"ffade: {run.dir} already finished (status finished); nothing to resume. Read it with: "
        f"ffade.report({str(run.dir)!r})\n"
    )
    limit = {"max_steps": 3}
    short = ffade.discover(spec, budget=200, save_dir=tmp_path, name="short", trainer=limit)
    assert short.summary["stop_reason"] == "Lightning's Trainer stopped it (trainer.max_steps 3)"
    capsys.readouterr()
    ffade.discover(spec, budget=200, save_dir=tmp_path, name="short", trainer=limit, resume=short)
    err = capsys.readouterr().err
    assert "trainer's max_steps 3 is reached already (" in err
    assert "--trainer" not in err
