"""Token alignment of two passages for the Compare view: the wording they share, and what differs.

Official formulations drift by a word or two between speeches; aligning the two token sequences
(difflib, case-insensitive) shows exactly which words stayed and which changed. Output is plain data
plus escaped HTML, so the explorer only draws it.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

from .highlight import escape_html, is_stop_word

TOKEN = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")
SAME, CHANGED = "same", "changed"


@dataclass(frozen=True)
class Row:
    """One aligned segment: `op` is equal, replace, delete (only in A) or insert (only in B)."""

    op: str
    a: str
    b: str


@dataclass(frozen=True)
class Alignment:
    a_spans: list[tuple[int, int, str]]  # (start, end, SAME or CHANGED) over A's text, in order
    b_spans: list[tuple[int, int, str]]
    rows: list[Row]
    shared_words: int  # words inside shared runs (each side has this many)
    a_words: int
    b_words: int

    @property
    def share(self) -> float:
        """Shared words over the words of both passages (1.0 = the same wording)."""
        total = self.a_words + self.b_words
        return 2 * self.shared_words / total if total else 1.0


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().casefold().replace("’", "'")) for m in TOKEN.finditer(text)]


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_"


def _trivial(tokens: list[tuple[int, int, str]]) -> bool:
    """A run made only of punctuation or one or two function words: shared by accident, not wording."""
    words = [t for _, _, t in tokens if _is_word(t)]
    return len(tokens) <= 2 and all(is_stop_word(w) for w in words)


def align(a_text: str, b_text: str) -> Alignment:
    """Align A and B token by token; shared runs of real wording are SAME, everything else CHANGED."""
    a_tok, b_tok = _tokens(a_text), _tokens(b_text)
    matcher = difflib.SequenceMatcher(None, [t for *_, t in a_tok], [t for *_, t in b_tok], autojunk=False)
    ops = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" and _trivial(a_tok[i1:i2]) and 0 < i1 and i2 < len(a_tok):
            op = "replace"  # a lone "the" between two changes is noise; keep it with the change around it
        if ops and ops[-1][0] != "equal" and op != "equal":
            _, pi1, _, pj1, _ = ops.pop()
            op, i1, j1 = "replace", pi1, pj1
        ops.append((op, i1, i2, j1, j2))
    a_spans: list[tuple[int, int, str]] = []
    b_spans: list[tuple[int, int, str]] = []
    rows: list[Row] = []
    shared = 0
    for op, i1, i2, j1, j2 in ops:
        op = _name(op, i1, i2, j1, j2)
        kind = SAME if op == "equal" else CHANGED
        if i2 > i1:
            a_spans.append((a_tok[i1][0], a_tok[i2 - 1][1], kind))
        if j2 > j1:
            b_spans.append((b_tok[j1][0], b_tok[j2 - 1][1], kind))
        if op == "equal":
            shared += sum(_is_word(t) for *_, t in a_tok[i1:i2])
        rows.append(Row(op, _slice(a_text, a_tok, i1, i2), _slice(b_text, b_tok, j1, j2)))
    return Alignment(
        a_spans, b_spans, rows, shared,
        sum(_is_word(t) for *_, t in a_tok), sum(_is_word(t) for *_, t in b_tok),
    )


def _name(op: str, i1: int, i2: int, j1: int, j2: int) -> str:
    if op != "replace":
        return op
    if i2 == i1:
        return "insert"
    if j2 == j1:
        return "delete"
    return "replace"


def _slice(text: str, tokens: list[tuple[int, int, str]], i: int, j: int) -> str:
    return text[tokens[i][0]:tokens[j - 1][1]] if j > i else ""


def side_html(text: str, spans: list[tuple[int, int, str]], changed_class: str) -> str:
    """One passage as escaped HTML: shared runs in <mark class="same">, the rest in <span class=changed_class>."""
    out, cursor = [], 0
    for start, end, kind in spans:
        out.append(escape_html(text[cursor:start]))
        piece = escape_html(text[start:end])
        if kind == SAME:
            out.append(f'<mark class="same">{piece}</mark>')
        else:
            out.append(f'<span class="{html.escape(changed_class, quote=True)}">{piece}</span>')
        cursor = end
    out.append(escape_html(text[cursor:]))
    return "".join(out)


def rows_html(rows: list[Row]) -> str:
    """The alignment as an escaped two-column HTML table, one row per segment."""
    body = []
    for row in rows:
        if row.op == "equal":
            body.append(f'<tr class="eq"><td>{escape_html(row.a)}</td><td>{escape_html(row.b)}</td></tr>')
        else:
            a = f'<span class="only-a">{escape_html(row.a)}</span>' if row.a else '<span class="none">—</span>'
            b = f'<span class="only-b">{escape_html(row.b)}</span>' if row.b else '<span class="none">—</span>'
            body.append(f'<tr class="{row.op}"><td>{a}</td><td>{b}</td></tr>')
    return ('<table class="rf-align"><thead><tr><th>A</th><th>B</th></tr></thead><tbody>'
            + "".join(body) + "</tbody></table>")
