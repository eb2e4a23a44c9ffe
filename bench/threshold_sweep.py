"""Evidence for the default mining thresholds: precision and recall of planted formulations on the sample
corpus across thresholds (sentences, paragraphs, and the phrase level's planted lines: successions sharing a long
prefix and renamings), and how many formulations KCNA 2024 yields (read them with `recurring --json`).

    .venv/bin/python bench/threshold_sweep.py [--kcna INDEX_DIR]

Prints markdown tables (the README's "Recurring formulations" section quotes them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.build import BuildSettings, build_index  # noqa: E402
from index.mining.groundtruth import load_clusters, score  # noqa: E402
from index.mining.recurring import MiningParams, mine  # noqa: E402
from index.ingest.records import ReadOptions  # noqa: E402
from index.search import Searcher  # noqa: E402
from explorer.logic.sample import GROUND_TRUTH, SAMPLE_CORPUS  # noqa: E402

THRESHOLDS = (0.65, 0.70, 0.75, 0.80, 0.85, 0.90)
WORK = REPO / "bench" / "work"


def sample_table(searcher: Searcher) -> str:
    truth = GROUND_TRUTH
    names = {d: k.split("/")[-1] for d, k in searcher.db.query("SELECT doc_id, key FROM documents")}
    lines = ["| threshold | " + " | ".join(f"{t:.2f}" for t in THRESHOLDS) + " |", "|---" * (len(THRESHOLDS) + 1) + "|"]
    for level in ("sentence", "paragraph"):
        clusters = load_clusters(truth, level)
        known = clusters + (load_clusters(truth, "sentence") if level == "paragraph" else [])
        cells = []
        for t in THRESHOLDS:
            result = mine(searcher, MiningParams(level=level, threshold=t))
            outcome = score(result.formulations, known, names, contains=level == "paragraph")
            recall = sum(c.id not in outcome.missed for c in clusters) / len(clusters)
            cells.append(f"{outcome.precision:.2f} / {recall:.2f}")
        lines.append(f"| {level} | " + " | ".join(cells) + " |")
    lines.append("| phrase (planted lines) | " + " | ".join(phrase_cell(searcher, names, t) for t in THRESHOLDS) + " |")
    return "\n".join(lines)


def phrase_cell(searcher: Searcher, names: dict[str, str], threshold: float) -> str:
    """Precision / recall on the planted successions and renamings, with the share recovered with exact dates."""
    clusters = [c for c in load_clusters(GROUND_TRUTH, "phrase") if c.category == "formulation"]
    outcome = score(mine(searcher, MiningParams(level="phrase", threshold=threshold)).formulations, clusters, names,
                    phrases=True)
    return f"{outcome.precision:.2f} / {outcome.recall:.2f}"


def kcna_table(searcher: Searcher) -> str:
    lines = ["| threshold | formulations | member passages | members below the next threshold |", "|---|---|---|---|"]
    for t in (0.75, 0.80, 0.85):
        result = mine(searcher, MiningParams(level="sentence", threshold=t))
        members = [m for f in result.formulations for m in f.members]
        below = sum(m.similarity < t + 0.05 for m in members)
        lines.append(f"| {t:.2f} | {len(result.formulations)} | {len(members)} | {below} ({below / max(1, len(members)):.0%}) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kcna", metavar="INDEX_DIR", help="a KCNA 2024 index built with the default model")
    args = parser.parse_args()
    out = WORK / "sample-index"
    build_index([str(SAMPLE_CORPUS)], out, ReadOptions(),
                BuildSettings(cache_path=str(WORK / "cache.sqlite")))
    print("Sample corpus, precision / recall of planted formulations:\n")
    print(sample_table(Searcher(out)))
    if args.kcna:
        print("\nKCNA 2024, sentence level:\n")
        print(kcna_table(Searcher(args.kcna)))


if __name__ == "__main__":
    main()
