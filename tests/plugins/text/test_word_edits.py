"""The text plugin's own word swaps, as the ``Edits:`` line names them."""

from __future__ import annotations

import ffade_text.functional as F

from ffade.word_edits import text_edits


def test_shuffle_words_reads_as_words_swapped() -> None:
    """The README's `shuffle_words` example (seed 1) and a swap of words one apart, which read
    '"Residents" -> "town"; "town" -> "Residents"' and '"people 1312" inserted; "1312 people"
    deleted'."""
    text = "Residents said the town needed a library."
    changed = F.shuffle_words(text, 1, 1)
    assert changed == "town said the Residents needed a library."
    assert text_edits(text, changed) == '"Residents" and "town" swapped'
    text = "About 1312 people left the city on Monday."
    assert text_edits(text, "people 1312 About left the city on Monday.") == (
        '"About" and "people" swapped'
    )
