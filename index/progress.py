"""What a build tells whoever listens while it runs: `BuildProgress(stage, done, total)`, with exact counts.

A build takes one callback, `on_progress`, and every observer listens to it: the command line's bars
(`ProgressBars`), the explorer's first-start bar, and the crash tests (which stop a build at a chosen
stage and kill it there). The build calls it from its own thread; a listener that raises stops the build.

Stages, in the order a build passes them. A counted stage reports done = 0, then after every unit of
work, up to done == total; it is skipped when there is nothing to do (every document's passages or
every text's vector already in the cache). Every other stage is a milestone, reported once with
done == total: the number of things it finished, or 1 when there is nothing to count.

    locked              1            the build lock is held
    read                records      corpus read, duplicates merged, boilerplate found
    segmenting          documents    counted: documents cut into passages (those not in the cache)
    segmented           passages     every passage cut; new segmentations committed to the cache
    embedding           texts        counted: new texts embedded, reported after each chunk is committed
                                     to the embedding cache (BuildSettings.embed_chunk texts a chunk)
    embedded            texts        every distinct text has its vector (from the cache or the model)
    generation-created  1            the new generation's folder exists, empty
    database-copied     1            only when the build grows the live index (index/growth.py): its
                                     database copied into the new generation, to be added to
    sqlite-rows         documents    documents, copies and metadata inserted; no passages yet
    vectors-<level>     rows         the level's passages inserted, its vectors and document rows saved
    faiss-<level>       rows         the level's FAISS index written
    sqlite-finished     1            full-text index built, database closed
    manifest-written    1            the generation is complete on disk
    current-tmp-written 1            CURRENT.tmp is durable; the rename that publishes is next
    published           1            CURRENT names the new generation; older ones not yet deleted
    collected           1            older generations deleted; the build's timings not yet recorded
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable

from index.levels import LEVELS


@dataclass(frozen=True)
class BuildProgress:
    stage: str
    done: int
    total: int


Progress = Callable[[BuildProgress], None]

COUNTED = ("segmenting", "embedding")
WRITE_STAGES = ("generation-created", "sqlite-rows",
                *(f"{kind}-{level}" for level in LEVELS for kind in ("vectors", "faiss")),
                "sqlite-finished", "manifest-written", "current-tmp-written", "published", "collected")
STAGES = ("locked", "read", "segmenting", "segmented", "embedding", "embedded", *WRITE_STAGES)


def ignore(progress: BuildProgress) -> None:
    """The listener of a build nobody watches."""


class ProgressBars:
    """A listener that draws a tqdm bar on stderr for each counted stage; milestones draw nothing.

    Call close() when the build ends (also when it fails), so an unfinished bar does not linger.
    """

    LABELS = {"segmenting": "docs", "embedding": "passages"}

    def __init__(self, file=None):
        self.file = file or sys.stderr
        self._bar = None
        self._stage = None

    def __call__(self, progress: BuildProgress) -> None:
        if progress.stage not in self.LABELS:
            return
        if progress.stage != self._stage:
            from tqdm import tqdm

            self.close()
            self._stage = progress.stage
            self._bar = tqdm(total=progress.total, desc=progress.stage, unit=self.LABELS[progress.stage],
                             file=self.file, smoothing=0.1)
        self._bar.update(progress.done - self._bar.n)
        if progress.done >= progress.total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = self._stage = None
