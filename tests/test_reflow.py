"""Hard-wrapped documents (printed records) read as prose: real UN speeches from the whole-archive tarball,
read member by member (never unpacked), unwrapped corpora unchanged, and one small case per layout rule."""

from __future__ import annotations

import json
import re
import tarfile
import textwrap

import pytest

from index.embed.encoder import HashingEncoder
from index.ingest import reflow
from index.ingest.records import ReadOptions, Record, read_sources
from index.ingest.segment import REFLOW, Segmenter, paragraph_spans, passages_of
from index.textnorm import normalise
from tests.conftest import KCNA_JSON, KCNA_OPTIONS, SAMPLE_CORPUS, SHARED, UN_DIR, require

UN_ARCHIVE = SHARED / "corpora" / "un-general-debate-1946-2024" / "speeches.tar.xz"
WRAPPED = ("USA_67_2012.txt", "BGD_67_2012.txt", "JPN_66_2011.txt", "IND_60_2005.txt", "AUT_38_1983.txt",
           "GMB_49_1994.txt", "MEX_49_1994.txt", "MUS_68_2013.txt")
UNWRAPPED = ("USA_75_2020.txt", "GBR_20_1965.txt", "BRA_40_1985.txt")


@pytest.fixture(scope="module")
def speeches() -> dict[str, str]:
    """The named speeches, normalised as the reader does, read straight from the archive in one pass."""
    wanted = set(WRAPPED + UNWRAPPED)
    found = {}
    with tarfile.open(require(UN_ARCHIVE), "r:xz") as archive:
        for member in archive:
            name = member.name.rsplit("/", 1)[-1]
            if name in wanted:
                found[name] = normalise(archive.extractfile(member).read().decode("utf-8-sig"))
                if len(found) == len(wanted):
                    break
    assert set(found) == wanted
    return found


def segment(text: str, max_tokens: int = 256) -> dict[str, list]:
    encoder = HashingEncoder(dim=16, max_tokens=max_tokens)
    return passages_of(text, Segmenter(encoder.token_spans, max_tokens).segment(text))


def texts(passages) -> list[str]:
    return [p.text for p in passages]


def assert_offsets_point_into_the_document(text: str, passages: dict) -> None:
    """Every passage starts and ends where its text does, and reads like its span with line breaks as spaces."""
    for level, items in passages.items():
        for p in items:
            assert "\n" not in p.text, p.text
            assert text[p.start] == p.text[0] and text[p.end - 1] == p.text[-1], (level, p.text[:60])
            span_words = re.sub(r"\s+", " ", text[p.start:p.end])
            assert len(p.text) <= len(span_words)


# --- real speeches -------------------------------------------------------------------------------------

def test_real_wrapped_speeches_are_detected_with_their_printed_width(speeches):
    for name in WRAPPED:
        layout = reflow.detect(speeches[name])
        assert layout is not None, name
        assert 45 <= layout.width <= 60, (name, layout.width)
    for name in UNWRAPPED:
        assert reflow.detect(speeches[name]) is None, name


def test_a_printed_speech_becomes_paragraphs_of_whole_sentences(speeches):
    text = speeches["USA_67_2012.txt"]
    before = text.count("\n") + 1  # each printed line was a paragraph of its own, or a page a window
    passages = segment(text)
    paragraphs, sentences = texts(passages["paragraph"]), texts(passages["sentence"])
    assert paragraphs[0].startswith("I would like to begin today by telling the Assembly about an American named "
                                    "Chris Stevens. Chris was born in a town called Grass Valley, California,")
    assert "Chris Stevens loved his work. He took pride in the country he served, and he saw dignity in the " \
           "people that he met." in paragraphs
    assert 30 <= len(paragraphs) < before / 5
    assert "As a young man, Chris joined the Peace Corps and taught English in Morocco, and he came to love and " \
           "respect the people of North Africa and the Middle East." in sentences
    starts_lower = [s for s in sentences if s[0].islower()]
    assert not starts_lower, starts_lower[:3]
    assert_offsets_point_into_the_document(text, passages)


def test_the_fragments_named_in_the_issue_are_whole_sentences_now(speeches):
    bgd = texts(segment(speeches["BGD_67_2012.txt"])["sentence"])
    assert any(s.startswith("I warmly congratulate Mr. Jeremić on his election as President of the General Assembly "
                            "at its sixty-seventh session, and I thank Mr. Nassir Abdulaziz Al-Nasser") for s in bgd)
    mus = texts(segment(speeches["MUS_68_2013.txt"])["sentence"])
    assert "of a post-2015 development agenda." not in mus
    assert any(s.endswith("should not be overlooked in the formulation of a post-2015 development agenda.") for s in mus)


def test_page_furniture_is_dropped_and_a_sentence_runs_on_across_the_page_break(speeches):
    text = speeches["JPN_66_2011.txt"]
    assert "31 11-51185" in text
    passages = segment(text)
    joined = " ".join(texts(passages["paragraph"]))
    assert "11-51185" not in joined
    assert ("University students in Kenya gathered in Nairobi in memory of Japanese victims of the earthquake. "
            "They sang in chorus the popular Japanese song known outside Japan as “Sukiyaki”") in joined
    # printed records break lines at compounds: those hyphens stay
    assert "pay my deep respects to Secretary-General Ban Ki-moon for his leadership." in joined
    assert "the presidency of the General Assembly at its sixty-sixth session." in joined
    assert_offsets_point_into_the_document(text, passages)


def test_a_page_number_between_paragraphs_is_in_no_passage(speeches):
    text = speeches["IND_60_2005.txt"]
    passages = segment(text)
    paragraphs = texts(passages["paragraph"])
    assert any(p.endswith("under your stewardship, Mr. President.") for p in paragraphs)
    assert any(p.startswith("You, Sir, have suggested a very appropriate theme") for p in paragraphs)
    assert not any(re.search(r"(^| )26( |$)", p) for p in paragraphs)
    assert "It started with the report of the High-level Panel on Threats, Challenges and Change." in \
        texts(passages["sentence"])


def test_hyphens_cut_at_a_line_end_join_where_the_speech_spells_the_word_whole(speeches):
    gmb = speeches["GMB_49_1994.txt"]
    assert "inter-\nnational" in gmb
    words = " ".join(texts(segment(gmb)["sentence"]))
    assert "inter-national" not in words and "inter- national" not in words
    mex = " ".join(texts(segment(speeches["MEX_49_1994.txt"])["sentence"]))
    assert "de-velopment" not in mex and "development" in mex


def test_numbered_paragraphs_of_old_records_start_paragraphs(speeches):
    paragraphs = texts(segment(speeches["AUT_38_1983.txt"])["paragraph"])
    for number in ("181", "182", "183", "184"):
        assert sum(p.startswith(f"{number}. ") for p in paragraphs) == 1, number


def test_unwrapped_speeches_segment_as_lines_and_blocks_as_before(speeches):
    for name in UNWRAPPED:
        text = speeches[name]
        spans = Segmenter(HashingEncoder(dim=16).token_spans, 128).segment(text)
        assert REFLOW not in spans
        assert all(p.text == text[p.start:p.end] for items in passages_of(text, spans).values() for p in items)


def test_wrapped_text_reads_the_same_from_a_text_file_and_from_json_and_csv_records(speeches, tmp_path):
    import csv

    text = speeches["USA_67_2012.txt"]
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "USA_67_2012.txt").write_text(text, encoding="utf-8")
    (folder / "speeches.jsonl").write_text(json.dumps({"text": text, "title": "USA 2012"}) + "\n", encoding="utf-8")
    with open(folder / "speeches.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["title", "text"], ["USA 2012", text]])
    records = [r for r in read_sources([str(folder)], ReadOptions()) if isinstance(r, Record)]
    assert len(records) == 3
    txt = next(r for r in records if r.source.endswith(".txt"))
    assert txt.title == "USA_67_2012" and not txt.title_in_text  # the first printed line is speech, not a title
    cuts = []
    for record in records:
        spans = Segmenter(HashingEncoder(dim=16).token_spans, 128).segment(record.text, title_in_text=record.title_in_text)
        cuts.append({level: texts(items) for level, items in passages_of(record.text, spans).items()})
    assert cuts[0] == cuts[1] == cuts[2]
    assert cuts[0]["sentence"][0] == "I would like to begin today by telling the Assembly about an American named Chris Stevens."


def test_kcna_the_sample_and_the_2020_2024_folder_keep_their_segmentation():
    """No KCNA story and no sample speech is taken for printed text; of the 2020-2024 folder only typescripts
    cut at a width are (checked by hand: lines of 63-102 characters ending mid-sentence)."""
    kcna = [r for r in read_sources([str(require(KCNA_JSON))], KCNA_OPTIONS) if isinstance(r, Record)]
    assert len(kcna) > 1800 and not [r.locator for r in kcna if reflow.detect(r.text)]
    sample = [r for r in read_sources([str(SAMPLE_CORPUS)], ReadOptions()) if isinstance(r, Record)]
    assert len(sample) == 48 and not [r.source for r in sample if reflow.detect(r.text)]
    un = [r for r in read_sources([str(require(UN_DIR))], ReadOptions()) if isinstance(r, Record)]
    wrapped = sorted(r.source.rsplit("/", 1)[-1] for r in un if reflow.detect(r.text))
    assert len(un) == 964 and len(wrapped) == 14
    assert {"CHN_79_2024.txt", "USA_79_2024.txt", "CAN_79_2024.txt"} <= set(wrapped)
    assert all(name.endswith("_2024.txt") for name in wrapped)


# --- one rule at a time, on small cases ---------------------------------------------------------------

def printed(*paragraphs: str, width: int = 50) -> str:
    """Paragraphs set in lines of at most `width` characters, one after another with no blank line."""
    return "\n".join(textwrap.fill(p, width, break_on_hyphens=False, break_long_words=False) for p in paragraphs)


LOREM = ("The delegation of the small island State has followed the work of the Organization with the closest "
         "attention for many years and wishes to record its thanks to all those who have served it so well")


def test_lines_inside_a_paragraph_join_with_spaces_and_keep_document_offsets():
    first = LOREM + "."
    second = "Our second point concerns the oceans, which rise every year and threaten the homes of our people."
    text = printed(first, second)
    assert reflow.detect(text) is not None
    passages = segment(text)
    assert texts(passages["paragraph"]) == [first, second]
    p = passages["paragraph"][1]
    assert (p.start, p.end) == (text.index("Our second"), len(text))
    assert_offsets_point_into_the_document(text, passages)


def test_a_sentence_ending_at_full_width_does_not_end_the_paragraph():
    lines = [
        "The delegation of the small island State has been",
        "following the work of the Organization with care",
        "for many years and wishes to thank all who serve.",  # full width: "Peace" could not have fitted
        "Peace needs patience, and our people know it well",
        "after decades of waiting for the rich countries to",
        "keep the promises made in this very hall to them.",
        "They will wait no longer.",  # ends well short of the width: the paragraph ends here
        "Our second point concerns the oceans, which rise",
        "every year and threaten the homes of our people.",
    ]
    text = "\n".join(lines)
    assert reflow.detect(text).width >= len(lines[2])
    paragraphs = texts(segment(text)["paragraph"])
    assert paragraphs == [" ".join(lines[:7]), " ".join(lines[7:])]


def test_an_indented_first_line_that_ends_early_starts_a_paragraph():
    lines = [
        "The delegation of the small island State has been",
        "following the work of the Organization with care",
        "for many years and wishes to thank all who serve.",  # full width: the layout alone cannot tell
        "Our second point concerns the oceans,",  # indented in print: "which" would have fitted, yet it wrapped
        "which rise every year and threaten the homes of",
        "our people and the peoples of all island States,",
        "and it is for this reason that we ask once again",
        "for the help of those whose fuel made them rise.",
    ]
    paragraphs = texts(segment("\n".join(lines))["paragraph"])
    assert paragraphs == [" ".join(lines[:3]), " ".join(lines[3:])]


def test_a_numbered_paragraph_starts_a_paragraph_even_after_a_full_line():
    text = printed("12. " + LOREM + " of them.", "13. " + LOREM + ".", width=50)
    assert [p[:4] for p in texts(segment(text)["paragraph"])] == ["12. ", "13. "]


@pytest.mark.parametrize("elsewhere, expected", [
    ("the international community,", "international"),  # the speech spells it whole: join
    ("an inter-national community,", "inter-national"),  # it spells it with a hyphen: keep
    ("the community of nations,", "inter-national"),  # no evidence: printed records break lines at compounds
])
def test_a_hyphen_at_a_line_end_is_dropped_only_on_evidence_from_the_same_document(elsewhere, expected):
    text = "\n".join([
        "We say that the whole of the community of nations",
        "and its members must see to it that the old inter-",
        "national order is reformed so that every country",
        "has a voice in the decisions that shape its life.",
        f"That is the wish of {elsewhere} and it is",
        "the wish of the people of our own small country.",
    ])
    words = " ".join(texts(segment(text)["sentence"]))
    assert f"the old {expected} order is reformed" in words


def test_a_suspended_hyphen_keeps_its_space_and_a_compound_keeps_its_hyphen():
    text = normalise("\n".join([
        "The small island States have suffered both micro-",
        "and macro-economic shocks in the past year, and as",
        "is well-",
        "known, they need help from the well-",
        "known partners of the whole international system",
        "and from the people of every nation in the world.",
    ]))
    words = " ".join(texts(segment(text)["sentence"]))
    assert "both micro- and macro-economic shocks" in words
    assert "as is well-known, they need help from the well-known partners" in words


def test_blank_lines_that_follow_sentence_ends_mark_paragraphs_and_others_are_page_breaks():
    paragraph = [
        "The delegation of the small island State has been",
        "following the work of the Organization with care",
        "for many years and wishes to thank all who serve.",
    ]
    page_break = [
        "Our second point concerns the oceans, which rise",
        "every year and threaten the homes of our people",
        "",  # a page ends inside the sentence
        "and of the peoples of all the island States.",
    ]
    blocks = ["\n".join(paragraph)] * 3 + ["\n".join(page_break)] + ["\n".join(paragraph)] * 3
    text = "\n\n".join(blocks)
    layout = reflow.detect(text)
    assert layout is not None and layout.blank_paragraphs
    paragraphs = texts(segment(text)["paragraph"])
    assert paragraphs[3] == " ".join(line for line in page_break if line)
    assert paragraphs == [" ".join(paragraph)] * 3 + [paragraphs[3]] + [" ".join(paragraph)] * 3


def test_one_paragraph_per_line_and_blank_line_blocks_are_not_reflowed():
    per_line = "\n".join(f"Paragraph {i} says something complete about the harvest." for i in range(10))
    assert reflow.detect(per_line) is None
    assert paragraph_spans(per_line) == paragraph_spans(per_line, layout=None)
    poem = "\n".join(["The river runs", "beneath the hill,", "the people sing", "and all is still."] * 3)
    assert reflow.detect(poem) is None


def test_a_cached_segmentation_gives_the_same_passages():
    text = printed(LOREM + " and the international community.", width=50) + "\nWe thank the inter-\n" + \
        printed("national community. " + LOREM + ".")
    spans = Segmenter(HashingEncoder(dim=16).token_spans, 40).segment(text)
    again = json.loads(json.dumps(spans))  # as the segmentation cache stores it
    assert REFLOW in again
    assert passages_of(text, again) == passages_of(text, spans)
    assert "We thank the international community." in texts(passages_of(text, again)["sentence"])
