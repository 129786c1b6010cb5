"""Links in the Markdown docs, read as GitHub reads them: the one way the doc tests slug a
heading, so a test that checks a link agrees with the page GitHub renders."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

from tests.helpers import REPO

FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.MULTILINE | re.DOTALL)  # in a list too
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# [text](target) and ![alt](target); the target stops at a space (a "title") or the last ')'.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text: the text as rendered (a link shows its words, code
    and emphasis lose their marks), lower case, every character but letters, digits, '-', '_'
    and spaces dropped, each space a '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    parts = re.split(r"(`+[^`]*`+)", text)  # odd parts are code: their '_' and '*' stay
    text = "".join(
        part.strip("`") if odd else re.sub(r"<[^>]+>|\*+|(?<!\w)_+|_+(?!\w)", "", part)
        for odd, part in ((i % 2, part) for i, part in enumerate(parts))
    )
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def without_code(text: str) -> str:
    """The text with fenced blocks blanked (same line count) and code spans removed: a '#' line
    in a shell example is no heading, and `[x](y)` in backticks is no link."""
    text = FENCE.sub(lambda m: "\n" * m.group().count("\n"), text)
    return CODE_SPAN.sub("", text)


@cache
def anchors(text: str) -> frozenset[str]:
    """Every anchor a Markdown page has: its headings' slugs, a repeated one as slug-1, slug-2."""
    seen: dict[str, int] = {}
    found = set()
    for match in HEADING.finditer(FENCE.sub("", text)):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def links(text: str) -> list[str]:
    """The targets of every inline and reference link and image, code left out."""
    prose = without_code(text)
    return [m.group(1) for m in LINK.finditer(prose)] + REFERENCE.findall(prose)


@cache
def tracked() -> frozenset[Path]:
    """Every file git tracks, and every folder that holds one: what GitHub shows."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    files = {REPO / name for name in listed}
    return frozenset(files | {folder for path in files for folder in path.parents})


def markdown_files() -> list[Path]:
    """Every Markdown file git tracks in the repository."""
    return sorted(path for path in tracked() if path.suffix == ".md" and path.is_file())


def broken(target: str, page: Path) -> str | None:
    """Why a link on ``page`` leads nowhere, or None where it is fine: a web address is not
    checked; a relative one must name a file or folder that exists, and its '#anchor' (into a
    Markdown page) a heading of it."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
        return None
    path, _, anchor = target.partition("#")
    where = (page.parent / path).resolve() if path else page
    if not where.exists():
        return f"no file {path}"
    if page.is_relative_to(REPO) and not where.is_relative_to(REPO):
        return f"{path} is outside the repository"
    if where.is_relative_to(REPO) and where not in tracked():
        return f"{path} is not tracked by git, so GitHub has no such file"
    if anchor and where.suffix == ".md" and anchor not in anchors(where.read_text("utf-8")):
        return f"{path or page.name} has no heading #{anchor}"
    return None


# A doc that code cites: README.md, docs/X.md or plugins/X/README.md, then '#anchor', or ', '
# and a heading's words, or ', ' and a passage of the doc in quotes.
CITED = re.compile(
    r"(?<![\w/.])((?:docs/|plugins/\w+/)?[\w-]+\.md)"
    r"(?:#([\w-]+)|, \\?[\"']([^\"'\\]+)\\?[\"']|, ([A-Za-z][^)\"'\n:;]*))?"
)


def one_line(source: str) -> str:
    """Python source as running text: a string continued on the next line ("a " / "b"), a
    comment continued on the next comment line, and line breaks joined, so a citation split
    across lines reads whole."""
    source = re.sub(r"[\"']\s*\n\s*f?[\"']", "", source)
    source = re.sub(r"\n\s*#\s*", " ", source)
    return re.sub(r"\s+", " ", source)


def code_citations() -> list[tuple[str, str, str, str, str]]:
    """(file, doc, anchor, passage, heading) for each doc that ffade's, the plugins', the
    example's and the benchmarks' code cites by its path from the repository's root; a bare
    name such as ``report.md`` is a run's file, not a doc."""
    found = []
    code = ["ffade/**/*.py", "plugins/*/*/**/*.py", "examples/**/*.py", "benchmarks/**/*.py"]
    for path in sorted(file for pattern in code for file in REPO.glob(pattern)):
        for match in CITED.finditer(one_line(path.read_text("utf-8"))):
            doc = match.group(1)
            if "/" in doc or doc == "README.md":
                cited = tuple(group or "" for group in match.groups())
                found.append((str(path.relative_to(REPO)), *cited))
    return found


def citation_broken(doc: str, anchor: str, passage: str, heading: str) -> str | None:
    """Why a citation in code leads nowhere, or None: the doc must exist, its '#anchor' be one of
    its headings, its heading words name one, its quoted passage be in it."""
    where = REPO / doc
    if not where.is_file():
        return f"no file {doc}"
    text = where.read_text("utf-8")
    if anchor and anchor not in anchors(text):
        return f"{doc} has no heading #{anchor}"
    if heading and slug(heading) not in anchors(text):
        return f"{doc} has no heading {heading!r}"
    if passage and passage.lower() not in re.sub(r"[\s*]+", " ", text).lower():
        return f"{doc} does not say {passage!r}"
    return None
