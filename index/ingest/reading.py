"""Reading a build's sources in worker processes (index/workers.py), records taken back in file order.

Files are handed to workers a few at a time and their records and problems come back in the order one process
would read them, so the documents, their ids and the problems a build reports never depend on the number of
workers. A small corpus (fewer than PARALLEL_FILES files) is read in this process unless --workers asks for more:
starting workers costs about a second, more than reading a few hundred files.
"""

from __future__ import annotations

from index.errors import RefrainError
from index.ingest.records import InputFile, Problem, ReadOptions, Record, input_files, read_input
from index.workers import WorkerPool, Workers

FILES_PER_TASK = 8  # files a worker reads per task: enough to outweigh the hand-over of one task
PARALLEL_FILES = 256  # fewer files are read in this process unless --workers asks otherwise (a UN speech: ~2 ms)


def read_records(sources: list[str], options: ReadOptions, strict: bool,
                 workers: Workers) -> tuple[list[Record], list[Problem]]:
    """Every record and problem of the sources, in order; --strict stops at the first skipped record."""
    records: list[Record] = []
    problems: list[Problem] = []
    files = list(input_files(sources, options))
    tasks = [files[i:i + FILES_PER_TASK] for i in range(0, len(files), FILES_PER_TASK)]
    with WorkerPool(workers.for_work(len(tasks), len(files), PARALLEL_FILES), _Reader, (options,)) as pool:
        for items in pool.map(_read_files, tasks):
            for item in items:
                if isinstance(item, Problem):
                    if strict and item.skipped:
                        raise RefrainError(f"--strict: {item}")
                    problems.append(item)
                else:
                    records.append(item)
    if not records:
        detail = f"; first problem: {problems[0]}" if problems else ""
        raise RefrainError(f"no readable documents in {', '.join(sources)} ({len(problems)} problems){detail}")
    return records, problems


class _Reader:
    """A worker's reading state: the read options."""

    def __init__(self, options: ReadOptions):
        self.options = options


def _read_files(reader: _Reader, files: list[tuple[InputFile, str]]) -> list[Record | Problem]:
    """The records and problems of some files, in order. Runs in a worker."""
    return [item for file, fmt in files for item in read_input(file, fmt, reader.options)]
