"""One query's ranking in a mode: hybrid (the default), semantic or lexical, with the counts that explain it.

- semantic: the k passages nearest in meaning (cosine), as before hybrid existed;
- lexical: the k best bm25 matches of the query's words;
- hybrid: every passage containing the query verbatim first, then the dense and lexical candidates fused
  (index.retrieval.fusion). Candidates: the POOL nearest in meaning, the POOL best by words (bm25), and the
  verbatim passages (the VERBATIM_CAP best by bm25 when there are more; their total is still counted exactly).

Every hit's score is its cosine similarity to the query, whatever the mode. The minimum score cuts hits whose
meaning is too far (cosine below it) from the top k, never a verbatim hit. With `per_document`, only the best
hit of each document counts, and k means k documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from index.errors import RefrainError
from index.retrieval import DEFAULT_MODE, MODES
from index.retrieval import fusion as fusion_
from index.retrieval.fusion import MEANING, VERBATIM, WORDS, Candidates, Fusion
from index.retrieval.lexical import Lexical, parse

POOL = 40  # candidates asked of the dense and of the lexical side (k when k is larger)
VERBATIM_CAP = 500  # verbatim passages scored per query (k when k is larger); more are still counted


@dataclass
class Ranking:
    """The rows to show, best first, with their cosine and match reason, and what was left out."""

    rows: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)
    verbatim_total: int = 0  # passages (allowed by the filters) containing the query as a phrase
    verbatim_documents: int = 0  # documents holding them
    below_min: int = 0  # hits of the top k left out by the minimum score


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise RefrainError(f"unknown search mode {mode!r}; choose {', '.join(MODES)}")
    return mode


def rank(query: str, query_vector: Callable[[], np.ndarray], vectors_of: Callable[[np.ndarray], np.ndarray],
         nearest: Callable[[int], list[tuple[int, float]]], lexical: Lexical, level: str, doc_rows: np.ndarray,
         mask: np.ndarray | None, k: int, min_score: float | None, mode: str = DEFAULT_MODE,
         per_document: bool = False, fusion: Fusion | None = None) -> Ranking:
    """`nearest(n)` gives the n allowed rows nearest the query vector as (row, cosine), best first;
    `vectors_of(rows)` the stored vectors of rows, to score candidates the dense side did not bring.
    `query_vector()` is asked for only after the lexical side has run, so the caller can embed the query
    meanwhile (Searcher does, on another thread: the two overlap on two cores)."""
    check_mode(mode)
    fusion = fusion or fusion_.DEFAULT_FUSION
    allowed = len(doc_rows) if mask is None else int(mask.sum())
    parsed = parse(query)
    verbatim = lexical.phrase_matches(level, parsed, mask) if parsed.phrase else np.empty(0, dtype=np.int64)
    cap = max(k, VERBATIM_CAP)
    top_verbatim = verbatim
    if len(verbatim) > cap and mode == "hybrid":  # too many to score them all: the best by bm25 are the candidates
        top_verbatim = lexical.best_verbatim(level, parsed.phrase, mask, cap)
    result = Ranking(verbatim_total=len(verbatim), verbatim_documents=len(np.unique(doc_rows[verbatim])))
    if allowed == 0:
        return result
    pool = k if mode == "semantic" and not per_document else max(k, POOL)
    while True:
        words = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))
        if mode != "semantic":
            words = lexical.word_rows(level, parsed.words, mask, pool)
            if mode == "lexical" and not len(words[0]) and parsed.phrase:  # only common words: the phrase by bm25
                words = lexical.best(level, parsed.phrase, mask, pool)
        dense = nearest(min(pool, allowed)) if mode != "lexical" else []
        candidates = _candidates(dense, words, top_verbatim, verbatim, query_vector(), vectors_of, mode)
        picked = _pick(candidates, _order(candidates, mode, fusion), doc_rows, k, per_document)
        exhausted = pool >= allowed or (mode == "lexical" and len(words[0]) < pool)
        if len(picked) >= k or exhausted:
            break
        pool *= 4  # one hit per document skipped too many: ask each side for more
    why = _reasons(candidates, mode, fusion)
    for i in picked:
        if min_score is not None and not candidates.verbatim[i] and candidates.cosine[i] < min_score:
            result.below_min += 1
            continue
        result.rows.append(int(candidates.rows[i]))
        result.scores.append(float(candidates.cosine[i]))
        result.matches.append(why[i])
    return result


def _candidates(dense, words, top_verbatim, verbatim, vector, vectors_of, mode: str) -> Candidates:
    word_rows, word_scores = words
    parts = [np.array([r for r, _ in dense], dtype=np.int64)]
    if mode != "semantic":
        parts.append(word_rows)
    if mode == "hybrid":
        parts.append(top_verbatim)
    rows = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    known = {r: s for r, s in dense}
    cosine = np.array([known.get(int(r), np.nan) for r in rows], dtype=np.float64)
    missing = np.flatnonzero(np.isnan(cosine))
    if len(missing):
        cosine[missing] = vectors_of(rows[missing]) @ vector
    by_cosine = np.lexsort((rows, -cosine))
    dense_rank = np.empty(len(rows), dtype=np.int64)
    dense_rank[by_cosine] = np.arange(1, len(rows) + 1)
    position = {int(r): i + 1 for i, r in enumerate(word_rows.tolist())}
    bm25_of = dict(zip(word_rows.tolist(), word_scores.tolist()))
    lexical_rank = np.array([position.get(int(r), 0) for r in rows], dtype=np.int64)
    bm25 = np.array([bm25_of.get(int(r), 0.0) for r in rows], dtype=np.float64)
    return Candidates(rows, cosine, dense_rank, lexical_rank, bm25, np.isin(rows, verbatim))


def _order(c: Candidates, mode: str, fusion: Fusion) -> np.ndarray:
    if mode == "semantic":
        return np.argsort(c.dense_rank, kind="stable")
    if mode == "lexical":
        ranked = np.flatnonzero(c.lexical_rank > 0)
        return ranked[np.argsort(c.lexical_rank[ranked], kind="stable")]
    return fusion_.order(c, fusion)


def _reasons(c: Candidates, mode: str, fusion: Fusion) -> list[str]:
    if mode == "hybrid":
        return fusion_.reasons(c, fusion)
    other = MEANING if mode == "semantic" else WORDS
    return [VERBATIM if v else other for v in c.verbatim.tolist()]


def _pick(c: Candidates, ordered: np.ndarray, doc_rows: np.ndarray, k: int, per_document: bool) -> list[int]:
    if not per_document:
        return ordered[:k].tolist()
    seen: set[int] = set()
    picked = []
    for i in ordered.tolist():
        doc = int(doc_rows[c.rows[i]])
        if doc not in seen:
            seen.add(doc)
            picked.append(i)
            if len(picked) == k:
                break
    return picked
