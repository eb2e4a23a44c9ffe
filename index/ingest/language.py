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

from index.errors import RefrainError
from index.ingest import korean

# The languages whose sentences Refrain splits: pysbd's (rule-based, offline) and Korean (index.ingest.korean).
LANGUAGES = {
    "en": "English", "ko": "Korean", "am": "Amharic", "ar": "Arabic", "bg": "Bulgarian", "da": "Danish",
    "de": "German", "el": "Greek", "es": "Spanish", "fa": "Persian", "fr": "French", "hi": "Hindi", "hy": "Armenian",
    "it": "Italian", "ja": "Japanese", "kk": "Kazakh", "mr": "Marathi", "my": "Burmese", "nl": "Dutch",
    "pl": "Polish", "ru": "Russian", "sk": "Slovak", "ur": "Urdu", "zh": "Chinese",
}
# Languages whose words carry their particles (Korean) or are not spaced (Japanese, Chinese): exact phrases are
# searched inside words there, in a trigram FTS5 table the build adds (index/store/database.py).
WITHIN_WORDS = frozenset({"ko", "ja", "zh"})
DEFAULT_LANGUAGE = "en"  # indexes built before languages were recorded are English

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
    return _pysbd_segment(code), version


_TRAILING_SPACE = re.compile(r"\s*")


def _pysbd_segment(code: str) -> Segment:
    """pysbd's Segmenter(language=code, clean=False).segment: the same sentences, twice as fast.

    segment() finds each sentence it cut in the text by compiling a regular expression of that sentence (escaped:
    a literal search) followed by spaces, and taking the first match, scanning from the start of the text without
    overlaps, that ends after the previous sentence. Compiling one expression per sentence was half of a build's
    segmentation time; str.find does the same search (tests/test_build_parallel.py checks both on thousands of
    real paragraphs).
    """
    segmenter = pysbd.Segmenter(language=code, clean=False)

    def segment(text: str) -> list[str]:
        if not text:
            return []
        found, prior = [], 0
        for sentence in segmenter.processor(text).process():
            start = 0
            while (at := text.find(sentence, start)) >= 0:
                end = _TRAILING_SPACE.match(text, at + len(sentence)).end()
                if end > prior:
                    found.append(text[at:end])
                    prior = end
                    break
                start = end if end > at else at + 1
        return found

    return segment


def language_of(manifest: dict) -> str:
    """The language an index was built for (English for indexes that predate the field)."""
    entry = manifest.get("language")
    return entry.get("code", DEFAULT_LANGUAGE) if isinstance(entry, dict) else DEFAULT_LANGUAGE
