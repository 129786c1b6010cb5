"""docs/plugins.md must be enough: install its example package and use it from a config."""

from __future__ import annotations

import ast
import contextlib
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ffade import plugin_index
from ffade.errors import FfadeError
from ffade.plugin_api import Dataset
from tests.helpers import REPO, ffade_in_process

BLOCK = re.compile(r"```\w+\n# (\S+)\n(.*?)```", re.DOTALL)


DIST_INFO = "ffade_points-0.1.0.dist-info"
FFADE = str(Path(sys.executable).parent / "ffade")


def write_doc_files(tmp_path: Path, *, dist_info: bool = True) -> Path:
    """The doc's files as it says: the package's in ffade-points/, try.yaml there too (it is
    run from there), points.yaml beside; the hand-written dist-info only when asked."""
    doc = (REPO / "docs" / "plugins.md").read_text()
    package = tmp_path / "ffade-points"
    files = dict(BLOCK.findall(doc))
    assert {"setup.cfg", "pyproject.toml", "ffade_points/__init__.py", "points.yaml"} <= set(files)
    assert {"try.yaml", f"{DIST_INFO}/METADATA", f"{DIST_INFO}/entry_points.txt"} <= set(files)
    for name, text in files.items():
        if name.startswith(DIST_INFO) and not dist_info:
            continue
        folder = tmp_path if name.endswith(".yaml") and name != "try.yaml" else package
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return package


def env_with(*paths: Path) -> dict[str, str]:
    """This test's environment with ``paths`` first on PYTHONPATH, then whatever ffade this
    test runs (a worktree's, CI's)."""
    old = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [*map(str, paths), old]))}


@contextlib.contextmanager
def _on_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[None]:
    """``folder`` first on sys.path, as PYTHONPATH would put it, with no ffade_points imported
    before or kept after: the next test finds the package only as its own setup puts it."""
    with monkeypatch.context() as patch:
        patch.syspath_prepend(str(folder))
        patch.delitem(sys.modules, "ffade_points", raising=False)
        try:
            yield
        finally:
            for name in [m for m in sys.modules if m.split(".")[0] == "ffade_points"]:
                del sys.modules[name]


@pytest.mark.slow
def test_the_example_package_installs_lists_and_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip installs the doc's package; the doc's two listings find it, and ``ffade fit`` (its own
    process, as typed) runs points.yaml. The listings and the report go through ``main`` in this
    process with the install's folder on sys.path, as PYTHONPATH puts it in a new process: each
    new process spent 2-7 s of CPU importing, and ffade reads the entry points afresh each call."""
    package = write_doc_files(tmp_path, dist_info=False)
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(package),
        ],
        check=True,
        capture_output=True,
    )
    env = env_with(site)
    # the doc's two checks: the names, fast; then the concepts, described
    with _on_path(monkeypatch, site):
        names = ffade_in_process("plugins", "--names")
        concepts = ffade_in_process("plugins", "concept")
    assert names.returncode == 0 and "BROKEN" not in names.stdout, names.stdout
    listed = set(names.stdout.split())
    assert {"linear", "points", "shift_x", "mirror", "wrong_side"} <= listed, names.stdout
    assert concepts.returncode == 0 and "BROKEN" not in concepts.stdout, concepts.stdout
    assert "shift_x  (ffade-points 0.1.0; ffade_points:ShiftX)" in concepts.stdout
    assert "mirror  (ffade-points 0.1.0" in concepts.stdout and "targets:" not in concepts.stdout
    run = subprocess.run(
        [FFADE, "fit", "--config", str(tmp_path / "points.yaml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "ffade" / "version_0" / "summary.json").read_text())
    assert summary["evaluations"] > 0 and summary["failures"] > 0
    assert summary["gradient_updates"] > 0
    # the string-valued concept and the concept used twice, under their labels, in config order
    concepts = [(c["label"], c["values"]) for c in summary["concepts"]]
    assert concepts == [
        ("shift_small", [-0.5, -0.25, 0.0, 0.25, 0.5]),
        ("shift_large", [-2.0, -1.0, 0.0, 1.0, 2.0]),
        ("mirror", ["none", "flip_y", "swap"]),
    ]
    assert "top failure rule:" in run.stdout and "next: ffade report" in run.stdout
    with _on_path(monkeypatch, site):
        report = ffade_in_process("report", "runs/ffade/version_0", cwd=tmp_path)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (tmp_path / "runs" / "ffade" / "version_0" / "report.md").is_file()


@pytest.mark.slow
def test_the_example_package_runs_uninstalled_by_import_path(tmp_path: Path) -> None:
    """docs/plugins.md: try.yaml names each plugin module:Class; run from ffade-points/, the
    ffade command imports ffade_points from there, with no install and no PYTHONPATH."""
    package = write_doc_files(tmp_path, dist_info=False)
    run = subprocess.run(
        [FFADE, "fit", "--config", "try.yaml"], cwd=package, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads((package / "runs" / "ffade" / "version_0" / "summary.json").read_text())
    assert summary["evaluations"] == 100 and summary["failures"] > 0
    # a concept named by path is labelled by it unless given a label
    assert [c["label"] for c in summary["concepts"]] == ["ffade_points:ShiftX", "mirror"]
    assert summary["task"]["target"]["name"] == "ffade_points:LinearClassifier"


def test_a_hand_written_dist_info_on_pythonpath_gives_the_entry_point_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/plugins.md: METADATA and entry_points.txt in ffade_points-0.1.0.dist-info beside
    the package, the folder on PYTHONPATH: listed under its distribution, usable by name.
    Through ``main`` in this process with the folder on sys.path, where PYTHONPATH puts it
    (three new processes cost about 15 s of CPU); the install test runs ``ffade fit`` as typed."""
    package = write_doc_files(tmp_path)
    with _on_path(monkeypatch, package):
        names = ffade_in_process("plugins", "--names")
        concepts = ffade_in_process("plugins", "concept", cwd=package)
        config = str(tmp_path / "points.yaml")
        run = ffade_in_process(
            "fit", "--config", config, "--model.init_args.budget=64", cwd=tmp_path
        )
    assert {"linear", "points", "shift_x", "mirror", "wrong_side"} <= set(names.stdout.split())
    assert "shift_x  (ffade-points 0.1.0; ffade_points:ShiftX)" in concepts.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads((tmp_path / "runs" / "ffade" / "version_0" / "summary.json").read_text())
    assert summary["evaluations"] == 64
    assert [c["plugin"] for c in summary["concepts"]] == ["shift_x", "shift_x", "mirror"]


def test_a_stand_in_for_a_missing_neutral_is_applied_and_clean_outputs_are_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/plugins.md: with values [1, 2] the stand-in 1 is still applied, at the neutral
    state that reports, fine-tuners and the guard use; a reward's clean_outputs are not."""
    from ffade.changes import ChangedInputs
    from ffade.env import Evaluator
    from ffade.plugin_api import Reward, Scores
    from ffade.registry import register, unregister
    from ffade.task import build_task

    package = write_doc_files(tmp_path, dist_info=False)
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.delitem(sys.modules, "ffade_points", raising=False)
    seen: list = []

    class CleanSeen(Reward):
        needs_clean_outputs = True

        def score(self, outputs, references, clean_outputs=None) -> Scores:
            seen.append(clean_outputs)
            return Scores(metric=outputs[:, 0], failed=outputs[:, 0] > 0, reward=outputs[:, 0])

    register("reward", "clean_seen", CleanSeen)
    try:
        task = build_task(
            {
                "target": {"name": "ffade_points:LinearClassifier"},
                "dataset": {"name": "ffade_points:Points", "args": {"num_points": 20}},
                "reward": {"name": "clean_seen"},
                "concepts": [{"name": "ffade_points:ShiftX", "args": {"values": [1.0, 2.0]}}],
            }
        )
        assert any("1.0, the closest, stands for 'unchanged'" in note for note in task.notes)
        assert task.space.neutral.tolist() == [0]  # the grid index of 1.0
        ids = np.arange(3)
        unchanged = ChangedInputs(task).unchanged(ids)[0]
        at_neutral = ChangedInputs(task).inputs(ids, np.zeros((3, 1), np.int64))
        assert torch.equal(at_neutral, unchanged + torch.tensor([1.0, 0.0]))  # applied
        Evaluator(task, budget=3).evaluate(ids, np.zeros((3, 1), np.int64))
        assert torch.equal(seen[0], task.target.predict(unchanged))  # the unchanged inputs'
    finally:
        unregister("reward", "clean_seen")
        sys.modules.pop("ffade_points", None)


def test_the_callable_target_signature_is_as_shown() -> None:
    """The doc's ffade.CallableTarget(...) block: every argument, in order, with its default."""
    import ffade

    doc = (REPO / "docs" / "plugins.md").read_text()
    shown = re.search(r"```python\n(ffade\.CallableTarget\(.*?\))\n```", doc, re.DOTALL)
    assert shown is not None
    call = ast.parse(shown.group(1), mode="eval").body
    written = [(a.id, inspect.Parameter.empty) for a in call.args]
    written += [(k.arg, ast.literal_eval(k.value)) for k in call.keywords]
    actual = inspect.signature(ffade.CallableTarget).parameters.values()
    assert written == [(p.name, p.default) for p in actual]


def test_the_environment_signature_is_as_shown() -> None:
    """The doc's `FailureEnv(evaluator, mode=..., ...)` line: help() and inspect showed only
    `**kwargs` (the vector env's, num_envs among them: FailureEnv(ev, num_envs=2) was a
    'multiple values' TypeError), not the keywords and defaults the doc lists."""
    from ffade.env import FailureEnv

    doc = (REPO / "docs" / "plugins.md").read_text()
    shown = re.search(r"`(FailureEnv\(evaluator, mode=.*?\))`", doc, re.DOTALL)
    assert shown is not None
    call = ast.parse(shown.group(1).replace("\n", " "), mode="eval").body
    written = [(a.id, inspect.Parameter.empty) for a in call.args]
    written += [(k.arg, ast.literal_eval(k.value)) for k in call.keywords]
    actual = inspect.signature(FailureEnv).parameters.values()
    assert written == [(p.name, p.default) for p in actual]


def test_the_environment_example_builds_and_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/plugins.md's points_env.py on the example package (its dist-info on sys.path), and
    FailureEnv's keywords as the doc lists them."""
    from ffade.env import FailureVectorEnv

    package = write_doc_files(tmp_path)
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.delitem(sys.modules, "ffade_points", raising=False)
    code = dict(BLOCK.findall((REPO / "docs" / "plugins.md").read_text()))["points_env.py"]
    namespace: dict = {}
    try:
        exec(code, namespace)  # the doc's own code
        env = namespace["env"]
        assert list(env.action_space.nvec) == [5, 4]  # shift_x's and mirror's default grids
        env.reset(seed=0)
        _, _, terminated, _, info = env.step(env.action_space.sample())
        assert (
            terminated
            and info["evaluated"]
            and namespace["task"].reward.plugin_name == "wrong_side"
        )
    finally:
        sys.modules.pop("ffade_points", None)
    doc = (REPO / "docs" / "plugins.md").read_text()
    shown = re.search(r"`(FailureEnv\(evaluator, mode=.*?\))`", doc, re.DOTALL)
    assert shown is not None
    call = ast.parse(" ".join(shown.group(1).split()), mode="eval").body
    keywords = [(k.arg, ast.literal_eval(k.value)) for k in call.keywords]
    actual = inspect.signature(FailureVectorEnv).parameters.values()
    assert keywords == [
        (p.name, p.default) for p in actual if p.name not in ("evaluator", "num_envs")
    ]


def test_the_flattening_wrapper_drives_the_environment_to_the_end_of_its_budget() -> None:
    doc = (REPO / "docs" / "plugins.md").read_text()
    namespace: dict = {}
    exec(dict(BLOCK.findall(doc))["flat_actions.py"], namespace)  # the doc's own code
    from ffade.env import Evaluator, FailureEnv
    from ffade.task import build_task
    from tests.helpers import synthetic_spec

    evaluator = Evaluator(build_task(synthetic_spec(num_inputs=4)), budget=5)
    env = namespace["FlatActions"](FailureEnv(evaluator, mode="macroscopic"))
    assert env.action_space.n == 1000  # three concepts of ten values
    assert list(env.action(123)) == [1, 2, 3]  # row-major: the last concept fastest
    env.reset(seed=0)
    rewards = []
    for _ in range(8):
        _, reward, _, truncated, info = env.step(env.action_space.sample())
        rewards.append((reward, truncated, info["evaluated"]))
        env.reset()
    assert evaluator.remaining == 0
    assert rewards[-1] == (0.0, True, False)  # past the budget: nothing evaluated, truncated


def test_an_environment_with_a_recorder_leaves_a_run_that_ffade_report_reads(
    tmp_path: Path, capsys
) -> None:
    """docs/plugins.md: RunRecorder on the Evaluator, then write_summary: ffade report works."""
    from ffade.cli import main
    from ffade.env import Evaluator, FailureEnv
    from ffade.records import RunRecorder
    from ffade.task import build_task
    from tests.helpers import synthetic_spec

    run_dir = tmp_path / "external"
    with RunRecorder(run_dir) as recorder:
        evaluator = Evaluator(
            build_task(synthetic_spec(num_inputs=16)), budget=40, recorder=recorder
        )
        env = FailureEnv(evaluator, mode="macroscopic")
        env.reset(seed=0)
        while evaluator.remaining:
            env.step(env.action_space.sample())
            env.reset()
        evaluator.write_summary(explorer="outside loop", seed=0, gradient_updates=7)
    assert recorder._log.closed  # the with block closed the log (docs/plugins.md)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["explorer"], summary["evaluations"], summary["gradient_updates"]) == (
        "outside loop",
        40,
        7,
    )
    assert summary["failures"] == evaluator.failures and len(summary["concepts"]) == 3
    assert main(["report", str(run_dir)]) == 0, capsys.readouterr().err
    assert "| explorer | outside loop |" in (run_dir / "report.md").read_text()
    with pytest.raises(FfadeError, match=r"needs the run directory: .*recorder=ffade\.records"):
        Evaluator(evaluator.task).write_summary(explorer="no recorder")


@pytest.mark.slow
def test_the_fine_tuner_for_a_new_output_kind_runs_as_shown(tmp_path: Path) -> None:
    """docs/plugins.md, Your own fine-tuner: margin.yaml, priorities.yaml and fix.yaml with the
    package on PYTHONPATH, as its commands run them; the loop names that section for a
    fine-tuner of another kind and takes the doc's own."""
    write_doc_files(tmp_path, dist_info=False)
    assert (tmp_path / "ffade-points" / "ffade_points" / "margin.py").is_file()
    run, fix = tmp_path / "runs" / "margin" / "version_0", tmp_path / "runs" / "margin_fix"

    def typed(*argv: str) -> subprocess.CompletedProcess:
        # each in a process of its own: importing margin.py defines a LightningModule subclass
        # that outlives the test in this process, and jsonargparse then warns, in later tests'
        # commands, that it cannot import ffade_points
        return subprocess.run(
            [sys.executable, "-m", "ffade", *argv],
            cwd=tmp_path,
            env=env_with(tmp_path / "ffade-points"),
            capture_output=True,
            text=True,
            timeout=600,
        )

    found = typed("fit", "--config", "margin.yaml")
    assert found.returncode == 0, found.stderr[-2000:]
    feedback = typed("feedback", str(run), "--from", "priorities.yaml", "--slices", "regions")
    assert feedback.returncode == 0, feedback.stderr[-2000:]
    fixed = typed("fit", "--config", "fix.yaml")
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    loop = {"discover": "margin.yaml", "feedback": "priorities.yaml", "slices": "regions"}
    (tmp_path / "wrong.yaml").write_text(
        json.dumps({**loop, "mitigate": str(REPO / "configs" / "mitigate_digits.yaml")})
    )
    refused = typed("loop", "--config", "wrong.yaml")
    # the classifier fine-tuner on the margin run: ffade fit refuses it as it sets up, as quoted
    wrong_fix = yaml.safe_load((tmp_path / "fix.yaml").read_text())
    run_it = {"run": "runs/margin/version_0"}
    wrong_fix["model"] = {"class_path": "ffade.mitigate.ClassifierFineTuner", "init_args": run_it}
    (tmp_path / "wrong_fix.yaml").write_text(yaml.safe_dump(wrong_fix))
    wrong = typed("fit", "--config", "wrong_fix.yaml")
    # its last line: the feedback's region is the neutral state, which a note says before it
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines()[-1].startswith(
        "ffade: error: model.init_args.run: ClassifierFineTuner fixes targets that return a "
        "classifier's class scores, but the run 'runs/margin/version_0' searched target "
        "'ffade_points.margin:MarginLine', which returns output_kind 'margin': give "
        "model.class_path a fine-tuner of your own for output_kind 'margin', which no "
        "fine-tuner shipped with ffade fixes; "
    ), wrong.stderr[-2000:]
    assert "fix accepted: clean sign accuracy " in fixed.stdout  # its own clean_metric, named
    assert "\nwhy: clean sign accuracy changed by " in fixed.stdout  # there too, not "accuracy"
    mitigation = json.loads((fix / "version_0" / "mitigation.json").read_text())
    assert mitigation["clean_metric"] == "sign accuracy"
    assert mitigation["fixed_target"]["args"]["weights"].endswith("model.pt")
    assert refused.returncode == 2 and "returns output_kind 'margin'" in refused.stderr
    assert refused.stderr.strip().endswith("see docs/plugins.md, Your own fine-tuner")
    doc = (REPO / "docs" / "plugins.md").read_text()
    assert "\n## Your own fine-tuner\n" in doc  # the section the line names


def test_the_reused_rewards_are_listed_with_the_distribution_that_holds_them() -> None:
    """A package that reuses `misclassification` needs ffade-vision installed, which the page
    never said: an author who listed only `ffade` in install_requires met `unknown reward` on a
    fresh machine. The page's list must be every shipped reward, each under its distribution."""
    from ffade.registry import available

    doc = (REPO / "docs" / "plugins.md").read_text()
    section = doc.split("**Reusing one of ffade's rewards:**")[1].split("**Details")[0]
    items = [item.split("\n\n")[0] for item in section.split("\n- ")[1:]]
    listed = {
        item.split("`")[1]: set(re.findall(r"`(\w+)`", item.split(":", 1)[1])) for item in items
    }
    shipped: dict[str, set[str]] = {}
    for plugin in available("reward"):
        dist = plugin.distribution.split()[0]
        if dist in {"ffade-vision", "ffade-text", "ffade-diffusion"}:
            shipped.setdefault(dist, set()).add(plugin.name)
    assert listed == shipped


def test_the_trainable_target_example_meets_the_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/plugins.md, Trainable targets: the example has what a fine-tuner checks (model,
    preprocess, weights), model(preprocess(x)) is predict(x) with gradients, and the weights a
    fine-tuner would save load back through its weights argument."""
    from ffade import registry
    from ffade.mitigate.plan import check_trainable
    from ffade.plugin_api import TrainableTarget

    package = write_doc_files(tmp_path, dist_info=False)
    name = "ffade_points.trainable:TrainableLinear"
    with _on_path(monkeypatch, package):
        target = registry.create("target", name)
        assert isinstance(target, TrainableTarget) and target.cpu_threads is None
        check_trainable(target, name)  # raises if a member is missing
        points = torch.randn(8, 2)
        trained = target.model(target.preprocess(points))
        assert trained.requires_grad and torch.equal(trained.detach(), target.predict(points))
        assert not target.model.training  # handed over in eval mode
        with torch.no_grad():
            target.model.weight.mul_(-1)
        torch.save(target.model.state_dict(), tmp_path / "model.pt")
        fixed = registry.create("target", name, {"weights": str(tmp_path / "model.pt")})
        assert torch.equal(fixed.model.weight, target.model.weight)
        assert target.path_arguments == ("weights",)


class _Named(Dataset):
    """A dataset whose constructor names itself as docs/plugins.md says it may."""

    def __init__(self, num_inputs: int = 4, seed: int = 0) -> None:
        if num_inputs < 1:
            raise FfadeError(f"dataset '{self.plugin_name}': num_inputs must be at least 1")
        super().__init__(seed)

    def split(self, name: str) -> list[tuple[torch.Tensor, int]]:
        return [(torch.zeros(2), 0)]


def test_plugin_name_is_set_before_the_constructor_runs_as_the_page_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/plugins.md said ffade set ``plugin_name`` "after" a reward's ``__init__``, which left
    a plugin's constructor errors no documented way to name the plugin; the registry sets it
    before, so the page says so, and a constructor's error names the plugin as the config does."""
    from ffade import registry

    doc = " ".join((REPO / "docs" / "plugins.md").read_text().split())
    assert "before the instance's `__init__` runs" in doc
    assert "on the instance after" not in doc
    monkeypatch.setitem(plugin_index.registered_plugins, ("dataset", "named_points"), _Named)
    with pytest.raises(FfadeError) as raised:
        registry.create("dataset", "named_points", {"num_inputs": 0}, "task.dataset")
    assert str(raised.value).startswith("dataset 'named_points': task.dataset.args.num_inputs")
