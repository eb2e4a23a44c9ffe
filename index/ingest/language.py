"""A corpus's language: given with --language or detected, and what it decides: the sentence splitter and
the stop words. (Dates need no language: Korean and Juche-era dates are read in any corpus, see dates.py.)

Detection is per corpus and cheap where it can be certain: Korean is told by its script (Hangul), English
by its function words ('the', 'of', 'and' make up a tenth of any English prose and almost none of any other
language). Only a corpus that is neither loads py3langid (a maintained fork of langid.py; its model ships in
the package as compressed NumPy arrays, never pickled, and takes two seconds to load), restricted to the
languages Refrain can split. When it is unsure, English is assumed and the manifest says so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Callable, Sequence

import pysbd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from index.errors import RefrainError
from index.ingest import korean

# The languages whose sentences Refrain splits: pysbd's (rule-based, offline) and Korean (index.ingest.korean).
LANGUAGES = {
    "en": "English", "ko": "Korean", "am": "Amharic", "ar": "Arabic", "bg": "Bulgarian", "da": "Danish",
    "de": "German", "el": "Greek", "es": "Spanish", "fa": "Persian", "fr": "French", "hi": "Hindi", "hy": "Armenian",
    "it": "Italian", "ja": "Japanese", "kk": "Kazakh", "mr": "Marathi", "my": "Burmese", "nl": "Dutch",
    "pl": "Polish", "ru": "Russian", "sk": "Slovak", "ur": "Urdu", "zh": "Chinese",
}
DEFAULT_LANGUAGE = "en"  # indexes built before languages were recorded are English

# scikit-learn's English stop words, less the content words that list also holds ("first", "fire", "system"...):
# "state-first" and "people-first" must keep their "first".
ENGLISH_STOP_WORDS_KEPT = ENGLISH_STOP_WORDS - {
    "first", "second", "third", "fifteen", "fifty", "forty", "sixty", "twenty", "fire", "bill", "system", "interest",
    "computer", "found", "full", "move", "part", "side", "thick", "thin", "top", "bottom", "back", "front", "call",
    "cry", "describe", "detail", "fill", "find", "give", "go", "keep", "made", "mill", "name", "put", "see",
    "serious", "show", "take", "amount", "sincere", "last", "next", "former", "latter", "un", "de", "co",
}
# Korean: words written apart that carry no content (conjunctions, determiners, pronouns with their usual
# particle, bound nouns, auxiliary verbs; South and North Korean spellings: 되었다 / 되였다), and the particles
# themselves, which a morphological tokenizer separates from their noun ('인민대중제일주의를' -> '...주의' + '를').
# 우리 ('our') is a stop word as "our" is in English: '우리 국가제일주의' and '국가제일주의' are one phrase.
KOREAN_STOP_WORDS = frozenset("""
그리고 그러나 하지만 그런데 그러므로 따라서 또한 또 및 등 등의 등을 또는 혹은 즉 곧 및
이 그 저 이런 그런 저런 이러한 그러한 이와 같은 같이 모든 각 각각 여러 어느 무슨
것 것은 것이 것을 것이다 것으로 수 수가 수도 때 때문 때문에 데 바 등이 중 가운데
우리 우리의 우리는 우리가 우리를 우리에게 그는 그가 그의 그들 그들의 이것 그것 이것은 그것은
더 가장 매우 아주 더욱 특히 다시 이미 바로 함께 모두 다
위한 위해 위하여 위해서 대한 대해 대하여 통해 통하여 따라 따른 관한 관하여 의한 의하여
있다 있는 있으며 있고 있을 있었다 없다 없는 하는 한다 하고 하여 하였다 했다 한 할 합니다
된 되는 되어 되여 되었다 되였다 된다 이다 이며 이고 입니다 아니라 아닌
은 는 이 가 을 를 의 에 에서 에게 에게서 께 께서 로 으로 로서 으로서 로써 으로써 와 과 도 만 까지 부터
보다 처럼 마다 이나 나 이든 든 이라고 라고 고 이라는 라는 이란 란 며 한테 더러 조차 마저 뿐
""".split())
_STOP_WORDS = {"en": frozenset(ENGLISH_STOP_WORDS_KEPT), "ko": KOREAN_STOP_WORDS}

SAMPLE_DOCUMENTS = 200  # detection reads this many documents, spread over the corpus...
SAMPLE_CHARS = 2000  # ...this much of each
HANGUL_SHARE = 0.5  # a document whose letters are at least half Hangul is Korean
ENGLISH_MARKER_SHARE = 0.08  # English prose: 20-30% of its words are these; other languages: under 2%
ENGLISH_MARKERS = frozenset("the of and to that is for with was are this be by it as we our have has which their".split())
DETECTOR_CONFIDENCE = 0.9  # py3langid's probability below which the detected language is not trusted
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w+")

Segment = Callable[[str], list[str]]


@dataclass(frozen=True)
class LanguageChoice:
    """The corpus language, how it was chosen ('given', 'detected', 'assumed'), and the evidence in words."""

    code: str
    source: str
    evidence: str

    def as_dict(self) -> dict:
        return asdict(self)


def check_language(code: str) -> str:
    """The code itself if Refrain supports it, else a RefrainError listing the choices."""
    if code not in LANGUAGES:
        choices = ", ".join(f"{c} ({n})" for c, n in LANGUAGES.items())
        raise RefrainError(f"unknown --language {code!r}; choose one of {choices}")
    return code


def choose_language(given: str | None, texts: Sequence[str]) -> LanguageChoice:
    """The language given (checked), or the one detected in the documents' texts."""
    if given:
        return LanguageChoice(check_language(given), "given", "--language")
    return detect_language(texts)


def detect_language(texts: Sequence[str]) -> LanguageChoice:
    """The corpus's language from a sample of its documents (see the module docstring for the method)."""
    step = max(1, len(texts) // SAMPLE_DOCUMENTS)
    sample = [text[:SAMPLE_CHARS] for text in texts[::step][:SAMPLE_DOCUMENTS]]
    with_letters = [s for s in sample if _LETTER.search(s)]
    if not with_letters:
        return LanguageChoice(DEFAULT_LANGUAGE, "assumed", "no letters in the documents")
    korean_docs = sum(_is_korean(s) for s in with_letters)
    hangul = f"Hangul in {korean_docs} of {len(with_letters)} documents sampled"
    if korean_docs * 2 > len(with_letters):
        return LanguageChoice("ko", "detected", hangul)
    words = [w.lower() for s in with_letters for w in _WORD.findall(s)]
    markers = sum(w in ENGLISH_MARKERS for w in words) / max(1, len(words))
    mixed = f"; {hangul}" if korean_docs else ""
    if markers >= ENGLISH_MARKER_SHARE:
        return LanguageChoice("en", "detected", f"English function words are {markers:.0%} of the words{mixed}")
    code, probability = _identifier().classify("\n".join(with_letters))
    if probability >= DETECTOR_CONFIDENCE:
        return LanguageChoice(code, "detected", f"py3langid, probability {probability:.2f}{mixed}")
    return LanguageChoice(DEFAULT_LANGUAGE, "assumed", f"undetermined (py3langid's best guess {code}, probability "
                          f"{probability:.2f}); pass --language if the corpus is not English{mixed}")


def _is_korean(text: str) -> bool:
    return len(_HANGUL.findall(text)) >= HANGUL_SHARE * len(_LETTER.findall(text))


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in LANGUAGES if code in identifier.nb_classes])
    return identifier


def sentence_segmenter(code: str) -> tuple[Segment, str]:
    """The language's sentence splitter (text -> sentence strings) and its version, which keys cached splits."""
    check_language(code)
    if code == "ko":
        return korean.sentences, korean.VERSION
    version = f"pysbd-{pysbd.__version__}" + ("" if code == "en" else f"-{code}")
    return pysbd.Segmenter(language=code, clean=False).segment, version


def stop_words(code: str) -> frozenset[str]:
    """Words that carry no content in the language (lowercase); empty where Refrain has no list."""
    return _STOP_WORDS.get(code, frozenset())


def language_of(manifest: dict) -> str:
    """The language an index was built for (English for indexes that predate the field)."""
    entry = manifest.get("language")
    return entry.get("code", DEFAULT_LANGUAGE) if isinstance(entry, dict) else DEFAULT_LANGUAGE
