"""benchmarks/discovery.py refuses arguments that would run nothing, or nothing it can time, in
one line naming the argument (exit 2, no traceback), before any grid is swept; it runs from any
directory, and its columns mean what its legend says."""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import re
import runpy
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import yaml

from ffade import run_base
from tests.helpers import REPO, load_benchmark


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    module = load_benchmark("discovery.py")
    return module


def refused(benchmark: ModuleType, monkeypatch, capsys, *args: str) -> str:
    """main() with ``args``: its exit status must be 2; returns the last line of stderr."""
    monkeypatch.setattr(sys, "argv", ["discovery.py", *args])
    with pytest.raises(SystemExit) as exited:
        benchmark.main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--seeds", "0"), "argument --seeds: must be at least 1, got 0"),
        (("--budget-fraction", "0"), "argument --budget-fraction: must be in (0, 1], got 0"),
        (("--budget-fraction", "1.5"), "argument --budget-fraction: must be in (0, 1], got 1.5"),
        (("--large-budget", "-5"), "argument --large-budget: must be at least 1, got -5"),
        (  # argparse said "invalid positive_int value: 'two'", naming a function
            ("--seeds", "two"),
            "argument --seeds: must be a whole number, got 'two'",
        ),
        (("--budget-fraction", "half"), "argument --budget-fraction: must be a number in (0, 1]"),
        (
            ("--task", "synthetic", "--throughput-only"),
            "use it with --task digits, resnet50, t2i, not synthetic",
        ),
        (  # ran on cpu and printed figures with no device named
            ("--task", "regions", "--device", "cuda"),
            "--device cuda moves a real model: use it with --task digits, resnet50, t2i, "
            "not regions",
        ),
        (("--large", "--device", "cuda"), "use it with --task digits, resnet50, t2i, not --large"),
        (  # ran the synthetic 10^6-state grid, not digits
            ("--task", "digits", "--large"),
            "--large runs the synthetic target on a 10^6-state grid: use it with --task "
            "synthetic (the default), not digits",
        ),
        (  # options the run would ignore: said, not silently dropped
            ("--task", "t2i", "--seeds", "2"),
            "--seeds does nothing when only throughput is timed",
        ),
        (
            ("--task", "digits", "--throughput-only", "--explorers", "random", "--seeds", "2"),
            "--seeds and --explorers do nothing when only throughput is timed",
        ),
        (("--large", "--budget-fraction", "0.2"), "--budget-fraction does nothing with --large"),
        (("--large-budget", "9"), "--large-budget does nothing without --large"),
        (("--num-envs", "0"), "argument --num-envs: must be at least 1, got 0"),
        (("--large", "--num-envs", "64"), "--num-envs does nothing with --large"),
    ],
)
def test_arguments_that_would_run_nothing_are_one_line(
    benchmark, monkeypatch, capsys, args: tuple[str, ...], message: str
) -> None:
    line = refused(benchmark, monkeypatch, capsys, *args)
    assert line.startswith("discovery.py: error:") and message in line


def test_num_envs_sets_the_dqns_step_and_explorers_take_turns(benchmark, monkeypatch, capsys):
    """docs/discovery.md quoted DQN runs of 16 and 8 steps (216 and 432 pairs a step on digits)
    that the benchmark, always at the DQN's default step, could not run. And every seed of one
    explorer ran before the next explorer's: a load that came or went during the run weighed on
    one explorer's loop seconds (failures_per_second_dqn_vs_random 16.64 on a busy machine)."""
    runs: list[tuple[str, int]] = []

    def recording(cls: type) -> type:
        class Recording(cls):
            def __init__(self, **kwargs) -> None:
                super().__init__(**kwargs)
                runs.append((cls.__name__, self.num_envs))

        return Recording

    for name in ("dqn", "random"):
        monkeypatch.setitem(benchmark.EXPLORERS, name, recording(benchmark.EXPLORERS[name]))
    argv = ["discovery.py", "--seeds", "2", "--explorers", "dqn", "random", "--num-envs", "200"]
    monkeypatch.setattr(sys, "argv", argv)
    benchmark.main()
    assert runs == [("DQNExplorer", 200), ("RandomExplorer", 32)] * 2  # random keeps its default
    assert "dqn_vs_random_distinct_failures:" in capsys.readouterr().out


def test_ctrl_c_says_once_that_nothing_was_kept(benchmark, monkeypatch, capsys) -> None:
    """Ctrl-C printed ffade's "resume it with: ffade fit ... --ckpt_path /tmp/.../version_0" for
    a run in the temporary folder the benchmark deletes as it stops: a resume of nothing."""
    batch_end = benchmark.LoopClock.on_train_batch_end

    def then_ctrl_c(self, *args) -> None:
        batch_end(self, *args)
        os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C, mid-run

    monkeypatch.setattr(benchmark.LoopClock, "on_train_batch_end", then_ctrl_c)
    monkeypatch.setattr(sys, "argv", ["discovery.py", "--seeds", "1"])
    with pytest.raises(SystemExit) as exited:
        benchmark.main()
    assert exited.value.code == 130
    err = capsys.readouterr().err
    assert "resume" not in err and "version_" not in err, err
    assert err.strip().splitlines()[-1] == (
        "discovery.py: interrupted; its runs were temporary: nothing kept"
    )
    assert not run_base.TEMPORARY_RUNS.get()  # put back: a later run in this process says its lines


def test_a_device_this_machine_lacks_is_one_line(benchmark, monkeypatch, capsys) -> None:
    line = refused(benchmark, monkeypatch, capsys, "--task", "digits", "--device", "cuda:64")
    assert line.startswith("discovery.py: error: argument --device: device 'cuda:64': this ")
    assert line.endswith("; give --device cpu (or install a torch build for it)")  # not YAML's


def test_coverage_refuses_zero_seeds_in_one_line(monkeypatch, capsys) -> None:
    """benchmarks/coverage.py --seeds 0 swept the whole grid, then died dividing by zero."""
    module = load_benchmark("coverage.py")
    monkeypatch.setattr(sys, "argv", ["coverage.py", "--seeds", "0"])
    with pytest.raises(SystemExit) as exited:
        module.main()
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1] == "coverage.py: error: argument --seeds: must be at least 1, got 0"


def test_coverage_says_which_probes_it_counts(monkeypatch, capsys) -> None:
    """coverage.py printed "from 6 of 39 probes" where docs/gate.md's table says 40 probes per
    run: 39 were those the run left unevaluated (what the estimate rests on), 40 were drawn. A
    grid of 4 inputs here (2 searched): budget 200, 10 probes drawn."""
    module = load_benchmark("coverage.py")
    small = dict(
        module.TASKS["synthetic"], dataset={"name": "synthetic", "args": {"num_inputs": 4}}
    )
    monkeypatch.setitem(module.TASKS, "synthetic", small)
    monkeypatch.setattr(sys, "argv", ["coverage.py", "--explorer", "random", "--seeds", "1"])
    module.main()
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("  seed 0:")]
    assert re.search(r"from \d+ failing of \d+ unevaluated probes \(10 drawn\): (hit|MISS)$", line)


def test_target_speed_refuses_a_device_this_machine_lacks_in_one_line(monkeypatch, capsys) -> None:
    """benchmarks/target_speed.py --device cuda on a machine without one was torch's traceback
    ("Found no NVIDIA driver") at the first batch moved there. Run here as ``refused`` runs
    discovery.py: a process of its own spent 8-23 s on imports."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    monkeypatch.setattr(sys, "argv", ["target_speed.py", "--device", "cuda:64"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / "target_speed.py"), run_name="__main__")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("target_speed.py: error: argument --device: device 'cuda:64': this")
    assert line.endswith("; give --device cpu (or install a torch build for it)")


def test_region_recall_counts_a_region_only_when_half_of_it_was_taken(benchmark, capsys) -> None:
    """Random search took 9-12% of each island and the column said 1.00: one hit counted. A
    region with more failing pairs than the budget counts at half the budget (reach 0.4: the
    budget is 40% of it), or no searcher could find it."""
    row = {"found": 30.0, "updates": 0, "loop": 1.0}
    results = {
        "dqn": [{**row, "region_fractions": np.array([0.97, 0.5, 0.2])}],
        "random": [
            {**row, "region_fractions": np.array([0.09, 0.12, 0.11])},
            {**row, "region_fractions": np.array([0.5, 0.01, 0.01])},
        ],
    }
    benchmark.print_discovery(results, oracle=100, reach=np.array([1.0, 1.0, 0.4]))
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("explorer"))
    column = header.index("region recall") + len("region recall")
    recall = {line.split()[0]: float(line[column - 15 : column]) for line in lines[2:4]}
    assert recall == {"dqn": 1.0, "random": 0.17}  # every region; mean of 0 and 1 of 3
    assert (
        "region recall: share of the failure regions of which the explorer took at least 50%"
        in (lines[-1])
    )


def test_region_reach_is_what_the_budget_can_take_of_each_region(benchmark) -> None:
    failed = np.array([[False, True, True, True], [False, True, True, True]])
    regions = np.array([0, 1, 1, 2])  # region 1: 4 failing pairs, region 2: 2
    reach = benchmark.region_reach(failed, regions, budget=3)
    np.testing.assert_allclose(reach, [0.75, 1.0])


def test_startup_config_is_found_from_any_directory(benchmark, monkeypatch, tmp_path) -> None:
    """Run from outside the repository, ``--task digits`` did all its work, then ended in a
    traceback: the quickstart config was the relative path configs/quickstart.yaml."""
    monkeypatch.chdir(tmp_path)
    default = benchmark.fit_startup_seconds.__defaults__[0]
    assert Path(default).is_file() and Path(default).name == "quickstart.yaml"


@pytest.mark.slow
def test_startup_seconds_from_another_directory(benchmark, monkeypatch, tmp_path) -> None:
    """The figure itself, measured from a directory that is not the repository's (one ``ffade
    fit`` launched and killed at its first evaluation)."""
    monkeypatch.chdir(tmp_path)
    assert benchmark.fit_startup_seconds() > 0


def test_startup_column_includes_building_the_task(benchmark, monkeypatch, tmp_path) -> None:
    """The speed table's ``start-up s`` began at ``on_fit_start``, after the explorer's setup had
    built its task (loading the model and the inputs): it read 0.02 s. No clock is read here:
    the benchmark's clock is one that only the explorer's setup moves on."""
    from ffade.explore import RandomExplorer
    from ffade.explore.run import discover

    now = [0.0]
    monkeypatch.setattr(benchmark, "time", SimpleNamespace(perf_counter=lambda: now[0]))

    class SlowSetup(RandomExplorer):
        def setup(self, stage: str) -> None:
            super().setup(stage)
            now[0] += 100.0  # as if building the task took 100 s

    explorer = SlowSetup(task={**benchmark.synthetic_task(), "mode": "macroscopic"}, budget=64)
    clock = benchmark.LoopClock()
    discover(explorer, tmp_path, name="startup", callbacks=[clock])
    assert clock.startup_seconds == 100.0


def test_grid_rates_count_the_coverage_probes_the_loop_evaluated(benchmark, tmp_path) -> None:
    """``evaluations per second ... grid explorer`` divided the grid's pairs by a loop that also
    evaluated its coverage probes (5% more), and so did the raw rate, whose clock timed them:
    both rates read 5% low. The pairs counted are those the raw clock timed."""
    spec = benchmark.synthetic_task(num_inputs=4)
    failed, _, grid = benchmark.ground_truth(spec, str(tmp_path))
    assert grid["pairs"] == failed.size + math.ceil(0.05 * failed.size)


@pytest.mark.parametrize(
    ("script", "says"),
    [  # --help showed the docstring's first line only: not its commands, nor what it prints
        ("coverage.py", "python benchmarks/coverage.py --task synthetic --seeds 20"),
        ("discovery.py", "default synthetic"),  # --task's default was nowhere in --help
        ("scaling.py", "states_exponent: X"),
        ("target_speed.py", "python benchmarks/target_speed.py --no-compile"),
        ("big_run.py", "python benchmarks/big_run.py --budget 50000"),
    ],
)
def test_help_shows_the_commands_and_what_they_print(monkeypatch, capsys, script, says) -> None:
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / script), run_name="__main__")
    assert exited.value.code == 0
    assert says in capsys.readouterr().out


def test_coverage_help_says_its_goal_without_an_unseen_issue(monkeypatch, capsys) -> None:
    """--help said "the issue asks for at least 80%", an issue no user can read."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    monkeypatch.setattr(sys, "argv", ["coverage.py", "--help"])
    with pytest.raises(SystemExit):
        runpy.run_path(str(REPO / "benchmarks" / "coverage.py"), run_name="__main__")
    said = " ".join(capsys.readouterr().out.split())
    assert "the issue" not in said and "The goal is at least 80%" in said, said


def test_scaling_says_when_a_point_dies_instead_of_waiting_for_it(monkeypatch) -> None:
    """benchmarks/scaling.py waited for ever on a point whose process died (killed for memory,
    a crash) without putting its result."""
    module = load_benchmark("scaling.py")
    monkeypatch.setattr(module, "_measure", lambda *args: os._exit(3))  # dies in the child
    said: list[str] = []

    def measure() -> None:
        try:
            module.measure((10, 10, 10), 100, steps=1)
        except RuntimeError as exc:
            said.append(str(exc))

    waiting = threading.Thread(target=measure, daemon=True)  # a hang fails, not hangs the suite
    waiting.start()
    waiting.join(timeout=60)
    assert said and re.search(r"1000 states and 100 inputs: .*exit code 3", said[0])


def test_a_t2i_budget_under_learning_starts_is_refused_before_generating(
    benchmark, monkeypatch, capsys
) -> None:
    """--task t2i --budget-fraction 0.001 generated the check's images, printed "budget 19 images
    (0%)", then refused model.init_args.learning_starts, a key the benchmark has no option for.
    The shipped quickstart now leaves learning_starts to its default (half a small budget), so
    this is a config that sets it, as the quickstart did."""
    quickstart = benchmark.t2i_arguments()
    assert "learning_starts" not in quickstart  # small budgets learn: nothing to refuse
    monkeypatch.setattr(benchmark, "t2i_arguments", lambda: {**quickstart, "learning_starts": 64})
    line = refused(benchmark, monkeypatch, capsys, "--task", "t2i", "--budget-fraction", "0.001")
    assert line == (
        "discovery.py: error: --budget-fraction 0.001 is 19 of the 19200 (prompt, state) pairs, no "
        "more than the quickstart's learning_starts (64): the DQN would never learn; give at "
        "least 0.0034"
    )


def test_ratios_to_a_random_search_that_found_nothing_are_said(benchmark, capsys) -> None:
    """A small --budget-fraction on --task regions: random search found no failure, and the run
    ended in a ZeroDivisionError after printing ``dqn_vs_random_distinct_failures: nan``."""
    row = {"updates": 0, "region_fractions": np.array([0.0])}
    results = {
        "dqn": [{**row, "found": 3, "loop": 1.0}, {**row, "found": 1, "loop": 3.0}],
        "random": [{**row, "found": 0, "loop": 1.0}],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value encountered in scalar divide"
        benchmark.print_ratios(results)
        benchmark.print_discovery(results, oracle=4, reach=np.array([1.0]))
    out = capsys.readouterr().out
    assert "dqn_vs_random_distinct_failures: n/a (random search found no failure" in out
    assert "failures_per_second_dqn_vs_random: n/a (random search found no failure" in out
    results["random"] = [{**row, "found": 1, "loop": 1.0}]
    benchmark.print_ratios(results)  # 2 failures a seed; 4 in 4 s pooled against 1 in 1 s
    assert capsys.readouterr().out.splitlines() == [
        "dqn_vs_random_distinct_failures: 2.00",
        "failures_per_second_dqn_vs_random: 1.00",
    ]


def test_target_speed_compiles_into_a_folder_it_removes(monkeypatch, tmp_path) -> None:
    """benchmarks/target_speed.py meant to keep torch.compile's kernels out of
    /tmp/torchinductor_<user>, but torch had already set TORCHINDUCTOR_CACHE_DIR to that folder
    when Lightning was imported, and ``setdefault`` kept it: the kernels stayed there."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    module = load_benchmark("target_speed.py")
    monkeypatch.setattr(module.tempfile, "tempdir", str(tmp_path))
    default = str(tmp_path / f"torchinductor_{module.getpass.getuser()}")
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", default)  # as torch's import leaves it
    codecache = importlib.import_module("torch._inductor.codecache")
    headers = f"{default}/precompiled_headers"  # fixed at import: 150 MB of them on a CPU
    monkeypatch.setattr(codecache, "_HEADER_DIR", headers)
    with module.compile_cache():
        cache = Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])
        assert cache.is_dir() and cache.name.startswith("target_speed_")
        assert f"{cache}/precompiled_headers" == codecache._HEADER_DIR
    assert not cache.exists() and os.environ["TORCHINDUCTOR_CACHE_DIR"] == default
    assert headers == codecache._HEADER_DIR
    chosen = str(tmp_path / "mine")  # the user's choice is kept
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", chosen)
    with module.compile_cache():
        assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == chosen


@pytest.mark.slow
def test_scaling_says_in_one_line_when_its_one_process_run_fails(
    monkeypatch, capsys, tmp_path
) -> None:
    """The 1-process ``ffade fit`` of scaling.py's last part failing was a traceback. Here it
    fails as a bad config does: its config names an explorer that does not exist."""
    module = load_benchmark("scaling.py")
    monkeypatch.setattr(module, "REPO", tmp_path)  # its own configs/synthetic.yaml
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "synthetic.yaml").write_text(
        "model: {class_path: ffade.explore.NoSuchExplorer, init_args: {}}\n"
        "trainer: {logger: {init_args: {}}}\n"
    )
    with pytest.raises(RuntimeError, match="the 1-process ffade fit failed: exit 2: "):
        module.processes(budget=100)


def test_big_run_refuses_a_file_to_keep_the_run_in_in_one_line(monkeypatch, capsys, tmp_path):
    """benchmarks/big_run.py --keep FILE was mkdir's FileExistsError traceback."""
    kept = tmp_path / "notes.txt"
    kept.write_text("mine\n")
    monkeypatch.setattr(sys, "argv", ["big_run.py", "--keep", str(kept)])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / "big_run.py"), run_name="__main__")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"big_run.py: error: argument --keep: {kept} is a file, not a folder"
    )
    assert kept.read_text() == "mine\n"


@pytest.mark.parametrize(
    ("keep", "line"),
    [
        (  # Path("") is ".": the run, its config and report were written into the current folder
            "",
            "big_run.py: error: argument --keep: an empty path; name a folder to keep the run in",
        ),
        (  # mkdir's FileNotFoundError traceback
            "/proc/ffade-kept",
            "big_run.py: error: argument --keep: cannot make the folder /proc/ffade-kept: "
            "No such file or directory",
        ),
    ],
)
def test_big_run_refuses_a_folder_it_cannot_keep_the_run_in_in_one_line(
    monkeypatch, capsys, tmp_path, keep, line
):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["big_run.py", "--keep", keep])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / "big_run.py"), run_name="__main__")
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines() == [line]
    assert list(tmp_path.iterdir()) == []  # nothing run, nothing written where it was typed


def test_big_run_config_keeps_a_folder_named_with_a_comma_and_a_colon(monkeypatch) -> None:
    """big_run.py --keep "runs, 2: old" wrote the path bare into a YAML flow mapping: the logger's
    save_dir became "runs" (or the YAML did not parse), and the run was not where it looked."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    module = load_benchmark("big_run.py")
    runs = Path("/tmp/runs, 2: old") / "runs"
    config = yaml.safe_load(module.config_text(5000, runs))
    assert config["trainer"]["logger"]["init_args"] == {"save_dir": str(runs), "name": "big"}
    assert config["model"]["init_args"]["budget"] == 5000


def test_a_budget_of_no_evaluation_is_refused_before_the_sweep_with_a_value_that_runs(
    benchmark, monkeypatch, capsys
) -> None:
    """--task regions --budget-fraction 0.00001 swept the whole grid (minutes) before saying
    "give at least 1.6e-05", a value it refused too: 1.6e-05 of 62,208 pairs is 0.995."""

    class Swept(Exception):
        pass

    def sweep(*args) -> None:
        raise Swept

    monkeypatch.setattr(benchmark, "ground_truth", sweep)
    line = refused(benchmark, monkeypatch, capsys, "--task", "regions", "--budget-fraction", "1e-5")
    assert line.startswith("discovery.py: error: --budget-fraction 1e-05 of 62208 pairs is no ")
    least = re.search(r"give at least (\S+)$", line).group(1)
    monkeypatch.setattr(
        sys, "argv", ["discovery.py", "--task", "regions", "--budget-fraction", least]
    )
    with pytest.raises(Swept):  # the suggested value passes, on to the sweep
        benchmark.main()


@pytest.mark.parametrize(
    ("argv", "line"),
    [  # argparse printed its usage block (five lines for discovery.py) above the reason
        (
            ["discovery.py", "--task", "nope"],
            "discovery.py: error: argument --task: invalid choice: 'nope' (choose from 'digits', "
            "'regions', 'resnet50', 'synthetic', 't2i')",
        ),
        (
            ["discovery.py", "--explorers", "dqn", "ppo"],
            "discovery.py: error: argument --explorers: invalid choice: 'ppo' (choose from 'dqn', "
            "'epsilon_greedy', 'random')",
        ),
        (
            ["discovery.py", "--seeds", "0"],
            "discovery.py: error: argument --seeds: must be at least 1, got 0",
        ),
        (
            ["coverage.py", "--seeds", "0"],
            "coverage.py: error: argument --seeds: must be at least 1, got 0",
        ),
        (
            ["big_run.py", "--budget", "-5"],
            "big_run.py: error: argument --budget: must be at least 1024, got -5",
        ),
        (  # these two were argparse's "invalid int value: 'x'", unlike discovery.py's wording
            ["coverage.py", "--seeds", "x"],
            "coverage.py: error: argument --seeds: must be a whole number, got 'x'",
        ),
        (
            ["big_run.py", "--budget", "1e3"],
            "big_run.py: error: argument --budget: must be a whole number, got '1e3'",
        ),
        (
            ["big_run.py", "--budget", "1023"],
            "big_run.py: error: argument --budget: must be at least 1024, got 1023",
        ),
        (
            ["discovery.py", "--large-budget", "4e3"],
            "discovery.py: error: argument --large-budget: must be a whole number, got '4e3'",
        ),
        (  # named the config key the benchmark builds: "target 'digits_cnn':
            # task.target.args.device 'bogus' is not a device", unlike target_speed.py's line
            ["discovery.py", "--task", "digits", "--device", "bogus"],
            "discovery.py: error: argument --device: device 'bogus' is not a device; e.g. cpu, "
            "cuda, cuda:1",
        ),
        (  # the default task: "--device  moves a real model", the value it refused unnamed
            ["discovery.py", "--device", ""],
            "discovery.py: error: argument --device: device '' is not a device; e.g. cpu, cuda, "
            "cuda:1",
        ),
        (
            ["target_speed.py", "--device", "bogus"],
            "target_speed.py: error: argument --device: device 'bogus' is not a device; e.g. "
            "cpu, cuda, cuda:1",
        ),
        (  # argparse: "argument --quick: ignored explicit argument '1'", naming no fix
            ["scaling.py", "--quick=1"],
            "scaling.py: error: argument --quick takes no value, got --quick=1; write --quick "
            "alone, or leave it out",
        ),
        (
            ["discovery.py", "--large=yes"],
            "discovery.py: error: argument --large takes no value, got --large=yes; write "
            "--large alone, or leave it out",
        ),
        (
            ["target_speed.py", "--targets", "resnet"],
            "target_speed.py: error: argument --targets: invalid choice: 'resnet' (choose from "
            "'digits_cnn', 'torchvision_classifier')",
        ),
    ],
)
def test_every_benchmark_refuses_a_bad_argument_in_one_line(monkeypatch, capsys, argv, line):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / argv[0]), run_name="__main__")
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [line] and captured.out == ""


@pytest.mark.slow
def test_a_benchmark_leaves_no_empty_torchinductor_folder(tmp_path) -> None:
    """discovery.py imported torch before ffade, so ffade took the empty
    ``$TMPDIR/torchinductor_<user>`` that torch's import made for the user's and left it there,
    even after a refused argument. (17 s on a busy machine: one script runs; the next test
    checks that the others import ffade first too.)"""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("TORCHINDUCTOR_CACHE_DIR", None)
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "discovery.py"), "--bogus"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("script", ["one_line_errors.py", "temporary_runs.py"])
def test_a_helper_module_run_as_a_script_says_it_is_no_benchmark(monkeypatch, capsys, script):
    """benchmarks/ lists these two beside the benchmarks; run, they printed nothing and exited 0,
    ``--help`` included, as if they had measured something."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    monkeypatch.setattr(sys, "argv", [script])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / script), run_name="__main__")
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{script}: error: a module the benchmarks import, not a benchmark: run discovery.py, "
        "coverage.py, scaling.py, target_speed.py or big_run.py"
    ]
    monkeypatch.setattr(sys, "argv", [script, "--help"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / script), run_name="__main__")
    assert exited.value.code == 0
    assert "It measures nothing: a module the benchmarks import" in capsys.readouterr().out


@pytest.mark.parametrize(
    "script",
    [
        "discovery.py",
        "scaling.py",
        "big_run.py",
        "coverage.py",
        "target_speed.py",
        "temporary_runs.py",  # runnable too: it says it is no benchmark
    ],
)
def test_every_benchmark_imports_ffade_before_torch(script) -> None:
    """The first import after ``__future__``'s is ffade's, which registers the folder's removal
    only if torch (or Lightning, or a benchmark's helper that imports them) has not made it;
    but a measuring script's one_line_errors, which imports neither and is first so that a
    Ctrl-C while they load is one line."""
    body = ast.parse((REPO / "benchmarks" / script).read_text()).body
    imports = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    if script != "temporary_runs.py":
        assert imports.pop(1) == "one_line_errors", imports[:4]
    assert imports[:2] == ["__future__", "ffade"], imports[:4]


def test_the_first_line_counts_its_regions(benchmark) -> None:
    """--task digits printed "1 failure regions" (its grid has one)."""
    failed = np.zeros((32, 1080), bool)
    failed[:, :10] = True
    line = benchmark.task_line("digits", failed, 1, 345, 0.01)
    assert line == (
        "task digits: 32 inputs x 1080 states = 34560 pairs; 320 fail (base rate 0.009); "
        "1 failure region; budget 345 evaluations (1%)"
    )
    assert "; 5 failure regions;" in benchmark.task_line("regions", failed, 5, 622, 0.01)


def said_by(monkeypatch, capsys, argv: list[str]) -> tuple[object, list[str], str]:
    """benchmarks/ARGV[0] run as typed: its exit status, its stderr's lines and its stdout."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # as python puts the script's folder
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO / "benchmarks" / argv[0]), run_name="__main__")
    captured = capsys.readouterr()
    return exited.value.code, captured.err.splitlines(), captured.out


@pytest.mark.parametrize(
    ("argv", "line"),
    [  # ffade names the option meant; the benchmarks said only "unrecognized arguments"
        (
            ["discovery.py", "--tsak", "digits"],
            "discovery.py: error: unrecognized arguments: --tsak digits (did you mean '--task'?)",
        ),
        (
            ["coverage.py", "--sed", "2"],
            "coverage.py: error: unrecognized arguments: --sed 2 (did you mean '--seeds'?)",
        ),
        (
            ["scaling.py", "--quik"],
            "scaling.py: error: unrecognized arguments: --quik (did you mean '--quick'?)",
        ),
        (
            ["big_run.py", "--budgt", "5000"],
            "big_run.py: error: unrecognized arguments: --budgt 5000 (did you mean '--budget'?)",
        ),
        (  # argparse read a shortened option as the whole one, and target_speed.py ran
            ["target_speed.py", "--no-compil"],
            "target_speed.py: error: unrecognized arguments: --no-compil (did you mean "
            "'--no-compile'?)",
        ),
        (  # discovery.py ran 2 seeds, argparse keeping the last --seeds without a word
            ["discovery.py", "--seeds", "1", "--seeds", "2"],
            "discovery.py: error: --seeds given 2 times; give it once",
        ),
        (
            ["big_run.py", "--keep", "-x"],
            "big_run.py: error: argument --keep: expected one argument; '-x' reads as an "
            "option: write --keep=./-x",
        ),
    ],
)
def test_a_misspelt_or_repeated_option_is_said_as_ffade_says_it(monkeypatch, capsys, argv, line):
    code, err, out = said_by(monkeypatch, capsys, argv)
    assert (code, err, out) == (2, [line], "")


@pytest.mark.parametrize(
    "script", ["discovery.py", "coverage.py", "scaling.py", "target_speed.py", "big_run.py"]
)
def test_a_stray_word_beside_help_is_refused_and_help_alone_is_not(monkeypatch, capsys, script):
    """``scaling.py -h x`` printed the help and exited 0, the word dropped as if taken, where
    ``ffade --help x`` is refused."""
    code, err, out = said_by(monkeypatch, capsys, [script, "-h", "x"])
    assert (code, err, out) == (2, [f"{script}: error: unrecognized arguments: x"], "")
    code, err, out = said_by(monkeypatch, capsys, [script, "--help"])
    assert (code, err) == (0, []) and out.startswith("usage: ")
