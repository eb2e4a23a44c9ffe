"""Segmentation: documents into paragraphs and sentences, each with character offsets into the document.

Paragraphs follow the corpus's own breaks; tiny fragments ("Comrades,") join a neighbour; a paragraph
longer than the model can read is cut into windows on sentence boundaries, never truncated. Sentences
come from the corpus language's splitter (index.ingest.language): pysbd, a maintained rule-based splitter
that works offline, or Korean rules. Hard-wrapped documents (printed records) are read through
index.ingest.reflow: paragraphs follow their layout, line breaks inside a paragraph read as spaces, and a
passage's text is the reading text of its span of the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

from index.ingest import reflow
from index.ingest.language import DEFAULT_LANGUAGE, sentence_segmenter
from index.levels import LEVELS
from index.textnorm import stripped_spans, text_hash, word_count


MIN_PARAGRAPH_WORDS = 4  # shorter paragraphs are headings or salutations: they join a neighbour
MIN_SENTENCE_WORDS = 3
SEGMENTER_VERSION = 3  # bump when segmentation rules change: cached segmentations are then ignored
_PYSBD_CHUNK = 10_000  # pysbd slows down badly on huge strings; cut them at spaces first
# pysbd reads about 30-70 KB of prose a second (far less for some inputs). A paragraph longer than this
# (no real speech has one; a scraper's whole page on one line does) is split by a plain punctuation rule,
# so one bad file cannot stall a build for minutes.
PYSBD_MAX_CHARS = 50_000
_SENTENCE_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*(?=\s|$)|[\u3002\uff01\uff1f]+")
# A news dateline ("Pyongyang, July 14 (KCNA) -- ") starts most wire stories. It stays in the document
# but not in passages: otherwise every story's first sentence would look alike.
DEFAULT_DATELINE = r"^[A-Z][\w'’. -]{1,40}, [A-Z][a-z]+\.? \d{1,2}(?:, \d{4})? \([A-Z][\w ]{1,30}\) ?[-–—]{1,2} ?"

REFLOW = "reflow"  # key of a segmentation's reading edits (index.ingest.reflow), present for wrapped documents
TokenSpans = Callable[[str], list[tuple[int, int]]]


@dataclass(frozen=True)
class Passage:
    level: str
    ordinal: int
    start: int  # offsets into the normalised document text
    end: int
    text: str  # the reading text of document[start:end]: the same, unless the document is hard-wrapped


class SplitCache(Protocol):
    def get_splits(self, keys: list[str]) -> dict[str, list[tuple[int, int]]]: ...
    def put_splits(self, items: dict[str, list[tuple[int, int]]]) -> None: ...


class SentenceSplitter:
    """A language's splitter behind a memo (and an optional persistent cache), returning spans, not strings."""

    def __init__(self, cache: SplitCache | None = None, language: str = DEFAULT_LANGUAGE):
        self._segment, self.version = sentence_segmenter(language)
        self._cache = cache
        self._memo: dict[str, list[tuple[int, int]]] = {}
        self._pending: dict[str, list[tuple[int, int]]] = {}

    def prefetch(self, texts: Iterable[str]) -> None:
        """Load cached splits for many texts in one query (rebuilds then skip pysbd entirely)."""
        if self._cache is None:
            return
        keys = {f"{self.version}:{text_hash(t)}": t for t in texts}
        missing = [k for k in keys if k not in self._memo]
        for i in range(0, len(missing), 500):
            self._memo.update(self._cache.get_splits(missing[i : i + 500]))

    def remember(self, splits: dict[str, list[tuple[int, int]]]) -> None:
        """Take splits already looked up under their keys (a worker gets them with its task)."""
        self._memo.update(splits)

    def flush(self) -> None:
        if self._cache is not None and self._pending:
            self._cache.put_splits(self._pending)
        self._pending = {}

    def spans(self, text: str) -> list[tuple[int, int]]:
        key = f"{self.version}:{text_hash(text)}"
        found = self._memo.get(key)
        if found is None:
            found = self._split(text)
            self._memo[key] = found
            self._pending[key] = found
        return found

    def _split(self, text: str) -> list[tuple[int, int]]:
        if len(text) > PYSBD_MAX_CHARS:
            return _rule_split(text)
        spans: list[tuple[int, int]] = []
        for chunk_start, chunk in _chunks(text, _PYSBD_CHUNK):
            cursor = 0
            for piece in self._segment(chunk):
                stripped = piece.strip()
                if not stripped:
                    continue
                at = chunk.find(stripped, cursor)
                if at < 0:  # pysbd changed the text: keep the remainder whole rather than guess
                    rest = chunk[cursor:].strip()
                    if rest:
                        at = chunk.find(rest, cursor)
                        spans.append((chunk_start + at, chunk_start + at + len(rest)))
                    cursor = len(chunk)
                    break
                spans.append((chunk_start + at, chunk_start + at + len(stripped)))
                cursor = at + len(stripped)
            rest = chunk[cursor:].strip()
            if rest:
                at = chunk.find(rest, cursor)
                spans.append((chunk_start + at, chunk_start + at + len(rest)))
        return spans


def segmentation_version(language: str) -> str:
    """What a segmentation depends on besides the text and the build's settings: these rules and the language's
    sentence splitter (an index records it; index/growth.py grows only an index segmented the same way)."""
    return f"{SEGMENTER_VERSION}|{sentence_segmenter(language)[1]}"


def _rule_split(text: str) -> list[tuple[int, int]]:
    """Sentence spans (stripped) ending at ., !, ?, … before a space, or at CJK full stops."""
    return stripped_spans(text, [m.end() for m in _SENTENCE_END.finditer(text)])


def _chunks(text: str, size: int) -> Iterable[tuple[int, str]]:
    """Cut text into pieces of about `size` characters, at a sentence end or a space when possible."""
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
        if cut < size // 2:
            cut = window.rfind(" ")
        cut = size if cut < size // 2 else cut + 1
        yield start, text[start : start + cut]
        start += cut
    yield start, text[start:]


class Segmenter:
    """Turns a normalised document into paragraph and sentence passages for one encoder's token limit."""

    def __init__(self, token_spans: TokenSpans, max_tokens: int, splitter: SentenceSplitter | None = None):
        self.token_spans = token_spans
        self.max_tokens = max_tokens
        self.splitter = splitter or SentenceSplitter()

    def segment(self, text: str, skip_lines: set[str] = frozenset(), title_in_text: bool = False,
                dateline: re.Pattern | None = None) -> dict[str, list]:
        """Spans (start, end) of the document's paragraphs and sentences, in reading order; for a hard-wrapped
        document also its reading edits under REFLOW (what passages_of needs to give each passage its text)."""
        out: dict[str, list] = {level: [] for level in LEVELS}
        lines, layout, edits = _reading_of(text)
        for p_start, p_end in paragraph_spans(text, skip_lines, title_in_text, dateline, layout, lines):
            reading = reflow.Reading(text, p_start, p_end, edits)
            para = reading.text
            sentences = _merge_short(self.splitter.spans(para), para, MIN_SENTENCE_WORDS)
            if not sentences:
                sentences = [(0, len(para))]
            out["paragraph"].extend(reading.span(a, b) for a, b in self._windows(para, [(0, len(para))], sentences))
            for s_start, s_end in sentences:
                out["sentence"].extend(reading.span(a, b) for a, b in self._fit(para, s_start, s_end))
        if edits:
            out[REFLOW] = [list(edit) for edit in edits]
        return out

    def paragraph_texts(self, text: str, skip_lines: set[str] = frozenset(), title_in_text: bool = False,
                        dateline: re.Pattern | None = None) -> list[str]:
        """The paragraph texts segment() hands to the sentence splitter (for SentenceSplitter.prefetch)."""
        lines, layout, edits = _reading_of(text)
        return [reflow.reading_text(text, a, b, edits)
                for a, b in paragraph_spans(text, skip_lines, title_in_text, dateline, layout, lines)]

    def cache_key(self, text_digest: str, skip_here: list[str], title_in_text: bool, model: str, dateline: str = "") -> str:
        """Everything a document's segmentation depends on, hashed."""
        parts = [str(SEGMENTER_VERSION), self.splitter.version, model, str(self.max_tokens), str(title_in_text), dateline,
                 text_digest, *skip_here]
        return "seg:" + text_hash("\x1f".join(parts))


    def _windows(self, text: str, whole: list[tuple[int, int]], sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The paragraph itself if it fits, else runs of whole sentences that each fit."""
        start, end = whole[0]
        if len(self.token_spans(text[start:end])) <= self.max_tokens:
            return whole
        windows: list[tuple[int, int]] = []
        run_start, run_tokens = None, 0
        for s_start, s_end in sentences:
            n = len(self.token_spans(text[s_start:s_end]))
            if n > self.max_tokens:
                if run_start is not None:
                    windows.append((run_start, prev_end))
                    run_start, run_tokens = None, 0
                windows.extend(self._fit(text, s_start, s_end))
                continue
            if run_start is not None and run_tokens + n > self.max_tokens:
                windows.append((run_start, prev_end))
                run_start, run_tokens = None, 0
            if run_start is None:
                run_start = s_start
            run_tokens += n
            prev_end = s_end
        if run_start is not None:
            windows.append((run_start, prev_end))
        return windows

    def _fit(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        return [(start + a, start + b) for a, b in token_windows(text[start:end], self.token_spans, self.max_tokens)]


def _reading_of(text: str) -> tuple[list[tuple[int, int]], reflow.Layout | None, list[reflow.Edit]]:
    """The document's lines, its layout if hard-wrapped, and the edits that make its reading text."""
    lines = reflow.lines_of(text)
    layout = reflow.detect(text, lines)
    return lines, layout, reflow.edits(text, layout, lines) if layout else []


def passages_of(text: str, spans: dict[str, list]) -> dict[str, list[Passage]]:
    """Passages from a segmentation (fresh or cached): document offsets, and the reading text of each span."""
    edits = [tuple(edit) for edit in spans.get(REFLOW, ())]
    return {level: [Passage(level, i, a, b, reflow.reading_text(text, a, b, edits)) for i, (a, b) in enumerate(spans.get(level, []))]
            for level in LEVELS}


def token_windows(piece: str, token_spans: TokenSpans, max_tokens: int) -> list[tuple[int, int]]:
    """The whole piece if it fits the model, else consecutive windows of at most max_tokens tokens.

    Windows end before a token that starts a word, so no word is cut in two (unless a single "word"
    is itself longer than the limit).
    """
    tokens = token_spans(piece)
    if len(tokens) <= max_tokens:
        return [(0, len(piece))]
    windows = []
    i = 0
    while i < len(tokens):
        j = min(i + max_tokens, len(tokens))
        if j < len(tokens):
            k = j
            while k > i + 1 and not piece[tokens[k][0] - 1].isspace():
                k -= 1
            j = k if k > i + 1 else j
        a = tokens[i][0]
        b = tokens[j][0] if j < len(tokens) else len(piece)
        chunk = piece[a:b].rstrip()
        if chunk:
            windows.append((a, a + len(chunk)))
        i = j
    return windows


def paragraph_spans(text: str, skip_lines: set[str] = frozenset(), title_in_text: bool = False,
                    dateline: re.Pattern | None = None, layout: reflow.Layout | None = None,
                    lines: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Paragraph spans: blank-line blocks if the document has any, else one per line; in a hard-wrapped
    document (`layout`), where its layout starts a paragraph.

    Boilerplate lines and the title line are left out; a block never spans one of them; a dateline
    opening the first paragraph is left out too; page furniture of a wrapped document starts nothing and
    ends nothing. Short fragments join the next paragraph (or the previous one when they end a block run).
    """
    lines = reflow.lines_of(text) if lines is None else lines
    blank_line_breaks = "\n\n" in text
    groups: list[list[tuple[int, int]]] = []  # runs of paragraphs with nothing skipped between them
    current: list[tuple[int, int]] = []
    block: tuple[int, int] | None = None
    previous: int | None = None  # index of the block's last line
    for i, (a, b) in enumerate(lines):
        if layout is not None and i in layout.furniture:
            continue
        line = text[a:b]
        skipped = (title_in_text and i == 0) or line.strip() in skip_lines
        if skipped:
            if block:
                current.append(block)
                block = None
            if current:
                groups.append(current)
                current = []
            continue
        if block is None:
            new_block = True
        elif layout is not None:
            new_block = reflow.starts_paragraph(layout, text[lines[previous][0]:lines[previous][1]], line,
                                                _next_line(text, lines, i, layout), text.count("\n", block[1], a) >= 2)
        else:
            new_block = not blank_line_breaks or text[block[1] : a].count("\n") >= 2
        if new_block:
            if block:
                current.append(block)
            block = (a, b)
        else:
            block = (block[0], b)
        previous = i
    if block:
        current.append(block)
    if current:
        groups.append(current)
    if dateline is not None and groups:
        a, b = groups[0][0]
        match = dateline.match(text[a:b])
        if match and 0 < match.end() < b - a:
            groups[0][0] = (a + match.end(), b)
    spans: list[tuple[int, int]] = []
    for group in groups:
        spans.extend(_merge_short(group, text, MIN_PARAGRAPH_WORDS))
    return spans


def _next_line(text: str, lines: list[tuple[int, int]], i: int, layout: reflow.Layout) -> str | None:
    for j in range(i + 1, len(lines)):
        if j not in layout.furniture:
            return text[lines[j][0] : lines[j][1]]
    return None


def _merge_short(spans: list[tuple[int, int]], text: str, min_words: int) -> list[tuple[int, int]]:
    """Join spans under min_words words to the following span, or the previous one at the end."""
    merged: list[tuple[int, int]] = []
    carry: int | None = None  # start of pending short spans
    carry_end, carry_words = 0, 0  # words in text[carry:carry_end], counted once (text without spaces
    for a, b in spans:             # could otherwise make this quadratic: CJK never reaches min_words)
        start = carry if carry is not None else a
        if carry is None:
            words = word_count(text[a:b])
        else:  # a word running across carry_end is counted on both sides
            words = carry_words + word_count(text[carry_end:b])
            if carry_end < b and not text[carry_end - 1].isspace() and not text[carry_end].isspace():
                words -= 1
        if words < min_words:
            carry, carry_end, carry_words = start, b, words
            continue
        merged.append((start, b))
        carry = None
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((carry, spans[-1][1]))
    return merged
