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


@pytest.mark.parametrize("doc", ["README.md", "plugins/diffusion/README.md"])
def test_the_sd14_downloads_a_doc_gives_fill_the_folders_the_config_reads(doc: str) -> None:
    """configs/sd14.yaml reads its weights from local folders: each doc that says how to fetch
    them gives, as typed, an ``hf download HUB_ID --local-dir DIR`` for every one of them (the
    README once said 'the same for' CLIP, leaving the folder to guess)."""
    config = (REPO / "configs" / "sd14.yaml").read_text()
    folders = set(re.findall(r"model: (~/models/[\w.-]+)", config))
    assert folders == {"~/models/sd14", "~/models/clip-vit-b32"}
    text = " ".join((REPO / doc).read_text().split())  # commands wrap across lines
    downloads = dict(re.findall(r"`hf download ([\w./-]+) --local-dir ([~\w./-]+)`", text))
    assert downloads.get("CompVis/stable-diffusion-v1-4") == "~/models/sd14"
    assert downloads.get("openai/clip-vit-base-patch32") == "~/models/clip-vit-b32"


SHARED_ARGUMENTS = {
    "vision": {
        "concepts": {"values", "label"},  # "A concept's `values` ...", "Every concept also takes"
        "rewards": {"scale", "pass_reward"},  # "Each takes `scale` (10) and `pass_reward` (-1)"
        "targets": {"precision", "channels_last", "compile", "cpu_threads"},  # the speed table
    },
    "text": {
        "concepts": {"values", "label", "seed"},  # "Every text concept takes `values` ..."
        "rewards": {"scale", "pass_reward"},  # "Every reward takes `scale` (10, ..."
    },
    "diffusion": {"concepts": {"values", "label"}},  # "Every concept takes `values` ..."
}
"""Arguments every plugin of a kind takes, documented once in the README, not in each entry."""


def argument_entries(text: str) -> dict[str, str]:
    """A README's argument lists by plugin: a table row ``| `name` | ... |`` (or ``| `name`
    kind | ... |`` where a target and a dataset share a name) and a paragraph ``\\`name\\`
    arguments: ...``; rows of one name joined."""
    found: dict[str, str] = {}
    for match in re.finditer(r"^\|\s*`(\w+)`( \w+)? \|(.*)\|\s*$", text, re.M):
        key = match[1] + (match[2] or "")
        found[key] = found.get(key, "") + match[3]
    for match in re.finditer(r"^`(\w+)` arguments: (.*?)(?:\n\n|\Z)", text, re.M | re.S):
        found[match[1]] = found.get(match[1], "") + match[2]
    return found


@pytest.mark.parametrize(("folder", "distribution"), PLUGINS.items())
def test_each_readme_entry_lists_its_plugins_arguments_and_their_defaults(
    folder: str, distribution: str
) -> None:
    """A plugin's README entry names every constructor argument, and a number or string default
    is said in the parenthesis after it: `hf_pipeline`'s `batch_size` was listed with no default
    (64), `device` and `dtype` without `cpu` and `float32`, and an argument added to a
    constructor but not to its row goes unseen by a user."""
    import inspect

    text = (REPO / "plugins" / folder / "README.md").read_text()
    entries = argument_entries(text)
    shared = SHARED_ARGUMENTS.get(folder, {})
    for names in shared.values():
        assert all(f"`{name}`" in text for name in names), folder
    checked, gaps = 0, []
    for entry_point in md.distribution(distribution).entry_points:
        if not entry_point.group.startswith("ffade."):
            continue
        group = entry_point.group.split(".")[1]
        entry = entries.get(f"{entry_point.name} {group[:-1]}", entries.get(entry_point.name))
        if entry is None:
            continue
        checked += 1
        for name, param in inspect.signature(entry_point.load().__init__).parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            # a shared argument's default is said once, where the README says it takes it
            where = text if name in shared.get(group, ()) else entry
            if f"`{name}`" not in where:
                gaps.append(f"{entry_point.name}: {name} not listed")
                continue
            default = param.default
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                shown = pattern = f"{default:g}"
            elif isinstance(default, str):  # `device` and `dtype` were listed without theirs
                shown = default or '""'  # an empty one is said "empty" (`prefix`)
                pattern = re.escape(default) if default else r'(?:empty|"")'
            else:
                continue
            said = rf"`{name}`\s\((?:[^()]|\([^()]*\))*?(?<![\w.])`?{pattern}(?![\w-])"
            row = rf'^\|\s*`{name}`\s*\|\s*`"?{pattern}"?`\s\(default'  # the speed table
            if not re.search(said, where) and not re.search(row, where, re.M):
                gaps.append(f"{entry_point.name}: {name}'s default {shown} not said")
    assert checked, f"no argument entries found in plugins/{folder}/README.md"
    assert not gaps, gaps


ENTRY_KINDS = ("targets", "concepts", "rewards", "datasets")
"""Kinds whose every plugin has an argument entry in its README, which the test above reads:
`tiny_news_bart`, `diffusers_pipeline` and the bundled datasets were prose (`takes ...`), and
so were the text and diffusion concepts and rewards (`bleu` "fails below `threshold` sentence
BLEU (default 20, ...)", `human`'s "`max_ratings` (50) caps ..."), which it passed over, so no
default of theirs was checked against its constructor."""


@pytest.mark.parametrize(("folder", "distribution"), PLUGINS.items())
def test_every_plugin_has_an_argument_entry(folder: str, distribution: str) -> None:
    entries = argument_entries((REPO / "plugins" / folder / "README.md").read_text())
    unlisted = [
        f"{e.group} {e.name}"
        for e in md.distribution(distribution).entry_points
        if e.group in {f"ffade.{kind}" for kind in ENTRY_KINDS}
        and f"{e.name} {e.group.split('.')[1][:-1]}" not in entries
        and e.name not in entries
    ]
    assert not unlisted, f"plugins/{folder}/README.md: no `NAME` arguments: entry for {unlisted}"


@pytest.mark.parametrize(("folder", "distribution"), PLUGINS.items())
def test_every_plugin_argument_is_named_in_its_readme(folder: str, distribution: str) -> None:
    """Every constructor argument of every plugin the distribution registers is named in its
    README, alone or in a snippet (`` `classifier: {name: digits_cnn}` ``), entry or not:
    diffusion's `cpu_threads`, `prompt_words`' `position` were in no README."""
    import inspect

    spans = re.findall(r"`[^`\n]+`", (REPO / "plugins" / folder / "README.md").read_text())
    missing = []
    for entry_point in md.distribution(distribution).entry_points:
        if not entry_point.group.startswith("ffade."):
            continue
        for name, param in inspect.signature(entry_point.load().__init__).parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if not any(re.search(rf"(?<![\w.-]){name}(?![\w-])", span) for span in spans):
                missing.append(f"{entry_point.group} {entry_point.name}: {name}")
    assert not missing, missing
