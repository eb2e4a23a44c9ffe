"""Fusing the meaning ranking (cosine) with the words ranking (bm25), and naming why each hit matched.

Both fusions below were measured on labelled queries (bench/bench_retrieval.py; figures and the choice in
bench/RESULTS.md, "Retrieval"):
- rrf: reciprocal rank fusion, the sum of 1 / (rrf_k + rank) over the two rankings a passage is in;
- linear: a calibrated combination, (1 - weight) * cosine + weight * bm25 / (the best bm25 among the candidates).
With `verbatim_first`, passages that contain the query as a phrase come before all others (in fused order
among themselves): "where else was this said" must return every verbatim use before any paraphrase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("rrf", "linear")
VERBATIM, WORDS, MEANING = "verbatim", "words", "meaning"
MATCHES = (VERBATIM, WORDS, MEANING)


@dataclass(frozen=True)
class Fusion:
    method: str = "rrf"
    verbatim_first: bool = True
    rrf_k: int = 60
    weight: float = 0.3  # linear: the lexical score's share

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown fusion {self.method!r}; choose {' or '.join(METHODS)}")


DEFAULT_FUSION = Fusion()


@dataclass
class Candidates:
    """Every candidate passage of one query, as parallel arrays.

    dense_rank / lexical_rank are 1-based positions in each ranking, 0 where the passage is not in it.
    """

    rows: np.ndarray
    cosine: np.ndarray
    dense_rank: np.ndarray
    lexical_rank: np.ndarray
    bm25: np.ndarray  # 0 where the passage shares no asked word
    verbatim: np.ndarray  # bool


def fused_scores(c: Candidates, fusion: Fusion) -> np.ndarray:
    if fusion.method == "rrf":
        dense = np.where(c.dense_rank > 0, 1.0 / (fusion.rrf_k + c.dense_rank), 0.0)
        lexical = np.where(c.lexical_rank > 0, 1.0 / (fusion.rrf_k + c.lexical_rank), 0.0)
        return dense + lexical
    best = float(c.bm25.max()) if len(c.bm25) else 0.0
    lexical = c.bm25 / best if best > 0 else np.zeros(len(c.rows))
    return (1.0 - fusion.weight) * c.cosine + fusion.weight * lexical


def order(c: Candidates, fusion: Fusion) -> np.ndarray:
    """Indices into the candidates, best first: verbatim passages first when asked, then by fused score;
    ties by cosine, then by row (stable across runs)."""
    fused = fused_scores(c, fusion)
    tier = (~c.verbatim).astype(np.int8) if fusion.verbatim_first else np.zeros(len(c.rows), dtype=np.int8)
    return np.lexsort((c.rows, -c.cosine, -fused, tier))


def reasons(c: Candidates, fusion: Fusion) -> list[str]:
    """Why each candidate matched: verbatim (contains the query as a phrase), words (its shared words ranked
    it higher than its meaning did), or meaning."""
    if fusion.method == "rrf":
        by_words = (c.lexical_rank > 0) & ((c.dense_rank == 0) | (c.lexical_rank < c.dense_rank))
    else:
        best = float(c.bm25.max()) if len(c.bm25) else 0.0
        lexical = c.bm25 / best if best > 0 else np.zeros(len(c.rows))
        by_words = fusion.weight * lexical > (1.0 - fusion.weight) * np.maximum(c.cosine, 0.0)
    return [VERBATIM if v else WORDS if w else MEANING for v, w in zip(c.verbatim.tolist(), by_words.tolist())]
