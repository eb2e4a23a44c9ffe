"""Shared-word highlighting: the words a passage shares with a query (or a phrase), as escaped HTML.

Analysts scan result cards for the wording a hit shares with what they typed. Marking those words, and
the small words between two marked ones so a shared phrase reads as one run, shows the overlap at a
glance. Matching ignores case and a plural -s; function words alone are never marked.

Every piece of text is HTML-escaped here before any markup is added, so the result is safe to hand to
`unsafe_allow_html` or `st.html`: a passage holding `<script>` shows as text.
"""

from __future__ import annotations

import html
import re
from typing import Iterable

from index.words import TERM, is_function_word

_JOINABLE_GAP = re.compile(r"[\s\-‐‑–—'’]*")  # spaces and hyphens inside a shared phrase are marked with it
_WITHIN_WORDS = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")
MAX_STOP_BRIDGE = 2  # at most this many shared function words between two marked words join them

Span = tuple[int, int]


def word_key(word: str) -> str:
    """The form two words are compared in: case-folded, possessive and plural -s dropped."""
    key = word.casefold().replace("’", "'")
    if key.endswith("'s"):
        key = key[:-2]
    if len(key) > 4 and key.endswith("ies"):
        return key[:-3] + "y"
    if len(key) > 3 and key.endswith("s") and not key.endswith(("ss", "us", "is")):
        return key[:-1]
    return key


def query_keys(query: str) -> set[str]:
    """Keys of every word in the query, function words included (they may bridge a shared phrase)."""
    return {word_key(m.group()) for m in TERM.finditer(query or "")}


def shared_spans(text: str, query: str) -> list[Span]:
    """Character spans of `text` that share wording with `query`, joined into runs where words are adjacent."""
    keys = query_keys(query)
    if not keys:
        return []
    words = list(TERM.finditer(text))
    marked = [not is_function_word(m.group()) and word_key(m.group()) in keys for m in words]
    _bridge_function_words(words, marked, keys)
    return _runs(text, [(m.start(), m.end()) for m, on in zip(words, marked) if on])


def _bridge_function_words(words: list[re.Match], marked: list[bool], keys: set[str]) -> None:
    """Mark shared function words that sit between two marked words ("principle of the people")."""
    on = [i for i, flag in enumerate(marked) if flag]
    for i, j in zip(on, on[1:]):
        between = range(i + 1, j)
        if 0 < len(between) <= MAX_STOP_BRIDGE and all(
            is_function_word(words[b].group()) and word_key(words[b].group()) in keys for b in between
        ):
            for b in between:
                marked[b] = True


def _runs(text: str, spans: list[Span]) -> list[Span]:
    """Join neighbouring spans separated only by spaces or hyphens."""
    out: list[Span] = []
    for start, end in spans:
        if out and _JOINABLE_GAP.fullmatch(text, out[-1][1], start):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def phrase_spans(text: str, phrase: str) -> list[Span]:
    """Every occurrence of the phrase's words in order, with any punctuation or spacing between them.

    Mirrors the FTS5 phrase search (case and punctuation aside), so exact-mode hits show where they matched.
    A phrase that starts or ends in Hangul, kana or Han characters is marked inside words too, as the trigram
    table of a Korean, Japanese or Chinese index finds it ('인민대중제일주의' in '인민대중제일주의를').
    """
    words = [m.group() for m in TERM.finditer(phrase or "")]
    if not words:
        return []
    before = "" if _WITHIN_WORDS.match(words[0][0]) else r"(?<!\w)"
    after = "" if _WITHIN_WORDS.match(words[-1][-1]) else r"(?!\w)"
    pattern = before + r"\W+".join(re.escape(w) for w in words) + after
    return [m.span() for m in re.finditer(pattern, text, flags=re.IGNORECASE)]


def spans_to_html(text: str, spans: Iterable[Span], css_class: str = "hl") -> str:
    """The text, escaped, with each span wrapped in <mark class=css_class>; newlines become <br>."""
    out: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        start = max(start, cursor)
        if end <= start:
            continue
        out.append(_escape(text[cursor:start]))
        out.append(f'<mark class="{html.escape(css_class, quote=True)}">{_escape(text[start:end])}</mark>')
        cursor = end
    out.append(_escape(text[cursor:]))
    return "".join(out)


def highlight_html(text: str, query: str | None = None, phrase: str | None = None, css_class: str = "hl") -> str:
    """Escaped HTML of `text` with the wording it shares with `query` (or the exact `phrase`) marked."""
    if phrase:
        spans = phrase_spans(text, phrase)
    elif query:
        spans = shared_spans(text, query)
    else:
        spans = []
    return spans_to_html(text, spans, css_class)


def escape_html(text: str | None) -> str:
    """Any corpus or user text for an HTML context: escaped, newlines kept as <br>."""
    return _escape(text or "")


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^&\"'])")


def escape_markdown(text: str | None) -> str:
    """Text for a Streamlit markdown context (messages, captions) shown literally: no links, no emphasis,
    no `:color[...]` directives, no LaTeX. Every ASCII punctuation mark is backslash-escaped.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", (text or "").replace("\n", " "))
