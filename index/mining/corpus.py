"""What grouping works on: the distinct texts (nodes) of the mined documents, their occurrences in passages, and
the documents' dates.

Sentences and paragraphs: identical texts collapse into one node, with all their passages. Phrases: each recurring
word phrase (phrases.py) is a node, occurring in the sentences that hold it. Only the Searcher's public reading
methods are used (level_passages, doc_rows, vectors, documents_by_ord, document_mask, passages).
"""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ContextManager, Iterable, Iterator

import numpy as np

from index.errors import disk_full_reported
from index.mining.params import LATEST_SHARE, MiningParams
from index.ingest.language import language_of
from index.mining.types import PeriodTotals, Progress
from index.mining.wording import Wording
from index.store import layout
from index.store.vectorfile import VectorFile, write_vectors
from index.textnorm import text_hash

if TYPE_CHECKING:
    from index.mining.phrases import Phrase, SentenceTable
    from index.search import Searcher
    from index.store.reader import Level

PHRASE_BLOCK = 50_000  # phrases embedded (or read from the cache) and written at a time


@dataclass(frozen=True)
class SharedStem:
    """A phrase included in two lines that diverge (inclusion.py): reported with them, never joining them."""

    text: str
    words: tuple[str, ...]


class Corpus(ABC):
    """Distinct texts (nodes), their occurrences in passages, and the mined documents with their dates."""

    level: str
    node_hash: list[str]
    node_members: list[np.ndarray]  # occurrence indices of each node
    occ_doc: np.ndarray  # document ord of each occurrence
    occ_pid: list[str]  # passage id of each occurrence

    def _init_documents(self, searcher: Searcher, params: MiningParams) -> np.ndarray:
        self.searcher = searcher
        self.level = params.level
        self.filters = filters = params.filters
        doc_mask = searcher.document_mask(filters) if not filters.empty else np.ones(searcher.n_documents, dtype=bool)
        self.docs = searcher.documents_by_ord()
        self.doc_ords = np.flatnonzero(doc_mask)
        self.period_totals = period_totals(self.docs[o]["date"] for o in self.doc_ords.tolist())
        self.rise_since, self.n_latest, self.n_before = latest_period(self.docs[o]["start"] for o in self.doc_ords.tolist())
        return doc_mask

    def _init_nodes(self) -> None:
        """Each node's number of documents (its weight in grouping), and its document where it has only one: as
        arrays, since a set of documents per node held half a gigabyte for a whole archive's phrases."""
        n = len(self.node_members)
        lengths = np.array([len(m) for m in self.node_members], dtype=np.int64)
        occurrences = np.concatenate(self.node_members) if n else np.zeros(0, np.int64)
        node_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
        span = int(self.occ_doc.max()) + 1 if len(self.occ_doc) else 1
        node_doc = np.unique(node_of * span + self.occ_doc[occurrences])  # each (node, document) once
        self.node_weight = np.bincount(node_doc // span, minlength=n).astype(np.int64)
        self._single_doc = np.full(n, -1, dtype=np.int64)
        single = np.flatnonzero(self.node_weight == 1)
        self._single_doc[single] = self.occ_doc[[int(self.node_members[i][0]) for i in single.tolist()]]

    def documents_of(self, nodes: Iterable[int]) -> int:
        """How many distinct documents the nodes occur in, together."""
        nodes = list(nodes)
        if len(nodes) == 1:  # most groups: no arrays to merge
            return int(self.node_weight[nodes[0]])
        parts = [self.occ_doc[self.node_members[m]] for m in nodes]
        return len(np.unique(np.concatenate(parts))) if parts else 0

    @abstractmethod
    def vectors(self, progress: Progress) -> ContextManager[NodeVectors | VectorFile]:
        """One unit vector per node, in node order, read from disk as the self-join asks for them (pairs.Rows),
        while the context lasts."""

    @abstractmethod
    def node_texts(self, nodes: list[int], passage_text: dict[int, str]) -> dict[int, str]:
        """The text of each node, given the text of the passages behind the members' occurrences."""

    def related(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Which candidate pairs may join a group (all of them, except where a level says otherwise)."""
        return np.ones(len(first), dtype=bool)

    def conflict_rule(self) -> Callable[[int, int], bool] | None:
        """Which two nodes may never share a group, however close (none, except where a level says otherwise)."""
        return None

    def words_in(self, node: int) -> int:
        """How many words a node has: a passage holding two variants of a formulation counts under the longer."""
        return 0

    def shared_stems(self) -> list[SharedStem]:
        """Wording two distinct lines share, kept out of both (phrase level; inclusion.py)."""
        return []

    def same_single_doc(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Pairs whose two texts occur only within one and the same document."""
        if len(first) == 0:
            return np.zeros(0, dtype=bool)
        a, b = self._single_doc[first], self._single_doc[second]
        return (a >= 0) & (a == b)

    def sentence_texts(self) -> list[str]:
        """The mined documents' sentences: what salience counts words in (salience.WordStats)."""
        from index.mining.phrases import sentence_table

        return sentence_table(self.searcher, self.filters).texts

    @cached_property
    def wording(self) -> Wording:
        """What a word is in the index's language (core wording, shared wording: describe.py)."""
        language = language_of(self.searcher.manifest)
        return Wording.of(language, self.sentence_texts() if Wording.reads_texts(language) else ())

    def passage_texts(self, occurrences: list[int]) -> dict[int, str]:
        """Text of the passage behind each occurrence."""
        ids = {self.occ_pid[i]: i for i in occurrences}
        return {ids[pid]: text for pid, text in self.searcher.passage_texts(list(ids)).items()}


def corpus_for(searcher: Searcher, params: MiningParams, progress: Progress) -> Corpus:
    return (PhraseCorpus if params.level == "phrase" else PassageCorpus)(searcher, params, progress)


class NodeVectors:
    """A level's vectors in node order, read from its vectors file when asked for (a block, or ascending nodes)
    instead of held: at a million sentences that is 1.5 GB the self-join (pairs.py) does without. Reads go
    through pread (Level.rows): through the memory map, every page touched would stay resident."""

    def __init__(self, level: Level, node_row: np.ndarray):
        self._level, self._node_row = level, node_row
        self.shape = (len(node_row), level.vectors.shape[1])

    def __len__(self) -> int:
        return len(self._node_row)

    def __getitem__(self, key) -> np.ndarray:
        return self._level.rows(self._node_row[key])


class PassageCorpus(Corpus):
    """Passages of one level (sentence or paragraph); identical texts collapse into one node."""

    def __init__(self, searcher: Searcher, params: MiningParams, progress: Progress):
        doc_mask = self._init_documents(searcher, params)
        doc_rows = searcher.doc_rows(params.level)
        rows = np.flatnonzero(doc_mask[doc_rows])
        info = searcher.level_passages(params.level)  # (row, passage_id, text_hash), row i at position i
        self.occ_doc = doc_rows[rows]
        self.occ_pid = [info[r][1] for r in rows]
        node_of_hash: dict[str, int] = {}
        self.node_hash = []
        members: list[list[int]] = []
        for i, r in enumerate(rows.tolist()):
            h = info[r][2]
            node = node_of_hash.get(h)
            if node is None:
                node = node_of_hash[h] = len(self.node_hash)
                self.node_hash.append(h)
                members.append([])
            members[node].append(i)
        self.node_members = [np.array(m, dtype=np.int64) for m in members]
        self._node_row = np.array([rows[m[0]] for m in members], dtype=np.int64)
        self._init_nodes()

    @contextmanager
    def vectors(self, progress: Progress) -> Iterator[NodeVectors]:
        yield NodeVectors(self.searcher.levels[self.level], self._node_row)

    def node_texts(self, nodes: list[int], passage_text: dict[int, str]) -> dict[int, str]:
        """A node's text is its passages' text: every occurrence of a member is among the members' passages."""
        return {n: passage_text[int(self.node_members[n][0])] for n in nodes}


class PhraseCorpus(Corpus):
    """Recurring word phrases (see phrases.py); each occurs in the sentence passages that contain it.

    Distinct lines stay apart (inclusion.py): two phrases that branch off a shared run never share a group, and
    a shared stem (the run two such lines share) joins neither: it is left out, or, where it is used on its own
    in at least min_docs documents, kept as a phrase that may group with anything but the lines that hold it.
    """

    def __init__(self, searcher: Searcher, params: MiningParams, progress: Progress):
        from index.mining.inclusion import shared_stems, super_phrases
        from index.mining.phrases import find_phrases, sentence_table

        self._init_documents(searcher, params)
        progress(0.01, "finding recurring phrases")
        table = sentence_table(searcher, params.filters)
        self.wording = table.wording
        phrases = [p for p in find_phrases(table, min_docs=params.min_docs) if not self.wording.is_name(p.text)]
        supers = super_phrases([p.words for p in phrases])
        stems = shared_stems([p.words for p in phrases], supers, self.wording.stop)
        kept = [n for n in range(len(phrases)) if n not in stems or _used_alone(phrases, n, stems[n], table, params.min_docs)]
        node_of = {n: i for i, n in enumerate(kept)}
        self._stems = [SharedStem(phrases[n].text, phrases[n].words) for n in sorted(stems)]
        self._apart = {tuple(sorted((node_of[n], node_of[s]))) for n, above in stems.items() if n in node_of
                       for s in above if s in node_of}
        self._conflicts: dict[tuple[int, int], bool] = {}
        phrases = [phrases[n] for n in kept]
        self._sentences = table.texts
        self.occ_doc = table.doc_ords
        self.occ_pid = table.passage_ids
        self.node_hash = [text_hash(p.key) for p in phrases]
        self._texts = [p.text for p in phrases]
        self._words = [p.words for p in phrases]
        self.node_members = [np.array(p.passages, dtype=np.int64) for p in phrases]
        self._init_nodes()

    @contextmanager
    def vectors(self, progress: Progress) -> Iterator[VectorFile]:
        """The phrases' vectors, through the index's embedding cache (embedded the first time), a block at a time
        into a scratch file that the self-join reads as it goes: a whole archive's 600k phrases are 0.9 GB that
        are then not held."""
        n, dim = len(self.node_hash), self.searcher.manifest["model"]["dimension"]
        progress(0.03, f"embedding {n:,} phrases (cached after the first time)")

        def blocks() -> Iterator[np.ndarray]:
            for start in range(0, n, PHRASE_BLOCK):
                nodes = range(start, min(n, start + PHRASE_BLOCK))
                found = cached_vectors(self.searcher, {self.node_hash[i]: self._texts[i] for i in nodes})
                yield np.array([found[self.node_hash[i]] for i in nodes], dtype=np.float32).reshape(-1, dim)
                progress(0.03 + 0.02 * min(1.0, (start + PHRASE_BLOCK) / n), f"embedding {n:,} phrases")

        with tempfile.TemporaryDirectory(prefix="refrain-phrases-") as scratch:
            path = Path(scratch) / "phrases.npy"
            with disk_full_reported(f"write the {n:,} phrases' vectors to {path} ({n * dim * 4 / 2**20:,.0f} MiB)",
                                    "what was embedded stays in the embedding cache: free some space in the "
                                    "temporary folder (or point TMPDIR elsewhere) and mine again"):
                write_vectors(path, (n, dim), blocks())
            yield VectorFile(path)

    def node_texts(self, nodes: list[int], passage_text: dict[int, str]) -> dict[int, str]:
        return {n: self._texts[n] for n in nodes}  # a phrase, not the sentence that holds it

    def passage_texts(self, occurrences: list[int]) -> dict[int, str]:
        """An occurrence is a sentence of the table the phrases were found in, whose texts are at hand."""
        return {i: self._sentences[i] for i in occurrences}

    def related(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Two phrases join only if they share a content word (a lower-case one in a cased script: short phrases
        that only share a name, "stifle the DPRK" and "development of the DPRK", embed close but are not one
        formulation), are not two lines branching off a shared run, and are not a shared stem and a line that
        holds it."""
        words = [self.wording.content_words(t) for t in self._texts]
        return np.array([bool(words[a] & words[b]) and not self._conflict(a, b)
                         for a, b in zip(first.tolist(), second.tolist())], dtype=bool)

    def conflict_rule(self) -> Callable[[int, int], bool]:
        return self._conflict

    def _conflict(self, a: int, b: int) -> bool:
        from index.mining.inclusion import diverge

        pair = (a, b) if a < b else (b, a)
        found = self._conflicts.get(pair)
        if found is None:
            found = self._conflicts[pair] = pair in self._apart or diverge(self._words[a], self._words[b], self.wording.stop)
        return found

    def words_in(self, node: int) -> int:
        return len(self._words[node])

    def sentence_texts(self) -> list[str]:
        return self._sentences

    def shared_stems(self) -> list[SharedStem]:
        return self._stems


def _used_alone(phrases: list[Phrase], stem: int, above: list[int], table: SentenceTable, min_docs: int) -> bool:
    """A stem used outside every phrase that holds it in at least min_docs documents (a formulation of its own)."""
    inside = set().union(*(phrases[s].passages for s in above))
    alone = {int(table.doc_ords[i]) for i in phrases[stem].passages if i not in inside}
    return len(alone) >= min_docs


def cached_vectors(searcher: Searcher, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """Vectors of texts (keyed by their hash) through the index's embedding cache: embedded and kept there the
    first time, read from it after (phrases while mining, formulation centres for the lineage and the map)."""
    from index.embed.cache import EmbeddingCache
    from index.embed.embedding import embed_distinct

    cache = EmbeddingCache(_cache_path(searcher))
    try:
        return embed_distinct(searcher.encoder, texts, cache)[0]
    finally:
        cache.close()


def _cache_path(searcher: Searcher) -> Path:
    configured = searcher.manifest.get("settings", {}).get("cache_path")
    return Path(configured) if configured else searcher.root / layout.CACHE


def period_totals(dates: Iterable[str | None]) -> PeriodTotals:
    """The mined documents per year and month: the denominators of every share."""
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
    return PeriodTotals(dict(sorted(years.items())), dict(sorted(months.items())), undated)


def latest_period(starts: Iterable[str | None]) -> tuple[str | None, int, int]:
    """The date from which the latest quarter of the dated documents runs, and the document counts."""
    dated = sorted(s for s in starts if s)
    if len(dated) < 2:
        return None, 0, 0
    since = dated[min(len(dated) - 1, int(len(dated) * (1 - LATEST_SHARE)))]
    latest = sum(s >= since for s in dated)
    return since, latest, len(dated) - latest
