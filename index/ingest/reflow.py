"""Hard-wrapped documents read as the prose they are, with every offset still pointing into the document.

Printed records come with their lines cut at a fixed width (about 55 characters in the UN General Debate
speeches of 1990-2015) and no mark between paragraphs. Read line by line, every printed line would be a
paragraph and every sentence would be cut at a line end. This module finds such documents (most of their
line breaks fall inside a sentence), estimates the printed width, and decides for every line break:

- a paragraph starts where the layout says so: the line before ends a sentence and the next line's first
  word would still have fitted on it (the line was ended on purpose), or the next line itself ends early
  (the indented first line of a paragraph), or the next line starts with a paragraph number ("27. The"),
  or the line before is far longer than the width (a paragraph on one line, in a partly wrapped document),
  or a blank line follows the sentence end in a document whose blank lines nearly always do (there they
  mark paragraphs; elsewhere they are page breaks, which fall anywhere, even inside a sentence);
- elsewhere the lines are one paragraph, and the break reads as a space;
- a hyphen at a line end is kept (printed records break lines at compounds: "Secretary-/General"), and
  dropped only where the same document spells the joined word more often than the hyphenated one
  ("inter-/national" in a speech that says "international" elsewhere); "micro-/and macro-" keeps its space;
- a page number or document symbol standing beside a page break ("06-52879 2") is page furniture: it is
  never a paragraph and it is left out of the text read.

The reading text of any span of the document is the document's text with these edits applied inside the
span (`reading_text`); `Reading` maps offsets in the reading text of a paragraph back to the document.
Documents that are not hard-wrapped get no edits at all: their passages are exactly what they were.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

Edit = tuple[int, int, str]  # the document's text[start:end] reads as the replacement

MIN_LINES = 6  # fewer lines tell nothing about a layout
MIN_WIDTH = 30  # narrower "printing" is verse or a list, not a column of prose
MIN_MID_SENTENCE_SHARE = 0.3  # of line breaks; wrapped prose has about half, one paragraph per line has none
WIDTH_QUANTILE = 0.8  # of the lengths of lines that end inside a sentence: the printed width
FIT_SLACK = 2  # characters: proportional type holds a few more or fewer than the estimate
OVERLONG = 1.5  # a line this many times the width was never printed at it: a whole paragraph on one line
BLANK_PARAGRAPH_SHARE = 0.8  # of blank lines after a sentence end: then blank lines mark paragraphs

_SENTENCE_END = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019\u00bb)\]*]*$")
_NUMBERED = re.compile(r"\d{1,3}\.\s")
_FURNITURE = re.compile(r"\d{1,4}|\d{2}-\d{5}(?: \d{1,4})?|\d{1,4} \d{2}-\d{5}")
_LINE = re.compile(r"[^\n]+")
_WORD_BEFORE_HYPHEN = re.compile(r"([^\W\d_]+)-$")
_WORD_AFTER = re.compile(r"[^\W\d_]+")
_COUNTED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*-?")
_CONJUNCTIONS = {"and", "or", "nor", "to", "as"}  # "micro- and macro-economic": a suspended hyphen


@dataclass(frozen=True)
class Layout:
    """How a hard-wrapped document was printed."""

    width: int  # the printed line width, in characters
    blank_paragraphs: bool  # blank lines mark paragraphs (else they are page breaks inside the text)
    furniture: frozenset[int]  # indexes (into lines_of) of page numbers and document symbols


def lines_of(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty line."""
    return [m.span() for m in _LINE.finditer(text)]


def ends_sentence(line: str) -> bool:
    return _SENTENCE_END.search(line) is not None


def detect(text: str, lines: list[tuple[int, int]] | None = None) -> Layout | None:
    """The document's layout if its lines are hard-wrapped, else None."""
    lines = lines_of(text) if lines is None else lines
    if len(lines) < MIN_LINES or "\n" not in text:
        return None
    furniture = _furniture(text, lines)
    content = [i for i in range(len(lines)) if i not in furniture]
    if len(content) < MIN_LINES:
        return None
    mid_sentence = 0
    for i, j in zip(content, content[1:]):
        before, after = text[lines[i][0] : lines[i][1]], text[lines[j][0] : lines[j][1]]
        if (before[-1].isalnum() or before[-1] in ",-") and after[0].islower():
            mid_sentence += 1
    if mid_sentence < MIN_MID_SENTENCE_SHARE * (len(content) - 1):
        return None
    open_lengths = sorted(b - a for a, b in (lines[i] for i in content) if not ends_sentence(text[a:b]))
    if not open_lengths:
        return None
    width = open_lengths[int(WIDTH_QUANTILE * (len(open_lengths) - 1))]
    if width < MIN_WIDTH:
        return None
    return Layout(width, _blank_lines_mark_paragraphs(text, lines, content), frozenset(furniture))


def _furniture(text: str, lines: list[tuple[int, int]]) -> set[int]:
    """Lines that are only a page number or a document symbol, next to a blank line or the document's edge."""
    found = set()
    for i, (a, b) in enumerate(lines):
        if not _FURNITURE.fullmatch(text, a, b):
            continue
        blank_before = i == 0 or text.count("\n", lines[i - 1][1], a) >= 2
        blank_after = i == len(lines) - 1 or text.count("\n", b, lines[i + 1][0]) >= 2
        if blank_before or blank_after:
            found.add(i)
    return found


def _blank_lines_mark_paragraphs(text: str, lines: list[tuple[int, int]], content: list[int]) -> bool:
    """Blank lines that nearly always follow a sentence end are paragraph marks; page breaks fall anywhere."""
    after_end = total = 0
    for i, j in zip(content, content[1:]):
        if text.count("\n", lines[i][1], lines[j][0]) >= 2:
            total += 1
            after_end += ends_sentence(text[lines[i][0] : lines[i][1]])
    return total >= 2 and after_end >= BLANK_PARAGRAPH_SHARE * total


def starts_paragraph(layout: Layout, before: str, line: str, after: str | None, blank_between: bool) -> bool:
    """Whether `line` starts a new paragraph, given the line before it and the one after it (if any)."""
    if not ends_sentence(before):
        return False
    if layout.blank_paragraphs and blank_between:
        return True
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "\"'\u201c\u2018(["):
        return False
    if _NUMBERED.match(line) or len(before) > OVERLONG * layout.width:
        return True
    limit = layout.width - FIT_SLACK
    if len(before) + 1 + len(line.split(" ", 1)[0]) <= limit:
        return True  # the first word would have fitted on the line before: that line was ended on purpose
    # an indented first line holds fewer characters: it ends although the next word would have fitted
    return after is not None and not ends_sentence(line) and len(line) + 1 + len(after.split(" ", 1)[0]) <= layout.width


def edits(text: str, layout: Layout, lines: list[tuple[int, int]]) -> list[Edit]:
    """How every break between two lines of a wrapped document reads (furniture between them dropped)."""
    content = [i for i in range(len(lines)) if i not in layout.furniture]
    words = _word_counts(text, lines)
    out: list[Edit] = []
    for i, j in zip(content, content[1:]):
        end, start = lines[i][1], lines[j][0]
        before, after = text[lines[i][0] : end], text[start : lines[j][1]]
        if before.endswith("-") and (hyphen := _WORD_BEFORE_HYPHEN.search(before)) and (word := _WORD_AFTER.match(after)):
            left, right = hyphen.group(1), word.group()
            if right.lower() in _CONJUNCTIONS:
                out.append((end, start, " "))
            elif words[(left + right).lower()] > words[f"{left}-{right}".lower()]:
                out.append((end - 1, start, ""))
            else:
                out.append((end, start, ""))
        elif before[-1] in "\u2013\u2014" and len(before) > 1 and not before[-2].isspace():
            out.append((end, start, ""))  # "word—" at a line end runs on into the next word
        else:
            out.append((end, start, " "))
    return out


def _word_counts(text: str, lines: list[tuple[int, int]]) -> Counter[str]:
    """Lower-cased words and hyphenated compounds of the document, leaving out the halves of words cut at
    a line end (they are what is being decided)."""
    counts: Counter[str] = Counter()
    cut_before = False
    for a, b in lines:
        found = _COUNTED.findall(text, a, b)
        if cut_before and found:
            found.pop(0)
        cut_before = text[b - 1] == "-"
        if cut_before and found and found[-1].endswith("-"):
            found.pop()
        counts.update(w.lower() for w in found)
    return counts


def reading_text(text: str, start: int, end: int, edits: list[Edit]) -> str:
    """text[start:end] as read: every edit that lies wholly inside the span applied."""
    if not edits:
        return text[start:end]
    pieces = []
    cursor = start
    for e_start, e_end, replacement in edits[bisect.bisect_left(edits, (start, -1, "")) :]:
        if e_end > end:
            break
        pieces.append(text[cursor:e_start])
        pieces.append(replacement)
        cursor = e_end
    pieces.append(text[cursor:end])
    return "".join(pieces)


class Reading:
    """The reading text of one span of a document, with offsets in it mapped back to the document."""

    def __init__(self, text: str, start: int, end: int, edits: list[Edit]):
        # runs: (reading offset, document start, document end, copied?) in reading order
        self._runs: list[tuple[int, int, int, bool]] = []
        pieces = []
        cursor, at = start, 0
        inside = edits[bisect.bisect_left(edits, (start, -1, "")) :] if edits else []
        for e_start, e_end, replacement in inside:
            if e_end > end:
                break
            if e_start > cursor:
                self._runs.append((at, cursor, e_start, True))
                pieces.append(text[cursor:e_start])
                at += e_start - cursor
            if replacement:
                self._runs.append((at, e_start, e_end, False))
                pieces.append(replacement)
                at += len(replacement)
            cursor = e_end
        if end > cursor:
            self._runs.append((at, cursor, end, True))
            pieces.append(text[cursor:end])
        self.text = "".join(pieces)
        self._starts = [run[0] for run in self._runs]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Document offsets of the reading text's [start, end)."""
        return self._offset(start, first=True), self._offset(end - 1, first=False)

    def _offset(self, at: int, first: bool) -> int:
        run_at, doc_start, doc_end, copied = self._runs[bisect.bisect_right(self._starts, at) - 1]
        if not copied:
            return doc_start if first else doc_end
        return doc_start + (at - run_at) + (0 if first else 1)
