"""Token alignment of two passages for the Compare view: the wording they share, and what differs.

Official formulations drift by a word or two between speeches; aligning the two token sequences
(difflib, case-insensitive) shows exactly which words stayed and which changed. Output is plain data
plus escaped HTML, so the explorer only draws it.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass

from explorer.logic.highlight import escape_html
from index.words import TERM_OR_MARK, is_function_word

SAME, MOVED, CHANGED = "same", "moved", "changed"
MOVED_MIN_WORDS = 3  # a reordered run must be at least this many words to count as shared wording


@dataclass(frozen=True)
class Row:
    """One aligned segment: `op` is equal, replace, delete (only in A) or insert (only in B)."""

    op: str
    a: str
    b: str


@dataclass(frozen=True)
class Alignment:
    a_spans: list[tuple[int, int, str]]  # (start, end, SAME / MOVED / CHANGED) over A's text, in order
    b_spans: list[tuple[int, int, str]]
    rows: list[Row]
    a_shared: int  # words of A that B also has: aligned in place (SAME) or as a reordered run (MOVED)
    b_shared: int
    a_words: int
    b_words: int

    @property
    def share(self) -> float:
        """Shared words over the words of both passages (1.0 = the same wording)."""
        total = self.a_words + self.b_words
        return (self.a_shared + self.b_shared) / total if total else 1.0


Token = tuple[int, int, str]


def _tokens(text: str) -> list[Token]:
    return [(m.start(), m.end(), m.group().casefold().replace("’", "'")) for m in TERM_OR_MARK.finditer(text)]


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] == "_"


def _trivial(tokens: list[Token]) -> bool:
    """A run made only of punctuation or one or two function words: shared by accident, not wording."""
    words = [t for _, _, t in tokens if _is_word(t)]
    return len(tokens) <= 2 and all(is_function_word(w) for w in words)


def _opcodes(a_tok: list[Token], b_tok: list[Token]) -> list[tuple[str, int, int, int, int]]:
    matcher = difflib.SequenceMatcher(None, [t for *_, t in a_tok], [t for *_, t in b_tok], autojunk=False)
    ops: list[tuple[str, int, int, int, int]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" and _trivial(a_tok[i1:i2]) and 0 < i1 and i2 < len(a_tok):
            op = "replace"  # a lone "the" between two changes is noise; keep it with the change around it
        if ops and ops[-1][0] != "equal" and op != "equal":
            _, pi1, _, pj1, _ = ops.pop()
            op, i1, j1 = "replace", pi1, pj1
        ops.append((_name(op, i1, i2, j1, j2), i1, i2, j1, j2))
    return ops


def _mark_moved(tokens: list[Token], kinds: list[str], other: list[Token]) -> None:
    """Mark CHANGED runs of at least MOVED_MIN_WORDS words that the other passage has elsewhere (reordered)."""
    n = MOVED_MIN_WORDS
    other_words = [t for *_, t in other if _is_word(t)]
    grams = {tuple(other_words[i:i + n]) for i in range(len(other_words) - n + 1)}
    words = [i for i, (*_, t) in enumerate(tokens) if _is_word(t)]
    for w in range(len(words) - n + 1):
        window = words[w:w + n]
        gram = tuple(tokens[i][2] for i in window)
        if gram in grams and not all(is_function_word(t) for t in gram) and all(kinds[i] != SAME for i in window):
            for i in range(window[0], window[-1] + 1):
                kinds[i] = MOVED


def _spans(tokens: list[Token], kinds: list[str]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for (start, end, _), kind in zip(tokens, kinds):
        if spans and spans[-1][2] == kind:
            spans[-1] = (spans[-1][0], end, kind)
        else:
            spans.append((start, end, kind))
    return spans


def align(a_text: str, b_text: str) -> Alignment:
    """Align A and B token by token (case aside).

    Runs aligned in place are SAME; runs of three or more words that both have but in another order are
    MOVED; everything else is CHANGED.
    """
    a_tok, b_tok = _tokens(a_text), _tokens(b_text)
    a_kind, b_kind = [CHANGED] * len(a_tok), [CHANGED] * len(b_tok)
    rows: list[Row] = []
    for op, i1, i2, j1, j2 in _opcodes(a_tok, b_tok):
        if op == "equal":
            a_kind[i1:i2] = [SAME] * (i2 - i1)
            b_kind[j1:j2] = [SAME] * (j2 - j1)
        rows.append(Row(op, _slice(a_text, a_tok, i1, i2), _slice(b_text, b_tok, j1, j2)))
    _mark_moved(a_tok, a_kind, b_tok)
    _mark_moved(b_tok, b_kind, a_tok)

    def shared(tokens, kinds):
        return sum(_is_word(t) and k != CHANGED for (*_, t), k in zip(tokens, kinds))

    return Alignment(
        _spans(a_tok, a_kind), _spans(b_tok, b_kind), rows,
        shared(a_tok, a_kind), shared(b_tok, b_kind),
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
    """One passage as escaped HTML: shared runs in <mark class="same">, reordered ones in <mark class="moved">,
    the rest in <span class=changed_class>."""
    out, cursor = [], 0
    for start, end, kind in spans:
        out.append(escape_html(text[cursor:start]))
        piece = escape_html(text[start:end])
        if kind in (SAME, MOVED):
            out.append(f'<mark class="{kind}">{piece}</mark>')
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
