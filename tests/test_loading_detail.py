"""The detail a "cannot load" line ends with, from a Hugging Face loading error's chain."""

from __future__ import annotations

from itertools import pairwise

from huggingface_hub.errors import LocalEntryNotFoundError

from ffade.loading_detail import loading_detail


def _chain(*errors: BaseException) -> BaseException:
    """``errors[0]`` raised from ``errors[1]``, raised from ``errors[2]``, ..."""
    for outer, inner in pairwise(errors):
        outer.__cause__ = inner
    return errors[0]


def test_a_model_missing_from_the_cache_adds_no_misleading_connection_words() -> None:
    error = _chain(
        OSError("We couldn't connect to 'https://huggingface.co' to load the files"),
        LocalEntryNotFoundError("Cannot find the requested files in the disk cache"),
    )
    assert loading_detail(error) == ""


def test_a_download_that_could_not_reach_the_hub_says_so() -> None:
    """``local_files_only: false`` offline: the line ended '(hub id, downloading)', no reason."""
    error = _chain(
        OSError("We couldn't connect to 'https://huggingface.co' to load the files, and..."),
        LocalEntryNotFoundError("An error happened while trying to locate the file on the Hub"),
        ConnectionRefusedError(111, "Connection refused"),
    )
    assert loading_detail(error) == (
        ": We couldn't connect to 'https://huggingface.co' to load the files, and..."
    )


def test_other_errors_give_their_first_line() -> None:
    assert loading_detail(ValueError("bad config\nmore")) == ": bad config"
    assert loading_detail(OSError()) == ": OSError"
