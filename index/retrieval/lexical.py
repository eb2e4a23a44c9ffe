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
WORD_BUDGET = 3000  # passages of a level whose bm25 one query computes at most (the cost of the words side)


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


# Every lookup is narrowed to the level's rowid range, so FTS5 (which holds both levels in one table) scores only
# that level's matches; the join still checks the level, so a range that is not contiguous stays correct.
_RANGE = "passages_fts MATCH ? AND passages_fts.rowid BETWEEN ? AND ?"
_BEST = ("SELECT p.row, f.score FROM (SELECT rowid AS id, rank AS score FROM passages_fts WHERE " + _RANGE +
         " ORDER BY rank LIMIT ?) f JOIN passages p ON p.rowid = f.id WHERE p.level = ? ORDER BY f.score, p.row")
_SCORED = ("SELECT p.row, bm25(passages_fts) FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid "
           "WHERE " + _RANGE + " AND p.level = ?")
_COUNT = "SELECT count(*) FROM passages_fts WHERE " + _RANGE
_UNORDERED = ("SELECT p.row FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid WHERE " + _RANGE +
              " AND p.level = ?")
_BY_DATE = {  # documents by date (ord is chronological, undated last), passages in reading order
    "oldest": "SELECT p.row FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid JOIN documents d "
              "ON d.doc_id = p.doc_id WHERE " + _RANGE + " AND p.level = ? ORDER BY d.ord, p.ordinal",
    "newest": "SELECT p.row FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid JOIN documents d "
              "ON d.doc_id = p.doc_id WHERE " + _RANGE + " AND p.level = ? "
              "ORDER BY d.date_start IS NULL, d.ord DESC, p.ordinal",
}


class Lexical:
    """FTS5 lookups for one opened index database (index.store.database.ReadOnlyDatabase)."""

    def __init__(self, db):
        self.db = db
        self._counts: dict[tuple[str, str], int] = {}
        self._spans: dict[str, tuple[int, int, bool]] = {}

    def phrase_rows(self, level: str, phrase: str, mask: np.ndarray | None, order: str = "relevance") -> np.ndarray:
        """Rows of the level containing the phrase, allowed by mask, in one of ORDERS: best bm25 first
        ('relevance'), or by document date ('oldest', 'newest'; passages in reading order within a document)."""
        if order not in ORDERS:
            raise RefrainError(f"unknown order {order!r}; choose {', '.join(ORDERS)}")
        if order == "relevance":
            rows, _ = self._ranked(level, phrase, mask)
            return rows
        return self._allowed(self._rows(_BY_DATE[order], (phrase, *self._span(level)[:2], level)), mask)

    def phrase_matches(self, level: str, phrase: str, mask: np.ndarray | None) -> np.ndarray:
        """Rows of the level containing the phrase, allowed by mask, in no particular order (no bm25 to compute)."""
        return self._allowed(self._rows(_UNORDERED, (phrase, *self._span(level)[:2], level)), mask)

    def word_rows(self, level: str, words: tuple[str, ...], mask: np.ndarray | None, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, bm25 scores, higher is better) of the `limit` passages sharing most of the query's words, best
        first."""
        chosen = self.selective(level, words)
        if not chosen:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        return self.best(level, " OR ".join(quote(w) for w in chosen), mask, limit)

    def best(self, level: str, expression: str, mask: np.ndarray | None, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The `limit` best bm25 matches of the level allowed by mask, best first. Without a mask, FTS5 keeps only
        the best few while it scores."""
        if mask is not None:
            rows, scores = self._ranked(level, expression, mask)
            return rows[:limit], scores[:limit]
        low, high, contiguous = self._span(level)
        asked = limit
        while True:
            found = self._query(_BEST, (expression, low, high, asked, level))
            if len(found) >= limit or contiguous or asked >= self._query(_COUNT, (expression, low, high))[0][0]:
                break
            asked *= 4  # rows of the other level inside the range took places: ask deeper
        rows = np.array([r for r, _ in found[:limit]], dtype=np.int64)
        return rows, -np.array([s for _, s in found[:limit]], dtype=np.float32)  # FTS5's bm25: lower is better

    def _ranked(self, level: str, expression: str, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every match of the level with its bm25 (higher is better), best first; ties by row.

        Sorted here, not by SQLite: FTS5's ORDER BY rank over all matches costs ~8x the unsorted scan."""
        found = self._query(_SCORED, (expression, *self._span(level)[:2], level))
        rows = np.array([r for r, _ in found], dtype=np.int64)
        scores = -np.array([s for _, s in found], dtype=np.float32)
        if mask is not None and len(rows):
            keep = mask[rows]
            rows, scores = rows[keep], scores[keep]
        best = np.lexsort((rows, -scores))
        return rows[best], scores[best]

    def selective(self, level: str, words: tuple[str, ...]) -> tuple[str, ...]:
        """The words worth asking for: the rarest first, while the passages of the level holding them add up to at
        most WORD_BUDGET. bm25 is computed for every match, so the budget bounds the cost at any corpus size;
        words as common as "the" weigh next to nothing in bm25 anyway, and a query of such words only is left to
        the verbatim and meaning sides."""
        counts = {w: self.count(level, w) for w in words}
        present = sorted((w for w in words if counts[w] > 0), key=lambda w: (counts[w], w))
        chosen, postings = [], 0
        for w in present:
            if postings + counts[w] > WORD_BUDGET:
                break
            chosen.append(w)
            postings += counts[w]
        return tuple(chosen)

    def count(self, level: str, word: str) -> int:
        """Passages in the level's rowid range holding the word (FTS5's document frequency), read once per word."""
        key = (level, word)
        if key not in self._counts:
            found = self._query(_COUNT, (quote(word), *self._span(level)[:2]))
            if len(self._counts) > 50_000:
                self._counts.clear()
            self._counts[key] = int(found[0][0])
        return self._counts[key]

    def _span(self, level: str) -> tuple[int, int, bool]:
        """The level's lowest and highest rowid, and whether its rows fill that range (builds write each level in
        one run, so they do)."""
        if level not in self._spans:
            low, high, n = self._query("SELECT min(rowid), max(rowid), count(*) FROM passages WHERE level = ?", (level,))[0]
            self._spans[level] = (low or 0, high if high is not None else -1, n == (high - low + 1 if n else 0))
        return self._spans[level]

    @staticmethod
    def _allowed(rows: list[int], mask: np.ndarray | None) -> np.ndarray:
        found = np.asarray(rows, dtype=np.int64)
        return found[mask[found]] if mask is not None and len(found) else found

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
