"""Errors that mean "the user asked for something we cannot do".

The CLI prints any :class:`FfadeError` as one line and exits non-zero, with no traceback: a
traceback is for our bugs, not for a misspelled plugin name.
"""

from __future__ import annotations


class FfadeError(Exception):
    """A user-facing error whose message alone says what is wrong and what is allowed."""


class PluginError(FfadeError):
    """A plugin is unknown, broken, duplicated, or configured with arguments it does not take."""


class ConceptValueError(FfadeError, ValueError):
    """A concept was given a value outside what it allows."""


def require_at_least(least: int, **init_args: int) -> None:
    """Refuse a LightningModule's argument below ``least``, named as the config spells it."""
    for key, value in init_args.items():
        if value < least:
            raise FfadeError(f"model.init_args.{key} must be at least {least}, got {value}")
