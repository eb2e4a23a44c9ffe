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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from index.errors import RefrainError
from index.mining.params import DEFAULT_MIN_DOCS, PhraseParams
from index.ingest.language import language_of
from index.mining.types import IndexInfo, MiningResult, PhraseRow, PhrasesResult, Seen
from index.mining.wording import Token, Wording, plain

if TYPE_CHECKING:
    from index.search import Filters, Searcher

MAX_N = 8


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
    tokenised = [table.wording.tokens(t) for t in table.texts]
    words = [tuple(w for w, _, _ in toks) for toks in tokenised]
    frequent: dict[int, dict[tuple, int]] = {}
    previous: dict[tuple, int] | None = None
    min_n = min_n or table.wording.min_words
    for n in range(min_n, max_n + 1):
        counts: dict[tuple, list] = {}  # ngram -> [documents, last document]
        for seq, doc in zip(words, table.doc_ords.tolist()):
            for i in range(len(seq) - n + 1):
                gram = seq[i:i + n]
                if previous is not None and (gram[:-1] not in previous or gram[1:] not in previous):
                    continue
                entry = counts.get(gram)
                if entry is None:
                    counts[gram] = [1, doc]
                elif entry[1] != doc:
                    entry[0] += 1
                    entry[1] = doc
        previous = {g: c[0] for g, c in counts.items() if c[0] >= min_docs}
        if not previous:
            break
        frequent[n] = previous
    kept = {g: df for level in frequent.values() for g, df in level.items() if _is_edge_ok(g, table.wording.stop)}
    folded = set()
    for gram, df in kept.items():  # a shorter phrase with the same documents is part of this one
        for length in range(min_n, len(gram)):
            for i in range(len(gram) - length + 1):
                sub = gram[i:i + length]
                if kept.get(sub) == df:
                    folded.add(sub)
    phrases = {g: Phrase(g, "", df) for g, df in kept.items() if g not in folded}
    _locate(phrases, words, tokenised, table.texts)
    merged = _merge_overlaps(list(phrases.values()), words)
    if len(merged) != len(phrases):
        phrases = {p.words: Phrase(p.words, "", p.documents) for p in merged}
        _locate(phrases, words, tokenised, table.texts)
    return sorted(phrases.values(), key=lambda p: (-p.documents, -len(p.words), p.key))


def _locate(phrases: dict[tuple, Phrase], words: list[tuple], tokenised: list[list[Token]], texts: list[str]) -> None:
    """Fill in each phrase's passages and the surface form of its first occurrence."""
    lengths = sorted({len(g) for g in phrases})
    for index, (seq, toks) in enumerate(zip(words, tokenised)):
        for n in lengths:
            for i in range(len(seq) - n + 1):
                phrase = phrases.get(seq[i:i + n])
                if phrase is None:
                    continue
                if not phrase.passages or phrase.passages[-1] != index:
                    phrase.passages.append(index)
                if not phrase.text:
                    phrase.text = texts[index][toks[i][1]:toks[i + n - 1][2]]


def _merge_overlaps(phrases: list[Phrase], words: list[tuple]) -> list[Phrase]:
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
                    if all(_holds(words[i], joined) for i in passages):
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
