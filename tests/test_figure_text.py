"""Text in pictures wrapped by the width it is drawn at."""

from __future__ import annotations

import textwrap

import pytest

from ffade.figure_text import TextMeasure, fonts, middle_cut


def test_an_ordinary_caption_wraps_at_its_character_count_as_before() -> None:
    """Captions that fit keep the look they had: lines of up to 66 characters, word by word."""
    caption = "input 7 (label 2): predicted 3 (p=0.98), rotation=-20, brightness=0.8, blur=2"
    with fonts():
        wrapped = TextMeasure(100).wrap(caption, 66, 424, 8, 2)
    assert wrapped == textwrap.fill(caption, 66)


def test_a_word_wider_than_a_line_is_broken_where_it_stops_fitting() -> None:
    """A file path (one word) or CJK text at 66 characters ran 100s of pixels past its cell."""
    path = "/data/photos/aquarium/tank_03/IMG_20240101_123456_goldfish_closeup.jpg"
    measure = TextMeasure(100)
    with fonts():
        for text in (f"said {path}", "predicted " + "犬" * 30, "W" * 80):
            wrapped = measure.wrap(text, 66, 200, 8, None)
            lines = wrapped.split("\n")
            assert len(lines) > 1 and "".join(wrapped.split()) == "".join(text.split())
            assert all(measure.size(line, 8)[0] <= 200 for line in lines)
        lines = measure.wrap("W" * 80, 66, 200, 8, None).split("\n")
        assert all(measure.size(line + "W", 8)[0] > 200 for line in lines[:-1])  # full lines


def test_lines_past_the_last_end_in_dots_that_fit_and_dollars_stay_literal() -> None:
    """At most ``lines`` lines, the last cut to fit ' ...'; '$' escaped after wrapping, so
    that matplotlib draws it and a break never splits its escape."""
    measure = TextMeasure(100)
    with fonts():
        wrapped = measure.wrap("$" * 200, 66, 150, 7, 2)
        lines = wrapped.split("\n")
        assert len(lines) == 2 and lines[1].endswith(" ...")
        assert all(measure.size(line, 7)[0] <= 150 for line in lines)
        assert wrapped.replace("\\$", "").replace(" ...", "").replace("\n", "") == ""


@pytest.mark.parametrize(
    ("text", "width", "cut"),
    [
        ("brightness factor applied to every pixel", 21, "brightnes... pixel"),
        ("gaussian blur sigma in pixels", 18, "gaussia... pixels"),
        ("contrast factor applied to the digit image", 24, "contrast ...digit image"),
        ("rotation of the handwritten digit in degrees clockwise", 21, "rotation ...clockwise"),
        ("shuffle words number 7", 20, "shuffle ... number 7"),
        ("a_rather_long_concept_label_that_names_it", 18, "a_rathe...names_it"),  # no words
        ("gaussian blur sigma in pixels", 9, "gau...els"),  # no word left whole
        ("gaussian blur", 13, "gaussian blur"),  # fits: as typed
    ],
)
def test_a_middle_cut_keeps_both_ends_in_whole_words_where_it_can(
    text: str, width: int, cut: str
) -> None:
    """A label cut in its middle for a caption kept 'ery pixel' and 'n pixels', ends of words
    that say nothing: each end keeps whole words where 3 characters or more of them are left."""
    assert middle_cut(text, width) == cut
    assert len(cut) <= width
