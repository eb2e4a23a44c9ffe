"""A group of texts becomes a Formulation: its members in date order, its variants, counts per year and month,
first and last appearance, rise, the core wording its variants share, its label and category. Every figure is
computed from the member list, which the formulation carries, so any number can be checked against the passages
behind it.

Each member passage counts under one variant: at phrase level a sentence may hold several ("based on the
people-first principle" holds "people-first principle" too), and it counts under the longest, then the closest to
the centre. So the variants' passages add up to the formulation's, and the label, the most used variant, is
the wording most passages use ("people-first principle", not the longer wording three of them use).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from index.mining.corpus import Corpus
from index.mining.params import CORE_SHARE, MiningParams
from index.mining.salience import WordStats, assess
from index.mining.types import Centre, Formulation, Member, PeriodCount, PeriodTotals, Seen, SharedWording, Variant
from index.mining.wording import Token, Wording, plain
from index.textnorm import short_id


@dataclass
class _Occurrence:
    """A member passage while it is being described: one per passage, whatever the variants it holds."""

    passage_id: str
    doc: dict  # the document, as Searcher.documents_by_ord() gives it
    ord: int
    index: int  # the occurrence in the corpus (to read the passage's text)
    text_hash: str  # the variant it counts under: the longest it holds, then the closest to the centre
    similarity: float

    @property
    def date(self) -> str | None:
        return self.doc["date"]

    @property
    def start(self) -> str | None:
        return self.doc["start"]


def describe(corpus: Corpus, centre: int, members: dict[int, float], params: MiningParams, stats: WordStats) -> Formulation:
    """A formulation with every number traceable: all figures are computed from the member list."""
    by_passage: dict[str, _Occurrence] = {}  # one member per passage (a sentence may hold two variants of a phrase)
    order = sorted(members.items(), key=lambda item: (-corpus.words_in(item[0]), -item[1], corpus.node_hash[item[0]]))
    for node, similarity in order:
        for i in corpus.node_members[node].tolist():
            pid = corpus.occ_pid[i]
            if pid in by_passage:
                continue
            ord_ = int(corpus.occ_doc[i])
            by_passage[pid] = _Occurrence(pid, corpus.docs[ord_], ord_, i, corpus.node_hash[node], round(similarity, 4))
    occurrences = sorted(by_passage.values(), key=lambda o: (o.start is None, o.start or "", o.ord, o.passage_id))
    passage_text = corpus.passage_texts([o.index for o in occurrences])
    texts = corpus.node_texts(list(members), passage_text)
    dated = [o for o in occurrences if o.date]
    variants = []
    for node, similarity in members.items():
        occ = [o for o in occurrences if o.text_hash == corpus.node_hash[node]]
        occ_dated = [o for o in occ if o.date]
        variants.append(Variant(
            texts[node], corpus.node_hash[node], len(occ), len({o.doc["doc_id"] for o in occ}), round(similarity, 4),
            occ_dated[0].date if occ_dated else None, _last(occ_dated).date if occ_dated else None))
    variants.sort(key=lambda v: (-v.passages, -v.similarity, v.text_hash))
    centre_text = texts[centre]
    per_year, per_month = _period_counts(occurrences, corpus.period_totals)
    n_documents = len({o.doc["doc_id"] for o in occurrences})
    variants_of_doc: dict[str, set[str]] = {}
    for o in occurrences:
        variants_of_doc.setdefault(o.doc["doc_id"], set()).add(o.text_hash)
    member_texts = [passage_text[o.index] for o in occurrences]
    return Formulation(
        id="f-" + short_id(params.level, corpus.node_hash[centre])[:12],
        level=params.level,
        label=variants[0].text,
        salience=assess(variants[0].text, member_texts, n_documents, stats),
        centre=Centre(centre_text, corpus.node_hash[centre]),
        core=core_wording(centre_text, [v.text for v in variants], wording=corpus.wording),
        n_passages=len(occurrences),
        n_documents=n_documents,
        n_variants=len(variants),
        multi_variant_documents=sum(len(v) > 1 for v in variants_of_doc.values()),
        first_seen=_seen(dated[0]) if dated else None,
        last_seen=_seen(_last(dated)) if dated else None,
        per_year=per_year,
        per_month=per_month,
        rise=_rise(occurrences, corpus),
        variants=tuple(variants),
        shared=(),
        members=tuple(Member(o.passage_id, o.doc["doc_id"], o.doc["title"], o.date, o.text_hash, o.similarity,
                             text) for o, text in zip(occurrences, member_texts)),
    )


def with_shared_wording(formulations: list[Formulation], corpus: Corpus) -> list[Formulation]:
    """Each formulation with the shared stems (corpus.shared_stems) its variants hold, and every formulation
    holding each: wording two lines share is reported with both, never used to join them."""
    stems = corpus.shared_stems()
    if not stems:
        return formulations
    stem_of: dict[tuple[str, ...], list[int]] = {}  # each stem's words, looked up by every run of a variant's words
    for s, stem in enumerate(stems):
        stem_of.setdefault(tuple(stem.words), []).append(s)
    lengths = sorted({len(words) for words in stem_of})
    holding: dict[int, set[str]] = {s: set() for s in range(len(stems))}
    for f in formulations:
        for v in f.variants:
            words = corpus.wording.words(v.text)
            for n in lengths:
                for i in range(len(words) - n + 1):
                    for s in stem_of.get(words[i:i + n], ()):
                        holding[s].add(f.id)
    shared_by: dict[str, list[int]] = {}
    for s in range(len(stems)):
        if len(holding[s]) > 1:
            for fid in holding[s]:
                shared_by.setdefault(fid, []).append(s)
    return [replace(f, shared=tuple(SharedWording(stems[s].text, tuple(sorted(holding[s]))) for s in shared_by[f.id]))
            if f.id in shared_by else f for f in formulations]


def _last(dated: list[_Occurrence]) -> _Occurrence:
    return max(dated, key=lambda o: (o.start, o.ord))


def _seen(o: _Occurrence) -> Seen:
    return Seen.of(o.doc, o.passage_id)


def _period_counts(occurrences: list[_Occurrence], totals: PeriodTotals) -> tuple[dict, dict]:
    """Documents and passages per year and month, with the share of that period's documents."""
    out = []
    for width, by in ((4, "year"), (7, "month")):
        docs: dict[str, set] = {}
        passages: dict[str, int] = {}
        for o in occurrences:
            if o.date and len(o.date) >= width:
                period = o.date[:width]
                docs.setdefault(period, set()).add(o.doc["doc_id"])
                passages[period] = passages.get(period, 0) + 1
        period_documents = totals.per(by)
        out.append({p: PeriodCount.of(len(docs[p]), passages[p], period_documents[p]) for p in sorted(docs)})
    return out[0], out[1]


def _rise(occurrences: list[_Occurrence], corpus: Corpus) -> float:
    """Share of the latest quarter's documents that use it, minus its share of the earlier documents.

    A quarter of the documents adapts to any corpus: a year of KCNA or six years of speeches alike.
    """
    if not corpus.rise_since or not corpus.n_before:
        return 0.0
    docs = {(o.doc["doc_id"], o.start) for o in occurrences if o.start}
    latest = sum(start >= corpus.rise_since for _, start in docs)
    return round(latest / corpus.n_latest - (len(docs) - latest) / corpus.n_before, 4)


def core_wording(centre: str, variants: list[str], share: float = CORE_SHARE, wording: Wording | None = None) -> str:
    """The centre's words that most variants share, in the centre's order, with … where words differ.

    Runs of shared words are quoted from the centre as written; runs made only of stop words are dropped.
    "our state-first principle" / "the principle of our state first" / "our state-first idea" -> "our state-first".
    Words are the language's (`wording`, English when not given): Korean words compare without their particles,
    and a run ends where its last word's stem does.
    """
    if len(variants) < 2:
        return centre
    wording = wording or plain()
    stop = wording.stop
    tokens = wording.tokens(centre)
    sets = [set(wording.words(v)) for v in variants]
    needed = share * len(sets)
    runs: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        if sum(token[0] in s for s in sets) >= needed:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    pieces = []
    for run in runs:
        while run and run[0][0] in stop:
            run = run[1:]
        while run and run[-1][0] in stop:
            run = run[:-1]
        if run:
            pieces.append(centre[run[0][1]:run[-1][2]])
    return " … ".join(pieces)
