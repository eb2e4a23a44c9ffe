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


def is_function_word(word: str) -> bool:
    return word.casefold() in FUNCTION_WORDS


@cache
def mining_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words less the content words that list also holds (lower case)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS - _CONTENT_WORDS)
