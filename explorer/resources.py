"""The model and the open index: loaded once per server process and shared by every session.

The searcher is cached per (index folder, generation): when a rebuild publishes a new generation the
next rerun opens it, without a restart. The sample index is built here on first start, with a progress bar.
"""

from __future__ import annotations

import importlib
import json
import threading

import streamlit as st

from index.store import layout
from explorer.logic.config import AppConfig
from index.embed.encoder import load_encoder
from index.errors import IndexUnavailable, RefrainError
from explorer.logic.highlight import escape_markdown
from index.mining.map import FormulationMap, formulation_map
from index.mining.centres import centre_vectors as mining_centre_vectors
from index.mining.recurring import MiningParams, MiningResult, recurring
from explorer.logic.sample import build_sample_index, first_start_bar, has_index
from index.search import Searcher

from .context import Corpus

_BUILD_LOCK = threading.Lock()  # one first-start build per process; other sessions wait for it


@st.cache_resource(show_spinner=False)
def load_model(name: str):
    """The embedding model named by the index, loaded and warmed once per process."""
    encoder = load_encoder(name)
    encoder.encode(["warm up"])
    return encoder


@st.cache_resource(show_spinner=False, max_entries=4)
def open_index(root: str, generation: str, model: str | None) -> tuple[Searcher, Corpus]:
    searcher = Searcher(root, model=model)
    if searcher.generation != generation:  # published again while we opened it: the next rerun catches up
        raise IndexUnavailable(f"the index in {root} changed while it was being opened; reload the page")
    return searcher, Corpus.of(searcher)


def reload() -> None:
    open_index.clear()


def ensure_sample(config: AppConfig) -> None:
    """Build the bundled sample's index when it is missing, drawing the progress."""
    if not config.is_sample or has_index(config.index):
        return
    with _BUILD_LOCK:
        if has_index(config.index):
            return
        with st.status("First start: building the sample index…", expanded=True) as status:
            st.caption(f"48 invented speeches → {config.index}. This happens once; later starts open it at once.")
            bar = st.progress(0.0, text="Loading the language model…")

            def on_progress(event) -> None:
                fraction, message = first_start_bar(event)
                bar.progress(fraction, text=message)

            try:
                report = build_sample_index(config.index, cache_path=config.cache, on_progress=on_progress)
            except RefrainError as exc:
                status.update(label="Could not build the sample index", state="error")
                st.error(escape_markdown(str(exc)), icon=":material/error:")
                st.stop()
            status.update(label=f"Sample index ready: {report.documents} speeches, "
                                f"{report.passages['paragraph']:,} paragraphs, {report.passages['sentence']:,} sentences",
                          state="complete", expanded=False)


@st.cache_resource(show_spinner=False)
def _load_statistics() -> threading.Thread:
    """SciPy's statistics (the tests of the lineage and of the period comparison) take a second or two to import:
    loaded in the background once per server, not while a user waits for their first formulation."""
    thread = threading.Thread(target=importlib.import_module, args=("scipy.stats",), daemon=True,
                              name="refrain-load-scipy-stats")
    thread.start()
    return thread


def open_searcher(config: AppConfig) -> tuple[Searcher, Corpus]:
    """The open index for this rerun (reopened when a new generation was published); RefrainError if unusable."""
    _load_statistics()
    searcher, corpus = open_index(str(config.index), layout.live_generation(config.index).name, config.model)
    if searcher.is_stale():  # published between our check and now: take the new one
        searcher, corpus = open_index(str(config.index), layout.live_generation(config.index).name, config.model)
    with st.spinner("Loading the language model (once per server)…"):
        load_model(searcher.model_name)
        searcher.encoder  # checks the model against the index (dimension); RefrainError if it cannot load
    return searcher, corpus


# ---------------------------------------------------------------- recurring formulations (Recurring view)

MINED_PER_INDEX = 8  # results of different parameters kept in memory per index generation
_MINE_LOCKS: dict[tuple, threading.Lock] = {}
_MINE_LOCKS_GUARD = threading.Lock()


@st.cache_resource(show_spinner=False, max_entries=4)
def _mined_results(root: str, generation: str) -> dict[str, MiningResult]:
    """{parameters: result} for one index generation, shared by every session (newest last)."""
    return {}


def _params_key(params: MiningParams) -> str:
    return json.dumps(params.check().as_dict(), sort_keys=True)


def mined_in_memory(searcher: Searcher, params: MiningParams) -> MiningResult | None:
    return _mined_results(str(searcher.root), searcher.generation).get(_params_key(params))


def mined(searcher: Searcher, params: MiningParams, progress=None) -> MiningResult:
    """The formulations for these parameters: from memory, else DIR/derived, else mined now (one mining of
    the same parameters at a time per process; other sessions asking for it wait and share the result).

    Mining runs in the script thread with the explorer's one FAISS/torch thread (index/interactive.py), left
    as it is: torch's count is process-wide (raising it would slow every other session's queries), and on
    the loaded 2-core machine one thread was no slower. KCNA 2024 (9,298 sentences) mined at sentence level
    in 1.3-5.6 s with one OpenMP thread, 1.8-2.4 s with two; embedding 1,500 of its 5,151 recurring phrases
    (phrase level, first time only) took 5-6 s with one torch thread, 13-41 s with two. The result is kept in
    memory and in DIR/derived, and phrase embeddings in the index's embedding cache."""
    held = _mined_results(str(searcher.root), searcher.generation)
    key = _params_key(params)
    with _MINE_LOCKS_GUARD:
        lock = _MINE_LOCKS.setdefault((str(searcher.root), searcher.generation, key), threading.Lock())
    with lock:
        found = held.get(key)
        if found is None:
            found = recurring(searcher, params, progress)
            held[key] = found
            while len(held) > MINED_PER_INDEX:
                held.pop(next(iter(held)))
    return found


# ---------------------------------------------------------------- the map of formulations (Map view)

@st.cache_resource(show_spinner=False, max_entries=MINED_PER_INDEX)
def _formulation_map(root: str, generation: str, params_key: str, _searcher: Searcher, _result: MiningResult) -> FormulationMap:
    return formulation_map(_searcher, _result)


def mapped(searcher: Searcher, result: MiningResult) -> FormulationMap:
    """The map of a mining's formulations: from memory, else DIR/derived, else computed now (once per process:
    Streamlit makes other sessions asking for the same map wait for it)."""
    return _formulation_map(str(searcher.root), searcher.generation, _params_key(result.params), searcher, result)


@st.cache_resource(show_spinner=False, max_entries=MINED_PER_INDEX)
def _centre_vectors(root: str, generation: str, params_key: str, _searcher: Searcher, _result: MiningResult):
    return mining_centre_vectors(_searcher, _result)


def centre_vectors(searcher: Searcher, result: MiningResult):
    """The vectors of a mining's formulation centres (where the Map places search hits)."""
    return _centre_vectors(str(searcher.root), searcher.generation, _params_key(result.params), searcher, result)
