"""The Searcher: semantic, more-like-this and phrase queries over one opened index generation.

Opening and checking the generation's files is the reader's job (index/store/reader.py); this module
turns queries into FAISS searches, exact scans and SQL lookups over it. Open a Searcher once and share
it: every method is safe to call from many threads at once. It never changes; when a rebuild publishes
a new generation, `is_stale()` turns true and callers open a new Searcher. (A little over 400 lines: one
class, the whole query API, whose methods share the opened reader and the query and filter caches.)
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from index.embed.encoder import Encoder, l2_normalise
from index.embed.onnx import load_query_encoder
from index.embed.models import Prompts
from index.errors import RefrainError
from index.filters import Filters  # re-exported: every query takes them
from index.ingest.segment import token_windows
from index.levels import LEVELS
from index.retrieval import DEFAULT_MODE, ORDERS
from index.retrieval.fusion import MEANING, VERBATIM, Fusion
from index.retrieval.lexical import Lexical, boilerplate_matches, quote
from index.retrieval.ranking import rank
from index.retrieval.results import Hit, PhraseResult, SearchResult  # Hit re-exported: every query returns them
from index.store import ann
from index.store.database import PASSAGE_COLUMNS, ReadOnlyDatabase, loads_meta
from index.store.reader import GenerationReader, Level
from index.textnorm import normalise_line

MAX_K = 1000
MAX_QUERY_CHARS = 20_000
MAX_MATCHES = 20_000  # matching(): most hits returned above a score threshold
EXACT_SCAN_ROWS = 65_536  # filtered searches over fewer allowed rows than this skip the ANN index
# Queries are embedded here while the lexical side runs on the caller's thread (onnxruntime and SQLite both
# release the GIL): a hybrid query then costs about the longer of the two, not their sum.
_QUERY_EMBEDDERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="refrain-query-embedding")


@dataclass
class Document:
    doc_id: str
    title: str
    date: str | None
    meta: dict[str, list[str]]
    text: str
    copies: list[dict]
    passages: dict[str, list[Hit]] = field(default_factory=dict)


class Searcher:
    """Queries over one opened generation of the index in `root` (the live one when opened)."""

    def __init__(self, root: str | Path, model: str | None = None, encoder: Encoder | None = None):
        self.root = Path(root)
        self.reader = GenerationReader.open_live(self.root, encoder.name if encoder is not None else model)
        self.generation = self.reader.generation
        self.manifest = self.reader.manifest
        self.model_name = self.reader.model_name
        self.query_prompt = Prompts.from_manifest(self.manifest["model"]).query  # as the index was built
        self.n_documents = self.reader.n_documents
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self._embed_cached = lru_cache(maxsize=2048)(self._embed_uncached)
        self._mask_cached = lru_cache(maxsize=256)(self._mask_uncached)

    @property
    def db(self) -> ReadOnlyDatabase:
        """The generation's database, read-only (parameterised SQL for scripts and tests)."""
        return self.reader.db

    @property
    def levels(self) -> dict[str, Level]:
        """The opened levels: vectors, document rows, FAISS index and its spec (for inspection)."""
        return self.reader.levels

    def is_stale(self) -> bool:
        """True once a newer build has been published in this directory (or the index vanished)."""
        return self.reader.is_stale()

    @property
    def encoder(self) -> Encoder:
        with self._encoder_lock:
            if self._encoder is None:
                encoder, self._query_backend = load_query_encoder(self.model_name)
                self.reader.check_encoder(encoder)
                self._encoder = encoder
            return self._encoder

    @property
    def query_backend(self):
        """Which engine embeds queries (onnxruntime or torch) and why; loads the encoder."""
        encoder = self.encoder
        from index.embed.onnx import QueryBackend

        return getattr(self, "_query_backend", None) or QueryBackend(encoder.backend, "the encoder given to this searcher")

    # ---------------------------------------------------------------- queries

    def search(self, query: str, k: int = 10, level: str = "paragraph", filters: Filters | None = None,
               min_score: float | None = None, mode: str = DEFAULT_MODE, per_document: bool = False) -> list[Hit]:
        """Passages that say what the query says: in mode hybrid, every verbatim use first, then words and
        meaning fused; semantic: by meaning only; lexical: by shared words (index.retrieval.ranking)."""
        return self.search_result(query, k, level, filters, min_score, mode, per_document).hits

    def search_result(self, query: str, k: int = 10, level: str = "paragraph", filters: Filters | None = None,
                      min_score: float | None = None, mode: str = DEFAULT_MODE, per_document: bool = False,
                      fusion: Fusion | None = None) -> SearchResult:
        """`search` with the counts behind it: verbatim passages in all, hits the minimum score left out.
        `fusion` overrides the default fusion (for evaluating alternatives, bench/bench_retrieval.py)."""
        _check_level(level)
        k = _check_k(k)
        min_score = _check_score(min_score)
        embedding = _QUERY_EMBEDDERS.submit(self.embed_query, query)
        mask = self._mask(level, filters)
        target = self.levels[level]
        ranking = rank(self._clean(query), embedding.result, target.rows,
                       lambda n: self._nearest_pairs(embedding.result(), n, level, mask),
                       self.lexical, level, target.doc_rows, mask, k, min_score, mode, per_document, fusion)
        hits = self._hydrate(level, list(zip(ranking.rows, ranking.scores)), ranking.matches)
        allowed = None if filters is None or filters.empty else self.document_mask(filters)
        return SearchResult(hits, mode, k, min_score, per_document, ranking.verbatim_total, ranking.verbatim_documents,
                            ranking.below_min, boilerplate_matches(self.db, self._clean(query), allowed,
                                                                   self.lexical.within_words))

    def similar(self, passage_id: str, k: int = 10, level: str | None = None, include_same_doc: bool = False,
                filters: Filters | None = None, min_score: float | None = None) -> list[Hit]:
        """Passages closest to a stored passage ("more like this"); other documents only, by default."""
        source = self.passage(passage_id)
        level = level or source.level
        _check_level(level)
        k = _check_k(k)
        min_score = _check_score(min_score)
        vector = self.levels[source.level].rows([self._row_of(passage_id)])[0]
        target = self.levels[level]
        mask = self._mask(level, filters)
        mask = np.ones(len(target.doc_rows), dtype=bool) if mask is None else mask.copy()
        if include_same_doc:
            if level == source.level:
                mask[self._row_of(passage_id)] = False
        else:
            mask &= target.doc_rows != self._doc_ord(source.doc_id)
        hits = self._nearest(vector, k, level, mask, min_score)
        for hit in hits:
            hit.match = MEANING
        return hits

    def phrase(self, text: str, k: int = 100, level: str = "paragraph", filters: Filters | None = None,
               sort: str = "oldest", offset: int = 0) -> list[Hit]:
        """Passages containing the words of `text` as a phrase (case and punctuation aside), oldest first
        (or newest first, or best bm25 match first: `sort`), from the `offset`-th on.

        Input is always taken literally: quotes, operators and FTS5 syntax are just words here.
        """
        return self.phrase_result(text, k, level, filters, sort, offset).hits

    def phrase_result(self, text: str, k: int = 100, level: str = "paragraph", filters: Filters | None = None,
                      sort: str = "oldest", offset: int = 0) -> PhraseResult:
        """One page of `phrase` with the totals (passages, documents) and the boilerplate lines holding it."""
        _check_level(level)
        k = _check_k(k)
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
            raise RefrainError(f"offset must be a whole number from 0, got {offset!r}")
        if sort not in ORDERS:
            raise RefrainError(f"unknown order {sort!r}; choose {', '.join(ORDERS)}")
        phrase = self._clean(text)
        if not any(ch.isalnum() for ch in phrase):
            return PhraseResult([], 0, 0, int(offset), sort)
        mask = self._mask(level, filters)
        rows = self.lexical.phrase_rows(level, quote(phrase), mask, sort)
        page = rows[offset:offset + k].tolist()
        hits = self._hydrate(level, [(r, None) for r in page], [VERBATIM] * len(page))
        documents = len(np.unique(self.levels[level].doc_rows[rows]))
        allowed = None if filters is None or filters.empty else self.document_mask(filters)
        return PhraseResult(hits, len(rows), documents, int(offset), sort,
                            boilerplate_matches(self.db, phrase, allowed, self.lexical.within_words))

    def phrase_count(self, text: str, level: str = "paragraph", filters: Filters | None = None) -> int:
        return self.phrase_result(text, 1, level, filters).total

    def matching(self, query: str, min_score: float, level: str = "paragraph", filters: Filters | None = None,
                 limit: int = MAX_MATCHES) -> list[Hit]:
        """Every passage scoring at least min_score, best first, not capped at k (timelines count them all).

        An exact scan over the level's vectors; at most `limit` hits are returned.
        """
        _check_level(level)
        min_score = _check_score(min_score)
        if min_score is None:
            raise RefrainError("a minimum score is needed to list every matching passage")
        vector = self.embed_query(query)
        target = self.levels[level]
        mask = self._mask(level, filters)
        rows = np.arange(len(target.doc_rows)) if mask is None else np.flatnonzero(mask)
        found_rows, found_scores = [], []
        for chunk, scores in target.scan(rows, vector):
            keep = scores >= min_score
            found_rows.append(chunk[keep])
            found_scores.append(scores[keep])
        if not found_rows:
            return []
        all_rows, all_scores = np.concatenate(found_rows), np.concatenate(found_scores)
        order = np.argsort(-all_scores, kind="stable")[:max(0, int(limit))]
        return self._hydrate(level, [(int(all_rows[i]), float(all_scores[i])) for i in order])

    def pair_score(self, a_id: str, b_id: str) -> float:
        """Cosine similarity of two stored passages (any levels), as search scores are computed."""
        a, b = self.passage(a_id), self.passage(b_id)
        va = self.levels[a.level].rows([self._row_of(a_id)])[0]
        vb = self.levels[b.level].rows([self._row_of(b_id)])[0]
        return round(float(va @ vb), 6)

    # ---------------------------------------------------------------- lookups

    def passage(self, passage_id: str) -> Hit:
        rows = self.db.query(f"SELECT {PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc_id) "
                             "WHERE p.passage_id = ?", (str(passage_id),))
        if not rows:
            raise RefrainError(f"no passage {passage_id!r} in this index (it may come from an older build)")
        return _hit(rows[0], None)

    def passages(self, passage_ids: list[str]) -> list[Hit]:
        out = []
        for i in range(0, len(passage_ids), 900):
            chunk = [str(p) for p in passage_ids[i:i + 900]]
            marks = ",".join("?" * len(chunk))
            out += [_hit(r, None) for r in self.db.query(
                f"SELECT {PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc_id) "
                f"WHERE p.passage_id IN ({marks})", chunk)]
        order = {pid: i for i, pid in enumerate(passage_ids)}
        return sorted(out, key=lambda h: order[h.passage_id])

    def passage_texts(self, passage_ids: list[str]) -> dict[str, str]:
        """The text of each passage, and nothing else: what mining reads for every member of a formulation."""
        out: dict[str, str] = {}
        for i in range(0, len(passage_ids), 900):
            chunk = [str(p) for p in passage_ids[i:i + 900]]
            out.update(self.db.query(f"SELECT passage_id, text FROM passages WHERE passage_id IN "
                                     f"({','.join('?' * len(chunk))})", chunk))
        return out

    def document(self, doc_id: str) -> Document:
        rows = self.db.query("SELECT doc_id, title, date, meta, text FROM documents WHERE doc_id = ?", (str(doc_id),))
        if not rows:
            raise RefrainError(f"no document {doc_id!r} in this index")
        doc_id, title, date, meta, text = rows[0]
        copies = [
            {"source": s, "locator": loc, "title": t, "date": d, "meta": loads_meta(m)}
            for s, loc, t, d, m in self.db.query(
                "SELECT source, locator, title, date, meta FROM copies WHERE doc_id = ? ORDER BY source, locator", (doc_id,))
        ]
        passages = {level: [] for level in LEVELS}
        for row in self.db.query(f"SELECT {PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc_id) "
                                 "WHERE p.doc_id = ? ORDER BY p.level, p.ordinal", (doc_id,)):
            hit = _hit(row, None)
            passages[hit.level].append(hit)
        return Document(doc_id, title, date, loads_meta(meta), text, copies, passages)

    def context(self, passage_id: str, before: int = 1, after: int = 1) -> tuple[list[Hit], Hit, list[Hit]]:
        """A passage with its neighbours in the same document and level (for reading in context)."""
        hit = self.passage(passage_id)
        rows = self.db.query(
            f"SELECT {PASSAGE_COLUMNS} FROM passages p JOIN documents d USING (doc_id) WHERE p.doc_id = ? "
            "AND p.level = ? AND p.ordinal BETWEEN ? AND ? ORDER BY p.ordinal",
            (hit.doc_id, hit.level, hit.ordinal - before, hit.ordinal + after))
        hits = [_hit(r, None) for r in rows]
        return [h for h in hits if h.ordinal < hit.ordinal], hit, [h for h in hits if h.ordinal > hit.ordinal]

    def documents(self, filters: Filters | None = None) -> list[dict]:
        """All documents (only those passing `filters`, when given), oldest first, for pickers and listings."""
        rows = self.db.query("SELECT doc_id, title, date, meta, copies, ord FROM documents ORDER BY ord")
        allowed = None if filters is None or filters.empty else self.document_mask(filters)
        return [
            {"doc_id": d, "title": t, "date": dt, "meta": loads_meta(m), "copies": c}
            for d, t, dt, m, c, o in rows
            if allowed is None or allowed[o]
        ]

    def documents_by_ord(self) -> dict[int, dict]:
        """Every document by its row: id, title, date and the date's first day (the key to order by time)."""
        return {o: {"doc_id": d, "title": t, "date": date, "start": start}
                for o, d, t, date, start in self.db.query("SELECT ord, doc_id, title, date, date_start FROM documents")}

    def facets(self) -> dict:
        """What filters make sense here: metadata fields with their values and counts, and the date span."""
        fields: dict[str, dict[str, int]] = {}
        for name, value, n in self.db.query("SELECT field, value, count(*) FROM doc_meta GROUP BY field, value ORDER BY field, value"):
            fields.setdefault(name, {})[value] = n
        first, last = self.db.query("SELECT min(date_start), max(date_end) FROM documents")[0]
        return {"meta": fields, "date_min": first, "date_max": last}

    def info(self) -> dict:
        """Counts, model, sizes, boilerplate and skipped records: what `refrain info` shows."""
        return {
            "root": str(self.root),
            "generation": self.generation,
            "manifest": self.manifest,
            "size_bytes": self.reader.size_bytes(),
            "boilerplate": self.db.query("SELECT line, documents FROM boilerplate ORDER BY documents DESC, line"),
            "problems": [
                {"source": s, "locator": loc, "reason": r, "skipped": bool(sk)}
                for s, loc, r, sk in self.db.query("SELECT source, locator, reason, skipped FROM problems")
            ],
        }

    def vectors(self, level: str) -> np.ndarray:
        """The level's vectors (memory-mapped, read-only), row i being passage row i."""
        return self.levels[level].vectors

    def doc_rows(self, level: str) -> np.ndarray:
        """The document ord of each passage row of the level (row i is passage row i)."""
        return self.levels[level].doc_rows

    def level_passages(self, level: str, with_text: bool = False) -> list[tuple]:
        """(row, passage_id, text_hash[, text]) of every passage of the level, in row order: what mining reads."""
        _check_level(level)
        sql = ("SELECT row, passage_id, text_hash, text FROM passages WHERE level = ? ORDER BY row" if with_text
               else "SELECT row, passage_id, text_hash FROM passages WHERE level = ? ORDER BY row")
        return self.db.query(sql, (level,))

    def rows_to_ids(self, level: str, rows: list[int]) -> list[str]:
        found = dict(self._rows_query(level, rows, "p.row, p.passage_id"))
        return [found[r] for r in rows]

    # ---------------------------------------------------------------- internals

    def embed_query(self, query: str) -> np.ndarray:
        return self._embed_cached(self._clean(query))

    def _embed_uncached(self, text: str) -> np.ndarray:
        encoder = self.encoder
        windows = token_windows(text, encoder.token_spans, encoder.max_tokens)
        vectors = encoder.encode([text[a:b] for a, b in windows], prompt=self.query_prompt)
        return l2_normalise(vectors.mean(axis=0, keepdims=True))[0]  # long queries: every window counts

    @staticmethod
    def _clean(text: str) -> str:
        if not isinstance(text, str):
            raise RefrainError("the query must be text")
        cleaned = normalise_line(text)
        if not cleaned:
            raise RefrainError("empty query: type some words to search for")
        if len(cleaned) > MAX_QUERY_CHARS:
            raise RefrainError(f"query too long ({len(cleaned):,} characters; at most {MAX_QUERY_CHARS:,})")
        return cleaned

    @cached_property
    def lexical(self) -> Lexical:
        return Lexical(self.db)

    def _nearest(self, vector: np.ndarray, k: int, level: str, mask: np.ndarray | None, min_score: float | None) -> list[Hit]:
        pairs = self._nearest_pairs(vector, k, level, mask)
        return self._hydrate(level, [(r, s) for r, s in pairs if min_score is None or s >= min_score])

    def _nearest_pairs(self, vector: np.ndarray, k: int, level: str, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """The k allowed rows nearest the vector, (row, cosine) best first."""
        target = self.levels[level]
        allowed = len(target.doc_rows) if mask is None else int(mask.sum())
        k = min(k, allowed)
        if k == 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        approximate = target.spec["kind"] != "flat"
        if mask is not None and approximate and allowed <= EXACT_SCAN_ROWS:
            pairs = self._exact(target, query[0], np.flatnonzero(mask), k)
        else:
            selector, bits = ann.bitmap_selector(mask) if mask is not None else (None, None)
            rerank = int(target.spec.get("rerank") or 0)  # compressed codes: fetch more, re-score exactly
            fetch = min(k * rerank, len(target.doc_rows)) if rerank else k
            ann.use_one_thread()
            scores, rows = target.index.search(query, fetch, params=ann.search_params(target.spec, selector))
            del bits  # the selector reads these bits until search returns
            pairs = list(zip(rows[0].tolist(), scores[0].tolist()))
            if mask is not None and approximate and sum(r >= 0 for r, _ in pairs) < k:
                pairs = self._exact(target, query[0], np.flatnonzero(mask), k)  # the probe missed allowed rows
            elif rerank:
                candidates = np.unique(rows[0][rows[0] >= 0])
                scores = target.rows(candidates) @ query[0]
                order = np.argsort(-scores, kind="stable")[:k]
                pairs = [(int(candidates[i]), float(scores[i])) for i in order]
        return [(r, s) for r, s in pairs if r >= 0]

    @staticmethod
    def _exact(target: Level, query: np.ndarray, rows: np.ndarray, k: int) -> list[tuple[int, float]]:
        best_rows, best_scores = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        for chunk, scores in target.scan(rows, query):
            best_rows = np.concatenate([best_rows, chunk])
            best_scores = np.concatenate([best_scores, scores])
            if len(best_rows) > k:
                keep = np.argpartition(-best_scores, k - 1)[:k]
                best_rows, best_scores = best_rows[keep], best_scores[keep]
        order = np.argsort(-best_scores, kind="stable")
        return [(int(best_rows[i]), float(best_scores[i])) for i in order]

    def _rows_query(self, level: str, rows: list[int], columns: str) -> list[tuple]:
        out = []
        for i in range(0, len(rows), 900):
            chunk = [int(r) for r in rows[i:i + 900]]
            marks = ",".join("?" * len(chunk))
            out += self.db.query(f"SELECT {columns} FROM passages p JOIN documents d USING (doc_id) "
                                 f"WHERE p.level = ? AND p.row IN ({marks})", (level, *chunk))
        return out

    def _hydrate(self, level: str, pairs: list[tuple[int, float | None]], matches: list[str] | None = None) -> list[Hit]:
        if not pairs:
            return []
        found = {row[4]: row for row in self._rows_query(level, [r for r, _ in pairs], PASSAGE_COLUMNS)}
        matches = matches or [None] * len(pairs)
        return [_hit(found[r], s, m) for (r, s), m in zip(pairs, matches) if r in found]

    def _row_of(self, passage_id: str) -> int:
        return self.db.query("SELECT row FROM passages WHERE passage_id = ?", (str(passage_id),))[0][0]

    def _doc_ord(self, doc_id: str) -> int:
        return self.db.query("SELECT ord FROM documents WHERE doc_id = ?", (doc_id,))[0][0]

    def _mask(self, level: str, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.empty:
            return None
        return self._mask_cached(level, filters)

    def _mask_uncached(self, level: str, filters: Filters) -> np.ndarray:
        doc_mask = self.document_mask(filters)
        mask = doc_mask[self.levels[level].doc_rows]
        mask.setflags(write=False)
        return mask

    def document_mask(self, filters: Filters) -> np.ndarray:
        """Boolean array over document ords: True where the document passes the filters."""
        mask = np.zeros(self.n_documents, dtype=bool)
        mask[filters.document_ords(self.db)] = True
        return mask


def _hit(row: tuple, score: float | None, match: str | None = None) -> Hit:
    pid, doc_id, level, ordinal, _row, start, end, text, title, date, meta = row
    return Hit(pid, doc_id, title, date, loads_meta(meta), level, ordinal,
               None if score is None else round(float(score), 6), text, start, end, match)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise RefrainError(f"unknown level {level!r}; choose {' or '.join(LEVELS)}")


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise RefrainError(f"k must be a whole number, got {k!r}")
    if not 1 <= k <= MAX_K:
        raise RefrainError(f"k must be between 1 and {MAX_K}, got {k}")
    return int(k)


def _check_score(score) -> float | None:
    if score is None:
        return None
    try:
        value = float(score)
    except (TypeError, ValueError):
        raise RefrainError(f"minimum score must be a number, got {score!r}") from None
    if not -1.0 <= value <= 1.0:
        raise RefrainError(f"minimum score must be between -1 and 1, got {value}")
    return value


def open_searcher(root: str | Path, model: str | None = None, encoder: Encoder | None = None) -> Searcher:
    return Searcher(root, model=model, encoder=encoder)
