"""The bundled sample corpus and its index, built on the explorer's first start with visible progress.

A new user's first command must end in a working explorer, so when the default index is missing it is
built from explorer/sample/corpus with the default model. The build is the ordinary `build_index`, and the
bar listens to the build's own progress events (index/progress.py): `first_start_bar` turns each event,
with its exact counts, into the bar's fraction and message.
"""

from __future__ import annotations

import os
from itertools import accumulate
from pathlib import Path

from index.build import BuildReport, BuildSettings, build_index
from index.embed.encoder import DEFAULT_MODEL, Encoder, load_encoder
from index.errors import IndexUnavailable
from index.ingest.records import ReadOptions
from index.progress import COUNTED, STAGES, BuildProgress, Progress
from index.store import layout

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample"  # package data: found wherever Refrain is installed
SAMPLE_CORPUS = SAMPLE_DIR / "corpus"
GROUND_TRUTH = SAMPLE_DIR / "ground_truth.json"
KOREAN_SAMPLE = SAMPLE_DIR / "korean" / "corpus.jsonl"  # invented Korean speeches (JSONL), for Korean reading
KOREAN_GROUND_TRUTH = SAMPLE_DIR / "korean" / "ground_truth.json"
# Built on first start in the user's cache folder: an installed package's own folder may be read-only.
DEFAULT_SAMPLE_INDEX = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "refrain" / "sample-index"
# Paraphrases (not the corpus's wording) of recurring formulations: a first search shows matching by meaning.
SAMPLE_QUERIES = (
    "the people and the Party are united",
    "the army protects our children",
    "young people continue the founders' work",
    "outside pressure will not change our will",
)
BUILD_WAIT_SECONDS = 600.0  # a second explorer process starting at the same moment waits for the first build

# How much of the first-start bar each stage fills: embedding is most of a fresh build's time.
_WIDTH = {stage: {"read": 2, "segmenting": 10, "embedding": 75}.get(stage, 1) for stage in STAGES}
_START = dict(zip(STAGES, accumulate([0, *_WIDTH.values()])))
_TOTAL = sum(_WIDTH.values())


def first_start_bar(progress: BuildProgress) -> tuple[float, str]:
    """The bar's fraction (0..1, never going back as the build advances) and message for a build event."""
    share = progress.done / progress.total if progress.stage in COUNTED and progress.total else 1.0
    return (_START[progress.stage] + _WIDTH[progress.stage] * share) / _TOTAL, _message(progress)


def _message(p: BuildProgress) -> str:
    if p.stage == "locked":
        return "Reading the speeches…"
    if p.stage == "read":
        return f"Read {p.done:,} speeches; cutting them into paragraphs and sentences…"
    if p.stage == "segmenting":
        return f"Cutting speeches into paragraphs and sentences… {p.done:,} of {p.total:,}"
    if p.stage == "segmented":
        return f"{p.done:,} passages; embedding them…"
    if p.stage == "embedding":
        return f"Embedding passages… {p.done:,} of {p.total:,}"
    if p.stage in ("published", "collected"):
        return "Index published."
    return "Writing the index…"


def has_index(root: Path) -> bool:
    """True when a published index exists in root (a damaged one counts: opening it explains the fix)."""
    try:
        return layout.current_generation(Path(root)) is not None
    except IndexUnavailable:  # a CURRENT that points nowhere: opening it reports the fix
        return True


def build_sample_index(
    out: Path = DEFAULT_SAMPLE_INDEX,
    corpus: Path = SAMPLE_CORPUS,
    model: str = DEFAULT_MODEL,
    cache_path: str | None = None,
    on_progress: Progress | None = None,
    encoder: Encoder | None = None,
) -> BuildReport:
    """Build the index of the sample corpus into `out`; on_progress hears the build's events (first_start_bar
    draws them). The model's weights load first, before any event, so a front end can say so meanwhile."""
    encoder = encoder or load_encoder(model)
    encoder.dim  # loads the weights now, not later in the middle of the bar
    settings = BuildSettings(model=encoder.name, cache_path=cache_path, wait=BUILD_WAIT_SECONDS)
    return build_index([str(corpus)], out, ReadOptions(), settings, encoder=encoder, on_progress=on_progress)
