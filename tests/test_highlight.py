"""Shared-word highlighting and escaping (index/highlight.py)."""

from __future__ import annotations

import re

from explorer.logic.highlight import (escape_html, escape_markdown, highlight_html, phrase_spans, shared_spans,
                             spans_to_html, word_key)

HOSTILE = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1"> [click](javascript:alert(1))'


def marked(text: str, query: str) -> list[str]:
    return [text[a:b] for a, b in shared_spans(text, query)]


def test_marks_content_words_shared_with_the_query_ignoring_case_and_plural():
    text = "Principles of the people come first; the PEOPLE-first principle guides us."
    assert marked(text, "people-first principle") == ["Principles", "people", "first", "PEOPLE-first principle"]


def test_function_words_are_never_marked_alone_but_bridge_a_shared_phrase():
    text = "The will of the people is the principle of the nation."
    assert marked(text, "the will of the people") == ["will of the people"]
    assert marked(text, "of the") == []


def test_bridge_needs_the_function_words_in_the_query_and_at_most_two():
    assert marked("river and the sea", "river sea") == ["river", "sea"]
    assert marked("river and the sea", "river and the sea") == ["river and the sea"]
    assert marked("river and of the sea", "river and of the sea") == ["river", "sea"]


def test_word_key_folds_case_possessive_and_plural():
    assert word_key("Parties") == word_key("party")
    assert word_key("Nations") == word_key("nation")
    assert word_key("Party’s") == word_key("party")
    assert word_key("class") == "class" and word_key("status") == "status"


def test_a_korean_phrase_is_marked_inside_the_word_that_carries_its_particle():
    text = "우리는 인민대중제일주의를 근본으로 삼고 자립적 민족경제의 토대를 다졌다. 인민대중제일주의는 생명선이다."
    assert [text[a:b] for a, b in phrase_spans(text, "인민대중제일주의")] == ["인민대중제일주의"] * 2
    assert [text[a:b] for a, b in phrase_spans(text, "자립적 민족경제")] == ["자립적 민족경제"]
    assert highlight_html(text, phrase="토대").count('<mark class="hl">토대</mark>') == 1
    assert phrase_spans("people-firstly", "people first") == []  # English keeps whole words


def test_phrase_spans_find_the_words_in_order_across_punctuation():
    text = "People-first principle, and people first: principle. People principle first."
    assert [text[a:b] for a, b in phrase_spans(text, "people first")] == ["People-first", "people first"]
    assert phrase_spans(text, "  ,, ") == []


def test_highlight_escapes_markup_before_marking():
    text = f"Iron bridge {HOSTILE} iron <b>bridge</b>"
    out = highlight_html(text, query="iron bridge")
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in out
    assert out.count('<mark class="hl">') == 3
    assert re.sub(r"<mark[^>]*>|</mark>", "", out) == escape_html(text)


def test_spans_to_html_keeps_all_text_and_escapes_inside_marks():
    text = "a <x> b & c\nd"
    out = spans_to_html(text, [(2, 5), (8, 9)], css_class='x" onclick="y')
    assert out == 'a <mark class="x&quot; onclick=&quot;y">&lt;x&gt;</mark> b <mark class="x&quot; onclick=&quot;y">&amp;</mark> c<br>d'


def test_overlapping_or_empty_spans_do_not_duplicate_text():
    out = spans_to_html("abcdef", [(1, 4), (2, 5), (5, 5)])
    assert re.sub(r"<[^>]+>", "", out) == "abcdef"


def test_escape_markdown_leaves_no_active_syntax():
    out = escape_markdown("[click](javascript:alert(1)) **bold** :red[x] $x^2$ <b>")
    assert "[" not in out.replace("\\[", "") and "(" not in out.replace("\\(", "")
    assert ":" not in out.replace("\\:", "") and "$" not in out.replace("\\$", "") and "*" not in out.replace("\\*", "")
    assert re.sub(r"\\(.)", r"\1", out) == "[click](javascript:alert(1)) **bold** :red[x] $x^2$ <b>"
