"""The text plugin imports ``inflect`` only to pluralize: importing it costs ~5 s of CPU, which
listing plugins, ``ffade --help`` and every pytest worker's collection paid for nothing."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_edits_or_listing_concepts_does_not_import_inflect() -> None:
    # one fresh interpreter for both (each start imports torch: seconds of CPU)
    code = (
        "import sys\n"
        "import ffade_text.concepts, ffade_text.functional\n"
        "print('import:', 'inflect' in sys.modules)\n"
        "from ffade.cli import main\n"
        "assert main(['plugins', 'concept']) == 0\n"
        "print('listing:', 'inflect' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if line.startswith(("import:", "listing:"))]
    assert said == ["import: False", "listing: False"]
