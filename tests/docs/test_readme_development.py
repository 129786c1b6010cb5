"""README's Development section says how pytest spreads the tests as pyproject.toml does."""

from __future__ import annotations

import re

from tests.helpers import REPO


def test_the_worker_sentence_names_the_dist_mode_pyproject_uses() -> None:
    """README said "one test module per worker at a time", but ``--dist loadscope`` makes each
    test class a unit of its own, which may run on the other worker: the sentence now names the
    mode and what it keeps together, and stays tied to ``addopts``."""
    (addopts,) = re.findall(r'^addopts = "(.*)"$', (REPO / "pyproject.toml").read_text(), re.M)
    workers, dist = re.search(r"-n (\d+)", addopts), re.search(r"--dist (\w+)", addopts)
    assert workers and dist, addopts
    readme = " ".join((REPO / "README.md").read_text().split())
    sentence = readme[readme.index("`pytest` runs on ") :].split(": many tests", 1)[0]
    words = {"2": "two"}.get(workers[1], workers[1])
    assert sentence.startswith(f"`pytest` runs on {words} worker processes"), sentence
    assert f"`--dist {dist[1]}`" in sentence, sentence
    if dist[1] == "loadscope":  # grouped by module for functions, by class for methods
        assert "each test class is a unit of its own" in sentence, sentence
        assert "one test module per worker" not in sentence, sentence
