"""Text on the PDF documents: drawn as written, control characters removed, a character the
font has no glyph for shown as the replacement character instead of vanishing."""

from __future__ import annotations

from recall.recalls._pdf_document import MISSING, printable


def test_text_is_kept_as_written():
    text = "Łódź \u2013 Nguyễn ≤ 5 °C \u201csirup\u201d"
    assert printable(text) == text


def test_control_characters_are_removed_and_a_tab_reads_as_a_space():
    assert printable("a\tb\x07c\r\nd\x00") == "a bc\nd"


def test_a_character_without_a_glyph_is_marked_not_dropped():
    assert printable("obat 中") == f"obat {MISSING}"


def test_values_are_shown_as_text():
    assert printable(1234) == "1234"
