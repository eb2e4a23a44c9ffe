"""Token alignment for the Compare view (index/compare.py)."""

from __future__ import annotations

import re

from explorer.logic.alignment import CHANGED, MOVED, SAME, align, rows_html, side_html


def kinds(text: str, spans) -> list[tuple[str, str]]:
    return [(text[a:b], kind) for a, b, kind in spans]


def test_identical_passages_share_everything():
    text = "Our people and our Party flow together like one great river."
    result = align(text, text.upper())
    assert result.share == 1.0 and result.a_shared == result.a_words == 11
    assert kinds(text, result.a_spans) == [(text, SAME)]
    assert [r.op for r in result.rows] == ["equal"]


def test_changed_words_are_aligned_between_shared_runs():
    a = "The youth of Kestria carry the torch that our founders lit."
    b = "The young people of Kestria carry the flame that our founders lit."
    result = align(a, b)
    assert ("youth", CHANGED) in kinds(a, result.a_spans) and ("torch", CHANGED) in kinds(a, result.a_spans)
    assert ("young people", CHANGED) in kinds(b, result.b_spans)
    assert ("of Kestria carry the", SAME) in kinds(a, result.a_spans)
    ops = [(r.op, r.a, r.b) for r in result.rows]
    assert ("replace", "youth", "young people") in ops and ("replace", "torch", "flame") in ops
    assert result.a_shared == 9 and result.a_words == 11 and result.b_words == 12


def test_reordered_runs_count_as_shared_wording():
    a = "Our people and our Party flow together like one great river. I have seen it."
    b = "Like one great river, our people and our Party flow together."
    result = align(a, b)
    assert ("like one great river", MOVED) in kinds(a, result.a_spans)
    assert ("Like one great river", MOVED) in kinds(b, result.b_spans)
    assert any("I have seen it" in piece and kind == CHANGED for piece, kind in kinds(a, result.a_spans))
    assert result.b_shared == result.b_words


def test_a_lone_function_word_between_changes_is_not_shown_as_shared():
    result = align("red apples and the green pears", "blue plums and the yellow figs")
    assert all(kind == CHANGED for _, _, kind in result.a_spans)


def test_spans_cover_the_tokens_in_order_and_empty_texts_work():
    a, b = "One, two; three.", "three two one"
    result = align(a, b)
    ends = [(s, e) for s, e, _ in result.a_spans]
    assert ends == sorted(ends) and ends[0][0] == 0 and ends[-1][1] == len(a)
    empty = align("", "new words")
    assert empty.a_spans == [] and [r.op for r in empty.rows] == ["insert"] and empty.share == 0.0
    assert align("", "").share == 1.0


def test_html_is_escaped():
    a = "Iron bridge <script>window.__pwned=1</script>"
    b = 'Iron bridge <img src=x onerror="window.__pwned=1">'
    result = align(a, b)
    html_a, html_b, table = side_html(a, result.a_spans, "only-a"), side_html(b, result.b_spans, "only-b"), rows_html(result.rows)
    for out in (html_a, html_b, table):
        assert "<script" not in out and "<img" not in out
    assert html_a.startswith('<mark class="same">Iron bridge')
    assert re.sub(r"<[^>]+>", "", html_a) == "Iron bridge &lt;script&gt;window.__pwned=1&lt;/script&gt;"
    assert re.sub(r"<[^>]+>", "", html_b) == "Iron bridge &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;"
