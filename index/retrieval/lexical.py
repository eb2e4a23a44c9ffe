"""Lexical matching over the passages' FTS5 index (unicode61: case, punctuation and diacritics aside).

Two questions, both asked of one level at a time:
- verbatim: which passages contain the query as a phrase ("people-first principle" matches "People-First
  principle" but not "principle of people first")? Every such passage, counted exactly.
- shared words: which passages share the query's words, best first by bm25? Each word is quoted, so any input
  is taken literally (FTS5 operators are just words here). Only the rarer words are asked (the rarest first,
  within a budget of matches): words that occur in most passages ("the", "of") weigh next to nothing in bm25
  and would only slow the question down.

In an index with the trigram table (Korean, Japanese, Chinese: index/store/database.py), verbatim means inside
words: the phrase is looked up in that table, so '인민대중제일주의' finds '인민대중제일주의를' and '…는'. A phrase
of fewer than three characters has no trigram: the level's passages are scanned for it (instr, case folded),
oldest first, since there is no bm25 to rank by. An index without the table answers as before.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from index.errors import RefrainError
from index.retrieval import ORDERS
from index.retrieval.results import BoilerplateMatch
from index.store.database import TRIGRAM_TABLE

_TOKEN = re.compile(r"[^\W_]+")  # what unicode61 calls a token: letters and digits
WORD_BUDGET = 1000  # passages of a level whose bm25 one query computes at most (the cost of the words side)
WORDS_TABLE = "passages_fts"
TRIGRAM_CHARS = 3  # the shortest phrase the trigram table can look up


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


def unquote(expression: str) -> str:
    """The text of an FTS5 string made by quote()."""
    return expression[1:-1].replace('""', '"')


# Lookups ask FTS5 alone (no join) within the level's rowid range, so it scores only that level's matches, and
# the rowids found become the level's rows through a map read once (Lexical._rows_of).
# {t}: the FTS5 table asked (WORDS_TABLE, or TRIGRAM_TABLE for verbatim lookups where it exists).
_RANGE = "{t} MATCH ? AND rowid BETWEEN ? AND ?"
_SCORED = "SELECT rowid, bm25({t}) FROM {t} WHERE " + _RANGE
_COUNT_UP_TO = ("SELECT count(*) FROM (SELECT 1 FROM {t} WHERE " + _RANGE + " LIMIT ?)").format(t=WORDS_TABLE)
_ROWIDS = "SELECT rowid FROM {t} WHERE " + _RANGE
_JOINED = ("SELECT p.row FROM {t} JOIN passages p ON p.rowid = {t}.rowid JOIN documents d "
           "ON d.doc_id = p.doc_id WHERE {t} MATCH ? AND {t}.rowid BETWEEN ? AND ? AND p.level = ? ")
_SCANNED = ("SELECT p.row FROM passages p JOIN documents d ON d.doc_id = p.doc_id "
            "WHERE p.level = ? AND instr(casefold(p.text), ?) > 0 ")
_DATE_ORDER = {  # documents by date (ord is chronological, undated last), passages in reading order
    "oldest": "ORDER BY d.ord, p.ordinal",
    "newest": "ORDER BY d.date_start IS NULL, d.ord DESC, p.ordinal",
}
VERIFY_LIMIT = 5000  # passages holding a phrase's rare words that are checked here rather than by FTS5


class Lexical:
    """FTS5 lookups for one opened index database (index.store.database.ReadOnlyDatabase)."""

    def __init__(self, db):
        self.db = db
        self._counts: dict[tuple[str, str], int] = {}
        self._maps: dict[str, tuple[int, np.ndarray]] = {}

    @cached_property
    def within_words(self) -> bool:
        """Whether verbatim lookups match inside words: the index has the trigram table (see the docstring)."""
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TRIGRAM_TABLE,)))

    def phrase_rows(self, level: str, phrase: str, mask: np.ndarray | None, order: str = "relevance") -> np.ndarray:
        """Rows of the level containing the phrase, allowed by mask, in one of ORDERS: best bm25 first
        ('relevance'), or by document date ('oldest', 'newest'; passages in reading order within a document)."""
        if order not in ORDERS:
            raise RefrainError(f"unknown order {order!r}; choose {', '.join(ORDERS)}")
        if self._scanned(phrase):
            sql = _SCANNED + _DATE_ORDER.get(order, _DATE_ORDER["oldest"])
            return self._allowed(np.asarray(self._rows(sql, (level, unquote(phrase).casefold())), dtype=np.int64), mask)
        table = self._verbatim_table
        if order == "relevance":
            rows, _ = self._ranked(level, phrase, mask, table)
            return rows
        sql = _JOINED.format(t=table) + _DATE_ORDER[order]
        return self._allowed(np.asarray(self._rows(sql, (phrase, *self._span(level), level)), dtype=np.int64), mask)

    def best_verbatim(self, level: str, phrase: str, mask: np.ndarray | None, limit: int) -> np.ndarray:
        """The `limit` passages holding the phrase best by bm25 (oldest first where it is scanned for)."""
        if self._scanned(phrase):
            return self.phrase_rows(level, phrase, mask, "oldest")[:limit]
        return self._ranked(level, phrase, mask, self._verbatim_table)[0][:limit]

    @property
    def _verbatim_table(self) -> str:
        return TRIGRAM_TABLE if self.within_words else WORDS_TABLE

    def _scanned(self, phrase: str) -> bool:
        """A phrase too short for the trigram table, looked up by scanning the passages."""
        return self.within_words and len(unquote(phrase)) < TRIGRAM_CHARS

    def phrase_matches(self, level: str, query: LexicalQuery, mask: np.ndarray | None) -> np.ndarray:
        """Rows of the level containing the query as a phrase, allowed by mask, in no particular order.

        FTS5 reads the position lists of every word of a phrase, so "we call on all states to ..." costs the
        lists of "on", "all" and "to" (tens of ms at a million passages). When the phrase is plain ASCII and has
        rare words, the passages holding its three rarest are found first (cheap) and their texts are checked for
        the phrase here, token by token as FTS5 reads them: the same answer. (Within words, the trigram table
        is asked directly.)"""
        low, high = self._span(level)
        if self._scanned(query.phrase):
            return self.phrase_rows(level, query.phrase, mask, "oldest")
        if self.within_words:
            return self._allowed(self._rows_of(level, self._rows(_ROWIDS.format(t=TRIGRAM_TABLE), (query.phrase, low, high))), mask)
        rare = sorted((w for w in query.words if self.count(level, w) <= WORD_BUDGET), key=lambda w: (self.count(level, w), w))
        if len(query.words) > 1 and rare and all(w.isascii() for w in query.words):
            holders = self._rows(_ROWIDS.format(t=WORDS_TABLE), (" AND ".join(quote(w) for w in rare[:3]), low, high))
            if len(holders) <= VERIFY_LIMIT:
                phrase = unquote(query.phrase)
                found = []
                for i in range(0, len(holders), 900):
                    chunk = holders[i:i + 900]
                    marks = ",".join("?" * len(chunk))
                    found += [r for r, text in self._query(f"SELECT rowid, text FROM passages WHERE rowid IN ({marks})", chunk)
                              if contains_phrase(text, phrase)]
                return self._allowed(self._rows_of(level, found), mask)
        return self._allowed(self._rows_of(level, self._rows(_ROWIDS.format(t=WORDS_TABLE), (query.phrase, low, high))), mask)

    def word_rows(self, level: str, words: tuple[str, ...], mask: np.ndarray | None, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, bm25 scores, higher is better) of the `limit` passages sharing most of the query's words, best
        first."""
        chosen = self.selective(level, words)
        if not chosen:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        return self.best(level, " OR ".join(quote(w) for w in chosen), mask, limit)

    def best(self, level: str, expression: str, mask: np.ndarray | None, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The `limit` best bm25 matches of the level allowed by mask, best first (scored unsorted and sorted here:
        FTS5's ORDER BY rank, even with a LIMIT, was measured slower)."""
        rows, scores = self._ranked(level, expression, mask)
        return rows[:limit], scores[:limit]

    def _ranked(self, level: str, expression: str, mask: np.ndarray | None,
                table: str = WORDS_TABLE) -> tuple[np.ndarray, np.ndarray]:
        """Every match of the level in the table with its bm25 (higher is better), best first; ties by row.

        Sorted here, not by SQLite: FTS5's ORDER BY rank over all matches costs ~8x the unsorted scan."""
        found = self._query(_SCORED.format(t=table), (expression, *self._span(level)))
        rows = self._rows_of(level, [r for r, _ in found])
        scores = -np.array([s for _, s in found], dtype=np.float32)[: len(rows)]  # FTS5's bm25: lower is better
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
        """Passages in the level's rowid range holding the word, counted up to WORD_BUDGET + 1 (a word as common
        as "the" would take longer to count than the whole query), read once per word."""
        key = (level, word)
        if key not in self._counts:
            found = self._query(_COUNT_UP_TO, (quote(word), *self._span(level), WORD_BUDGET + 1))
            if len(self._counts) > 50_000:
                self._counts.clear()
            self._counts[key] = int(found[0][0])
        return self._counts[key]

    def _span(self, level: str) -> tuple[int, int]:
        """The level's lowest and highest rowid (a build writes each level in one run)."""
        low, to_row = self._map(level)
        return low, low + len(to_row) - 1

    def _rows_of(self, level: str, rowids: list[int]) -> np.ndarray:
        """The level's rows of FTS rowids found in its range (a rowid of another level, if any, is dropped)."""
        low, to_row = self._map(level)
        found = to_row[np.asarray(rowids, dtype=np.int64) - low] if rowids else np.empty(0, dtype=np.int64)
        return found[found >= 0]

    def _map(self, level: str) -> tuple[int, np.ndarray]:
        """Rowid -> row of one level, as (lowest rowid, array over the level's rowid range; -1 where a rowid is not
        of this level): read once, so no lookup joins the passages table."""
        if level not in self._maps:
            pairs = np.array(self._query("SELECT rowid, row FROM passages WHERE level = ? ORDER BY rowid", (level,)),
                             dtype=np.int64).reshape(-1, 2)
            low = int(pairs[0, 0]) if len(pairs) else 0
            to_row = np.full(int(pairs[-1, 0]) - low + 1 if len(pairs) else 0, -1, dtype=np.int64)
            to_row[pairs[:, 0] - low] = pairs[:, 1]
            self._maps[level] = (low, to_row)
        return self._maps[level]

    @staticmethod
    def _allowed(rows: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return rows[mask[rows]] if mask is not None and len(rows) else rows

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
    """Whether the text holds the phrase's tokens in a row, as FTS5 would match the phrase."""
    needle = tokens(phrase)
    if not needle:
        return False
    if all(t.isascii() for t in needle) and not any(ch.isalnum() for ch in _NON_ASCII.findall(text)):
        return _phrase_pattern(tuple(needle)).search(text) is not None  # the same test, at C speed
    hay = tokens(text)
    n = len(needle)
    return any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=1024)
def _phrase_pattern(needle: tuple[str, ...]) -> re.Pattern:
    """ASCII tokens in a row, separated by anything but letters and digits, not inside a longer token."""
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, needle)) + r"(?![^\W_])", re.IGNORECASE)


def boilerplate_matches(db, phrase: str, allowed_docs: np.ndarray | None,
                        within_words: bool = False) -> list[BoilerplateMatch]:
    """Boilerplate lines (kept out of passages by the build) that contain the phrase (inside words too, with
    `within_words`), with the documents (allowed by the filters) whose text holds each line: boilerplate must
    never make text unfindable."""
    out = []
    for (line,) in db.query("SELECT line FROM boilerplate ORDER BY documents DESC, line"):
        if not (phrase.casefold() in line.casefold() if within_words else contains_phrase(line, phrase)):
            continue
        docs = db.query("SELECT doc_id, ord FROM documents WHERE instr(text, ?) > 0 ORDER BY ord", (line,))
        ids = tuple(d for d, o in docs if allowed_docs is None or allowed_docs[o])
        if ids:
            out.append(BoilerplateMatch(line, ids))
    return out
