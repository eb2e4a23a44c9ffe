"""Worker processes for the build's CPU-bound stages (reading files, segmenting documents), in task order.

`--workers N` (BuildSettings.workers) says how many; the default is the number of CPUs this process may use.
Tasks are handed out in order and their results taken back in the same order, and with one worker the same
functions run in this process: a build's results never depend on the number of workers.

Each worker holds one state object, made once by a factory (a segmenter with its tokenizer, say) and passed to
every task. Workers are forked from multiprocessing's fork server, not from the build's process: that process may
hold threads (a web server's, torch's) that a plain fork copies in a broken state, and the fork server, started
once per process with the workers' modules imported, makes every later pool quick to start. Workers ignore
Ctrl-C: the build's process stops them.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from index.errors import RefrainError

_state: Any = None  # the worker's state object (in a worker process)


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Workers:
    """How many worker processes a build may use, and whether the user asked for that many."""

    count: int
    asked: bool

    def for_work(self, tasks: int, size: int, worth: int) -> int:
        """How many to use for `tasks` tasks of `size` in all: one for a single task, or (unless the user asked
        for workers) for less work than `worth`, where starting them (about a second) would cost more than
        they save."""
        if tasks < 2 or (not self.asked and size < worth):
            return 1
        return min(self.count, tasks)


def worker_count(requested: int | None) -> Workers:
    """The workers a build uses: as many as asked for, else one per available CPU."""
    if requested is None:
        return Workers(available_cpus(), False)
    if requested < 1:
        raise RefrainError("--workers must be at least 1")
    return Workers(requested, True)


def _start(factory: Callable[..., Any], args: tuple) -> None:
    global _state
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _state = factory(*args)


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_state, task)


class WorkerPool:
    """`workers` processes (or this one, for one worker), each with the state factory(*args) made once.

        with WorkerPool(4, Segmenting, (job,)) as pool:
            for result in pool.map(segment_batch, batches):   # results in the order of batches
                ...
    """

    def __init__(self, workers: int, factory: Callable[..., Any], args: tuple = ()):
        self.workers = workers
        self._factory = factory
        self._args = args
        self._executor: ProcessPoolExecutor | None = None
        self._state: Any = None

    def __enter__(self) -> "WorkerPool":
        if self.workers > 1:
            context = _context(self._factory.__module__)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start,
                                                 initargs=(self._factory, self._args))
        else:
            self._state = self._factory(*self._args)
        return self

    def __exit__(self, *exc) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._state = None

    def map(self, fn: Callable[[Any, Any], Any], tasks: Iterable, window: int | None = None) -> Iterator:
        """fn(state, task) for every task, in task order; at most `window` tasks (default 3 per worker) in flight,
        so tasks are read from `tasks` only as fast as results are taken."""
        if self._executor is None:
            for task in tasks:
                yield fn(self._state, task)
            return
        window = window or 3 * self.workers
        pending: deque[Future] = deque()
        try:
            for task in tasks:
                pending.append(self._executor.submit(_call, fn, task))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool:
            raise RefrainError(f"a worker process died (out of memory, or killed); build again with fewer --workers, "
                               "or --workers 1 (a script that calls build_index needs an `if __name__ == "
                               "'__main__':` guard to run workers)") from None


def _context(module: str):
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([module])  # effective when the fork server starts (once per process)
    return context
