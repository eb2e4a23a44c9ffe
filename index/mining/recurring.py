"""Recurring formulations: groups of passages from several documents that say the same thing.

Method (documented with its evidence in README.md, "Recurring formulations"):
1. Identical texts collapse first: one node per distinct normalised text, with all its occurrences.
2. Candidate pairs: a batched FAISS self-join keeps node pairs with cosine >= threshold; a pair whose
   two texts occur only in one and the same document does not count.
3. Grouping without drift: within each connected component, the text whose neighbourhood covers the
   most documents becomes a centre and takes its unassigned neighbours; repeat. Every member is thus
   within the threshold of its group's centre (no A~B~C~D chains). Members then move to the closest
   centre they are within the threshold of.
4. Groups found in at least min_docs distinct documents are formulations. Every count and date in
   a formulation is computed from its member passages, which are listed with it.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from typing import TYPE_CHECKING

import numpy as np

from index.store import layout
from index.store.derived import cached_result, result_path
from index.errors import RefrainError
from index.textnorm import short_id, text_hash

if TYPE_CHECKING:  # FAISS and SciPy load on first mining, so the CLI and the explorer start fast
    from index.search import Filters, Searcher

MINER_VERSION = 3
# Cosine thresholds per level; the evidence is in README.md ("Recurring formulations").
DEFAULT_THRESHOLDS = {"sentence": 0.80, "paragraph": 0.80, "phrase": 0.75}
from index.levels import MINING_LEVELS  # noqa: E402 (re-exported for the mining API)
DEFAULT_MIN_DOCS = 3
CORE_SHARE = 0.8  # a word is core wording when at least this share of a formulation's variants use it
SORTS = ("docs", "first", "last", "rising")

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class MiningParams:
    level: str = "sentence"
    threshold: float | None = None  # None: the level's default
    min_docs: int = DEFAULT_MIN_DOCS
    date_from: str | None = None  # restrict the corpus that is mined
    date_to: str | None = None
    meta: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def check(self) -> "MiningParams":
        if self.level not in MINING_LEVELS:
            raise RefrainError(f"unknown level {self.level!r}; choose one of {', '.join(MINING_LEVELS)}")
        if self.threshold is None:
            object.__setattr__(self, "threshold", DEFAULT_THRESHOLDS[self.level])
        try:
            threshold = float(self.threshold)
        except (TypeError, ValueError):
            raise RefrainError(f"threshold must be a number, got {self.threshold!r}") from None
        if not 0.0 < threshold <= 1.0:
            raise RefrainError(f"threshold must be in (0, 1], got {self.threshold}")
        if int(self.min_docs) < 2:
            raise RefrainError(f"min-docs must be at least 2, got {self.min_docs}")
        return self

    @property
    def filters(self) -> "Filters":
        from index.search import Filters

        return Filters.make(self.date_from, self.date_to, (), {k: list(v) for k, v in self.meta})

    def as_dict(self) -> dict:
        data = asdict(self)
        data["meta"] = {k: list(v) for k, v in self.meta}
        return data


# ------------------------------------------------------------------------------------------ mining


def recurring(searcher: Searcher, params: MiningParams, progress: Progress | None = None, use_cache: bool = True) -> dict:
    """The formulations for these parameters, read from DIR/derived when this index was mined so before."""
    params.check()
    return cached_result(*_derived_key(searcher, params), lambda: mine(searcher, params, progress), use_cache)


def is_mined(searcher: Searcher, params: MiningParams) -> bool:
    """True when DIR/derived holds this mining, so recurring() reads it instead of mining."""
    return result_path(*_derived_key(searcher, params.check())).is_file()


def _derived_key(searcher: Searcher, params: MiningParams) -> tuple:
    return searcher.root, "recurring", searcher.manifest["content_hash"], params.as_dict(), MINER_VERSION


def mine(searcher: Searcher, params: MiningParams, progress: Progress | None = None) -> dict:
    """Mine formulations from the searcher's index (no caching)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from index.mining.pairs import similar_pairs

    params.check()
    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    report(0.0, "reading passages")
    corpus = (_PhraseCorpus if params.level == "phrase" else _PassageCorpus)(searcher, params, report)
    vectors = corpus.vectors(report)
    report(0.05, f"joining {len(corpus.node_hash):,} distinct texts")
    first, second, score = similar_pairs(vectors, params.threshold, lambda f: report(0.05 + 0.8 * f, "joining"))
    keep = ~corpus.same_single_doc(first, second) & corpus.related(first, second)
    first, second, score = first[keep], second[keep], score[keep]
    report(0.86, f"grouping {len(first):,} pairs")
    groups = _group(corpus, first, second, score, params.min_docs)
    report(0.95, f"describing {len(groups):,} formulations")
    formulations = [_describe(corpus, centre, members, params) for centre, members in groups]
    formulations.sort(key=lambda f: (-f["n_documents"], -f["n_passages"], f["id"]))
    report(1.0, "done")
    n = len(corpus.node_hash)
    n_components = connected_components(coo_matrix((score, (first, second)), shape=(n, n)), directed=False)[0]
    return {
        "kind": "recurring",
        "miner_version": MINER_VERSION,
        "params": params.as_dict(),
        "index": {"content_hash": searcher.manifest["content_hash"], "generation": searcher.generation,
                  "model": searcher.model_name},
        "computed_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        "stats": {"passages": int(len(corpus.occ_pid)), "distinct_texts": int(len(corpus.node_hash)), "pairs": int(len(first)),
                  "components": int(n_components), "documents": int(len(corpus.doc_ords)), "formulations": len(formulations)},
        "period_totals": corpus.period_totals,
        "rise_since": corpus.rise_since,
        "formulations": formulations,
    }


class _Corpus:
    """What grouping needs: distinct texts (nodes), their occurrences in passages, documents and dates."""

    level: str
    node_hash: list[str]
    node_members: list[np.ndarray]  # occurrence indices of each node
    occ_doc: np.ndarray  # document ord of each occurrence
    occ_pid: list[str]  # passage id of each occurrence

    def _init_documents(self, searcher: Searcher, params: MiningParams) -> np.ndarray:
        self.searcher = searcher
        self.level = params.level
        filters = params.filters
        doc_mask = searcher.document_mask(filters) if not filters.empty else np.ones(searcher.n_documents, dtype=bool)
        self.docs = searcher.documents_by_ord()
        self.doc_ords = np.flatnonzero(doc_mask)
        self.period_totals = _period_totals(self.docs[o]["date"] for o in self.doc_ords.tolist())
        self.rise_since, self.n_latest, self.n_before = _latest_period(self.docs[o]["start"] for o in self.doc_ords.tolist())
        return doc_mask

    def _init_nodes(self) -> None:
        self.node_docs = [frozenset(self.occ_doc[m].tolist()) for m in self.node_members]
        self.node_weight = np.array([len(d) for d in self.node_docs], dtype=np.int64)

    def related(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Which candidate pairs may join a group (all of them, except where a level says otherwise)."""
        return np.ones(len(first), dtype=bool)

    def same_single_doc(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Pairs whose two texts occur only within one and the same document."""
        single = np.array([next(iter(d)) if len(d) == 1 else -1 for d in self.node_docs], dtype=np.int64)
        if len(first) == 0:
            return np.zeros(0, dtype=bool)
        a, b = single[first], single[second]
        return (a >= 0) & (a == b)


    def passage_texts(self, occurrences: list[int]) -> dict[int, str]:
        """Text of the passage behind each occurrence."""
        ids = {self.occ_pid[i]: i for i in occurrences}
        return {ids[h.passage_id]: h.text for h in self.searcher.passages(list(ids))}


class _PassageCorpus(_Corpus):
    """Passages of one level (sentence or paragraph); identical texts collapse into one node."""

    def __init__(self, searcher: Searcher, params: MiningParams, progress: Progress):
        doc_mask = self._init_documents(searcher, params)
        doc_rows = searcher.levels[params.level].doc_rows
        rows = np.flatnonzero(doc_mask[doc_rows])
        info = searcher.db.query("SELECT passage_id, text_hash FROM passages WHERE level = ? ORDER BY row", (params.level,))
        self.occ_doc = doc_rows[rows]
        self.occ_pid = [info[r][0] for r in rows]
        node_of_hash: dict[str, int] = {}
        self.node_hash = []
        members: list[list[int]] = []
        for i, r in enumerate(rows.tolist()):
            h = info[r][1]
            node = node_of_hash.get(h)
            if node is None:
                node = node_of_hash[h] = len(self.node_hash)
                self.node_hash.append(h)
                members.append([])
            members[node].append(i)
        self.node_members = [np.array(m, dtype=np.int64) for m in members]
        self._node_row = np.array([rows[m[0]] for m in members], dtype=np.int64)
        self._init_nodes()

    def vectors(self, progress: Progress) -> np.ndarray:
        return np.asarray(self.searcher.vectors(self.level)[self._node_row], dtype=np.float32)

    def node_texts(self, nodes: list[int], passage_text: dict[int, str]) -> dict[int, str]:
        """A node's text is its passages' text: every occurrence of a member is among the members' passages."""
        return {n: passage_text[int(self.node_members[n][0])] for n in nodes}


class _PhraseCorpus(_Corpus):
    """Recurring word phrases (see phrases.py); each occurs in the sentence passages that contain it."""

    def __init__(self, searcher: Searcher, params: MiningParams, progress: Progress):
        from index.mining.phrases import find_phrases, sentence_table

        self._init_documents(searcher, params)
        progress(0.01, "finding recurring phrases")
        table = sentence_table(searcher, params.filters)
        phrases = [p for p in find_phrases(table, min_docs=params.min_docs) if not _is_name(p.text)]
        self.occ_doc = table.doc_ords
        self.occ_pid = table.passage_ids
        self.node_hash = [text_hash(p.key) for p in phrases]
        self._texts = [p.text for p in phrases]
        self.node_members = [np.array(p.passages, dtype=np.int64) for p in phrases]
        self._init_nodes()

    def vectors(self, progress: Progress) -> np.ndarray:
        from index.embed.cache import EmbeddingCache
        from index.embed.embedding import embed_distinct

        texts = dict(zip(self.node_hash, self._texts))
        cache = EmbeddingCache(_cache_path(self.searcher))
        try:
            progress(0.03, f"embedding {len(texts):,} phrases (cached after the first time)")
            found, _ = embed_distinct(self.searcher.encoder, texts, cache)
        finally:
            cache.close()
        dim = self.searcher.manifest["model"]["dimension"]
        return np.array([found[h] for h in self.node_hash], dtype=np.float32).reshape(-1, dim)

    def node_texts(self, nodes: list[int], passage_text: dict[int, str]) -> dict[int, str]:
        return {n: self._texts[n] for n in nodes}  # a phrase, not the sentence that holds it

    def related(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Two phrases join only if they share a lower-case content word: short phrases that only share a
        name ("stifle the DPRK", "development of the DPRK") embed close but are not one formulation."""
        words = [_content_words(t) for t in self._texts]
        return np.array([bool(words[a] & words[b]) for a, b in zip(first.tolist(), second.tolist())], dtype=bool)


def _is_name(text: str) -> bool:
    """'Democratic People's Republic of Korea', 'North Hamgyong Province': names recur but are not formulations."""
    from index.mining.phrases import STOP_WORDS

    words = [w for w in _WORDS.findall(text) if w.lower() not in STOP_WORDS]
    return bool(words) and all(w[0].isupper() or w[0].isdigit() for w in words)


def _content_words(text: str) -> set[str]:
    from index.mining.phrases import STOP_WORDS

    return {w.lower() for w in _WORDS.findall(text) if w[0].islower() and w.lower() not in STOP_WORDS}


def _cache_path(searcher: Searcher) -> Path:
    configured = searcher.manifest.get("settings", {}).get("cache_path")
    return Path(configured) if configured else searcher.root / layout.CACHE


def _group(corpus: _Corpus, first, second, score, min_docs: int) -> list[tuple[int, dict[int, float]]]:
    """Centre-based groups found in at least min_docs documents."""
    groups = centre_groups(len(corpus.node_hash), first, second, score, corpus.node_weight, corpus.node_hash, min_docs)
    out = []
    for centre, members in groups:
        docs = set().union(*(corpus.node_docs[m] for m in members))
        if len(docs) >= min_docs:
            out.append((centre, members))
    return out


def centre_groups(n: int, first: np.ndarray, second: np.ndarray, score: np.ndarray, weight: np.ndarray,
                  keys: list[str], min_weight: int = 1) -> list[tuple[int, dict[int, float]]]:
    """Greedy centre-based grouping of a similarity graph: [(centre, {member: similarity to centre})].

    The node whose unassigned neighbourhood carries the most weight (documents) becomes a centre and takes
    those neighbours; repeat. Ties go to the heavier node, then the higher degree, then the smaller key, so
    the result does not depend on input order. Members then move to the closest centre they neighbour.
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
    while heap:
        neg_cov, neg_w, neg_deg, key, v = heapq.heappop(heap)
        if assigned[v]:
            continue
        if -neg_cov != coverage[v]:  # stale entry: coverage shrank since it was pushed
            heapq.heappush(heap, (-coverage[v], neg_w, neg_deg, key, v))
            continue
        members = [v] + [int(u) for u in indices[indptr[v]:indptr[v + 1]] if not assigned[u]]
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
    for u in np.flatnonzero((group_of >= 0) & ~is_centre):
        nbrs, sims = indices[indptr[u]:indptr[u + 1]], data[indptr[u]:indptr[u + 1]]
        best = int(np.argmax(np.where(is_centre[nbrs], sims, -np.inf)))
        groups[group_of[nbrs[best]]][int(u)] = float(sims[best])
    return list(zip(centres, groups))


# ------------------------------------------------------------------------------------------ describing


def _describe(corpus: _Corpus, centre: int, members: dict[int, float], params: MiningParams) -> dict:
    """A formulation with every number traceable: all figures are computed from the member list."""
    docs = corpus.docs
    by_passage: dict[str, dict] = {}  # one member per passage (a sentence may hold two variants of a phrase)
    for node, similarity in sorted(members.items(), key=lambda item: (-item[1], corpus.node_hash[item[0]])):
        for i in corpus.node_members[node].tolist():
            pid = corpus.occ_pid[i]
            if pid in by_passage:
                by_passage[pid]["_variants"].add(node)
                continue
            ord_ = int(corpus.occ_doc[i])
            doc = docs[ord_]
            by_passage[pid] = {
                "passage_id": pid, "doc_id": doc["doc_id"], "title": doc["title"], "date": doc["date"],
                "text_hash": corpus.node_hash[node], "similarity": round(similarity, 4),
                "_ord": ord_, "_start": doc["start"], "_occurrence": i, "_variants": {node},
            }
    occurrences = sorted(by_passage.values(), key=lambda o: (o["_start"] is None, o["_start"] or "", o["_ord"], o["passage_id"]))
    passage_text = corpus.passage_texts([o["_occurrence"] for o in occurrences])
    texts = corpus.node_texts(list(members), passage_text)
    dated = [o for o in occurrences if o["date"]]
    variants = []
    for node, similarity in members.items():
        occ = [o for o in occurrences if node in o["_variants"]]
        occ_dated = [o for o in occ if o["date"]]
        variants.append({
            "text": texts[node], "text_hash": corpus.node_hash[node], "passages": len(occ),
            "documents": len({o["doc_id"] for o in occ}), "similarity": round(similarity, 4),
            "first_seen": occ_dated[0]["date"] if occ_dated else None,
            "last_seen": _last(occ_dated)["date"] if occ_dated else None,
        })
    variants.sort(key=lambda v: (-v["passages"], -v["similarity"], v["text_hash"]))
    centre_text = texts[centre]
    per_year, per_month = _period_counts(occurrences, corpus.period_totals)
    members_out = [
        {**{k: v for k, v in o.items() if not k.startswith("_")}, "text": passage_text[o["_occurrence"]]}
        for o in occurrences
    ]
    return {
        "id": "f-" + short_id(params.level, corpus.node_hash[centre])[:12],
        "level": params.level,
        "centre": {"text": centre_text, "text_hash": corpus.node_hash[centre]},
        "core": core_wording(centre_text, [v["text"] for v in variants]),
        "n_passages": len(occurrences),
        "n_documents": len({o["doc_id"] for o in occurrences}),
        "n_variants": len(variants),
        "first_seen": _seen(dated[0]) if dated else None,
        "last_seen": _seen(_last(dated)) if dated else None,
        "per_year": per_year,
        "per_month": per_month,
        "rise": _rise(occurrences, corpus),
        "variants": variants,
        "members": members_out,
    }


def _last(dated: list[dict]) -> dict:
    return max(dated, key=lambda o: (o["_start"], o["_ord"]))


def _seen(o: dict) -> dict:
    return {"date": o["date"], "doc_id": o["doc_id"], "title": o["title"], "passage_id": o["passage_id"]}


def _period_totals(dates) -> dict:
    years: dict[str, int] = {}
    months: dict[str, int] = {}
    undated = 0
    for date in dates:
        if not date:
            undated += 1
            continue
        years[date[:4]] = years.get(date[:4], 0) + 1
        if len(date) >= 7:
            months[date[:7]] = months.get(date[:7], 0) + 1
    return {"years": dict(sorted(years.items())), "months": dict(sorted(months.items())), "undated": undated}


def _period_counts(occurrences: list[dict], totals: dict) -> tuple[dict, dict]:
    """Documents and passages per year and month, with the share of that period's documents."""
    out = []
    for width, key in ((4, "years"), (7, "months")):
        docs: dict[str, set] = {}
        passages: dict[str, int] = {}
        for o in occurrences:
            if o["date"] and len(o["date"]) >= width:
                period = o["date"][:width]
                docs.setdefault(period, set()).add(o["doc_id"])
                passages[period] = passages.get(period, 0) + 1
        out.append({
            period: {"documents": len(docs[period]), "passages": passages[period],
                     "share": round(len(docs[period]) / totals[key][period], 4)}
            for period in sorted(docs)
        })
    return out[0], out[1]


LATEST_SHARE = 0.25  # "rising" compares the latest quarter of the mined documents (by date) with the rest


def _latest_period(starts) -> tuple[str | None, int, int]:
    """The date from which the latest quarter of the dated documents runs, and the document counts."""
    dated = sorted(s for s in starts if s)
    if len(dated) < 2:
        return None, 0, 0
    since = dated[min(len(dated) - 1, int(len(dated) * (1 - LATEST_SHARE)))]
    latest = sum(s >= since for s in dated)
    return since, latest, len(dated) - latest


def _rise(occurrences: list[dict], corpus: "_Corpus") -> float:
    """Share of the latest quarter's documents that use it, minus its share of the earlier documents.

    A quarter of the documents adapts to any corpus: a year of KCNA or six years of speeches alike.
    """
    if not corpus.rise_since or not corpus.n_before:
        return 0.0
    docs = {(o["doc_id"], o["_start"]) for o in occurrences if o["_start"]}
    latest = sum(start >= corpus.rise_since for _, start in docs)
    return round(latest / corpus.n_latest - (len(docs) - latest) / corpus.n_before, 4)


_WORDS = re.compile(r"\w+", re.UNICODE)


def core_wording(centre: str, variants: list[str], share: float = CORE_SHARE) -> str:
    """The centre's words that most variants share, in the centre's order, with … where words differ.

    Runs of shared words are quoted from the centre as written; runs made only of stop words are dropped.
    "our state-first principle" / "the principle of our state first" / "our state-first idea" -> "our state-first".
    """
    from index.mining.phrases import STOP_WORDS

    if len(variants) < 2:
        return centre
    tokens = list(_WORDS.finditer(centre))
    sets = [{w.lower() for w in _WORDS.findall(v)} for v in variants]
    needed = share * len(sets)
    runs: list[list[re.Match]] = []
    current: list[re.Match] = []
    for token in tokens:
        if sum(token.group().lower() in s for s in sets) >= needed:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    pieces = []
    for run in runs:
        while run and run[0].group().lower() in STOP_WORDS:
            run = run[1:]
        while run and run[-1].group().lower() in STOP_WORDS:
            run = run[:-1]
        if run:
            pieces.append(centre[run[0].start():run[-1].end()])
    return " … ".join(pieces)


# ------------------------------------------------------------------------------------------ selecting


def select(result: dict, sort: str = "docs", since: str | None = None, until: str | None = None,
           min_docs: int | None = None, text: str | None = None) -> list[dict]:
    """Rank and filter formulations: since = first seen on/after DATE (new), until = last seen on/before DATE."""
    from index.dates import DateError, normalise_bound

    if sort not in SORTS:
        raise RefrainError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    try:
        since_day = normalise_bound(since, end=False)
        until_day = normalise_bound(until, end=True)
    except DateError as exc:
        raise RefrainError(f"bad date: {exc}") from None
    chosen = []
    needle = (text or "").strip().lower()
    for f in result["formulations"]:
        if min_docs and f["n_documents"] < min_docs:
            continue
        first = f["first_seen"]["date"] if f["first_seen"] else None
        last = f["last_seen"]["date"] if f["last_seen"] else None
        if since_day and (not first or _end(first) < since_day):
            continue
        if until_day and (not last or _start(last) > until_day):
            continue
        if needle and not any(needle in v["text"].lower() for v in f["variants"]):
            continue
        chosen.append(f)
    keys = {
        "docs": lambda f: (-f["n_documents"], -f["n_passages"], f["id"]),
        "first": lambda f: (_neg_date(f["first_seen"]), -f["n_documents"], f["id"]),
        "last": lambda f: (_start(f["last_seen"]["date"]) if f["last_seen"] else "9999", -f["n_documents"], f["id"]),
        "rising": lambda f: (-f["rise"], -f["n_documents"], f["id"]),
    }
    return sorted(chosen, key=keys[sort])


def _start(date: str) -> str:
    from index.dates import bounds

    return bounds(date)[0]


def _end(date: str) -> str:
    from index.dates import bounds

    return bounds(date)[1]


def _neg_date(seen: dict | None) -> tuple:
    """Newest first: invert the date's characters so an ascending sort puts later dates first."""
    if not seen:
        return (1, "")
    return (0, "".join(chr(0x10FFFF - ord(c)) for c in _start(seen["date"])))
