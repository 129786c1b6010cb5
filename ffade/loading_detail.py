"""The detail a one-line "cannot load" error ends with: the library's own first line, except
where it misleads (a hub model missing from the local cache, no download tried).

A plugin's target loader says which model it could not load; what follows the colon comes
from here, so the vision, text and diffusion plugins say a cache miss the same way.
"""

from __future__ import annotations


def loading_detail(error: BaseException) -> str:
    """``": <the error's first line>"`` to end a one-line "cannot load" error, or nothing when
    the model is a hub id missing from the local Hugging Face cache (huggingface_hub's
    ``LocalEntryNotFoundError`` in the chain) and no download was tried: the library then says
    it "couldn't connect", which misleads; the plugin's own hint says how to fetch it. When a
    download was tried (a connection error under it: ``local_files_only: false`` offline), the
    library's line stays: the hub could not be reached."""
    missing = False
    cause: BaseException | None = error
    while cause is not None:
        name = type(cause).__name__
        missing = missing or name == "LocalEntryNotFoundError"
        if missing and (isinstance(cause, ConnectionError | TimeoutError) or "Connect" in name):
            missing = False  # a download was tried and the network failed: say so
            break
        cause = cause.__cause__ or cause.__context__
    if missing:
        return ""
    text = str(error).strip()
    return f": {text.splitlines()[0] if text else type(error).__name__}"
