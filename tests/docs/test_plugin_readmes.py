"""The plugin READMEs against what is installed: the names their tables list are the ones each
distribution registers, the files and configs they cite exist, and the download command they
give is one the installed huggingface_hub has."""

from __future__ import annotations

import importlib.metadata as md
import re
import shutil

import pytest

from tests.helpers import REPO

PLUGINS = {
    "vision": "ffade-vision",
    "text": "ffade-text",
    "diffusion": "ffade-diffusion",
    "synthetic": "ffade-synthetic",
}


def top_level_names(cell: str) -> set[str]:
    """The backticked names of a table cell, leaving out those inside parentheses (notes)."""
    names, depth = set(), 0
    for match in re.finditer(r"`[^`]*`|[()]", cell):
        token = match.group()
        if token in "()":
            depth += 1 if token == "(" else -1
        elif depth == 0:
            names.add(token.strip("`"))
    return names


@pytest.mark.parametrize(("folder", "distribution"), PLUGINS.items())
def test_the_readme_table_lists_every_registered_plugin(folder: str, distribution: str) -> None:
    text = (REPO / "plugins" / folder / "README.md").read_text()
    rows = {
        m.group(1): top_level_names(m.group(2))
        for m in re.finditer(
            r"^\|\s*(targets|concepts|rewards|datasets)\s*\|(.*)\|\s*$", text, re.M
        )
    }
    assert set(rows) == {"targets", "concepts", "rewards", "datasets"}
    entry_points = md.distribution(distribution).entry_points
    for kind, names in rows.items():
        assert names == {e.name for e in entry_points if e.group == f"ffade.{kind}"}, kind


@pytest.mark.parametrize("folder", PLUGINS)
def test_the_scripts_and_configs_a_readme_cites_exist(folder: str) -> None:
    text = (REPO / "plugins" / folder / "README.md").read_text()
    cited = set(re.findall(r"(?:plugins/\w+/)?scripts/\w+\.py|configs/\w+\.yaml", text))
    assert cited
    for path in cited:
        where = (
            REPO / path
            if path.startswith(("plugins", "configs"))
            else REPO / "plugins" / folder / path
        )
        assert where.is_file(), path


def test_the_download_command_the_docs_give_is_installed() -> None:
    """huggingface_hub 1.x (which transformers 5 needs) removed ``huggingface-cli``: the docs,
    the configs and the errors give ``hf download``."""
    assert shutil.which("hf") or any(
        e.name == "hf" for e in md.distribution("huggingface_hub").entry_points
    )
    files = [*REPO.glob("*.md"), *REPO.glob("docs/*.md"), *REPO.glob("configs/*.yaml")]
    files += [*REPO.glob("plugins/*/README.md"), *REPO.glob("plugins/*/ffade_*/**/*.py")]
    stale = [str(p.relative_to(REPO)) for p in files if "huggingface-cli" in p.read_text()]
    assert not stale
    assert "hf download" in (REPO / "configs" / "sd14.yaml").read_text()
