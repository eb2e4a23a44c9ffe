"""The results of mining, typed once: formulations with their variants, members and counts per period, and
lexical phrases. The CLI, the exports, the explorer and the benchmarks read these attributes.

Each type's to_dict() is the JSON that `recurring --json` and `phrases --json` print and DIR/derived stores, key
for key in the order it has always had; from_dict() reads it back (a stored result opens as the same objects a
fresh mining gives). Collections are tuples so that a result shared between explorer sessions cannot be changed
by one of them; every type has slots, as a phrase-level mining of a whole archive holds millions of members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from index.mining.params import MiningParams, PhraseParams

MINER_VERSION = 5  # stored results of another version are mined again: bump when mining or its JSON changes

Progress = Callable[[float, str], None]  # (fraction done, what is being done)


@dataclass(frozen=True, slots=True)
class Seen:
    """Where something was first or last seen: the document, its date, and for a formulation the passage."""

    date: str
    doc_id: str
    title: str
    passage_id: str | None = None  # None for a lexical phrase, which is dated by its documents

    @classmethod
    def of(cls, doc: dict, passage_id: str | None = None) -> "Seen":
        """From a document as Searcher.documents_by_ord() gives it."""
        return cls(doc["date"], doc["doc_id"], doc["title"], passage_id)

    def to_dict(self) -> dict:
        data = {"date": self.date, "doc_id": self.doc_id, "title": self.title}
        if self.passage_id is not None:
            data["passage_id"] = self.passage_id
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Seen":
        return cls(data["date"], data["doc_id"], data["title"], data.get("passage_id"))


@dataclass(frozen=True, slots=True)
class PeriodCount:
    """One period (a year or a month): the documents and passages that use something (a formulation, a query's
    matches), and those documents' share of all the period's documents. The timeline and mining both count so."""

    documents: int
    passages: int
    share: float  # to four decimals; 0.0 when the period has no documents

    @classmethod
    def of(cls, documents: int, passages: int, period_documents: int) -> "PeriodCount":
        return cls(documents, passages, round(documents / period_documents, 4) if period_documents else 0.0)

    def to_dict(self) -> dict:
        return _flat(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PeriodCount":
        return cls(data["documents"], data["passages"], data["share"])


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    """The mined documents per year and per month (the denominators of every share), and how many are undated."""

    years: dict[str, int]
    months: dict[str, int]
    undated: int

    def per(self, by: str) -> dict[str, int]:
        """Documents per period, by 'year' or 'month'."""
        return self.years if by == "year" else self.months

    def to_dict(self) -> dict:
        return {"years": dict(self.years), "months": dict(self.months), "undated": self.undated}

    @classmethod
    def from_dict(cls, data: dict) -> "PeriodTotals":
        return cls(dict(data["years"]), dict(data["months"]), data["undated"])


@dataclass(frozen=True, slots=True)
class Centre:
    """The text at the centre of a formulation: every member is within the threshold of it."""

    text: str
    text_hash: str

    def to_dict(self) -> dict:
        return _flat(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Centre":
        return cls(data["text"], data["text_hash"])


@dataclass(frozen=True, slots=True)
class Variant:
    """One distinct wording of a formulation, with how often and when it was used.

    The counts are exclusive: each member passage is counted under one variant, the one its text_hash names (at
    phrase level the longest variant the sentence holds), so the variants' passages add up to the formulation's.
    Documents do not add up where a document uses two variants (Formulation.multi_variant_documents says how many).
    """

    text: str
    text_hash: str
    passages: int  # members counted under this wording
    documents: int  # documents of those members
    similarity: float  # cosine to the centre, to four decimals
    first_seen: str | None  # dates; None when no passage holding it is dated
    last_seen: str | None

    def to_dict(self) -> dict:
        return _flat(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Variant":
        return cls(data["text"], data["text_hash"], data["passages"], data["documents"], data["similarity"],
                   data["first_seen"], data["last_seen"])


@dataclass(frozen=True, slots=True)
class Salience:
    """What kind of formulation it is and how much it says (index/mining/salience.py), read from its label.

    category: "formulation" (a slogan or policy wording), "title" (a title, honorific or name) or "stock" (a stock
    phrase: a header, "The message said:"). The default order lists formulations first, and hides the others.
    score: documents x distinctiveness x content share, the order within a category.
    """

    category: str
    score: float
    distinctiveness: float  # mean over its content words of log(1 + N/df) / log(1 + N), N sentences, df holding it
    content_share: float  # content words / words
    name_share: float  # names and title words / content words
    frame_share: float  # reporting words ("said", "following", "message") / content words
    header_share: float  # members ending with ':' (a header introducing what follows)

    def to_dict(self) -> dict:
        return _flat(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Salience":
        return cls(data["category"], data["score"], data["distinctiveness"], data["content_share"], data["name_share"],
                   data["frame_share"], data["header_share"])


@dataclass(frozen=True, slots=True)
class SharedWording:
    """Wording that distinct lines share, kept out of each (index/mining/inclusion.py: a shared stem), with every
    formulation whose variants hold it."""

    text: str
    formulations: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"text": self.text, "formulations": list(self.formulations)}

    @classmethod
    def from_dict(cls, data: dict) -> "SharedWording":
        return cls(data["text"], tuple(data["formulations"]))


@dataclass(frozen=True, slots=True)
class Member:
    """A passage using a formulation. At phrase level the passage is the sentence that holds the phrase, and
    text_hash is the phrase's (its variant: the longest variant the sentence holds)."""

    passage_id: str
    doc_id: str
    title: str
    date: str | None
    text_hash: str
    similarity: float
    text: str

    def to_dict(self) -> dict:
        return _flat(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Member":
        return cls(data["passage_id"], data["doc_id"], data["title"], data["date"], data["text_hash"],
                   data["similarity"], data["text"])


@dataclass(frozen=True, slots=True)
class Formulation:
    """A group of passages from several documents that say the same thing. Every figure is computed from the
    members, which are listed in date order."""

    id: str
    level: str
    label: str  # its most used variant (most member passages)
    salience: Salience
    centre: Centre
    core: str  # the centre's words that most variants share, "…" where they differ
    n_passages: int
    n_documents: int
    n_variants: int
    multi_variant_documents: int  # documents whose members fall under more than one variant
    first_seen: Seen | None  # None when no member is dated
    last_seen: Seen | None
    per_year: dict[str, PeriodCount]  # only the periods it was used in
    per_month: dict[str, PeriodCount]
    rise: float  # share of the latest quarter's documents using it minus the share of the earlier ones
    variants: tuple[Variant, ...]  # most passages first: the first is the label
    shared: tuple[SharedWording, ...]  # wording it shares with distinct lines (phrase level)
    members: tuple[Member, ...]

    @property
    def category(self) -> str:
        return self.salience.category

    def counts(self, by: str) -> dict[str, PeriodCount]:
        """Its counts per period, by 'year' or 'month'."""
        return self.per_year if by == "year" else self.per_month

    def variant_of(self, member: Member) -> str | None:
        """The wording a member passage holds (at phrase level: the phrase inside the sentence)."""
        return next((v.text for v in self.variants if v.text_hash == member.text_hash), None)

    def to_dict(self) -> dict:
        return {
            "id": self.id, "level": self.level, "label": self.label, "salience": self.salience.to_dict(),
            "centre": self.centre.to_dict(), "core": self.core,
            "n_passages": self.n_passages, "n_documents": self.n_documents, "n_variants": self.n_variants,
            "multi_variant_documents": self.multi_variant_documents,
            "first_seen": _dict_or_none(self.first_seen), "last_seen": _dict_or_none(self.last_seen),
            "per_year": {p: c.to_dict() for p, c in self.per_year.items()},
            "per_month": {p: c.to_dict() for p, c in self.per_month.items()},
            "rise": self.rise,
            "variants": [v.to_dict() for v in self.variants],
            "shared": [w.to_dict() for w in self.shared],
            "members": [m.to_dict() for m in self.members],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Formulation":
        return cls(
            data["id"], data["level"], data["label"], Salience.from_dict(data["salience"]), Centre.from_dict(data["centre"]),
            data["core"], data["n_passages"], data["n_documents"], data["n_variants"], data["multi_variant_documents"],
            _seen_or_none(data["first_seen"]), _seen_or_none(data["last_seen"]),
            {p: PeriodCount.from_dict(c) for p, c in data["per_year"].items()},
            {p: PeriodCount.from_dict(c) for p, c in data["per_month"].items()},
            data["rise"], tuple(Variant.from_dict(v) for v in data["variants"]),
            tuple(SharedWording.from_dict(w) for w in data["shared"]), tuple(Member.from_dict(m) for m in data["members"]))


@dataclass(frozen=True, slots=True)
class MiningStats:
    passages: int  # passages of the level in the mined documents
    distinct_texts: int  # nodes: identical texts collapsed (phrase level: distinct recurring phrases)
    pairs: int  # candidate pairs at or above the threshold that may join a group
    components: int  # connected components of the similarity graph
    documents: int  # documents mined
    formulations: int

    def to_dict(self) -> dict:
        return _flat(self)

    @classmethod
    def from_dict(cls, data: dict) -> "MiningStats":
        return cls(data["passages"], data["distinct_texts"], data["pairs"], data["components"], data["documents"],
                   data["formulations"])


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """The index a result was computed from."""

    content_hash: str
    generation: str
    model: str | None = None  # None for lexical phrases, which use no vectors

    def to_dict(self) -> dict:
        data = {"content_hash": self.content_hash, "generation": self.generation}
        if self.model is not None:
            data["model"] = self.model
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "IndexInfo":
        return cls(data["content_hash"], data["generation"], data.get("model"))


@dataclass(frozen=True, slots=True)
class MiningResult:
    """Formulations mined with these parameters, most documents first, with what they were mined from."""

    params: MiningParams
    index: IndexInfo
    computed_at: str  # ISO time, UTC, to the second
    seconds: float
    stats: MiningStats
    period_totals: PeriodTotals
    rise_since: str | None  # the first day of the latest quarter of the dated documents (see Formulation.rise)
    formulations: tuple[Formulation, ...]

    def to_dict(self) -> dict:
        """The stored and printed JSON ("version" is what DIR/derived checks before it reuses a result)."""
        return {
            "kind": "recurring", "miner_version": MINER_VERSION, "params": self.params.as_dict(),
            "index": self.index.to_dict(), "computed_at": self.computed_at, "seconds": self.seconds,
            "stats": self.stats.to_dict(), "period_totals": self.period_totals.to_dict(), "rise_since": self.rise_since,
            "formulations": [f.to_dict() for f in self.formulations], "version": MINER_VERSION,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "MiningResult":
        if data.get("kind") != "recurring":
            raise ValueError(f"not a mining result: kind {data.get('kind')!r}")
        return cls(MiningParams.from_dict(data["params"]), IndexInfo.from_dict(data["index"]), data["computed_at"],
                   data["seconds"], MiningStats.from_dict(data["stats"]), PeriodTotals.from_dict(data["period_totals"]),
                   data["rise_since"], tuple(Formulation.from_dict(f) for f in data["formulations"]))


@dataclass(frozen=True, slots=True)
class PhraseRow:
    """A recurring word phrase: where and when it was used, and the sentence formulations that contain it."""

    phrase: str  # as first written, e.g. "people-first principle"
    words: str  # its words, lower case, space-separated
    n_words: int
    n_documents: int
    n_passages: int
    first_seen: Seen | None
    last_seen: Seen | None
    per_year: dict[str, int]  # documents per year
    formulations: tuple[str, ...]  # ids of sentence-level formulations whose members contain it
    passage_ids: tuple[str, ...]  # the sentences that hold it, in index order

    def to_dict(self) -> dict:
        return {
            "phrase": self.phrase, "words": self.words, "n_words": self.n_words, "n_documents": self.n_documents,
            "n_passages": self.n_passages, "first_seen": _dict_or_none(self.first_seen),
            "last_seen": _dict_or_none(self.last_seen), "per_year": dict(self.per_year),
            "formulations": list(self.formulations), "passage_ids": list(self.passage_ids),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "PhraseRow":
        return cls(data["phrase"], data["words"], data["n_words"], data["n_documents"], data["n_passages"],
                   _seen_or_none(data["first_seen"]), _seen_or_none(data["last_seen"]), dict(data["per_year"]),
                   tuple(data["formulations"]), tuple(data["passage_ids"]))


@dataclass(frozen=True, slots=True)
class PhrasesResult:
    params: PhraseParams
    index: IndexInfo
    phrases: tuple[PhraseRow, ...]  # most documents first

    def to_dict(self) -> dict:
        return {"kind": "phrases", "params": self.params.as_dict(), "index": self.index.to_dict(),
                "phrases": [p.to_dict() for p in self.phrases]}

    @classmethod
    def from_dict(cls, data: dict) -> "PhrasesResult":
        if data.get("kind") != "phrases":
            raise ValueError(f"not a phrases result: kind {data.get('kind')!r}")
        return cls(PhraseParams.from_dict(data["params"]), IndexInfo.from_dict(data["index"]),
                   tuple(PhraseRow.from_dict(p) for p in data["phrases"]))


def _flat(record) -> dict:
    """A record of plain values as a dict, in field order: dataclasses.asdict copies deeply, which took 87 s of
    storing a whole archive's 5M phrase-level members."""
    return {name: getattr(record, name) for name in record.__slots__}


def _dict_or_none(seen: Seen | None) -> dict | None:
    return seen.to_dict() if seen is not None else None


def _seen_or_none(data: dict | None) -> Seen | None:
    return Seen.from_dict(data) if data is not None else None
