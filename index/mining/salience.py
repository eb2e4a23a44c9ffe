"""Formulations before furniture: a category for each formulation and a salience score to rank by.

Ranked by documents alone, a news corpus opens with its furniture: titles and names ("respected Comrade Kim Jong
Un", "president of the State Affairs"), stock headers ("Following are major news items…", "The message said:").
Each formulation's label (its most used wording) is read as words and placed in one category:

- "stock", a stock phrase: most of its passages end with ':' (a header introducing what follows).
- "title", a title, honorific or name: it holds an honorific (HONORIFICS: "respected", "beloved"), or more than
  half of its content words are names or title words (TITLE_WORDS: "president", "secretary"). A name is a word
  written with a capital where English would not need one: inside the label, inside a word ("ComradeKim"), or
  first in the label when the corpus capitalises it in mid-sentence at least half the time or the next word is
  capitalised too. Half is not enough: "people and our Party", "youth of Kestria" are slogans.
- "stock" again: at least half of its content words are reporting words (REPORTING: "said", "following",
  "message", "speech"), or names and reporting words together are more than half, reporting words more
  ("Korea released the following press statement"; with names more, "… of Korea, received a message" is a title).
- "formulation": everything else, slogans and policy wording.

The score ranks within a category, in the spirit of c-TF-IDF (BERTopic): documents x distinctiveness x content
share, where distinctiveness is the mean inverse sentence frequency of the label's content words, scaled to 0..1,
so wording made of the corpus's commonest words ("country and the people") ranks below rarer wording used as
often. Every input is stored with the score (types.Salience), so a category can be checked by hand.

Words are read by the index's language (mining/wording.py): in Korean they are counted without their particles,
its own lists of honorifics, title words and reporting words apply (KOREAN_LISTS), and no word is a name by its
letters (Hangul has no capitals), so only title words make a title. Languages without lists of their own use the
English ones, which then rarely match: their formulations are told apart by headers and scores alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from index.mining.types import Salience
from index.korean_words import stem
from index.mining.wording import Wording, plain
from index.words import WORD

CATEGORIES = ("formulation", "title", "stock")  # the default order lists them in this order
FURNITURE = ("title", "stock")  # hidden unless asked for
SHARE = 0.5  # a label is a title (or stock phrase) when at least this share of its content words are

HONORIFICS = frozenset("""
respected beloved esteemed revered venerable illustrious peerless peerlessly dear excellency majesty highness
""".split())
TITLE_WORDS = frozenset("""
president vice chairman chairwoman chairperson secretary premier minister marshal general comrade leader commander
director ambassador deputy chief prime chancellor governor mayor senator member head department king queen prince
princess sir mr mrs ms dr
""".split())
REPORTING = frozenset("""
said say says saying told tells noted stressed added pointed reads read following follows followed message messages
letter letters statement press released issued published carried news items articles article report reported
quoted according address addresses speech speeches made delivered present attended accompanied ceremony held took
place occasion sent received
""".split())


@dataclass(frozen=True)
class WordLists:
    honorifics: frozenset[str]
    titles: frozenset[str]
    reporting: frozenset[str]


ENGLISH_LISTS = WordLists(HONORIFICS, TITLE_WORDS, REPORTING)


def _stems(words: str) -> frozenset[str]:
    """Each word as mining counts it in Korean (its particle or ending stripped: '경애하는' -> '경애하'), and as written."""
    listed = words.split()
    return frozenset(listed) | {stem(w, frozenset()) for w in listed}


# Korean (South and North Korean spelling); matched as stems, as mining reads words (index/korean_words.py).
KOREAN_LISTS = WordLists(
    _stems("경애하는 존경하는 친애하는 위대한 경애하올 존경하올 어버이 각하 영명하신"),
    _stems("""
    위원장 부위원장 총비서 비서 동지 대통령 주석 총리 총장 원수 장군 수령 령도자 영도자 지도자 대사 의장 부장 국장 상 부상
    위원 대표 사령관 총사령관 국무위원장 수상 장관 차관 성원
    """),
    _stems("""
    말하였다 말했다 밝혔다 밝히였다 강조하였다 강조했다 지적하였다 지적했다 언급하였다 전하였다 전했다 보도하였다 보도했다
    발표 발표하였다 담화 보도 소식 기사 통신 신문 연설 축하문 축전 서한 편지 메쎄지 메시지 성명 론평 참가하였다 참석하였다
    진행되였다 진행되었다 진행하였다 보냈다 받았다 전달하였다 다음
    """),
)
LISTS = {"en": ENGLISH_LISTS, "ko": KOREAN_LISTS}


@dataclass(frozen=True)
class WordStats:
    """The mined corpus's sentences as counts: how many hold each word, and how often it is capitalised when it
    is not first in its sentence (lower-case words)."""

    sentences: int
    holding: dict[str, int]
    capitalised: dict[str, float]
    wording: Wording = field(default_factory=plain)  # the language's word rules

    @classmethod
    def of(cls, sentences: Iterable[str], wording: Wording | None = None) -> "WordStats":
        wording = wording or plain()
        holding: dict[str, int] = {}
        inner: dict[str, int] = {}
        upper: dict[str, int] = {}
        n = 0
        for text in sentences:
            n += 1
            for w in set(wording.words(text)):
                holding[w] = holding.get(w, 0) + 1
            if wording.caseless:
                continue
            words = WORD.findall(text)
            for w in words[1:]:
                key = w.lower()
                inner[key] = inner.get(key, 0) + 1
                if _has_capital(w):
                    upper[key] = upper.get(key, 0) + 1
        return cls(n, holding, {w: upper.get(w, 0) / c for w, c in inner.items()}, wording)

    def distinctiveness(self, words: list[str]) -> float:
        if not words or not self.sentences:
            return 0.0
        top = math.log(1 + self.sentences)
        return sum(math.log(1 + self.sentences / max(self.holding.get(w.lower(), 0), 1)) for w in words) / len(words) / top


def assess(label: str, members: Iterable[str], n_documents: int, stats: WordStats) -> Salience:
    """The category and score of a formulation labelled `label`, whose member passages are `members`."""
    wording = stats.wording
    lists = LISTS.get(wording.language, ENGLISH_LISTS)
    words = list(wording.words(label)) if wording.caseless else WORD.findall(label)
    content = [(i, w) for i, w in enumerate(words) if w.lower() not in wording.stop and not w.isdigit() and len(w) > 1]
    texts = list(members)
    header = sum(t.rstrip().endswith(":") for t in texts) / len(texts) if texts else 0.0
    if not content:
        return Salience("stock", 0.0, 0.0, 0.0, 0.0, 0.0, round(header, 4))
    names = sum(_is_name(i, w, words, stats, lists) for i, w in content) / len(content)
    frames = sum(w.lower() in lists.reporting for _, w in content) / len(content)
    honorific = any(w.lower() in lists.honorifics for _, w in content)
    if header >= SHARE:
        category = "stock"
    elif honorific or names > SHARE or (names + frames > SHARE and names >= frames):
        category = "title"
    elif frames >= SHARE or names + frames > SHARE:
        category = "stock"
    else:
        category = "formulation"
    distinct = stats.distinctiveness([w for _, w in content])
    share = len(content) / len(words)
    return Salience(category, round(n_documents * distinct * share, 4), round(distinct, 4), round(share, 4),
                    round(names, 4), round(frames, 4), round(header, 4))


def _is_name(position: int, word: str, words: list[str], stats: WordStats, lists: WordLists = ENGLISH_LISTS) -> bool:
    """A title word, a word with a capital inside it, or a capitalised word where English would not need one:
    inside the label, or first in it when the corpus capitalises it mid-sentence at least half the time or the
    next word of the label is capitalised too ("People's Army"). In a caseless script, a title word only."""
    key = word.lower()
    if key in lists.titles or any(c.isupper() for c in word[1:]):
        return True
    if stats.wording.caseless:
        return False
    if not word[0].isupper():
        return False
    if position > 0 or stats.capitalised.get(key, 0.0) >= SHARE:
        return True
    following = [w for w in words[1:] if len(w) > 1]
    return bool(following) and following[0][0].isupper()


def _has_capital(word: str) -> bool:
    return any(c.isupper() for c in word)
