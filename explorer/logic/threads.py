"""Thread settings for interactive use (the explorer): one short query at a time wants one thread.

A single query gains nothing from intra-op parallelism, and on a busy machine the spinning OpenMP
workers make it much slower. Measured on a loaded 2-core machine: embedding a query with MiniLM took
730 ms with 2 torch threads and 22 ms with 1; a flat FAISS search over 8k vectors 190 ms with 2
OpenMP threads and 1.3 ms with 1. Builds and batch jobs keep the libraries' defaults.
"""

from __future__ import annotations

import sys

QUERY_THREADS = 1


def use_single_query_threads() -> None:
    """Call at the start of every request (every Streamlit script run).

    torch's thread count is process-wide and only set once torch is loaded (an index built with the hashing
    encoder never loads it). FAISS's OpenMP count belongs to the calling thread: every query sets it for its own
    thread (index/store/ann.py use_one_thread), so nothing is needed here.
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != QUERY_THREADS:
        torch.set_num_threads(QUERY_THREADS)
