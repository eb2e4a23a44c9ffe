"""The bundled sample corpus and its index, built on the explorer's first start with visible progress.

A new user's first command must end in a working explorer, so when the default index is missing it is
built from explorer/sample/corpus with the default model. The build is the ordinary `build_index`; progress
comes from wrapping the encoder, which reports every batch it embeds, so any front end can draw a bar
through a plain callback `on_progress(fraction, message)`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

import numpy as np

from index.store import layout
from index.build import BuildReport, BuildSettings, build_index
from index.errors import IndexUnavailable
from index.embed.encoder import DEFAULT_BATCH_SIZE, DEFAULT_MODEL, Encoder, load_encoder
from index.ingest.records import ReadOptions

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

Progress = Callable[[float, str], None]
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


class ReportingEncoder(Encoder):
    """An encoder that embeds in batches and reports each finished batch; vectors are the inner encoder's."""

    def __init__(self, inner: Encoder, on_encoded: Callable[[int], None]):
        self.inner = inner
        self.on_encoded = on_encoded

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    @property
    def precision(self) -> str:
        return self.inner.precision

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)

    def encode(self, texts: list[str], batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
        if not texts:
            return self.inner.encode([], batch_size=batch_size)
        parts = []
        for i in range(0, len(texts), batch_size):
            batch = list(texts[i:i + batch_size])
            parts.append(self.inner.encode(batch, batch_size=batch_size))
            self.on_encoded(len(batch))
        return np.concatenate(parts)


def estimate_passages(corpus: Path) -> int:
    """About how many paragraphs and sentences a folder of .txt speeches holds (for the progress bar)."""
    total = 0
    for path in sorted(Path(corpus).rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
        total += len(blocks) + sum(max(1, len(_SENTENCE_END.findall(b))) for b in blocks)
    return max(total, 1)


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
    """Build the index of the sample corpus into `out`, reporting progress from 0.0 to 1.0."""
    report = on_progress or (lambda fraction, message: None)
    n_docs = sum(1 for _ in Path(corpus).rglob("*.txt"))
    report(0.0, "Loading the language model…")
    inner = encoder or load_encoder(model)
    inner.dim  # loads the model's weights now, under this message, not later under another
    expected = estimate_passages(corpus)
    done = 0

    def encoded(n: int) -> None:
        nonlocal done
        done += n
        report(0.1 + 0.85 * min(done / expected, 1.0), f"Embedding passages… {done:,} of about {expected:,}")

    report(0.05, f"Reading and segmenting {n_docs} speeches…")
    settings = BuildSettings(model=inner.name, cache_path=cache_path, progress=False, wait=BUILD_WAIT_SECONDS)
    result = build_index([str(corpus)], out, ReadOptions(), settings, encoder=ReportingEncoder(inner, encoded))
    report(1.0, f"Indexed {result.documents} speeches: {result.passages['paragraph']:,} paragraphs, "
                f"{result.passages['sentence']:,} sentences")
    return result
