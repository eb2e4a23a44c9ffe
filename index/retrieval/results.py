"""What a search or an exact-phrase lookup returns beside its hits: the counts that make the list trustworthy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Hit:
    """One passage found by a query, with its document's title, date and metadata, and its score."""

    passage_id: str
    doc_id: str
    title: str
    date: str | None
    meta: dict[str, list[str]]
    level: str
    ordinal: int
    score: float | None
    text: str
    start: int
    end: int
    match: str | None = None  # why a search hit matched: verbatim, words or meaning (index.retrieval.fusion)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    """Hits of `search`, best first, and what k and the minimum score left out."""

    hits: list["Hit"]
    mode: str
    k: int
    min_score: float | None
    per_document: bool
    verbatim_total: int  # passages allowed by the filters that contain the query as a phrase
    verbatim_documents: int
    below_min: int  # hits of the top k left out because their cosine is below min_score (never verbatim ones)
    boilerplate: list["BoilerplateMatch"] = field(default_factory=list)  # boilerplate lines holding the query

    @property
    def verbatim_shown(self) -> int:
        return sum(h.match == "verbatim" for h in self.hits)

    def summary(self) -> str:
        """'17 shown · 13 more below 0.40 · 13 of 13 verbatim passages shown', as the CLI and explorer print it."""
        shown = len(self.hits)
        parts = [f"{shown} shown"]
        if self.below_min:
            parts.append(f"{self.below_min} more below {self.min_score:.2f}")
        if self.verbatim_total:
            unit = "passage" if self.verbatim_total == 1 else "passages"
            if self.per_document:
                parts.append(f"verbatim in {self.verbatim_documents} document{'s' if self.verbatim_documents != 1 else ''}")
            else:
                parts.append(f"{self.verbatim_shown} of {self.verbatim_total} verbatim {unit} shown")
            missing = self.verbatim_total - self.verbatim_shown
            if missing and not self.per_document and len(self.hits) + self.below_min >= self.k:
                parts.append(f"{missing} more beyond k = {self.k}")
        return " · ".join(parts)


@dataclass(frozen=True)
class BoilerplateMatch:
    """A boilerplate line (left out of passages) that contains the phrase, and the documents holding it."""

    line: str
    doc_ids: tuple[str, ...]


@dataclass
class PhraseResult:
    """One page of exact-phrase hits and the totals over all of them."""

    hits: list["Hit"]
    total: int  # passages containing the phrase (allowed by the filters)
    documents: int  # documents holding them
    offset: int
    sort: str
    boilerplate: list[BoilerplateMatch] = field(default_factory=list)

    def summary(self, level: str) -> str:
        """'13 passages in 10 documents · 1–10 shown, newest first'."""
        unit = level if self.total == 1 else f"{level}s"
        text = f"{self.total:,} {unit} in {self.documents:,} document{'s' if self.documents != 1 else ''}"
        if self.hits:
            first, last = self.offset + 1, self.offset + len(self.hits)
            text += f" · {first:,}–{last:,} shown" if (first, last) != (1, self.total) else " · all shown"
            text += {"oldest": ", oldest first", "newest": ", newest first", "relevance": ", best match first"}[self.sort]
        return text
