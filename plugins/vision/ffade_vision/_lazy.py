"""torchvision's functional transforms, imported when first used, not when a plugin is.

``import torchvision`` imports ``torchvision.models``, whose ``ops`` import ``torch._dynamo``:
about 1 s of CPU. Listing the plugins (``ffade plugins``) imports every plugin module and paid it
though nothing there resizes an image; a vision run still pays it, at its first transform.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module ``name``, importing it at the first attribute read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


F: Any = LazyModule("torchvision.transforms.v2.functional")
"""``torchvision.transforms.v2.functional``, as ``F.resize(...)`` reads it."""
