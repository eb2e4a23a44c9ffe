"""What a word is, and which words carry no content: defined once, for mining, phrases, highlighting and Compare.

The tokenisations differ on purpose, and each result depends on its own (changing one changes what is found):
- WORD, a run of word characters: "state-first" is two words, "people's" two. Mining and lexical phrases count
  these, and the hashing stand-in encoder hashes them.
- TERM, a word with its inner apostrophes: "people's" is one, as a reader sees it. Highlighting matches these.
- TERM_OR_MARK, a term or one punctuation mark: what the Compare view aligns.
- WORD_OR_MARK, a word or one punctuation mark: the hashing encoder's stand-in for a model's tokens (it splits
  "people's" as a subword tokenizer does), which sets how long its passages may be.

The two stop-word lists have two jobs:
- FUNCTION_WORDS, a short hand-made list: words never highlighted on their own as shared wording, since every
  passage shares them. "will" and "must" are not in it: "the will of the people", "must be" are wording analysts
  look for.
- mining_stop_words(), scikit-learn's English list less the content words it also holds: a recurring phrase may
  not start or end with one ("state-first" and "people-first" keep their "first"), the core wording of a
  formulation drops runs made only of them, and they neither make a phrase a name nor link two phrases. Loaded on
  first use: scikit-learn takes about two seconds to import, which the CLI and the explorer should not pay at start.
"""

from __future__ import annotations

import re
from functools import cache

WORD = re.compile(r"\w+")
TERM = re.compile(r"\w+(?:['’]\w+)*")
TERM_OR_MARK = re.compile(rf"{TERM.pattern}|[^\w\s]")
WORD_OR_MARK = re.compile(rf"{WORD.pattern}|[^\w\s]")

FUNCTION_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up upon
very was we were what when where which while who whom why with would you your yours yourself
yourselves shall may might us let
""".split())

# scikit-learn's list holds these content words too; phrases must keep them ("people-first", "the last year").
_CONTENT_WORDS = frozenset({
    "first", "second", "third", "fifteen", "fifty", "forty", "sixty", "twenty", "fire", "bill", "system", "interest",
    "computer", "found", "full", "move", "part", "side", "thick", "thin", "top", "bottom", "back", "front", "call",
    "cry", "describe", "detail", "fill", "find", "give", "go", "keep", "made", "mill", "name", "put", "see",
    "serious", "show", "take", "amount", "sincere", "last", "next", "former", "latter", "un", "de", "co",
})


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


def is_function_word(word: str) -> bool:
    return word.casefold() in FUNCTION_WORDS


@cache
def mining_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words less the content words that list also holds (lower case)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS - _CONTENT_WORDS)


def stop_words(language: str = "en") -> frozenset[str]:
    """Words that carry no content in the language (lower case), for phrase edges and core wording; empty where
    Refrain has no list (the language's phrases then keep every word)."""
    if language == "en":
        return mining_stop_words()
    return KOREAN_STOP_WORDS if language == "ko" else frozenset()
