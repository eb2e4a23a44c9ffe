"""Korean words without their particles: '인민대중제일주의를', '…는', '…의' are one word, '인민대중제일주의'.

Korean writes a noun and its particles as one word, so a phrase counted over written words splits into a new
phrase for every particle. The stem is the word with its particle removed by a rule over a closed list
(PARTICLES, the longest that fits first), and only where Korean would write that particle: 이/을/은/과/으로
after a final consonant, 가/를/는/와/로 after a vowel (로 after ㄹ too). At least STEM_SYLLABLES syllables are
kept, so '나라' and '당이' stay whole.

A word that ends like a particle may be a stem itself ('사회주의', '어린이', '함경북도'). Two guards: nouns whose
last syllable is also a particle and which North Korean prose uses all the time (STEM_ENDINGS: '…주의', '…회의',
'…국가', '…제도') are never cut; and given the corpus's words, a word that takes a particle of its own elsewhere
('어린이가', '함경북도의': the longest particle that fits leaves exactly that word; '건설에는' is '건설' with '에는',
no proof for '건설에') is a stem and is kept whole, so its bare form and its particle forms count as one word.

Why rules and not a morphological analyser: Kiwi (kiwipiepy) splits particles well but tags '《로동신문》은'
wrongly (see index/ingest/korean.py), loads a model of its own and its analyses change between versions; the
particles are a closed list, and rules are exact, fast and the same on every machine.
"""

from __future__ import annotations

from typing import Iterable

STEM_SYLLABLES = 2
_AFTER_CONSONANT = "이 을 은 과 이나 이며 이다 이고 이란 이라는 이라고 이였다 이었다 이야말로 과의 과는 과도 과를".split()
_AFTER_VOWEL = "가 를 는 와 나 며 란 라는 라고 와의 와는 와도 와를".split()
_AFTER_VOWEL_OR_L = "로 로서 로써 로는 로도 로의 로부터 로만".split()
_AFTER_CONSONANT_NOT_L = "으로 으로서 으로써 으로는 으로도 으로의 으로부터 으로만".split()
_AFTER_ANY = """
의 에 에서 에게 에게서 께 께서 도 만 까지 부터 보다 처럼 마다 조차 마저 뿐 밖에 한테
에는 에도 에서는 에서도 에서의 에게는 에게도 에로 에로의 에의 에만 까지도 까지는 까지의 부터는 부터의
만이 만을 만은 만의 마다의 보다도 보다는 처럼은 뿐이다 뿐만
""".split()
STEM_ENDINGS = tuple("""
주의 회의 결의 협의 합의 토의 논의 국가 평가 증가 참가 추가 제도 태도 속도 정도 의도 도로 통로 결과 효과 성과
어린이
""".split())
# Particles a stem takes elsewhere that prove it a stem
_PROOF = "의 을 를 은 는 에 에서 에게 과 와 가 로 으로 만 까지".split()


def _rule(particle: str) -> str:
    for rule, group in (("consonant", _AFTER_CONSONANT), ("vowel", _AFTER_VOWEL), ("vowel-or-l", _AFTER_VOWEL_OR_L),
                        ("consonant-not-l", _AFTER_CONSONANT_NOT_L)):
        if particle in group:
            return rule
    return "any"


PARTICLES = tuple(sorted(set(_AFTER_CONSONANT + _AFTER_VOWEL + _AFTER_VOWEL_OR_L + _AFTER_CONSONANT_NOT_L + _AFTER_ANY),
                         key=lambda p: (-len(p), p)))
_RULES = {p: _rule(p) for p in PARTICLES}


def _final(syllable: str) -> int | None:
    """The final consonant of a Hangul syllable (0: none, 8: ㄹ), None for anything else."""
    code = ord(syllable) - 0xAC00
    return code % 28 if 0 <= code < 11172 else None


def _fits(stem_end: str, particle: str) -> bool:
    final = _final(stem_end)
    if final is None:
        return False
    rule = _RULES[particle]
    if rule == "consonant":
        return final != 0
    if rule == "vowel":
        return final == 0
    if rule == "vowel-or-l":
        return final in (0, 8)
    if rule == "consonant-not-l":
        return final not in (0, 8)
    return True


def stem(word: str, stems: frozenset[str] = frozenset()) -> str:
    """The word without its particle ('인민대중제일주의를' -> '인민대중제일주의'); the word itself when it has none,
    or when it is one of `stems` (words known to take particles of their own)."""
    if word in stems or _final(word[-1]) is None or word.endswith(STEM_ENDINGS):
        return word
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= STEM_SYLLABLES \
                and _fits(word[-len(particle) - 1], particle):
            return word[:-len(particle)]
    return word


def known_stems(words: Iterable[str]) -> frozenset[str]:
    """The words that take a particle elsewhere among `words` ('어린이' when '어린이가' is there too)."""
    vocabulary = set(words)
    return frozenset(w for w in vocabulary if _final(w[-1]) is not None
                     and any(w + p in vocabulary and stem(w + p) == w for p in _PROOF))
