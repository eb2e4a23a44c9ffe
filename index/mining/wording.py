"""What mining counts as a word, by the index's language (recorded in its manifest, index/ingest/language.py).

- Tokens: words (index/words.py WORD), lower case, with their character span in the text, so a phrase found
  over tokens still points at the exact passage text. Korean tokens are stems: the word less its particle
  (index/korean_words.py), so '인민대중제일주의를' and '인민대중제일주의는' are one token, whose span ends where
  the stem does.
- Stop words (phrase edges, core wording, shared runs): the language's list (index/words.py stop_words); for
  English, scikit-learn's list less its content words, exactly as before languages were recorded.
- Content words and names: in a cased script a content word starts lower case and a phrase of capitalised words
  is a name. Scripts without capitals (Korean, Japanese, Chinese, Arabic, Hindi...) have neither signal: every word that is not a
  stop word is a content word, and no phrase is taken for a name by its letters.
- Phrase length: at least MIN_WORDS words, two in Korean, whose written words are a noun with its particles or
  a verb with its endings (an English phrase of three words is often two in Korean).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Iterable

from index.ingest.language import DEFAULT_LANGUAGE
from index.korean_words import known_stems, stem
from index.words import WORD, stop_words

# Languages written in scripts without capitals: Hangul, kana and Han, Ethiopic, Arabic, Devanagari, Burmese.
CASELESS = frozenset({"ko", "ja", "zh", "am", "ar", "fa", "ur", "hi", "mr", "my"})
MIN_WORDS = 3  # the shortest phrase counted...
MIN_WORDS_IN = {"ko": 2}  # ...except in these languages

Token = tuple[str, int, int]  # (word as counted, start, end in the text)


@dataclass(frozen=True)
class Wording:
    """The word rules of one language; for Korean, with the words known to be stems in the texts mined."""

    language: str
    stop: frozenset[str]
    stems: frozenset[str] = frozenset()

    @classmethod
    def of(cls, language: str = DEFAULT_LANGUAGE, texts: Iterable[str] = ()) -> "Wording":
        """The rules for `language`; Korean reads `texts` (the sentences mined) for words that take particles."""
        if cls.reads_texts(language):
            return cls(language, stop_words(language), known_stems(w.lower() for t in texts for w in WORD.findall(t)))
        return plain(language)

    @staticmethod
    def reads_texts(language: str) -> bool:
        """Whether the language's rules depend on the texts mined (Korean: which words take particles)."""
        return language == "ko"

    @property
    def caseless(self) -> bool:
        return self.language in CASELESS

    @property
    def min_words(self) -> int:
        return MIN_WORDS_IN.get(self.language, MIN_WORDS)

    def tokens(self, text: str) -> list[Token]:
        if self.language != "ko":
            return [(m.group().lower(), m.start(), m.end()) for m in WORD.finditer(text)]
        out = []
        for m in WORD.finditer(text):
            word = m.group().lower()
            base = stem(word, self.stems)
            out.append((base, m.start(), m.end() - (len(word) - len(base))))
        return out

    def words(self, text: str) -> tuple[str, ...]:
        return tuple(w for w, _, _ in self.tokens(text))

    def content_words(self, text: str) -> set[str]:
        """The words that may link two phrases: lower-case non-stop words; in a caseless script, every non-stop
        word that is not a number."""
        if self.caseless:
            return {w for w in self.words(text) if w not in self.stop and not w.isdigit()}
        return {w.lower() for w in WORD.findall(text) if w[0].islower() and w.lower() not in self.stop}

    def is_name(self, text: str) -> bool:
        """'Democratic People's Republic of Korea', 'North Hamgyong Province': names recur but are not formulations.
        Never true in a caseless script, where capitals cannot tell a name."""
        if self.caseless:
            return False
        words = [w for w in WORD.findall(text) if w.lower() not in self.stop]
        return bool(words) and all(w[0].isupper() or w[0].isdigit() for w in words)


@cache
def plain(language: str = DEFAULT_LANGUAGE) -> Wording:
    """The rules of a language whose words need no corpus to read (every language but Korean)."""
    return Wording(language, stop_words(language))
