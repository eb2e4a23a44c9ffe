"""The one place that writes an index generation: database, vectors, document rows, FAISS indexes, manifest.

A GenerationWriter creates a new generation folder beside the live one and fills it step by step:
documents, then each level, then `finish` (full-text index, manifest). Used as a context manager it
deletes the half-written folder when a step fails, and turns a full disk or a vanished folder into a
clear error; the live index is never touched until `publish` makes the new generation live with one
atomic rename (layout.publish). Every step is reported to the build's listener (index/progress.py).
What it writes is exactly what index/store/reader.py opens and checks; the build and the 1M-passage
benchmark both write through it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

import faiss
import numpy as np

from index import FORMAT_VERSION
from index.errors import IndexUnavailable, RefrainError
from index.ingest.language import WITHIN_WORDS
from index.levels import LEVELS
from index.progress import BuildProgress, Progress, ignore
from index.store import ann, database, layout
from index.store.vectorfile import BLOCK, VectorFile, write_vectors


class GenerationWriter:
    """Writes one new generation of the index in `root`.

        with GenerationWriter(root, on_progress) as writer:
            writer.add_documents(documents, copies, doc_meta)
            for level in LEVELS:
                writer.add_level(level, passages, vectors, doc_rows, spec)
            writer.finish(model=..., content_hash=..., counts=..., sources=..., settings=...)
        writer.publish()

    Rows are the database's own (index/store/database.py): documents and passages in row order.
    """

    def __init__(self, root: str | Path, on_progress: Progress | None = None, base: Path | None = None):
        """base: a generation to extend (index/growth.py): its rows, vectors and FAISS entries are kept as they
        are and what is added goes after them; its own folder is only read."""
        self.root = Path(root)
        self.path: Path | None = None
        self.manifest: dict | None = None
        self._report = on_progress or ignore
        self._conn = None
        self._documents = 0
        self._levels: dict[str, dict] = {}
        self._base = Path(base) if base is not None else None
        self._base_levels: dict[str, dict] = {}

    def __enter__(self) -> "GenerationWriter":
        try:
            self.path = layout.new_generation(self.root)
            self._step("generation-created")
            if self._base is None:
                self._conn = database.create(self.path / layout.DATABASE)
            else:
                manifest = json.loads((self._base / layout.MANIFEST).read_text(encoding="utf-8"))
                self._base_levels = manifest["levels"]
                shutil.copyfile(self._base / layout.DATABASE, self.path / layout.DATABASE)
                self._conn = database.open_for_writing(self.path / layout.DATABASE)
                self._step("database-copied")
        except BaseException as exc:
            self._fail(exc)
            raise
        return self

    def rows_before(self, level: str) -> int:
        """Rows the level already has: the base generation's when extending one, else none."""
        return self._base_levels.get(level, {}).get("rows", 0)

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None:
            self._fail(exc)
        return False

    def _fail(self, exc: BaseException) -> None:
        """Delete what was written; a full disk or a vanished folder becomes a clear error."""
        self.discard()
        if isinstance(exc, OSError):
            raise RefrainError(f"cannot write the new index in {self.root}: {exc.strerror or exc}; "
                               "the previous index is unchanged") from None

    def _step(self, stage: str, count: int = 1) -> None:
        self._report(BuildProgress(stage, count, count))

    def add_documents(self, documents: list[tuple], copies: Iterable[tuple], doc_meta: Iterable[tuple]) -> None:
        """Documents (row i has ord i), every copy of each, and the (field, value, doc_id) metadata rows."""
        database.insert_documents(self._conn, documents)
        database.insert_copies(self._conn, copies)
        database.insert_doc_meta(self._conn, doc_meta)
        self._documents = len(documents)
        self._step("sqlite-rows", self._documents)

    def add_level(self, level: str, passages: Iterable[tuple], vectors: np.ndarray, doc_rows: np.ndarray, spec: dict,
                  index: faiss.Index | None = None) -> None:
        """One level: its passage rows (row i has vector i), vectors, each row's document ord, and the FAISS
        index that spec names, built here unless the caller already built `index` from these vectors."""
        self._check_new(level)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._insert(level, passages, len(vectors), doc_rows)
        np.save(self.path / layout.vectors_file(level), vectors, allow_pickle=False)
        self._finish_level(level, len(vectors), vectors, doc_rows, spec, index)

    def add_level_blocks(self, level: str, passages: Iterable[tuple], blocks: Iterable[tuple[int, np.ndarray]],
                         shape: tuple[int, int], doc_rows: np.ndarray, spec: dict) -> None:
        """One level whose vectors arrive as (first row, block) in order: written block by block into the vectors
        file, and the FAISS index filled from that file, so the level's matrix is never whole in memory.
        Extending a generation, the arguments are the added rows only (numbered after rows_before), and the
        base's FAISS index takes the new vectors without retraining when it still suits the level (ann.can_grow)."""
        self._check_new(level)
        before = self.rows_before(level)
        rows = before + shape[0]
        path = self.path / layout.vectors_file(level)
        old = VectorFile(self._base / layout.vectors_file(level)) if before else None
        kept = (old[start:min(start + BLOCK, before)] for start in range(0, before, BLOCK))
        write_vectors(path, (rows, shape[1]), chain(kept, _in_order(level, blocks, shape[0])))
        vectors = VectorFile(path)
        self._insert(level, passages, shape[0], doc_rows)
        index = None
        if before:
            doc_rows = np.concatenate([np.load(self._base / layout.doc_rows_file(level), allow_pickle=False), doc_rows])
            base_spec = self._base_levels[level]["faiss"]
            if ann.can_grow(base_spec, spec):
                index = faiss.read_index(str(self._base / layout.faiss_file(level)))
                ann.add_vectors(index, vectors, before)
                spec = base_spec
        self._finish_level(level, rows, vectors, doc_rows, spec, index)

    def _check_new(self, level: str) -> None:
        if level not in LEVELS or level in self._levels:
            raise ValueError(f"level {level!r} is unknown or written twice")

    def _insert(self, level: str, passages: Iterable[tuple], rows: int, doc_rows: np.ndarray) -> None:
        """The level's passage rows into SQLite; their number must match the vectors and document rows."""
        inserted = _count(passages)
        database.insert_passages(self._conn, inserted)
        if inserted.n != rows or np.shape(doc_rows) != (rows,):
            raise ValueError(f"{level}: {inserted.n} passages, {rows} vectors and {len(doc_rows)} document rows")

    def _finish_level(self, level: str, rows: int, vectors: np.ndarray | VectorFile, doc_rows: np.ndarray, spec: dict,
                      index: faiss.Index | None) -> None:
        np.save(self.path / layout.doc_rows_file(level), np.ascontiguousarray(doc_rows, dtype=np.int32),
                allow_pickle=False)
        self._step(f"vectors-{level}", rows)
        if index is None:
            index = ann.build_faiss(vectors, spec)
        elif index.ntotal != rows or (rows and index.d != vectors.shape[1]):
            raise ValueError(f"{level}: the given FAISS index holds {index.ntotal} vectors of dimension {index.d}")
        faiss.write_index(index, str(self.path / layout.faiss_file(level)))
        self._step(f"faiss-{level}", index.ntotal)
        self._levels[level] = {"rows": rows, "faiss": spec}

    def finish(self, *, model: dict, content_hash: str, counts: dict, sources: list[str], settings: dict,
               boilerplate: list[tuple[str, int]] = (), problems: Iterable[tuple] = (), language: dict | None = None,
               segmentation: str | None = None) -> dict:
        """Complete the generation: boilerplate lines and (source, locator, reason, skipped) problems, the
        full-text index, then the manifest. Returns the manifest."""
        missing = [level for level in LEVELS if level not in self._levels]
        if missing:
            raise ValueError(f"levels not written: {', '.join(missing)}")
        trigram = language is not None and language.get("code") in WITHIN_WORDS
        grown = ({level: (self.rows_before(level), self._levels[level]["rows"]) for level in LEVELS}
                 if self._base is not None else None)
        database.finish(self._conn, list(boilerplate), problems, trigram=trigram, grown=grown)
        self._conn = None
        self._step("sqlite-finished")
        self.manifest = {
            "format_version": FORMAT_VERSION,
            "generation": self.path.name,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "model": model,
            "content_hash": content_hash,
            "counts": counts,
            "levels": {level: self._levels[level] for level in LEVELS},
            "sources": sources,
            "settings": settings,
        }
        if language is not None:
            self.manifest["language"] = language  # the corpus language: which splitter and stop words were used
        if segmentation is not None:
            self.manifest["segmentation"] = segmentation  # the rules' and the splitter's versions
        (self.path / layout.MANIFEST).write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        self._step("manifest-written")
        return self.manifest

    def publish(self) -> None:
        """Make the finished generation live, then delete generations other than it and the previous one
        (readers may still use that one; older ones are leftovers)."""
        if self.manifest is None:
            raise ValueError("publish() before finish()")
        previous = _live_name(self.root)
        layout.publish(self.root, self.path, before_rename=lambda: self._step("current-tmp-written"))
        self._step("published")
        layout.collect_garbage(self.root, keep={self.path.name, previous or self.path.name})
        self._step("collected")

    def record_build(self, build: dict) -> None:
        """Add what the build measured (known only after publishing) to the manifest."""
        self.manifest["build"] = build
        rewrite_manifest(self.path, self.manifest)

    def discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def rewrite_manifest(generation: Path, manifest: dict) -> None:
    """Replace a (possibly live) generation's manifest atomically: only informational or search-time fields
    may change this way (build timings, a FAISS index's probe count), never what the files hold."""
    tmp = generation / (layout.MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(generation / layout.MANIFEST)


def _in_order(level: str, blocks: Iterable[tuple[int, np.ndarray]], rows: int) -> Iterator[np.ndarray]:
    """The blocks' vectors, checked to arrive in row order and to add up to `rows`."""
    filled = 0
    for start, block in blocks:
        if start != filled or start + len(block) > rows:
            raise ValueError(f"{level}: a block of {len(block)} vectors at row {start} after {filled} rows")
        filled += len(block)
        yield block
    if filled != rows:
        raise ValueError(f"{level}: {filled} vectors written of {rows}")


class _count:
    """An iterable that counts what passes through it."""

    def __init__(self, items: Iterable):
        self.items = items
        self.n = 0

    def __iter__(self) -> Iterator:
        for item in self.items:
            self.n += 1
            yield item


def _live_name(root: Path) -> str | None:
    try:
        live = layout.current_generation(root)
    except IndexUnavailable:
        return None
    return live.name if live else None
