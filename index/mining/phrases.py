"""Lexical phrases: word n-grams (3 to 8 words; 2 to 8 in Korean) that recur across documents, by document frequency.

Overlapping 8-word windows found in exactly the same passages are joined back into the longer phrase
they come from, so an 11-word slogan is reported once, whole.

Counting is apriori-style: an (n+1)-gram is only counted when both of its n-word halves were frequent,
so memory follows the number of recurring phrases, not the size of the corpus. A phrase contained in a
longer phrase found in exactly the same documents is folded into it; phrases that start or end with a
stop word of the index's language or a single letter are dropped; boilerplate and datelines never reach passages.
What a word is, by the language, is wording.py's (Korean words are counted without their particles).
lexical_phrases() reports them as PhraseRow (types.py).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from index.errors import RefrainError
from index.mining.params import DEFAULT_MIN_DOCS, PhraseParams
from index.ingest.language import language_of
from index.mining.types import IndexInfo, MiningResult, PhraseRow, PhrasesResult, Seen
from index.mining.wording import Wording, plain

if TYPE_CHECKING:
    from index.search import Filters, Searcher

MAX_N = 8
SCAN_BLOCK = 1 << 22  # token positions hashed at a time when phrases are located (~100 MB of temporaries)


@dataclass
class Phrase:
    """A recurring n-gram while it is being found and folded (PhraseRow is what is reported)."""

    words: tuple[str, ...]
    text: str  # surface form of the first occurrence, e.g. "people-first principle"
    documents: int
    passages: list[int] = field(default_factory=list)  # indices into the sentence passages considered

    @property
    def key(self) -> str:
        return " ".join(self.words)


@dataclass
class SentenceTable:
    """The sentence passages mined, in index order, with their documents."""

    rows: np.ndarray
    passage_ids: list[str]
    texts: list[str]
    doc_ords: np.ndarray
    wording: Wording = field(default_factory=plain)  # the index language's word rules


def sentence_table(searcher: Searcher, filters: Filters | None = None) -> SentenceTable:
    mask = None
    if filters is not None and not filters.empty:
        mask = searcher.document_mask(filters)
    rows, ids, texts, ords = [], [], [], []
    doc_rows = searcher.doc_rows("sentence")
    for row, pid, _hash, text in searcher.level_passages("sentence", with_text=True):
        ord_ = int(doc_rows[row])
        if mask is not None and not mask[ord_]:
            continue
        rows.append(row)
        ids.append(pid)
        texts.append(text)
        ords.append(ord_)
    wording = Wording.of(language_of(searcher.manifest), texts)
    return SentenceTable(np.array(rows, dtype=np.int64), ids, texts, np.array(ords, dtype=np.int64), wording)


def _is_edge_ok(words: tuple[str, ...], stop: frozenset[str]) -> bool:
    first, last = words[0], words[-1]
    return not (first in stop or last in stop or first.isdigit() or last.isdigit() or len(first) < 2 or len(last) < 2)


def find_phrases(table: SentenceTable, min_docs: int = DEFAULT_MIN_DOCS, min_n: int | None = None,
                 max_n: int = MAX_N) -> list[Phrase]:
    """Recurring phrases with their occurrences, most documents first (min_n: the language's shortest phrase)."""
    tokens = TokenArray.of(table)
    min_n = min_n or table.wording.min_words
    kept: dict[tuple, int] = {}  # the frequent grams that may start and end a phrase, with their documents
    grams = tokens.unigrams()
    for n in range(2, max_n + 1):
        grams = tokens.extend(grams, n, min_docs if n >= min_n else None)
        if n >= min_n:
            if not grams.count:
                break
            for gram, df in zip(tokens.words_at(grams.first, n), grams.documents.tolist()):
                if _is_edge_ok(gram, table.wording.stop):
                    kept[gram] = df
    del grams
    folded = set()
    for gram, df in kept.items():  # a shorter phrase with the same documents is part of this one
        for length in range(min_n, len(gram)):
            for i in range(len(gram) - length + 1):
                sub = gram[i:i + length]
                if kept.get(sub) == df:
                    folded.add(sub)
    phrases = {g: Phrase(g, "", df) for g, df in kept.items() if g not in folded}
    tokens.locate(phrases, table)
    merged = _merge_overlaps(list(phrases.values()), tokens.sentence_words)
    if len(merged) != len(phrases):
        located = phrases
        phrases = {p.words: located.get(p.words) or Phrase(p.words, "", p.documents) for p in merged}
        tokens.locate({words: p for words, p in phrases.items() if not p.passages}, table)  # the joined ones
    return sorted(phrases.values(), key=lambda p: (-p.documents, -len(p.words), p.key))


@dataclass
class Grams:
    """The n-grams of one length counted so far: per token position, the gram's number (-1: none, or not
    frequent); per gram, its first position and its number of documents."""

    at: np.ndarray  # int32
    first: np.ndarray
    documents: np.ndarray

    @property
    def count(self) -> int:
        return len(self.first)


class TokenArray:
    """Every word of the mined sentences as a number in one array, with its sentence and document. N-grams are
    counted with array operations, an n-gram numbered by its first n-1 words' gram and its last word (so each
    count is exact), in memory that follows the number of words, not of distinct n-grams or Python objects."""

    def __init__(self, vocabulary: list[str], ids: np.ndarray, starts: np.ndarray, doc_ords: np.ndarray):
        self.vocabulary, self.ids, self.starts = vocabulary, ids, starts
        self.sentence = np.repeat(np.arange(len(starts) - 1, dtype=np.int32), np.diff(starts))
        self.doc = np.asarray(doc_ords, dtype=np.int32)[self.sentence]

    @classmethod
    def of(cls, table: SentenceTable) -> "TokenArray":
        number: dict[str, int] = {}
        ids = array("i")
        starts = array("q", [0])
        for text in table.texts:
            ids.extend(number.setdefault(w, len(number)) for w in table.wording.words(text))
            starts.append(len(ids))
        return cls(list(number), np.array(ids, dtype=np.int32), np.array(starts, dtype=np.int64), table.doc_ords)

    def unigrams(self) -> Grams:
        return Grams(self.ids, np.zeros(0, np.int64), np.zeros(0, np.int64))

    def extend(self, grams: Grams, n: int, min_docs: int | None) -> Grams:
        """The n-grams whose first and last n-1 words are counted grams, numbered; with min_docs, only those in
        at least min_docs documents (below the shortest phrase every gram counts, as apriori needs)."""
        last = len(self.ids) - n + 1
        none = np.zeros(0, np.int64)
        if last <= 0:
            return Grams(np.full(len(self.ids), -1, np.int32), none, none)
        head, tail = grams.at[:last], grams.at[1:last + 1]
        ok = (head >= 0) & (tail >= 0) & (self.sentence[:last] == self.sentence[n - 1:n - 1 + last])
        positions = np.flatnonzero(ok)
        keys = head[positions].astype(np.int64) * len(self.vocabulary) + self.ids[positions + n - 1]
        order = np.lexsort((positions, keys))  # by gram, then position (so documents come in order too)
        keys, positions = keys[order], positions[order]
        del order
        docs = self.doc[positions]
        new_gram = np.ones(len(keys), dtype=bool)
        new_gram[1:] = keys[1:] != keys[:-1]
        del keys
        new_doc = new_gram.copy()
        new_doc[1:] |= docs[1:] != docs[:-1]
        gram_of = np.cumsum(new_gram) - 1
        documents = np.bincount(gram_of, weights=new_doc).astype(np.int64)
        first = positions[new_gram]  # each gram's first position: positions are sorted within a gram
        keep = documents >= min_docs if min_docs is not None else np.ones(len(documents), dtype=bool)
        renumber = np.full(len(documents), -1, dtype=np.int32)
        renumber[keep] = np.arange(int(keep.sum()), dtype=np.int32)
        at = np.full(len(self.ids), -1, dtype=np.int32)
        at[positions] = renumber[gram_of]
        return Grams(at, first[keep], documents[keep])

    def words_at(self, positions: np.ndarray, n: int) -> Iterator[tuple[str, ...]]:
        vocabulary = self.vocabulary
        return (tuple(vocabulary[w] for w in self.ids[p:p + n].tolist()) for p in positions.tolist())

    def sentence_words(self, i: int) -> tuple[str, ...]:
        vocabulary = self.vocabulary
        return tuple(vocabulary[w] for w in self.ids[self.starts[i]:self.starts[i + 1]].tolist())

    def locate(self, phrases: dict[tuple, Phrase], table: SentenceTable) -> None:
        """Fill in each phrase's passages and the surface form of its first occurrence."""
        number = {w: i for i, w in enumerate(self.vocabulary)}
        by_length: dict[int, list[Phrase]] = {}
        for phrase in phrases.values():
            by_length.setdefault(len(phrase.words), []).append(phrase)
        for n, group in by_length.items():
            wanted = np.array([[number[w] for w in p.words] for p in group], dtype=np.int64)
            positions, which = self._occurrences(wanted)
            order = np.argsort(which, kind="stable")  # by phrase, each in position order
            positions, which = positions[order], which[order]
            bounds = np.searchsorted(which, np.arange(len(group) + 1))
            for k, phrase in enumerate(group):
                found = positions[bounds[k]:bounds[k + 1]]
                phrase.passages = np.unique(self.sentence[found]).tolist()
                first = int(found[0])
                index = int(self.sentence[first])
                toks = table.wording.tokens(table.texts[index])
                i = first - int(self.starts[index])
                phrase.text = table.texts[index][toks[i][1]:toks[i + n - 1][2]]

    def _occurrences(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every position where one of the n-word sequences `wanted` occurs within a sentence, in position order,
        with which one. Only positions whose first and last words start and end some wanted sequence are looked
        at (a table lookup per word: about a fifth of a corpus's positions); there, candidates by a hash of the
        words, each then compared word by word; a block of positions at a time, so the temporaries stay small."""
        n = wanted.shape[1]
        hashed = _hash_rows(wanted)
        order = np.argsort(hashed)
        sorted_hashes = hashed[order]
        starts, ends = (np.zeros(len(self.vocabulary), dtype=bool) for _ in range(2))
        starts[wanted[:, 0]], ends[wanted[:, -1]] = True, True
        found, which = [], []
        for start in range(0, max(0, len(self.ids) - n + 1), SCAN_BLOCK):
            stop = min(start + SCAN_BLOCK, len(self.ids) - n + 1)
            positions = start + np.flatnonzero(starts[self.ids[start:stop]] & ends[self.ids[start + n - 1:stop + n - 1]]
                                               & (self.sentence[start:stop] == self.sentence[start + n - 1:stop + n - 1]))
            at = np.zeros(len(positions), dtype=np.uint64)
            with np.errstate(over="ignore"):
                for k in range(n):
                    at = at * _HASH_BASE + self.ids[positions + k].astype(np.uint64)
            slot = np.clip(np.searchsorted(sorted_hashes, at), 0, len(order) - 1)
            hit = np.flatnonzero(sorted_hashes[slot] == at)
            candidate = order[slot[hit]]
            positions = positions[hit]
            same = np.ones(len(positions), dtype=bool)
            for k in range(n):  # a hash only proposes: the words decide
                same &= self.ids[positions + k] == wanted[candidate, k]
            found.append(positions[same])
            which.append(candidate[same])
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(found), np.concatenate(which)


_HASH_BASE = np.uint64(1_000_003)


def _hash_rows(rows: np.ndarray) -> np.ndarray:
    hashed = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(rows.shape[1]):
            hashed = hashed * _HASH_BASE + rows[:, k].astype(np.uint64)
    return hashed


def _merge_overlaps(phrases: list[Phrase], words: Callable[[int], tuple]) -> list[Phrase]:
    """Overlapping windows of one longer recurring phrase (found in the same passages) become that phrase.

    Counting stops at MAX_N words, so an 11-word slogan first shows up as four overlapping 8-word windows.
    """
    groups: dict[tuple, list[Phrase]] = {}
    for p in phrases:
        groups.setdefault(tuple(p.passages), []).append(p)
    out: list[Phrase] = []
    for passages, group in groups.items():
        current = sorted(group, key=lambda p: p.key)
        changed = True
        while changed and len(current) > 1:
            changed = False
            for a in current:
                for b in current:
                    if a is b:
                        continue
                    k = _overlap(a.words, b.words)
                    if not k:
                        continue
                    joined = a.words + b.words[k:]
                    if all(_holds(words(i), joined) for i in passages):
                        current = [p for p in current if p is not a and p is not b] + [Phrase(joined, "", a.documents)]
                        changed = True
                        break
                if changed:
                    break
        out.extend(current)
    return out


def _overlap(a: tuple, b: tuple) -> int:
    for k in range(min(len(a), len(b)) - 1, 0, -1):
        if a[-k:] == b[:k]:
            return k
    return 0


def _holds(seq: tuple, phrase: tuple) -> bool:
    n = len(phrase)
    return any(seq[i:i + n] == phrase for i in range(len(seq) - n + 1))


def lexical_phrases(searcher: Searcher, params: PhraseParams, formulations: MiningResult | None = None) -> PhrasesResult:
    """Recurring phrases with documents, first and last seen, counts per year, and the sentence-level
    formulations whose member passages contain them (`formulations`: a recurring() result)."""
    if params.min_docs < 2:
        raise RefrainError(f"min-docs must be at least 2, got {params.min_docs}")
    table = sentence_table(searcher, params.filters)
    found = find_phrases(table, min_docs=params.min_docs)
    docs = searcher.documents_by_ord()
    formulation_of: dict[str, list[str]] = {}
    for f in formulations.formulations if formulations is not None else ():
        for m in f.members:
            formulation_of.setdefault(m.passage_id, []).append(f.id)
    out = []
    for phrase in found:
        ords = sorted({int(table.doc_ords[i]) for i in phrase.passages})
        dated = sorted((docs[o]["start"], o) for o in ords if docs[o]["date"])
        per_year: dict[str, int] = {}
        for o in ords:
            if docs[o]["date"]:
                per_year[docs[o]["date"][:4]] = per_year.get(docs[o]["date"][:4], 0) + 1
        linked = sorted({fid for i in phrase.passages for fid in formulation_of.get(table.passage_ids[i], [])})
        out.append(PhraseRow(
            phrase.text, phrase.key, len(phrase.words), phrase.documents, len(phrase.passages),
            Seen.of(docs[dated[0][1]]) if dated else None, Seen.of(docs[dated[-1][1]]) if dated else None,
            dict(sorted(per_year.items())), tuple(linked), tuple(table.passage_ids[i] for i in phrase.passages)))
    return PhrasesResult(params, IndexInfo(searcher.manifest["content_hash"], searcher.generation), tuple(out))
