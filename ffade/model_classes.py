"""Which model class ``ffade fit`` runs: ffade's explorers and fine-tuners by name, the class a
command's ``--model`` or config names, and the one a misspelt name likely means.

``ffade fit --help`` shows the named class's arguments, the dashed-value hint reads a number
option's type from it, and a misspelt class is told the classes there are; each reads the
name the same way here.
"""

from __future__ import annotations

import difflib
import importlib

from ffade.errors import FfadeError

PLUGIN_CLASSES = "or a plugin's fine-tuner by its full class path, as its README gives it"
"""Said after ffade's own model classes: a plugin's fine-tuner has no short name (its module is
not imported until a config names it), and ``class_path: Seq2SeqFineTuner`` was answered with a
list that left it out, as if the plugin were not installed."""


def model_classes() -> dict[str, str]:
    """{class name: full class path} of every explorer and fine-tuner ffade provides."""
    import ffade.explore as explore
    import ffade.mitigate as mitigate

    return {
        name: f"{module.__name__}.{name}"
        for module in (explore, mitigate)
        for name in module.__all__
        if name.endswith(("Explorer", "FineTuner")) and name not in ("Explorer", "FineTuner")
    }


def model_class_paths() -> list[str]:
    """The full class path of every explorer and fine-tuner ffade provides, as configs name them."""
    return list(model_classes().values())


def model_class_guess(name: str) -> str | None:
    """The class path of the explorer or fine-tuner a misspelled class name or path likely
    means (``DQNExplorr`` -> ``ffade.explore.DQNExplorer``), if one is close."""
    known = model_classes()
    close = difflib.get_close_matches(name.rsplit(".", 1)[-1], list(known), n=1, cutoff=0.6)
    return known[close[0]] if close else None


def named_class(args: list[str]) -> str | None:
    """The model class ``ffade fit ARGS`` names (the last ``--model`` or config naming one), as
    given; None where none names one."""
    from ffade.config_files import config_paths
    from ffade.yamlfile import read_yaml

    named = None
    for i, arg in enumerate(args):
        if arg in ("--config", "-c") or arg.startswith(("--config=", "-c")):
            path = config_paths(args[i : i + 2])
            try:
                data = read_yaml(path[0], "") if path else None
                named = data["model"]["class_path"]
            except (FfadeError, TypeError, KeyError, IndexError):
                pass  # no class named here; a broken file is refused once the help is shown
        elif arg.split("=")[0] == "--model":
            following = args[i + 1] if i + 1 < len(args) else "-"
            named = arg.partition("=")[2] or (None if following[:1] == "-" else following)
    return named if isinstance(named, str) else None  # --model --help: no class given


def model_without_class(args: list[str]) -> bool:
    """Whether ``ffade fit ARGS`` gives ``--model`` no class (nothing, or an option, after it;
    or ``--model=``): ``ffade fit --model --help`` printed the DQN's whole help before
    argparse's line for it."""
    return any(
        arg == "--model=" or (arg == "--model" and "".join(args[i + 1 : i + 2])[:1] in ("", "-"))
        for i, arg in enumerate(args)
    )


def resolved(value: str) -> tuple[type | None, str]:
    """The class ``value`` (a short name of ffade's or a full class path) names, and its class
    path; ``(None, "")`` where it names no class."""
    path = model_classes().get(value, value)
    module, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return None, ""
    return (found, path) if isinstance(found, type) else (None, "")


def chosen_class(args: list[str]) -> tuple[type | None, str]:
    """The model class ``ffade fit ARGS`` runs, and its class path as given; ``(None, "")``
    where none is named or the name is no class."""
    named = named_class(args)
    return resolved(named) if named is not None else (None, "")
