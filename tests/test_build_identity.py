"""A build writes the same index however it is computed: rows, ids, offsets, document rows and manifest match
digests stored from the build before a change in how it streams (tests/golden/build-digests.json), and every
vector is its passage's own.

Three real inputs: the bundled sample (a folder of .txt), the first 50 UN speeches of 2020-2024 (wrapped and
unwrapped text) and KCNA 2024 (JSON records, duplicates, datelines). Regenerate the digests only when the
index itself is meant to change:  python tests/test_build_identity.py
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.embed.encoder import HashingEncoder  # noqa: E402
from index.levels import LEVELS  # noqa: E402
from index.store import layout  # noqa: E402
from tests.build_digest import digests  # noqa: E402
from tests.conftest import KCNA_JSON, KCNA_OPTIONS, REPO, SAMPLE_CORPUS, SHARED, UN_DIR, quick_build, require  # noqa: E402

GOLDEN = Path(__file__).parent / "golden" / "build-digests.json"
CORPORA = ("sample", "un-50", "kcna")


def encoder() -> HashingEncoder:
    return HashingEncoder(dim=64, max_tokens=40)


def build(name: str, work: Path) -> tuple[Path, dict[str, Path]]:
    """Build one corpus into work/name; returns the index folder and the paths its digests hide."""
    out = work / name / "index"
    options = None
    if name == "sample":
        sources = [SAMPLE_CORPUS]
    elif name == "un-50":
        corpus = work / name / "speeches"
        corpus.mkdir(parents=True)
        for path in sorted(require(UN_DIR).glob("*.txt"))[:50]:
            shutil.copy(path, corpus / path.name)
        sources = [corpus]
    else:
        sources, options = [require(KCNA_JSON)], KCNA_OPTIONS
    quick_build(sources, out, encoder(), options, workers=2)
    hidden = {"work": work, "repo": REPO, "shared": SHARED, "shared-resolved": SHARED.resolve()}
    return out, hidden


@pytest.fixture(scope="module", params=CORPORA)
def built(request, tmp_path_factory) -> tuple[str, Path, dict[str, Path]]:
    name = request.param
    out, hidden = build(name, tmp_path_factory.mktemp("identity"))
    return name, out, hidden


def test_build_writes_the_stored_index(built):
    name, out, hidden = built
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))[name]
    assert digests(out, hidden) == stored


def test_every_vector_is_its_passages_own(built):
    """Row i of each level's vectors and FAISS index is the encoding of passage row i's text."""
    _, out, _ = built
    generation = layout.current_generation(out)
    db = sqlite3.connect(f"file:{generation / layout.DATABASE}?mode=ro", uri=True)
    try:
        for level in LEVELS:
            texts = [t for (t,) in db.execute("SELECT text FROM passages WHERE level = ? ORDER BY row", (level,))]
            vectors = np.load(generation / layout.vectors_file(level), allow_pickle=False)
            assert vectors.shape == (len(texts), 64)
            np.testing.assert_allclose(vectors, encoder().encode(texts), atol=1e-6)
            index = faiss.read_index(str(generation / layout.faiss_file(level)))
            assert index.ntotal == len(texts)
    finally:
        db.close()


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = {}
        for corpus in CORPORA:
            index, hide = build(corpus, Path(tmp))
            result[corpus] = digests(index, hide)
    GOLDEN.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
