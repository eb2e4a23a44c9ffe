"""A map of formulations: each mined formulation placed in two dimensions so that formulations saying similar
things sit close together; computed once per index and setting and stored in DIR/derived.

Method: t-SNE (openTSNE, cosine distance, perplexity 30 or less for small sets, PCA initialisation, one thread,
fixed seed: the same mining always gives the same map) on the vectors of the formulations' centres. Measured
on KCNA 2024 (221 sentence formulations; 871 at two documents; 725 paragraphs at two), as the trustworthiness
of the 10 nearest neighbours (1.0: every map neighbour is a true neighbour): PCA 0.74-0.75, spectral embedding
and Isomap 0.76-0.80, t-SNE 0.88-0.94, UMAP 0.89-0.93. openTSNE took 4-8 s there on a loaded 2-core machine,
scikit-learn's t-SNE 27-49 s for the same maps; umap-learn brings numba, llvmlite and pynndescent (about 300 MB)
and spent 30 s compiling in each new process, for no better map. PCA is instant but puts a quarter of the
neighbours in the wrong place.

Search hits are placed among the formulations, never re-projected: each at a weighted mean of its PLACE_NEIGHBOURS
most similar centres (the starting point of UMAP's and openTSNE's own transforms), so a query never moves the
map. The weights fall off fast, exp(-(best - similarity) / PLACE_SHARPNESS): with raw similarities as weights,
five centres at 0.6, 0.3, 0.3, 0.3, 0.3 would put a hit nearer the middle of the map than its formulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from index.mining.centres import SQL_VARIABLES, centre_vectors
from index.mining.params import MiningParams
from index.mining.types import MiningResult
from index.store.derived import cached_result, result_path

if TYPE_CHECKING:
    from index.search import Searcher

MAP_VERSION = 1  # stored maps of another version are computed again
MIN_FORMULATIONS = 5  # fewer than this is a list, not a map
PERPLEXITY = 30
SEED = 0
PLACE_NEIGHBOURS = 5
PLACE_SHARPNESS = 0.05  # a centre 0.1 less similar than the best weighs e^-2 as much


@dataclass(frozen=True)
class MapPoint:
    formulation: str  # the formulation's id
    x: float
    y: float


@dataclass(frozen=True)
class FormulationMap:
    params: MiningParams  # the mining it maps
    method: str
    points: tuple[MapPoint, ...]  # one per formulation, in the mining's order

    def to_dict(self) -> dict:
        return {"params": self.params.as_dict(), "method": self.method,
                "points": [[p.formulation, p.x, p.y] for p in self.points]}

    @classmethod
    def from_dict(cls, data: dict) -> "FormulationMap":
        return cls(MiningParams.from_dict(data["params"]), str(data["method"]),
                   tuple(MapPoint(str(f), float(x), float(y)) for f, x, y in data["points"]))


def method_params(n: int) -> dict:
    return {"method": "opentsne", "metric": "cosine", "perplexity": perplexity(n), "seed": SEED}


def perplexity(n: int) -> float:
    """t-SNE needs a perplexity well below the number of points."""
    return float(min(PERPLEXITY, max(1.0, (n - 1) / 3)))


def formulation_map(searcher: Searcher, result: MiningResult, use_cache: bool = True) -> FormulationMap:
    """The map of a mining's formulations (too few: no points), from DIR/derived when computed before."""
    formulations = result.formulations
    if len(formulations) < MIN_FORMULATIONS:
        return FormulationMap(result.params, "none", ())
    key = (searcher.root, "map", searcher.manifest["content_hash"],
           {"mining": result.params.as_dict(), **method_params(len(formulations))}, MAP_VERSION)

    def compute() -> dict:
        coords = project(centre_vectors(searcher, result))
        points = tuple(MapPoint(f.id, round(float(x), 4), round(float(y), 4)) for f, (x, y) in zip(formulations, coords))
        return FormulationMap(result.params, "opentsne", points).to_dict()

    found = cached_result(*key, compute, use_cache)
    try:
        stored = FormulationMap.from_dict(found)
    except (KeyError, TypeError, ValueError):
        stored = None
    if stored is None or [p.formulation for p in stored.points] != [f.id for f in formulations]:
        result_path(*key).unlink(missing_ok=True)  # damaged, or of another mining: compute again
        stored = FormulationMap.from_dict(cached_result(*key, compute, use_cache))
    return stored


def project(vectors: np.ndarray) -> np.ndarray:
    """Two coordinates per row of unit vectors (t-SNE, see the module's docstring), centred and scaled to [-1, 1]."""
    from openTSNE import TSNE

    data = np.asarray(vectors, dtype=np.float64)
    embedding = TSNE(n_components=2, perplexity=perplexity(len(data)), metric="cosine", initialization="pca",
                     random_state=SEED, n_jobs=1, verbose=False).fit(data)
    coords = np.asarray(embedding, dtype=np.float64)
    coords -= coords.mean(axis=0)
    scale = np.abs(coords).max()
    return coords / scale if scale > 0 else coords


def place(centres: np.ndarray, coords: np.ndarray, vectors: np.ndarray, k: int = PLACE_NEIGHBOURS) -> np.ndarray:
    """Map positions for new unit vectors: the weighted mean of the positions of their k most similar centres,
    weights exp(-(best - similarity) / PLACE_SHARPNESS)."""
    if len(vectors) == 0 or len(centres) == 0:
        return np.zeros((len(vectors), 2))
    k = min(k, len(centres))
    scores = np.asarray(vectors, dtype=np.float64) @ np.asarray(centres, dtype=np.float64).T
    nearest = np.argsort(-scores, axis=1)[:, :k]
    similar = np.take_along_axis(scores, nearest, axis=1)
    weights = np.exp((similar - similar[:, :1]) / PLACE_SHARPNESS)
    return (weights[:, :, None] * coords[nearest]).sum(axis=1) / weights.sum(axis=1, keepdims=True)


def passage_vectors(searcher: Searcher, passage_ids: Sequence[str], level: str) -> np.ndarray:
    """The stored vectors of passages of one level, in the order given."""
    rows: dict[str, int] = {}
    ids = list(passage_ids)
    for i in range(0, len(ids), SQL_VARIABLES):
        part = ids[i:i + SQL_VARIABLES]
        rows.update(searcher.db.query(
            f"SELECT passage_id, row FROM passages WHERE level = ? AND passage_id IN ({','.join('?' * len(part))})",
            (level, *part)))
    return searcher.levels[level].rows([rows[p] for p in ids])
