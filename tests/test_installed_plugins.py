"""Installed entry points are read once per change to what is installed, never stale: a plugin
pip-installed (or removed) in the middle of a session is seen by the next listing."""

from __future__ import annotations

import os
import shutil
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from ffade import installed_plugins, registry
from ffade.plugin_api import Reward, Scores
from ffade.plugin_listing import main
from ffade.plugin_names import default_name
from tests.test_registry import make_distribution

HOUR_NS = 3600 * 10**9


class LateReward(Reward):
    def score(self, outputs, references, clean_outputs=None) -> Scores:
        return Scores(outputs, outputs < 0, outputs)


def settle(root: Path, hours_ago: int = 1) -> None:
    """Date everything under ``root`` in the past, as a site directory installed long ago is
    (a time within the last seconds is never trusted, so the cache would not be used at all)."""
    past = time.time_ns() - hours_ago * HOUR_NS
    for path in [root, *root.rglob("*")]:
        os.utime(path, ns=(past, past))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty site directory on sys.path, installed long ago."""
    monkeypatch.syspath_prepend(str(tmp_path))
    settle(tmp_path)
    return tmp_path


def reward_names() -> set[str]:
    return {info.name for info in registry.available("reward")}


def test_a_plugin_installed_after_a_listing_is_found_by_the_next(site: Path) -> None:
    assert "late" not in reward_names()
    assert "late" not in reward_names()  # listed twice: read from the cache the second time
    make_distribution(site, "fake-late", "[ffade.rewards]\nlate = tests.test_x:LateReward\n")
    assert "late" in reward_names()
    settle(site, hours_ago=2)  # an older time than the first listing's: only a change counts
    assert "late" in reward_names()


def test_a_plugin_removed_after_a_listing_is_gone_from_the_next(site: Path) -> None:
    make_distribution(site, "fake-gone", "[ffade.rewards]\ngone = tests.test_x:LateReward\n")
    settle(site)
    assert "gone" in reward_names()
    shutil.rmtree(site / "fake_gone-1.0.dist-info")
    settle(site, hours_ago=2)  # settled since: its time differs, not its recency
    assert "gone" not in reward_names()


def test_an_egg_info_rewritten_in_place_is_read_again(site: Path) -> None:
    """``pip install -e`` of a setup.py project rewrites entry_points.txt in the same directory,
    which changes no directory's listing."""
    info = site / "fake_egg.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: fake-egg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ffade.rewards]\negg_one = tests.test_x:LateReward\n")
    settle(site, hours_ago=2)
    assert "egg_one" in reward_names()
    (info / "entry_points.txt").write_text("[ffade.rewards]\negg_two = tests.test_x:LateReward\n")
    settle(info / "entry_points.txt")  # settled, an hour later than before
    assert "egg_two" in reward_names() and "egg_one" not in reward_names()


def test_the_cached_entry_points_are_those_of_a_fresh_scan(site: Path) -> None:
    make_distribution(site, "fake-same", "[ffade.rewards]\nsame = tests.test_x:LateReward\n")
    settle(site)
    for _ in range(2):  # the second time from the cache
        for group in installed_plugins.groups():
            fresh = sorted(entry_points(group=group), key=lambda e: e.name)
            assert list(installed_plugins.entries(group)) == fresh, group
    assert set(installed_plugins.groups()) == set(entry_points().groups)
    assert installed_plugins.entries("no.such.group") == ()


def test_ffade_plugins_lists_a_plugin_installed_between_two_listings(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reward", "--names"]) == 0
    before = capsys.readouterr().out
    assert "  late\n" not in before and "  margin\n" in before
    make_distribution(site, "fake-late", "[ffade.rewards]\nlate = tests.test_x:LateReward\n")
    assert main(["reward", "--names"]) == 0
    after = capsys.readouterr().out
    assert "  late\n" in after
    assert after.replace("  late\n", "") == before  # the same listing, the new plugin added


def test_a_class_installed_mid_session_is_called_by_its_entry_point_name(site: Path) -> None:
    """plugin_names read each group once per process: a class installed later kept the name
    made from its class, not the one a config uses."""
    assert default_name("ffade.rewards", LateReward) == "late_reward"
    make_distribution(
        site, "fake-named", "[ffade.rewards]\nlate_one = tests.test_installed_plugins:LateReward\n"
    )
    assert default_name("ffade.rewards", LateReward) == "late_one"
