"""Hybrid search (index.retrieval): every verbatim use first, fusion, match reasons, the minimum-score rule, one hit
per document, exact-phrase totals, pages and orders. Fast: the hashing stand-in encoder on a small corpus."""

from __future__ import annotations

import numpy as np
import pytest

from index.errors import RefrainError
from index.retrieval.fusion import Candidates, Fusion, order, reasons
from index.search import Filters, Searcher
from tests.conftest import quick_build, write_corpus

FILLER = ("The delegation toured the new steel works, the harbour, two schools and a hospital, and met the workers "
          "of the cooperative farms along the river during a long week of visits and meetings")


def _speeches() -> dict[str, str]:
    """Eight speeches: five use "people-first principle" verbatim inside long paragraphs about other things; short
    paragraphs say "state-first principle" (close in words, another formulation) or paraphrase the first."""
    files = {}
    for i in range(5):
        files[f"2024-0{i + 1}-10_speech-{i}.txt"] = (
            f"Speech {i}\n\n{FILLER}, and the speaker recalled the people-first principle only in passing, number {i}.\n\n"
            f"The state-first principle guides us.\n\nShort closing words of speech {i}.")
    files["2024-07-01_other.txt"] = "Other speech\n\nThe state-first principle guides us all.\n\nWe put the people first in all things."
    files["2024-08-01_more.txt"] = ("More\n\nThe principle of the state first.\n\nThe principle of the state first, again.\n\n"
                                    "The principle of the state first, once more.\n\nNothing about principles here at all.")
    files["2024-09-01_last.txt"] = "Last\n\nIn all our work the people come first, always.\n\nClosing remarks."
    return files


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, request):
    from index.embed.encoder import HashingEncoder

    folder = tmp_path_factory.mktemp("hybrid")
    corpus = write_corpus(folder / "corpus", _speeches())
    quick_build([corpus], folder / "index", HashingEncoder(dim=64, max_tokens=60))
    return Searcher(folder / "index")


QUERY = "people-first principle"


def _verbatim_ids(searcher: Searcher, level: str = "paragraph") -> set[str]:
    return {h.passage_id for h in searcher.phrase(QUERY, k=1000, level=level)}


def test_hybrid_returns_every_verbatim_passage_first_where_meaning_alone_misses_some(searcher):
    verbatim = _verbatim_ids(searcher)
    assert len(verbatim) == 5
    semantic = searcher.search(QUERY, k=5, mode="semantic")
    assert len({h.passage_id for h in semantic} & verbatim) < 5  # the long paragraphs lose on meaning alone
    hybrid = searcher.search_result(QUERY, k=8)
    assert {h.passage_id for h in hybrid.hits[:5]} == verbatim
    assert [h.match for h in hybrid.hits[:5]] == ["verbatim"] * 5 and "verbatim" not in {h.match for h in hybrid.hits[5:]}
    assert hybrid.verbatim_total == 5 and hybrid.verbatim_documents == 5 and hybrid.verbatim_shown == 5
    assert len(hybrid.hits) == 8 and all(h.score is not None for h in hybrid.hits)
    stored = {h.passage_id: h.score for h in searcher.search(QUERY, k=100, mode="semantic")}
    assert all(h.score == stored[h.passage_id] for h in hybrid.hits)  # every score is the cosine, in any mode


def test_each_mode_says_why_a_hit_matched(searcher):
    semantic = searcher.search(QUERY, k=10, mode="semantic")
    assert {h.match for h in semantic} <= {"verbatim", "meaning"}
    assert all((h.match == "verbatim") == (h.passage_id in _verbatim_ids(searcher)) for h in semantic)
    lexical = searcher.search(QUERY, k=10, mode="lexical")
    words = {"people", "first", "principle"}
    assert lexical and all(words & set(h.text.lower().replace("-", " ").replace(".", " ").split()) for h in lexical)
    assert {h.match for h in lexical} <= {"verbatim", "words"}
    with pytest.raises(RefrainError, match="unknown search mode"):
        searcher.search(QUERY, mode="fuzzy")


def test_the_minimum_score_never_cuts_a_verbatim_hit_and_says_what_it_cut(searcher):
    everything = searcher.search_result(QUERY, k=10)
    result = searcher.search_result(QUERY, k=10, min_score=0.99)
    assert {h.passage_id for h in result.hits} == _verbatim_ids(searcher)  # all verbatim, though below 0.99
    assert all(h.score < 0.99 for h in result.hits)
    assert result.below_min == len(everything.hits) - 5 > 0
    assert result.summary() == f"5 shown · {result.below_min} more below 0.99 · 5 of 5 verbatim passages shown"
    small_k = searcher.search_result(QUERY, k=3)
    assert small_k.summary() == "3 shown · 3 of 5 verbatim passages shown · 2 more beyond k = 3"
    semantic = searcher.search_result(QUERY, k=10, min_score=0.99, mode="semantic")
    assert semantic.hits == [h for h in semantic.hits if h.match == "verbatim"]  # semantic mode keeps the rule too


def test_k_hits_whenever_k_exist_with_filters(searcher):
    late = Filters.make(date_from="2024-04")
    allowed = sum(len(searcher.document(d["doc_id"]).passages["paragraph"]) for d in searcher.documents(late))
    for mode in ("hybrid", "semantic"):
        hits = searcher.search(QUERY, k=allowed + 5, filters=late, mode=mode)
        assert len(hits) == allowed and all(h.date >= "2024-04" for h in hits)
        assert len(searcher.search(QUERY, k=3, filters=late, mode=mode)) == 3


def test_one_hit_per_document(searcher):
    query = "the principle of the state first"
    plain = searcher.search(query, k=4)
    assert len({h.doc_id for h in plain}) < 4  # without the option, one speech takes several places
    hits = searcher.search(query, k=4, per_document=True)
    docs = [h.doc_id for h in hits]
    assert len(docs) == len(set(docs)) == 4 and hits[0] == plain[0]
    for mode in ("hybrid", "semantic", "lexical"):
        everything = searcher.search("principle", k=100, per_document=True, mode=mode)
        assert len({h.doc_id for h in everything}) == len(everything)
    assert len(searcher.search(query, k=100, per_document=True)) == len(searcher.documents())  # k documents whenever k exist


def test_fusion_orders_verbatim_first_then_by_fused_rank_and_names_reasons():
    c = Candidates(rows=np.array([10, 11, 12, 13]), cosine=np.array([0.9, 0.2, 0.5, 0.1]),
                   dense_rank=np.array([1, 3, 2, 4]), lexical_rank=np.array([0, 1, 3, 2]),
                   bm25=np.array([0.0, 9.0, 2.0, 4.0]), verbatim=np.array([False, False, False, True]))
    rrf = Fusion("rrf")
    # verbatim 13 first; then 1/(60+3) + 1/(60+1) for 11 beats 1/62 + 1/63 for 12, and 10 has only 1/61
    assert c.rows[order(c, rrf)].tolist() == [13, 11, 12, 10]
    assert c.rows[order(c, Fusion("rrf", verbatim_first=False))].tolist() == [11, 12, 13, 10]
    assert reasons(c, rrf) == ["meaning", "words", "meaning", "verbatim"]
    linear = Fusion("linear", weight=0.5)  # 0.5 * cosine + 0.5 * bm25 / 9
    assert c.rows[order(c, Fusion("linear", weight=0.5, verbatim_first=False))].tolist() == [11, 10, 12, 13]
    assert reasons(c, linear) == ["meaning", "words", "meaning", "verbatim"]
    with pytest.raises(ValueError):
        Fusion("max")


def test_exact_phrase_totals_pages_and_orders(searcher):
    first = searcher.phrase_result("principle", k=3)
    every = searcher.phrase("principle", k=100)
    assert first.total == len(every) > 3 and first.documents == len({h.doc_id for h in every})
    assert [h.passage_id for h in first.hits] == [h.passage_id for h in every[:3]]
    second = searcher.phrase_result("principle", k=3, offset=3)
    assert [h.passage_id for h in second.hits] == [h.passage_id for h in every[3:6]] and second.total == first.total
    assert first.summary("paragraph") == f"{first.total} paragraphs in {first.documents} documents · 1–3 shown, oldest first"
    newest = searcher.phrase("principle", k=100, sort="newest")
    assert [h.date for h in newest] == sorted((h.date for h in newest), reverse=True)
    assert {h.passage_id for h in newest} == {h.passage_id for h in every}
    best = searcher.phrase("principle", k=100, sort="relevance")
    assert {h.passage_id for h in best} == {h.passage_id for h in every} and len(best[0].text) < len(best[-1].text)
    assert searcher.phrase_count("principle") == first.total and all(h.match == "verbatim" for h in every)
    with pytest.raises(RefrainError):
        searcher.phrase("principle", sort="random")
    with pytest.raises(RefrainError):
        searcher.phrase("principle", offset=-1)


def test_verbatim_lookup_by_rare_words_gives_exactly_the_fts5_phrase_matches(searcher):
    """The shortcut (passages with the phrase's rarest words, their texts checked here) agrees with FTS5's own
    phrase search on every 1-4 word window of the corpus, in both levels, with punctuation and case changed."""
    from index.retrieval.lexical import parse, quote

    lexical = searcher.lexical
    for level in ("paragraph", "sentence"):
        texts = [t for _, _, _, t in searcher.level_passages(level, with_text=True)]
        windows = {" ".join(t.split()[i:i + n]) for t in texts for n in (1, 2, 3, 4) for i in range(0, len(t.split()), 3)}
        for phrase in sorted(windows)[:300] + ["PEOPLE first-principle", "principle, of the", "state—first"]:
            parsed = parse(phrase)
            if parsed.phrase is None:
                continue
            fast = set(lexical.phrase_matches(level, parsed, None).tolist())
            fts = set(lexical.phrase_rows(level, quote(phrase), None, "oldest").tolist())
            assert fast == fts, phrase
