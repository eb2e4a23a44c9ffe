"""Korean sentences: a rule splitter on sentence-final punctuation, aware of dates, list numbers and quotes.

Korean prose ends its sentences in a verb ending and a Western full stop ('…하였다.', '…합니까?'), and
spaces its words, so the end of a sentence is punctuation followed by a space. What the rule must not
split: dates and list numbers ('2024. 7. 14.', '1. 경제건설'), and quoted speech, which runs on into the
sentence that quotes it ('《모든 힘을 다하자. 승리는 우리의것이다.》라고 강조하였다.'). KCNA and Rodong Sinmun
quote with 《》, so a splitter that knows only “” or "" will not do.

Why not a PyPI splitter: kss pins emoji==1.2.0 and installs pytest at run time; Kiwi (kiwipiepy) installs
cleanly and works offline, but it split '《로동신문》은' between the bracket and its particle and missed the
sentence end before an opening 《 in our tests, which would break most KCNA paragraphs.
"""

from __future__ import annotations

import re

from index.textnorm import stripped_spans

VERSION = "korean-rules-1"  # part of every cached split's key: bump when the rules change
_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]+[\"'\u201d\u2019\u300b\u300d\u300f\u3009)\]]*(?=\s|$)")
_OPENING = "\u300a\u300c\u300e\u201c\u3008"  # 《 「 『 “ 〈  (‘ ’ double as apostrophes: not tracked)
_CLOSING = "\u300b\u300d\u300f\u201d\u3009"  # 》 」 』 ” 〉


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, stripped of surrounding spaces, in order."""
    ends = [m.end() for m in _END.finditer(text) if not (m.start() > 0 and text[m.start() - 1].isdigit())]
    return stripped_spans(text, _outside_quotes(text, ends))


def sentences(text: str) -> list[str]:
    """The sentences' texts (the interface pysbd's Segmenter.segment offers)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def _outside_quotes(text: str, ends: list[int]) -> list[int]:
    """The ends that fall outside every quotation. When the quotes do not balance (a stray or missing
    mark), no end is dropped: an unclosed quote must not swallow the rest of the text."""
    depth_at: dict[int, int] = {}
    wanted = set(ends)
    depth, straight = 0, False
    for i, ch in enumerate(text):
        if ch in _OPENING:
            depth += 1
        elif ch in _CLOSING:
            depth -= 1
        elif ch == '"':
            straight = not straight
        if i + 1 in wanted:
            depth_at[i + 1] = depth + straight
    if depth != 0 or straight:
        return ends
    return [end for end in ends if depth_at.get(end, 0) == 0]
