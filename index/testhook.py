"""Test-only hooks, inert unless their environment variables are set (never outside the test suite).

REFRAIN_TEST_PAUSE_AT=<stage>  when a build reaches <stage> it prints "REFRAIN_TEST_PAUSED <stage>" on
                               stderr and sleeps (REFRAIN_TEST_PAUSE_SECONDS, default 300), so a crash
                               test can SIGKILL it at exactly that point (tests/test_reliability_crash.py).
REFRAIN_TEST_EMBED_CHUNK=<n>   embed and commit to the cache in chunks of n texts instead of 512, so a
                               small test corpus spans several chunks.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "REFRAIN_TEST_PAUSE_AT"
MARKER = "REFRAIN_TEST_PAUSED"

# Every stage a build passes, in order.
STAGES = (
    "locked",  # the build lock is held
    "read",  # corpus read, duplicates merged, boilerplate found
    "segmented",  # passages cut (and segmentations cached)
    "embed-chunk",  # the first chunk of new vectors is committed to the cache
    "embedded",  # every vector is known
    "generation-created",  # the new generation's folder exists, empty
    "sqlite-rows",  # documents and paragraph passages inserted, database unfinished
    "vectors-paragraph",
    "faiss-paragraph",
    "vectors-sentence",
    "faiss-sentence",
    "sqlite-finished",  # FTS built, database closed
    "manifest-written",  # the generation is complete
    "current-tmp-written",  # CURRENT.tmp is durable; the rename that publishes is next
    "published",  # CURRENT names the new generation; old generations not yet deleted
    "collected",  # old generations deleted; timings not yet added to the manifest
)


def pause(stage: str) -> None:
    if os.environ.get(PAUSE_ENV) == stage:
        print(f"{MARKER} {stage}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("REFRAIN_TEST_PAUSE_SECONDS", "300")))


def embed_chunk(default: int) -> int:
    value = os.environ.get("REFRAIN_TEST_EMBED_CHUNK")
    return max(1, int(value)) if value and value.isdigit() else default
