"""Reading a document at another level: which passage of that level stands for the one chosen."""

from __future__ import annotations

from typing import Sequence

from index.search import Hit


def counterpart(chosen: Hit, passages: Sequence[Hit]) -> Hit | None:
    """Among `passages` (one document's passages of another level, in reading order), the one holding the chosen
    passage's first character: a sentence's paragraph, or a paragraph's first sentence. When none holds it (the
    character is between passages), the first passage that begins inside the chosen one; else None."""
    for passage in passages:
        if passage.start <= chosen.start < passage.end:
            return passage
    return next((p for p in passages if chosen.start <= p.start < chosen.end), None)
