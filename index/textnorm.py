"""Text normalisation and hashing: one canonical form of every text before it is hashed or embedded."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_EDGE_SPACES = re.compile(r" *\n *")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalise(text: str) -> str:
    """NFC, one newline style, no control or invisible characters, single spaces, at most one blank line.

    Paragraph structure (single and double newlines) survives, so segmentation can follow the corpus's breaks.
    """
    text = unicodedata.normalize("NFC", text)
    text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _EDGE_SPACES.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def normalise_line(text: str) -> str:
    """Normalise a one-line field (title, query): newlines become spaces."""
    return normalise(text).replace("\n", " ")


def text_hash(text: str) -> str:
    """A short, stable content hash (hex) used for deduplication and the embedding cache."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def short_id(*parts: str) -> str:
    """A stable 16-hex-digit identifier derived from its parts (document and passage ids)."""
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def word_count(text: str) -> int:
    return len(text.split())


def clip(text: str, width: int) -> str:
    """Text cut to at most `width` characters for a one-line label, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def stripped_spans(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """(start, end) of the non-blank pieces of text between consecutive cut offsets (the end of text is the last
    cut), surrounding whitespace left out: what a sentence splitter returns once it knows where sentences end."""
    spans = []
    start = 0
    for end in [*cuts, len(text)]:
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
        start = end
    return spans
