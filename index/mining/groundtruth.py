"""Scoring mined formulations against a ground-truth file of planted formulations.

Used by the quality test and the threshold sweep behind the default threshold. The matching:
- Each planted formulation is a cluster of exact variant texts. A paragraph formulation also
  yields one sentence-level cluster per sentence position (its sentences recur on their own).
- A passage belongs to a planted cluster when its text is one of the cluster's variants or, at the
  paragraph level, contains one (a paragraph built around a planted sentence says that sentence's thing).
- A mined formulation is matched to the planted cluster that holds most of its passages. It is a
  true positive when that cluster holds at least half of its passages and no other mined
  formulation matched the cluster with more passages; every other mined formulation is a false positive.
- A planted cluster is recovered when its matched formulation covers at least 90% of its documents.
Precision = true positives / mined formulations; recall = recovered clusters / planted clusters.

Phrase level (`phrase_formulations`: lines used inside otherwise unique sentences): a passage belongs to a
planted line when it holds one of the line's variants as a run of words; only mined formulations about a planted
line are scored, those with a variant sharing a run of two or more words (one of them a content word) with a
planted variant (the phrase level also mines pieces of every recurring sentence, and other phrases that happen to
share a sentence with a planted one); and a formulation with passages of two planted lines is a false positive,
whatever its majority: it joined two lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from index.ingest.segment import SentenceSplitter
from index.mining.inclusion import includes, longest_common_run
from index.mining.types import Formulation
from index.textnorm import normalise
from index.words import WORD, mining_stop_words

PURITY = 0.5
COVERAGE = 0.9


@dataclass
class Cluster:
    id: str
    texts: set[str]
    documents: set[str]  # file names
    first_seen: str
    last_seen: str
    category: str = "formulation"  # salience category the planted wording should get (index/mining/salience.py)
    replaces: str | None = None  # phrase level: the line this one succeeds or renames
    shares: str | None = None  # phrase level: the wording it shares with the line it succeeds (or its successor)

    @property
    def phrases(self) -> list[tuple[str, ...]]:
        return [_words(t) for t in self.texts]


@dataclass
class Score:
    precision: float
    recall: float
    matched: dict[str, Formulation] = field(default_factory=dict)  # cluster id -> mined formulation
    false_positives: list[Formulation] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def load_clusters(path: str | Path, level: str) -> list[Cluster]:
    truth = json.loads(Path(path).read_text(encoding="utf-8"))
    clusters = []
    if level == "sentence":
        for f in truth["formulations"]:
            clusters.append(_cluster(f["id"], [v["text"] for v in f["variants"]], f))
        splitter = SentenceSplitter()
        for f in truth.get("paragraph_formulations", []):
            by_position: dict[int, list[str]] = {}
            for variant in f["variants"]:
                text = normalise(variant["text"])
                for i, (a, b) in enumerate(splitter.spans(text)):
                    by_position.setdefault(i, []).append(text[a:b])
            for i, texts in sorted(by_position.items()):
                clusters.append(_cluster(f"{f['id']}#s{i + 1}", texts, f))
    elif level == "phrase":
        for f in truth.get("phrase_formulations", []):
            cluster = _cluster(f["id"], [v["text"] for v in f["variants"]], f)
            cluster.replaces = (f.get("replaces") or {}).get("id")
            cluster.shares = f.get("shares")
            clusters.append(cluster)
    else:
        for f in truth.get("paragraph_formulations", []):
            clusters.append(_cluster(f["id"], [v["text"] for v in f["variants"]], f))
    return clusters


def _cluster(cid: str, texts: list[str], f: dict) -> Cluster:
    return Cluster(cid, {normalise(t) for t in texts}, set(f["documents"]), f["first_seen"], f["last_seen"],
                   f.get("class", "formulation"))


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in WORD.findall(text))


def holds(passage: str, cluster: Cluster) -> bool:
    """Phrase level: the passage holds one of the cluster's variants as a run of words."""
    words = _words(passage)
    return any(includes(words, p) for p in cluster.phrases)


def about(formulation: Formulation, cluster: Cluster) -> bool:
    """Phrase level: one of the formulation's variants shares a run of words holding two or more content words
    with one of the cluster's variants."""
    stop = mining_stop_words()
    for variant in formulation.variants:
        words = _words(variant.text)
        for phrase in cluster.phrases:
            i, _, n = longest_common_run(words, phrase)
            if sum(w not in stop for w in words[i:i + n]) >= 2:
                return True
    return False


def score(formulations: list[Formulation] | tuple[Formulation, ...], clusters: list[Cluster], doc_names: dict[str, str],
          contains: bool = False, phrases: bool = False) -> Score:
    """doc_names maps doc_id to the file name the ground truth uses; contains: the paragraph-level rule;
    phrases: the phrase-level rules (see the module's docstring)."""
    candidates = []
    if phrases:
        formulations = [f for f in formulations if any(about(f, c) for c in clusters)]
    for f in formulations:
        counts = {c.id: 0 for c in clusters}
        for m in f.members:
            text = normalise(m.text)
            for c in clusters:
                if (holds(text, c) if phrases else
                        text in c.texts or (contains and any(t in text for t in c.texts))):
                    counts[c.id] += 1
        if phrases and sum(n > 0 for n in counts.values()) > 1:
            candidates.append((0, 0.0, None, f))  # it joined two planted lines
            continue
        best = None  # the first cluster listed wins ties: the level's own planted formulations come first
        for c in clusters:
            if best is None or counts[c.id] > counts[best]:
                best = c.id
        share = counts[best] / len(f.members) if best else 0.0
        candidates.append((counts.get(best, 0), share, best, f))
    result = Score(0.0, 0.0)
    taken: set[str] = set()
    for n, share, cid, f in sorted(candidates, key=lambda c: (-c[0], c[3].id)):
        if cid and share >= PURITY and cid not in taken:
            taken.add(cid)
            result.matched[cid] = f
        else:
            result.false_positives.append(f)
    recovered = 0
    for c in clusters:
        f = result.matched.get(c.id)
        docs = {doc_names.get(m.doc_id, m.doc_id) for m in f.members} if f else set()
        if f and len(docs & c.documents) >= COVERAGE * len(c.documents):
            recovered += 1
        else:
            result.missed.append(c.id)
    result.precision = len(result.matched) / len(formulations) if formulations else 0.0
    result.recall = recovered / len(clusters) if clusters else 0.0
    return result
