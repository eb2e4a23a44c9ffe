"""Grouping without drift: centre-based groups of a similarity graph, so every member is within the threshold of
its group's centre (no A~B~C~D chains), whatever order the texts come in. Where a level says two texts are
distinct lines (corpus.conflict_rule(): phrases that branch off a shared stem, inclusion.py), no group holds both."""

from __future__ import annotations

import heapq
from typing import Callable

import numpy as np

from index.mining.corpus import Corpus

Conflict = Callable[[int, int], bool]


def formulation_groups(corpus: Corpus, first: np.ndarray, second: np.ndarray, score: np.ndarray,
                       min_docs: int) -> list[tuple[int, dict[int, float]]]:
    """Centre-based groups of the corpus's nodes found in at least min_docs documents."""
    groups = centre_groups(len(corpus.node_hash), first, second, score, corpus.node_weight, corpus.node_hash, min_docs,
                           corpus.conflict_rule())
    out = []
    for centre, members in groups:
        if corpus.documents_of(members) >= min_docs:
            out.append((centre, members))
    return out


def centre_groups(n: int, first: np.ndarray, second: np.ndarray, score: np.ndarray, weight: np.ndarray,
                  keys: list[str], min_weight: int = 1, conflict: Conflict | None = None) -> list[tuple[int, dict[int, float]]]:
    """Greedy centre-based grouping of a similarity graph: [(centre, {member: similarity to centre})].

    The node whose unassigned neighbourhood carries the most weight (documents) becomes a centre and takes
    those neighbours, closest first, except one in conflict with a member already taken; repeat. Ties go to
    the heavier node, then the higher degree, then the smaller key, so the result does not depend on input
    order. Members then move to the closest centre they neighbour, unless in conflict with a member there.
    Every member is within the threshold of its centre: groups cannot drift along chains.
    """
    from scipy.sparse import coo_matrix

    m = coo_matrix((np.concatenate([score, score]), (np.concatenate([first, second]), np.concatenate([second, first]))), shape=(n, n))
    graph = m.tocsr()
    indptr, indices, data = graph.indptr, graph.indices, graph.data
    coverage = weight.astype(np.float64).copy()
    np.add.at(coverage, first, weight[second])
    np.add.at(coverage, second, weight[first])
    degree = np.diff(indptr)
    candidates = [v for v in range(n) if degree[v] > 0 or weight[v] >= min_weight]
    heap = [(-coverage[v], -int(weight[v]), -int(degree[v]), keys[v], v) for v in candidates]
    heapq.heapify(heap)
    assigned = np.zeros(n, dtype=bool)
    centres: list[int] = []
    group_of = np.full(n, -1, dtype=np.int64)
    taken: list[list[int]] = []
    while heap:
        neg_cov, neg_w, neg_deg, key, v = heapq.heappop(heap)
        if assigned[v]:
            continue
        if -neg_cov != coverage[v]:  # stale entry: coverage shrank since it was pushed
            heapq.heappush(heap, (-coverage[v], neg_w, neg_deg, key, v))
            continue
        members = [v]
        near = {int(u): float(s) for u, s in zip(indices[indptr[v]:indptr[v + 1]], data[indptr[v]:indptr[v + 1]])
                if not assigned[u]}
        for u in sorted(near, key=lambda u: (-near[u], keys[u])):
            if conflict is None or not any(conflict(u, w) for w in members):
                members.append(u)
        gid = len(centres)
        centres.append(v)
        for u in members:
            assigned[u] = True
            group_of[u] = gid
        for u in members:
            for w in indices[indptr[u]:indptr[u + 1]]:
                if not assigned[w]:
                    coverage[w] -= weight[u]
    is_centre = np.zeros(n, dtype=bool)
    is_centre[centres] = True
    groups: list[dict[int, float]] = [{c: 1.0} for c in centres]
    members_of: list[set[int]] = [set() for _ in centres]
    for u in np.flatnonzero(group_of >= 0).tolist():
        members_of[group_of[u]].add(u)
    for u in sorted(np.flatnonzero((group_of >= 0) & ~is_centre).tolist(), key=lambda u: keys[u]):
        own = int(group_of[u])
        best_gid, best_sim = own, -np.inf
        for w, s in zip(indices[indptr[u]:indptr[u + 1]].tolist(), data[indptr[u]:indptr[u + 1]].tolist()):
            if not is_centre[w]:
                continue
            gid = int(group_of[w])
            if (s, -gid) <= (best_sim, -best_gid):
                continue
            if gid != own and conflict is not None and any(conflict(u, x) for x in members_of[gid]):
                continue
            best_gid, best_sim = gid, s
        members_of[own].discard(u)
        members_of[best_gid].add(u)
        group_of[u] = best_gid
        groups[best_gid][u] = float(best_sim)
    return list(zip(centres, groups))
