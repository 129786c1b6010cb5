"""Each distinct task note once per command (ffade.said_once)."""

from __future__ import annotations

from ffade.said_once import first_time, notes_said_once


def test_a_note_is_said_once_within_a_command_and_always_outside_one() -> None:
    assert first_time("a") and first_time("a")  # a Python call: each says its own
    with notes_said_once():
        assert first_time("a")
        assert not first_time("a")
        assert first_time("b")  # another note still is
        with notes_said_once():  # nested: the outer command's notes count
            assert not first_time("b")
    assert first_time("a")
