"""Plugins import the libraries only their work needs when that work runs: ``inflect`` (~2 s of
CPU) to pluralize, scikit-learn (~1 s) to load the digits. Importing the text edits, listing the
plugins (``ffade plugins``) and every pytest worker's collection paid for both. torchvision
(~1 s: ``import torchvision`` imports ``torch._dynamo``) waits for the first image transform."""

from __future__ import annotations

import subprocess
import sys

LATE = ("inflect", "sklearn", "torchvision", "torch._dynamo")
"""Libraries no plugin needs just to be imported or listed."""


def test_importing_the_text_edits_or_listing_plugins_imports_no_late_library() -> None:
    # one fresh interpreter for both (each start imports torch: seconds of CPU)
    code = (
        "import sys\n"
        "import ffade_text.concepts, ffade_text.functional\n"
        f"print('import:', [m for m in {LATE!r} if m in sys.modules])\n"
        "from ffade.cli import main\n"
        "assert main(['plugins']) == 0\n"
        f"print('listing:', [m for m in {LATE!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if line.startswith(("import:", "listing:"))]
    assert said == ["import: []", "listing: []"]
