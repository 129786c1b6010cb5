"""Every link in the Markdown docs, and every doc the code cites, leads somewhere: the docs were
restructured (new headings, moved text), and a link into a heading renamed since goes to the top
of the page on GitHub, silently. Pure text, GitHub's slug rules (tests/markdown_links.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO
from tests.markdown_links import (
    anchors,
    broken,
    citation_broken,
    code_citations,
    links,
    markdown_files,
    slug,
)


def test_every_relative_link_in_every_tracked_markdown_file_leads_to_a_file_and_heading() -> None:
    files = markdown_files()
    assert REPO / "README.md" in files and REPO / "docs" / "plugins.md" in files
    checked, failures = 0, []
    for page in files:
        for target in links(page.read_text("utf-8")):
            checked += 1
            why = broken(target, page)
            if why:
                failures.append(f"{page.relative_to(REPO)}: ({target}) {why}")
    assert checked > 150
    assert not failures, "\n".join(failures)


def test_every_doc_the_code_cites_has_the_heading_or_words_it_names() -> None:
    """``docs/X.md#anchor``, ``docs/X.md, Heading words`` and ``docs/X.md, "a passage"`` in
    the messages, docstrings and comments of ffade, the plugins, the example and the benchmarks."""
    citations = code_citations()
    assert len(citations) > 40 and any(heading for *_, heading in citations)
    failures = [
        f"{where}: {why}" for where, *cited in citations if (why := citation_broken(*cited))
    ]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("4–5. Verify: discover again, compare", "45-verify-discover-again-compare"),
        ("Several small regions: `--task regions`", "several-small-regions---task-regions"),
        ("What `smallest_failing_changes` means", "what-smallest_failing_changes-means"),
        ("`events.out.tfevents.*`", "eventsouttfevents"),
        ("Comparing two runs (`--compare`)", "comparing-two-runs---compare"),
        ("The **bold** [linked](x.md) _part_", "the-bold-linked-part"),
    ],
)
def test_a_heading_is_slugged_as_github_slugs_it(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor_and_code_is_no_heading() -> None:
    text = (
        "# Exit status\n\n```sh\n# not a heading\n```\n## Exit status\n"
        "- a list item\n\n  ```sh\n# nor this\n  ```\n### Exit status\n"
    )
    assert anchors(text) == {"exit-status", "exit-status-1", "exit-status-2"}


def test_a_link_to_a_missing_heading_or_file_is_found(tmp_path: Path) -> None:
    """The check itself: a page whose links are broken is reported, a link in code is not read."""
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n## Top\n[a](#top-1) [b](#top-2) [c](other.md) [d](page.md#top) `[e](#nope)`\n"
        "[f](https://example.com/x#y)\n",
        encoding="utf-8",
    )
    reasons = {target: broken(target, page) for target in links(page.read_text("utf-8"))}
    assert reasons == {
        "#top-1": None,
        "#top-2": "page.md has no heading #top-2",
        "other.md": "no file other.md",
        "page.md#top": None,
        "https://example.com/x#y": None,
    }


def test_a_link_to_a_file_github_does_not_have_is_found() -> None:
    """A file on this disk but not in git (.git itself) or above the repository is no link."""
    readme = REPO / "README.md"
    assert broken(".git", readme) == ".git is not tracked by git, so GitHub has no such file"
    assert broken("../", readme) == "../ is outside the repository"
    assert broken("docs/", readme) is None
