"""pandas DataFrames of Refrain's results, for notebooks and analysts' own tools, and Parquet files of them.

Each function takes what the library already returns (a Searcher's hits and documents, a MiningResult or some of
its formulations, a PhrasesResult) and gives one row per thing, in the order the library gives them, with the
columns its docstring lists (README, "Use from Python", has them all). The tables join on their ids: a member's or
variant's `formulation` is a formulation's `id`; `passage_id` and `doc_id` open in the explorer and the CLI.

Dates stay the text Refrain stores ("2020", "2024-07", "2024-07-14"): a speech dated by its year is not pretended
to be 1 January. `year` (its first four digits, nullable) is there for grouping. Metadata becomes one column per
field, `meta_<field>`, holding the list of that document's values (a KCNA story merged from several topics has
several). Parquet files are written with pyarrow, atomically, lists kept as lists.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from index.errors import RefrainError
from index.export import formulation_rows, member_rows, phrase_rows
from index.mining.types import Formulation, MiningResult, PeriodCount, PeriodTotals, PhrasesResult

if TYPE_CHECKING:
    from index.filters import Filters
    from index.search import Hit, Searcher

HIT_COLUMNS = ("rank", "score", "passage_id", "doc_id", "title", "date", "year", "level", "ordinal", "start", "end",
               "text")
DOCUMENT_COLUMNS = ("doc_id", "title", "date", "year", "copies")
FORMULATION_COLUMNS = ("id", "level", "documents", "passages", "variants", "first_seen", "first_doc", "last_seen",
                       "last_doc", "rise", "core", "centre")
VARIANT_COLUMNS = ("formulation", "text", "passages", "documents", "similarity", "first_seen", "last_seen", "text_hash")
MEMBER_COLUMNS = ("formulation", "passage_id", "doc_id", "title", "date", "year", "similarity", "variant", "text")
PERIOD_COLUMNS = ("formulation", "period", "documents", "passages", "share", "period_documents")
PHRASE_COLUMNS = ("phrase", "words", "documents", "passages", "first_seen", "last_seen", "formulations")
_NO_PERIODS = PeriodTotals({}, {}, 0)


def hits_frame(hits: Iterable[Hit]) -> pd.DataFrame:
    """One row per hit of search, similar, phrase or matching, best first: rank (from 1), score (cosine; empty for
    phrase hits), passage_id, doc_id, title, date, year, level, ordinal (the passage's place in its document),
    start and end (character offsets in the document), text, and meta_<field> for every metadata field."""
    rows = []
    for rank, hit in enumerate(hits, start=1):
        row = asdict(hit)
        meta = row.pop("meta") or {}
        rows.append({"rank": rank, **row, "year": _year(hit.date), **_meta_columns(meta)})
    return _frame(rows, HIT_COLUMNS, numeric=("score",))


def documents_frame(searcher: Searcher, filters: Filters | None = None) -> pd.DataFrame:
    """Every document of the index (those passing `filters`, when given), oldest first: doc_id, title, date, year,
    copies (how many records were merged into it), meta_<field>."""
    rows = [{"doc_id": d["doc_id"], "title": d["title"], "date": d["date"], "year": _year(d["date"]),
             "copies": d["copies"], **_meta_columns(d["meta"])} for d in searcher.documents(filters)]
    return _frame(rows, DOCUMENT_COLUMNS)


def formulations_frame(formulations: MiningResult | Iterable[Formulation]) -> pd.DataFrame:
    """One row per formulation (a MiningResult's, or a selection such as index.mining.select's): id, level,
    documents, passages, variants (counts), first_seen and last_seen (dates) with first_doc and last_doc, rise,
    core (the wording the variants share) and centre (the text every member is within the threshold of)."""
    return _frame(list(formulation_rows(_formulations(formulations), _NO_PERIODS)), FORMULATION_COLUMNS, numeric=("rise",))


def variants_frame(formulations: MiningResult | Iterable[Formulation]) -> pd.DataFrame:
    """One row per distinct wording of each formulation: formulation (its id), text, passages and documents using
    it, similarity (cosine to the centre), first_seen, last_seen, text_hash."""
    rows = [{"formulation": f.id, **v.to_dict()} for f in _formulations(formulations) for v in f.variants]
    return _frame(rows, VARIANT_COLUMNS, numeric=("similarity",))


def members_frame(formulations: MiningResult | Iterable[Formulation]) -> pd.DataFrame:
    """One row per member passage of each formulation, in date order: formulation, passage_id, doc_id, title, date,
    year, similarity (cosine to the centre), variant (the wording it holds; at phrase level the phrase inside the
    sentence), text. Every count in the other tables is computed from these rows."""
    rows = [{**row, "year": _year(row["date"])} for row in member_rows(_formulations(formulations))]
    return _frame(rows, MEMBER_COLUMNS, numeric=("similarity",))


def periods_frame(result: MiningResult, by: str = "year",
                  formulations: Iterable[Formulation] | None = None) -> pd.DataFrame:
    """Counts per period for each formulation (all of the result's, or those given), over every period of the mined
    documents, zeros included so that a line over time drops where a formulation is absent: formulation, period
    ("2024" or "2024-07"), documents and passages using it, share (of the period's documents using it; 0.0 for a
    period without documents), period_documents (all mined documents of the period). Undated members count in
    no period. by: "year" or "month"."""
    if by not in ("year", "month"):
        raise RefrainError(f"periods are counted by 'year' or 'month', not {by!r}")
    totals = result.period_totals.per(by)
    rows = []
    for f in result.formulations if formulations is None else formulations:
        counts = f.counts(by)
        for period, n_documents in sorted(totals.items()):
            count = counts.get(period) or PeriodCount.of(0, 0, n_documents)
            rows.append({"formulation": f.id, "period": period, **count.to_dict(), "period_documents": n_documents})
    return _frame(rows, PERIOD_COLUMNS, numeric=("share",))


def phrases_frame(phrases: PhrasesResult | Iterable) -> pd.DataFrame:
    """One row per recurring word phrase: phrase, words (how many), documents, passages, first_seen, last_seen,
    formulations (space-separated ids of the sentence formulations whose members contain it)."""
    return _frame(phrase_rows(phrases.phrases if isinstance(phrases, PhrasesResult) else phrases), PHRASE_COLUMNS)


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to a Parquet file with pyarrow (lists stay lists), replacing `path` atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RefrainError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def _formulations(formulations: MiningResult | Iterable[Formulation]) -> list[Formulation]:
    return list(formulations.formulations if isinstance(formulations, MiningResult) else formulations)


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date and date[:4].isdigit() else None


def _meta_columns(meta: dict[str, list[str]]) -> dict[str, list[str]]:
    return {f"meta_{name}": list(values) for name, values in meta.items()}


def _frame(rows: list[dict], columns: tuple[str, ...], numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows as a frame: the listed columns first (present even when there are no rows), then meta_<field>
    columns in name order (an empty list where a row's document has no value); year as a nullable integer."""
    extra = sorted({name for row in rows for name in row if name.startswith("meta_")})
    frame = pd.DataFrame(rows, columns=[*columns, *extra])
    for name in extra:
        frame[name] = [value if isinstance(value, list) else [] for value in frame[name]]
    if "year" in frame:
        frame["year"] = frame["year"].astype("Int64")
    for name in numeric:
        frame[name] = frame[name].astype("float64")
    return frame
