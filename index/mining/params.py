"""What a mining is asked for: levels, thresholds, minimum documents, the mined documents, and how results rank.

The parameters are part of a stored result's key (DIR/derived) and are printed with it, so as_dict() keeps the
order and values that the JSON has always had.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from index.errors import RefrainError
from index.levels import MINING_LEVELS

if TYPE_CHECKING:
    from index.search import Filters

__all__ = ["MINING_LEVELS", "DEFAULT_THRESHOLDS", "DEFAULT_MIN_DOCS", "CORE_SHARE", "LATEST_SHARE", "SORTS",
           "MiningParams", "PhraseParams"]

# Cosine thresholds per level; the evidence is in README.md ("Recurring formulations").
DEFAULT_THRESHOLDS = {"sentence": 0.80, "paragraph": 0.80, "phrase": 0.75}
DEFAULT_MIN_DOCS = 3
CORE_SHARE = 0.8  # a word is core wording when at least this share of a formulation's variants use it
LATEST_SHARE = 0.25  # "rising" compares the latest quarter of the mined documents (by date) with the rest
SORTS = ("salience", "docs", "first", "last", "rising")  # the first is the default

Meta = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class MiningParams:
    level: str = "sentence"
    threshold: float | None = None  # None: the level's default
    min_docs: int = DEFAULT_MIN_DOCS
    date_from: str | None = None  # restrict the corpus that is mined
    date_to: str | None = None
    meta: Meta = ()

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
        return _filters(self.date_from, self.date_to, self.meta)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["meta"] = _meta_dict(self.meta)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "MiningParams":
        return cls(data["level"], data["threshold"], data["min_docs"], data["date_from"], data["date_to"],
                   _meta_pairs(data["meta"]))


@dataclass(frozen=True)
class PhraseParams:
    """Lexical phrases: found in at least min_docs of the documents the dates and metadata allow."""

    min_docs: int = DEFAULT_MIN_DOCS
    date_from: str | None = None
    date_to: str | None = None
    meta: Meta = ()

    @property
    def filters(self) -> "Filters":
        return _filters(self.date_from, self.date_to, self.meta)

    def as_dict(self) -> dict:
        return {"min_docs": self.min_docs, "date_from": self.date_from, "date_to": self.date_to,
                "meta": _meta_dict(self.meta)}

    @classmethod
    def from_dict(cls, data: dict) -> "PhraseParams":
        return cls(data["min_docs"], data["date_from"], data["date_to"], _meta_pairs(data["meta"]))


def _filters(date_from: str | None, date_to: str | None, meta: Meta) -> "Filters":
    from index.search import Filters

    return Filters.make(date_from, date_to, (), _meta_dict(meta))


def _meta_dict(meta: Meta) -> dict[str, list[str]]:
    return {k: list(v) for k, v in meta}


def _meta_pairs(meta: dict[str, list[str]]) -> Meta:
    return tuple((k, tuple(v)) for k, v in meta.items())
