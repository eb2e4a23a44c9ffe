"""What every view draws from: the open searcher, the corpus's document list and facets, the current state."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from index.app_config import AppConfig
from index.search import Filters, Searcher
from index.viewstate import ViewState


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

    def label(self, doc_id: str | None) -> str:
        doc = self.by_id.get(doc_id or "")
        if doc is None:
            return str(doc_id)
        title = doc["title"] if len(doc["title"]) <= 90 else doc["title"][:89] + "…"
        return f"{doc['date'] or 'undated'} · {title}"


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
