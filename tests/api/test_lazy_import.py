"""``import ffade`` stays light: the API's names load torch and Lightning only when used."""

from __future__ import annotations

import subprocess
import sys

import ffade


def test_import_ffade_loads_neither_torch_nor_lightning() -> None:
    code = (
        "import sys, ffade; from ffade.cli import main; "
        "print(sorted(m for m in ('torch', 'lightning') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_public_names_resolve() -> None:
    assert callable(ffade.discover) and callable(ffade.report) and callable(ffade.mitigate)
    assert ffade.Run.__name__ == "Run" and issubclass(ffade.FfadeError, Exception)
    assert {"discover", "register", "CallableTarget"} <= set(dir(ffade))
    import ffade.mitigate as package  # the subpackage shadows the function once imported

    assert ffade.mitigate is package and callable(ffade.mitigate)
