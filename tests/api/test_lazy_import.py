"""``import ffade`` stays light: the API's names load torch and Lightning only when used."""

from __future__ import annotations

import inspect
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
    assert issubclass(ffade.FfadeWarning, UserWarning)  # the README's pytest.warns(...) needs it
    assert {"discover", "register", "CallableTarget"} <= set(dir(ffade))
    import ffade.mitigate as package  # the subpackage shadows the function once imported

    assert ffade.mitigate is package and callable(ffade.mitigate)
    # help() and a notebook's tooltip still show the call's arguments, not (*args, **kwargs)
    from ffade.api.calls import mitigate

    assert inspect.signature(ffade.mitigate) == inspect.signature(mitigate)
    assert "finetuner" in str(inspect.signature(ffade.mitigate))
    assert "ffade.api.calls.mitigate" in ffade.mitigate.__doc__


def test_the_modules_the_docs_name_resolve_after_a_plain_import() -> None:
    """docs/plugins.md says ``ffade.registry.available()`` lists registered plugins, and names
    ``ffade.registry.create``, ``ffade.task.build_task`` and ``ffade.errors.as_written`` so; after
    ``import ffade`` each was an AttributeError ("module 'ffade' has no attribute 'registry'")
    in a fresh process. Each resolves, and a name that is no module still says it is none."""
    code = (
        "import ffade, sys; print(callable(ffade.registry.available), "
        "callable(ffade.task.build_task), ffade.errors.as_written(None), "
        "'ffade.explore' in sys.modules)\n"
        "try:\n    ffade.no_such_module\nexcept AttributeError as error:\n    print(error)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines() == [
        "True True null False",
        "module 'ffade' has no attribute 'no_such_module'",
    ], result.stderr
