"""Distinct lines stay apart at the phrase level: which phrases are one line, which branch off a shared stem.

Phrases are word sequences (lower case, as index/mining/wording.py counts them). Three rules, after MemeTracker's phrase-inclusion
graph (Leskovec, Backstrom & Kleinberg 2009), where a short phrase inside longer ones must not join two of them:

- Two phrases *diverge* when they share a run of words and then go different ways on the same side: after the
  run, both go on with content words and none of those words is shared ("simultaneously pushing forward economic
  construction and defence upbuilding" / "... and building nuclear armed forces"), or before it ("labour-first
  spirit" / "science-first spirit"). Such phrases are two lines, however close their vectors: they never join one
  formulation. Words added on opposite sides ("the great people-first politics" / "people-first politics of our
  Party"), a word changed between shared words ("pushing forward" / "advancing" in the middle of one line), or
  another form of the same word ("hold high the banner" / "holding high the banner": words that share their
  first letters, all but the last two at most) leave them one line. A renaming in the middle of shared words
  ("spirit of nation first" / "spirit of state first") cannot be told from such a change by its words; the
  vectors must keep it apart.
- A phrase inside another (every word, in order, contiguous) is *included* in it: "people-first principle" in
  "based on the people-first principle". Inclusion never makes two phrases diverge.
- A *shared stem* is a phrase included in two phrases that diverge: the long prefix two successive lines share.
  It may not join either line (it would carry the other line's passages, and their dates, into it); it is
  reported as wording the lines share. Used on its own (outside both lines) in enough documents, it is a
  formulation of its own.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from index.words import mining_stop_words

Words = Sequence[str]
MIN_RUN = 2  # a shared run of fewer words ("shield", "area") says nothing about being one line


def includes(longer: Words, shorter: Words) -> bool:
    """True when `shorter` occurs in `longer` as a contiguous run of words."""
    n = len(shorter)
    if n == 0 or n > len(longer):
        return False
    first = shorter[0]
    return any(longer[i] == first and tuple(longer[i:i + n]) == tuple(shorter) for i in range(len(longer) - n + 1))


def longest_common_run(a: Words, b: Words) -> tuple[int, int, int]:
    """(start in a, start in b, length) of the longest run of words both hold; the earliest in a wins ties."""
    best = (0, 0, 0)
    previous = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        current = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                current[j] = previous[j - 1] + 1
                if current[j] > best[2]:
                    best = (i - current[j], j - current[j], current[j])
        previous = current
    return best


def diverge(a: Words, b: Words, stop: frozenset[str] | None = None) -> bool:
    """Two lines that share a run of words and branch off it on the same side (see the module's docstring);
    `stop`: the language's stop words (English when not given)."""
    if includes(a, b) or includes(b, a):
        return False
    i, j, n = longest_common_run(a, b)
    stop = mining_stop_words() if stop is None else stop
    if n < MIN_RUN or all(w in stop for w in a[i:i + n]):
        return False

    def branch(x: Iterable[str], y: Iterable[str]) -> bool:
        cx = [w for w in x if w not in stop]
        cy = [w for w in y if w not in stop]
        return bool(cx) and bool(cy) and not any(_same_word(u, v) for u in cx for v in cy)

    return branch(a[:i], b[:j]) or branch(a[i + n:], b[j + n:])


def _same_word(u: str, v: str) -> bool:
    """One word or two forms of it: "hold" / "holding", "ceremony" / "ceremonies", "house" / "houses"."""
    if u == v:
        return True
    common = 0
    for x, y in zip(u, v):
        if x != y:
            break
        common += 1
    return common >= 4 and common >= min(len(u), len(v)) - 2


def super_phrases(keys: Sequence[Words]) -> list[list[int]]:
    """For each phrase, the other phrases that include it."""
    position = {tuple(k): n for n, k in enumerate(keys)}
    supers: list[list[int]] = [[] for _ in keys]
    for n, key in enumerate(keys):
        found = set()
        for length in range(1, len(key)):
            for start in range(len(key) - length + 1):
                sub = position.get(tuple(key[start:start + length]))
                if sub is not None and sub != n:
                    found.add(sub)
        for sub in found:
            supers[sub].append(n)
    return [sorted(s) for s in supers]


def shared_stems(keys: Sequence[Words], supers: list[list[int]], stop: frozenset[str] | None = None) -> dict[int, list[int]]:
    """Phrases included in two phrases that diverge: {stem: the phrases that include it}."""
    stems = {}
    for n, above in enumerate(supers):
        if any(diverge(keys[a], keys[b], stop) for x, a in enumerate(above) for b in above[x + 1:]):
            stems[n] = above
    return stems
