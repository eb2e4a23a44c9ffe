"""Lexical matching over the passages' FTS5 index (unicode61: case, punctuation and diacritics aside).

Two questions, both asked of one level at a time:
- verbatim: which passages contain the query as a phrase ("people-first principle" matches "People-First
  principle" but not "principle of people first")? Every such passage, counted exactly.
- shared words: which passages share the query's words, best first by bm25? Each word is quoted, so any input
  is taken literally (FTS5 operators are just words here). Only the rarer words are asked (the rarest first,
  within a budget of matches): words that occur in most passages ("the", "of") weigh next to nothing in bm25
  and would only slow the question down.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

import numpy as np

from index.errors import RefrainError
from index.retrieval import ORDERS
from index.retrieval.results import BoilerplateMatch

_TOKEN = re.compile(r"[^\W_]+")  # what unicode61 calls a token: letters and digits
WORD_BUDGET = 3000  # matches (both levels) that bm25 scores at most, unless the rarest word alone has more
COMMON_SHARE = 0.1  # a word in more than this share of passages (and the budget) does not pick candidates


@dataclass(frozen=True)
class LexicalQuery:
    """The FTS5 expressions for one query text: the phrase and the words."""

    phrase: str | None  # '"people first principle"', or None when the text has no letters or digits
    words: tuple[str, ...]  # distinct tokens, lower-cased, in query order


def parse(text: str) -> LexicalQuery:
    words = list(dict.fromkeys(tokens(text)))
    if not words:
        return LexicalQuery(None, ())
    return LexicalQuery(quote(text), tuple(words))


def quote(text: str) -> str:
    """An FTS5 string: the text matched literally, as a phrase."""
    return '"' + text.replace('"', '""') + '"'


_BY_DATE = {  # documents by date (ord is chronological, undated last), passages in reading order
    "oldest": "SELECT p.row FROM passages_fts f JOIN passages p ON p.rowid = f.rowid JOIN documents d ON d.doc_id = p.doc_id "
              "WHERE passages_fts MATCH ? AND p.level = ? ORDER BY d.ord, p.ordinal",
    "newest": "SELECT p.row FROM passages_fts f JOIN passages p ON p.rowid = f.rowid JOIN documents d ON d.doc_id = p.doc_id "
              "WHERE passages_fts MATCH ? AND p.level = ? ORDER BY d.date_start IS NULL, d.ord DESC, p.ordinal",
}


class Lexical:
    """FTS5 lookups for one opened index database (index.store.database.ReadOnlyDatabase)."""

    def __init__(self, db):
        self.db = db
        self._counts: dict[str, int] = {}
        self._total: int | None = None

    def phrase_rows(self, level: str, phrase: str, mask: np.ndarray | None, order: str = "relevance") -> np.ndarray:
        """Rows of the level containing the phrase, allowed by mask, in one of ORDERS: best bm25 first
        ('relevance'), or by document date ('oldest', 'newest'; passages in reading order within a document)."""
        if order not in ORDERS:
            raise RefrainError(f"unknown order {order!r}; choose {', '.join(ORDERS)}")
        if order == "relevance":
            rows, _ = self._ranked(level, phrase, mask)
            return rows
        rows = np.asarray(self._rows(_BY_DATE[order], (phrase, level)), dtype=np.int64)
        return rows[mask[rows]] if mask is not None and len(rows) else rows

    def word_rows(self, level: str, words: tuple[str, ...], mask: np.ndarray | None, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, bm25 scores, higher is better) of the passages sharing the query's words, best first."""
        chosen = self.selective(words)
        if not chosen:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        rows, scores = self._ranked(level, " OR ".join(quote(w) for w in chosen), mask)
        return rows[:limit], scores[:limit]

    def _ranked(self, level: str, expression: str, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every match of the level with its bm25 (higher is better), best first; ties by row.

        Sorted here, not by SQLite: FTS5's ORDER BY rank over all matches costs ~8x the unsorted scan."""
        found = self._query("SELECT p.row, bm25(passages_fts) FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid "
                            "WHERE passages_fts MATCH ? AND p.level = ?", (expression, level))
        rows = np.array([r for r, _ in found], dtype=np.int64)
        scores = -np.array([s for _, s in found], dtype=np.float32)  # FTS5's bm25 is negative: lower is better
        if mask is not None and len(rows):
            keep = mask[rows]
            rows, scores = rows[keep], scores[keep]
        best = np.lexsort((rows, -scores))
        return rows[best], scores[best]

    def selective(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The words worth asking for, rarest first while their passages add up to at most WORD_BUDGET (bm25
        is computed for every match, so this bounds the cost at any corpus size); words in more than
        COMMON_SHARE of passages only when nothing rarer is there. Always at least one word that occurs."""
        counts = {w: self.count(w) for w in words}
        present = sorted((w for w in words if counts[w] > 0), key=lambda w: (counts[w], w))
        if not present:
            return ()
        common = max(COMMON_SHARE * self.total(), WORD_BUDGET)
        chosen, postings = [], 0
        for w in present:
            if chosen and (counts[w] > common or postings + counts[w] > WORD_BUDGET):
                break
            chosen.append(w)
            postings += counts[w]
        return tuple(chosen)

    def count(self, word: str) -> int:
        """Passages (both levels) holding the word: FTS5's own document frequency, read once per word."""
        if word not in self._counts:
            found = self._query("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (quote(word),))
            if len(self._counts) > 50_000:
                self._counts.clear()
            self._counts[word] = int(found[0][0])
        return self._counts[word]

    def total(self) -> int:
        if self._total is None:
            self._total = int(self._query("SELECT count(*) FROM passages")[0][0])
        return self._total

    def _rows(self, sql: str, params: tuple) -> list[int]:
        return [r for (r,) in self._query(sql, params)]

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self.db.query(sql, params)
        except sqlite3.OperationalError as exc:
            raise RefrainError(f"cannot search for that text: {exc}") from None


def tokens(text: str) -> list[str]:
    """Tokens as FTS5's unicode61 tokenizer (remove_diacritics 2) compares them: letters and digits, case and
    diacritics folded."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return [t.casefold() for t in _TOKEN.findall(stripped)]


def contains_phrase(text: str, phrase: str) -> bool:
    needle, hay = tokens(phrase), tokens(text)
    n = len(needle)
    return n > 0 and any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


def boilerplate_matches(db, phrase: str, allowed_docs: np.ndarray | None) -> list[BoilerplateMatch]:
    """Boilerplate lines (kept out of passages by the build) that contain the phrase, with the documents (allowed
    by the filters) whose text holds each line: boilerplate must never make text unfindable."""
    out = []
    for (line,) in db.query("SELECT line FROM boilerplate ORDER BY documents DESC, line"):
        if not contains_phrase(line, phrase):
            continue
        docs = db.query("SELECT doc_id, ord FROM documents WHERE instr(text, ?) > 0 ORDER BY ord", (line,))
        ids = tuple(d for d, o in docs if allowed_docs is None or allowed_docs[o])
        if ids:
            out.append(BoilerplateMatch(line, ids))
    return out
