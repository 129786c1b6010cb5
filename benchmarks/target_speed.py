"""What do the image targets' speed options buy? Images per second, each option against float32.

    python benchmarks/target_speed.py                    # digits_cnn and resnet18, on CPU
    python benchmarks/target_speed.py --device cuda      # the same on a GPU
    python benchmarks/target_speed.py --no-compile       # skip torch.compile (minutes on CPU)

Each target (the bundled digits CNN on 28 px digits; a torchvision ResNet-18 with random weights,
``weights: null``, on 224 px images) is built once per option (precision bf16, channels_last,
compile, all three, and ``cpu_threads: 1``) and its ``predict`` timed on the same batch, best
of ``REPEATS`` after a warm-up (which pays for compilation); the first line of each table is
float32 as shipped, on torch's default threads. Then
``eval_batch_size: auto``'s probe on the digits quickstart grid prints the size it picks.
Benchmarks are never run as tests; plugins/vision/README.md quotes the figures.
Ctrl-C or SIGTERM ends it with one line, exit 130 (its compile cache folder deleted).
"""

from __future__ import annotations

# first, before torch and Lightning load: a Ctrl-C from here on is one line, exit 130
from one_line_errors import ArgumentParser  # beside this script

# isort: split
# before torch: ffade's import takes back, as the process ends, the empty
# $TMPDIR/torchinductor_<user> folder torch's import makes (ffade/inductor_cache.py)
import ffade  # noqa: F401

# isort: split
import argparse
import getpass
import importlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from discovery import digits_task  # benchmarks/discovery.py, beside this script

from ffade import registry
from ffade.auto_batch import probe_batch_size
from ffade.devices import usable_device
from ffade.errors import FfadeError
from ffade.evaluator import Evaluator
from ffade.interrupts import sigterm_as_ctrl_c
from ffade.task import build_task

REPEATS = 3
OPTIONS: dict[str, dict[str, Any]] = {
    "float32": {},
    "bf16": {"precision": "bf16"},
    "channels_last": {"channels_last": True},
    "compile": {"compile": True},
    "all three": {"precision": "bf16", "channels_last": True, "compile": True},
    "one CPU thread": {"cpu_threads": 1},
}
TARGETS = {
    "digits_cnn": ({}, (256, 1, 28, 28)),
    "torchvision_classifier": ({"model": "resnet18", "weights": None}, (8, 3, 224, 224)),
}
"""Target arguments, and the batch each is timed on (batch, channels, height, width)."""


def images_per_second(target: Any, images: torch.Tensor) -> float:
    target.predict(images)  # warm-up: lazy set-up and compilation
    timings = []
    for _ in range(REPEATS):
        if images.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        target.predict(images)
        if images.is_cuda:
            torch.cuda.synchronize()
        timings.append(time.perf_counter() - start)
    return len(images) / min(timings)


def speed_table(name: str, device: str, compile_too: bool) -> None:
    arguments, shape = TARGETS[name]
    images = torch.rand(shape, generator=torch.Generator().manual_seed(0)).to(device)
    print(f"{name} {dict(arguments)}, batch {shape[0]} of {shape[1:]}, {device}")
    base = None
    for option, extra in OPTIONS.items():
        if "compile" in extra and not compile_too:
            continue
        target = registry.create("target", name, {**arguments, **extra, "device": device})
        rate = images_per_second(target, images)
        base = base or rate
        print(f"  {option:>14}: {rate:9.1f} images/s  ({rate / base:.2f}x)", flush=True)


def auto_batch(device: str) -> None:
    task = build_task(digits_task(device=device, num_inputs=64))  # the quickstart's grid
    probe = probe_batch_size(Evaluator(task, batch_size=1), seed=0)
    rates = ", ".join(f"{s}: {r:.0f}" for s, r in probe.inputs_per_second.items())
    print(f"eval_batch_size auto on the digits quickstart grid: {probe.batch_size}")
    print(f"  inputs/s by size: {rates}; stopped: {probe.stopped}")


@contextmanager
def compile_cache() -> Iterator[None]:
    """torch.compile keeps its kernels in /tmp/torchinductor_<user> for good; this run's go in a
    folder removed at the end, unless the user chose one (TORCHINDUCTOR_CACHE_DIR): the warm-up
    pays for compiling anyway. Torch sets that variable to its default folder as Lightning
    imports it, so the default is told from a choice by its path; and it fixes the folder of
    its precompiled headers (150 MB on a CPU) at import, so that one is moved too."""
    chosen = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    default = os.path.join(tempfile.gettempdir(), f"torchinductor_{getpass.getuser()}")
    if chosen is not None and os.path.abspath(chosen) != os.path.abspath(default):
        yield
        return
    try:  # torch's own module, imported by the first compile otherwise
        codecache = importlib.import_module("torch._inductor.codecache")
    except ImportError:
        codecache = None
    headers = {name: getattr(codecache, name, None) for name in ("_HEADER_DIR", "_HEADER_LOCK_DIR")}
    with tempfile.TemporaryDirectory(prefix="target_speed_") as cache:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
        for name, path in headers.items():
            if path is not None and path.startswith(default):
                setattr(codecache, name, cache + path[len(default) :])
        try:
            yield
        finally:
            for name, path in headers.items():
                if path is not None:
                    setattr(codecache, name, path)
            if chosen is None:
                del os.environ["TORCHINDUCTOR_CACHE_DIR"]
            else:
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = chosen


def main() -> None:
    parser = ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1")
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="skip torch.compile: no compile, no all three line",
    )
    parser.add_argument(
        "--targets",
        nargs="+",
        default=list(TARGETS),
        choices=list(TARGETS),
        help="default both (torchvision_classifier: a ResNet-18 with random weights)",
    )
    parser.add_argument("--skip-auto", action="store_true", help="skip the auto batch probe")
    args = parser.parse_args()
    try:  # one line, not torch's traceback at the first tensor moved there
        usable_device(args.device, fix="give --device cpu")
    except FfadeError as exc:
        parser.error(f"argument --device: {exc}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    try:  # a stop is one line, not a traceback from inside torch.compile
        with sigterm_as_ctrl_c():
            with compile_cache():
                for name in args.targets:
                    speed_table(name, args.device, not args.no_compile)
            if not args.skip_auto:
                auto_batch(args.device)
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog}: interrupted\n")


if __name__ == "__main__":
    main()
