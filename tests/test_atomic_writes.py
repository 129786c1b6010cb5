"""Every file ffade writes goes through :func:`ffade.records.atomic_path`: old or new, never half.

A reader, or a run killed mid-write, must never meet half a file, and a failed write must leave
no temporary file behind. The source check reads ffade and its plugins with ``ast``: a call that
writes a file (``write_text``, ``write_bytes``, ``savefig``, ``imsave``, ``torch.save``,
``np.save``, ``open(..., "w")``) must write to the temporary path of an ``atomic_path`` block.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from ffade.records import atomic_path, write_text_atomic
from ffade.summarize.plots import save_figure
from tests.helpers import REPO

WRITERS = {"write_text", "write_bytes", "savefig", "imsave", "save"}
"""Calls that write the file named by their receiver or first argument (``torch.save``,
``np.save``; other ``.save`` methods are matched only on the torch and numpy modules)."""

SOURCES = [REPO / "ffade", *(REPO / "plugins").glob("*/ffade_*")]


def temporary_names(tree: ast.AST) -> set[str]:
    """Names bound by ``with atomic_path(...) as NAME``, and by ``open(NAME) as FILE`` after it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.With):
            continue
        for item in node.items:
            call, bound = item.context_expr, item.optional_vars
            if not isinstance(call, ast.Call) or not isinstance(bound, ast.Name):
                continue
            opens_temporary = (
                getattr(call.func, "id", "") == "open"
                and call.args
                and getattr(call.args[0], "id", None) in names
            )
            if getattr(call.func, "id", "") == "atomic_path" or opens_temporary:
                names.add(bound.id)
    return names


def written_path(call: ast.Call) -> ast.expr | None:
    """The path a writing call writes to, or None when the call writes no file."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "imsave" and call.args:
        return call.args[0]
    if isinstance(func, ast.Name) and func.id == "open" and len(call.args) > 1:
        mode = call.args[1]
        writes = isinstance(mode, ast.Constant) and "w" in str(mode.value)
        return call.args[0] if writes else None
    if not isinstance(func, ast.Attribute) or func.attr not in WRITERS:
        return None
    if func.attr in ("write_text", "write_bytes"):
        return func.value
    if func.attr == "save":  # torch.save(obj, file), np.save(file, array)
        module = getattr(func.value, "id", "")
        place = {"torch": 1, "np": 0}.get(module)
        return call.args[place] if place is not None and len(call.args) > place else None
    return call.args[0] if call.args else None


DEVICES = {"os.devnull", "'/dev/tty'"}
"""Written paths that are devices (the questions' terminal), not files a crash could cut."""


def unsafe_writes(path: Path) -> list[str]:
    """Each call in the module that writes a file other than an atomic_path's temporary."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    safe = temporary_names(tree)
    found = []
    for node in ast.walk(tree):
        target = written_path(node) if isinstance(node, ast.Call) else None
        if target is None or ast.unparse(target) in DEVICES:  # a sink or terminal, no file
            continue
        if not (isinstance(target, ast.Name) and target.id in safe):
            found.append(f"{path}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_every_write_goes_through_atomic_path() -> None:
    files = [p for source in SOURCES for p in source.rglob("*.py")]
    assert len(files) > 50
    unsafe = [line for path in files for line in unsafe_writes(path)]
    assert unsafe == [], "\n".join(unsafe)


def test_the_source_check_finds_plain_writes_and_passes_atomic_ones(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f(p, x, figure):\n"
        "    torch.save(x, p)\n"
        "    np.save(p, x)\n"
        "    figure.savefig(p)\n"
        "    with open(p, 'w') as out:\n"
        "        out.write(x)\n"
        "    with atomic_path(p) as tmp, open(tmp, 'wb') as f:\n"
        "        np.save(f, x)\n"
        "        torch.save(x, tmp)\n"
    )
    assert [line.split(": ", 1)[1] for line in unsafe_writes(module)] == [
        "torch.save(x, p)",
        "np.save(p, x)",
        "figure.savefig(p)",
        "open(p, 'w')",
    ]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    write_text_atomic(path, "old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == "old" and not list(tmp_path.glob("*.tmp"))


def test_a_plot_that_fails_to_render_leaves_no_temporary(tmp_path: Path) -> None:
    figure = Figure()
    figure.add_subplot().plot([0, 1])
    save_figure(figure, tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        save_figure(figure, tmp_path / "b.png", dpi=-1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
