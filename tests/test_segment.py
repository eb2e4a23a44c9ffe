import re

from index.embed.encoder import HashingEncoder
from index.ingest.segment import DEFAULT_DATELINE, Segmenter, paragraph_spans, passages_of, token_windows
from index.textnorm import normalise


def segmenter(max_tokens=40):
    enc = HashingEncoder(dim=16, max_tokens=max_tokens)
    return Segmenter(enc.token_spans, enc.max_tokens)


def test_blank_line_documents_keep_wrapped_lines_in_one_paragraph():
    text = normalise("Title\n\nFirst paragraph line one\ncontinues here on line two.\n\nSecond paragraph stands alone here.")
    spans = paragraph_spans(text, title_in_text=True)
    assert [text[a:b] for a, b in spans] == [
        "First paragraph line one\ncontinues here on line two.",
        "Second paragraph stands alone here.",
    ]


def test_single_newline_documents_have_one_paragraph_per_line():
    text = "One line is a paragraph here.\nAnother line is another paragraph."
    assert [text[a:b] for a, b in paragraph_spans(text)] == text.split("\n")


def test_short_fragments_join_a_neighbour_and_boilerplate_is_left_out():
    text = "Comrades,\nThe harvest was the best in a decade.\nBack to top button\nWe will build more dams next year.\nThank you."
    spans = paragraph_spans(text, skip_lines={"Back to top button"})
    assert [text[a:b] for a, b in spans] == [
        "Comrades,\nThe harvest was the best in a decade.",  # a salutation joins the next paragraph
        "We will build more dams next year.\nThank you.",  # a closing fragment joins the previous one
    ]


def test_dateline_is_kept_in_the_document_but_not_in_passages():
    text = "Pyongyang, July 14 (KCNA) -- The harvest was good.\nSecond paragraph follows here."
    spans = paragraph_spans(text, dateline=re.compile(DEFAULT_DATELINE))
    assert text[spans[0][0]:spans[0][1]] == "The harvest was good."


def test_sentences_have_exact_offsets_and_short_ones_merge():
    text = "Mr. Kim met the delegation on Sept. 5 in the capital. Yes. They agreed on three points.\n\nNext."
    spans = segmenter().segment(text)
    sentences = [text[a:b] for a, b in spans["sentence"]]
    # "Yes." is under three words and joins the next sentence; the trailing "Next." paragraph joins the previous one
    assert sentences == ["Mr. Kim met the delegation on Sept. 5 in the capital.", "Yes. They agreed on three points.\n\nNext."]
    passages = passages_of(text, spans)
    for level, items in passages.items():
        assert [p.ordinal for p in items] == list(range(len(items)))
        assert all(p.text == text[p.start:p.end] for p in items)


def test_long_paragraphs_become_windows_on_sentence_boundaries_without_loss():
    sentences = [f"Sentence number {i} talks about the dam and the river and the people." for i in range(12)]
    text = " ".join(sentences)
    spans = segmenter(max_tokens=40).segment(text)
    windows = [text[a:b] for a, b in spans["paragraph"]]
    assert len(windows) > 1
    enc = HashingEncoder(dim=16, max_tokens=40)
    assert all(len(enc.token_spans(w)) <= 40 for w in windows)
    assert all(w.endswith(".") for w in windows)  # cut between sentences
    assert " ".join(windows) == text  # nothing dropped, nothing repeated


def test_a_single_huge_line_without_punctuation_is_cut_into_word_windows():
    words = [f"word{i}" for i in range(3000)]
    text = " ".join(words)
    spans = segmenter(max_tokens=50).segment(text)
    for level in ("paragraph", "sentence"):
        pieces = [text[a:b] for a, b in spans[level]]
        assert " ".join(pieces).split() == words
        assert max(len(p.split()) for p in pieces) <= 50


def test_token_windows_never_split_words_when_avoidable():
    enc = HashingEncoder(dim=16, max_tokens=5)
    piece = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda"
    windows = token_windows(piece, enc.token_spans, 5)
    assert [piece[a:b] for a, b in windows] == ["alpha beta gamma delta epsilon", "zeta eta theta iota kappa", "lambda"]
