"""Languages (issue #14): detection per corpus, --language, the Korean sentence splitter, stop words, and the
language recorded in the manifest. English behaviour is unchanged (tests/test_output_stability.py)."""

import json

import pysbd
import pytest

from index.errors import RefrainError
from index.ingest import korean
from index.ingest.language import LANGUAGES, choose_language, detect_language, language_of, sentence_segmenter
from index.ingest.segment import SentenceSplitter
from index.search import Searcher
from index.words import KOREAN_STOP_WORDS, mining_stop_words, stop_words
from tests.conftest import SAMPLE_CORPUS, quick_build, write_corpus

KO_SAMPLE = [
    "조선로동당 중앙위원회 전원회의가 진행되였다. 회의에서는 당의 로선을 관철할 데 대하여 토의하였다.",
    "인민대중제일주의는 우리 공화국의 영원한 생명선이다. 모든 사업을 인민을 위하여 진행하여야 한다.",
]


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in korean.sentence_spans(text)]


# ------------------------------------------------------------------ the Korean splitter


def test_korean_sentences_end_at_final_punctuation_followed_by_a_space():
    text = "회의가 진행되였다. 무엇을 해야 하는가? 모두가 떨쳐나서야 합니다! 정말 그렇습니까?"
    assert _sentences(text) == ["회의가 진행되였다.", "무엇을 해야 하는가?", "모두가 떨쳐나서야 합니다!", "정말 그렇습니까?"]


def test_korean_quotes_in_double_angle_brackets_stay_inside_their_sentence():
    text = ("결정을 채택하였다. 《우리 식 사회주의를 빛내이자!》라는 구호가 울려퍼지였다. 《로동신문》은 사설을 발표하였다. "
            "위원장은 《모든 힘을 다하자. 승리는 우리의 것이다.》라고 강조하였다. 그는 \"가자. 앞으로.\"라고 말하였다.")
    assert _sentences(text) == [
        "결정을 채택하였다.", "《우리 식 사회주의를 빛내이자!》라는 구호가 울려퍼지였다.", "《로동신문》은 사설을 발표하였다.",
        "위원장은 《모든 힘을 다하자. 승리는 우리의 것이다.》라고 강조하였다.", "그는 \"가자. 앞으로.\"라고 말하였다."]


def test_korean_dates_and_list_numbers_do_not_end_sentences():
    text = "대회는 2024. 7. 14. 평양에서 진행되였다. 과업은 다음과 같다. 1. 경제건설 2. 국방력강화"
    assert _sentences(text) == ["대회는 2024. 7. 14. 평양에서 진행되였다.", "과업은 다음과 같다.", "1. 경제건설 2. 국방력강화"]


def test_an_unclosed_quote_does_not_swallow_the_rest_of_the_paragraph():
    text = "그는 《끝나지 않은 인용을 시작하였다. 다음 문장이다. 그 다음 문장이다."
    assert _sentences(text) == ["그는 《끝나지 않은 인용을 시작하였다.", "다음 문장이다.", "그 다음 문장이다."]


def test_korean_spans_are_offsets_into_the_text():
    text = "  첫 문장이다.   둘째 문장이다.  "
    spans = korean.sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["첫 문장이다.", "둘째 문장이다."]
    assert korean.sentence_spans("") == [] and korean.sentence_spans("   ") == []


def test_the_splitter_follows_the_language_and_keys_its_cache_by_it():
    text = "회의가 진행되였다. 《로동신문》은 사설을 발표하였다."
    ko, en = SentenceSplitter(language="ko"), SentenceSplitter()
    assert [text[a:b] for a, b in ko.spans(text)] == ["회의가 진행되였다.", "《로동신문》은 사설을 발표하였다."]
    assert en.version == f"pysbd-{pysbd.__version__}"  # English keys (so every cached English split) as before
    assert ko.version == korean.VERSION and SentenceSplitter(language="de").version == f"pysbd-{pysbd.__version__}-de"
    german = "Das ist der erste Satz. Hier kommt der zweite Satz."
    assert [german[a:b] for a, b in SentenceSplitter(language="de").spans(german)] == [
        "Das ist der erste Satz.", "Hier kommt der zweite Satz."]
    with pytest.raises(RefrainError, match="unknown --language 'xx'"):
        sentence_segmenter("xx")


# ------------------------------------------------------------------ detection


def test_detection_tells_korean_by_script_and_english_by_function_words():
    sample = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt"))]
    english = detect_language(sample)
    assert (english.code, english.source) == ("en", "detected") and "function words" in english.evidence
    ko = detect_language(KO_SAMPLE * 3 + ["An English press release among Korean ones, about the harvest."])
    assert (ko.code, ko.source, ko.evidence) == ("ko", "detected", "Hangul in 6 of 7 documents sampled")
    # an English corpus with a few Korean documents stays English, and says it holds some Hangul
    mixed = detect_language(sample[:10] + KO_SAMPLE)
    assert mixed.code == "en" and mixed.evidence.endswith("Hangul in 2 of 12 documents sampled")


def test_other_languages_go_to_the_detector_and_an_unsure_guess_is_english_assumed():
    french = detect_language(["Le peuple et le parti avancent ensemble vers la victoire. Nous construisons une "
                              "nation forte et prospère, fidèle à ses fondateurs."] * 3)
    assert (french.code, french.source) == ("fr", "detected")
    salad = detect_language(["harvest 人民 народ uniq1 🚜 ক্ষেত steel"])
    assert (salad.code, salad.source) == ("en", "assumed") and "pass --language" in salad.evidence
    nothing = detect_language(["2024 1234 — 5678", ""])
    assert (nothing.code, nothing.source) == ("en", "assumed")


def test_a_given_language_is_checked_and_wins_over_detection():
    assert choose_language("ko", ["An English text about the harvest."]).as_dict() == {
        "code": "ko", "source": "given", "evidence": "--language"}
    with pytest.raises(RefrainError, match="choose one of en \\(English\\), ko \\(Korean\\)"):
        choose_language("klingon", [])


def test_the_language_is_recorded_in_the_manifest_and_shown_by_info(tmp_path, hashing):
    from index.cli.build import format_build_report

    folder = write_corpus(tmp_path / "c", {"a.txt": "제목\n\n" + KO_SAMPLE[0], "b.txt": "제목\n\n" + KO_SAMPLE[1]})
    report = quick_build([folder], tmp_path / "index", hashing)
    assert report.language == {"code": "ko", "source": "detected", "evidence": "Hangul in 2 of 2 documents sampled"}
    assert "  language: ko (detected: Hangul in 2 of 2 documents sampled)" in format_build_report(report).splitlines()
    manifest = Searcher(tmp_path / "index").manifest
    assert manifest["language"] == report.language and language_of(manifest) == "ko"
    sentences = [p.text for p in Searcher(tmp_path / "index").document(
        Searcher(tmp_path / "index").documents()[0]["doc_id"]).passages["sentence"]]
    assert sentences == ["조선로동당 중앙위원회 전원회의가 진행되였다.", "회의에서는 당의 로선을 관철할 데 대하여 토의하였다."]
    with pytest.raises(RefrainError, match="unknown --language"):
        quick_build([folder], tmp_path / "index2", hashing, language="kr")
    assert language_of({}) == "en"  # indexes built before the field existed are English


# ------------------------------------------------------------------ stop words


def test_stop_words_per_language():
    english = mining_stop_words()
    assert stop_words("en") == english and "the" in english and "first" not in english
    assert stop_words("ko") == KOREAN_STOP_WORDS
    assert {"그리고", "및", "것", "수", "우리", "있는", "되였다", "를", "는", "에서"} <= KOREAN_STOP_WORDS
    assert not {"인민", "공화국", "인민대중제일주의", "사회주의"} & KOREAN_STOP_WORDS
    assert stop_words("de") == frozenset()
    assert set(LANGUAGES) >= {"en", "ko", "de", "fr", "ru", "zh", "ja"}


def test_info_json_carries_the_language(tmp_path, hashing):
    folder = write_corpus(tmp_path / "c", {"a.txt": "Title\n\nThe people and the Party are united in this speech."})
    quick_build([folder], tmp_path / "index", hashing, language="en")
    manifest = json.loads((next((tmp_path / "index").glob("gen-*")) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["language"] == {"code": "en", "source": "given", "evidence": "--language"}
