"""What every view draws from: the open searcher, the corpus's document list and facets, the current state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from explorer.logic.config import AppConfig
from index.search import Filters, Searcher
from index.textnorm import clip
from explorer.logic.viewstate import ViewState


@dataclass
class Corpus:
    """Read-only lists about one index generation, shared by every session (cached per generation)."""

    documents: list[dict]
    by_id: dict[str, dict]
    facets: dict

    @staticmethod
    def of(searcher: Searcher) -> "Corpus":
        documents = searcher.documents()
        return Corpus(documents, {d["doc_id"]: d for d in documents}, searcher.facets())

    @property
    def span(self) -> tuple[str, str] | None:
        """The first and last day (ISO) of the corpus's dates; None when no document is dated."""
        if self.facets.get("date_min") and self.facets.get("date_max"):
            return self.facets["date_min"][:10], self.facets["date_max"][:10]
        return None

    @property
    def days(self) -> tuple[dt.date, dt.date] | None:
        """The span as dates, for the date pickers' bounds."""
        return None if self.span is None else (dt.date.fromisoformat(self.span[0]), dt.date.fromisoformat(self.span[1]))

    def label(self, doc_id: str | None) -> str:
        doc = self.by_id.get(doc_id or "")
        if doc is None:
            return str(doc_id)
        return f"{doc['date'] or 'undated'} · {clip(doc['title'], 90)}"


@dataclass
class Context:
    config: AppConfig
    searcher: Searcher
    corpus: Corpus
    state: ViewState

    @cached_property
    def filters(self) -> Filters:
        return self.state.filters()

    @property
    def is_sample(self) -> bool:
        return self.config.is_sample
