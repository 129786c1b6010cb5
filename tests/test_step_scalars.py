"""A search step's scalars reach TensorBoard as one event, and any other logger as before."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto.event_pb2 import Event

from ffade.explore import DQNExplorer
from ffade.explore.run import discover
from ffade.step_scalars import log_step_scalars
from tests.helpers import synthetic_spec


def _summary_events(run_dir: Path) -> list:
    (path,) = run_dir.glob("events.out.tfevents.*")
    events = [Event.FromString(record) for record in RawEventFileLoader(str(path)).Load()]
    return [e for e in events if e.HasField("summary")]


def test_each_step_of_a_search_is_one_event_with_all_its_scalars(tmp_path: Path) -> None:
    """One event per scalar went through torch's writer queue of ten: a step's dozen scalars
    made every step wait on the writer thread (docs/discovery.md, "Where the DQN's loop goes")."""
    explorer = DQNExplorer(task=synthetic_spec(), budget=160, num_envs=16, learning_starts=32)
    discover(explorer, tmp_path, seed=0, name="tb")
    run_dir = Path(explorer.recorder.run_dir)
    steps = [e for e in _summary_events(run_dir) if e.step >= 1]
    assert [e.step for e in steps] == list(range(1, explorer.iterations + 1))
    for event in steps:
        tags = {value.tag for value in event.summary.value}
        assert {"train/epsilon", "discovery/evaluations", "train/reward"} <= tags, tags
    last = {v.tag: v.simple_value for v in steps[-1].summary.value}
    assert last["discovery/evaluations"] == explorer.evaluator.evaluations == 160
    events = EventAccumulator(str(run_dir))
    events.Reload()  # TensorBoard reads them as one point per step and tag
    points = events.Scalars("discovery/failures_found")
    assert [p.step for p in points] == list(range(1, explorer.iterations + 1))
    assert points[-1].value == explorer.evaluator.failures


def test_a_prefixed_tensorboard_logger_and_a_csv_logger_get_them_by_log_metrics(
    tmp_path: Path,
) -> None:
    prefixed = TensorBoardLogger(str(tmp_path), name="tb", prefix="search")
    log_step_scalars(prefixed, {"train/reward": 0.5, "train/epsilon": 1.0}, 3)
    prefixed.experiment.flush()
    tags = [v.tag for e in _summary_events(Path(prefixed.log_dir)) for v in e.summary.value]
    assert sorted(tags) == ["search-train/epsilon", "search-train/reward"]
    csv = CSVLogger(str(tmp_path), name="csv")
    log_step_scalars(csv, {"train/reward": 0.5}, 3)
    csv.save()
    lines = (Path(csv.log_dir) / "metrics.csv").read_text().splitlines()
    assert lines == ["step,train/reward", "3,0.5"]
