"""Writes corpus.jsonl and ground_truth.json of the Korean sample: speeches of the Saebyeol People's Republic.

Everything here is invented for Refrain (the state, its people, places, figures and events); no sentence is
taken from KCNA or any real speech. The plan below is the ground truth: which document carries which planted
sentence is decided here, not found afterwards, so the tests check the pipeline against the design.
Run it with `python explorer/sample/korean/make_corpus.py` after changing the plan.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
BOILERPLATE = "새별중앙통신 발표"

# Planted sentence-level formulations: id -> (label, canonical, {variant key: text})
FORMULATIONS = {
    "one-family": ("온 나라가 한 가정처럼 화목하게 산다",
                   "온 나라가 하나의 대가정처럼 화목하게 살아가는 것은 우리 공화국의 자랑이다.",
                   {"v2": "온 나라가 한 대가정처럼 화목하게 살아가는 것은 우리 공화국의 크나큰 자랑이다."}),
    "one-river": ("인민과 당은 강물처럼 하나로 흐른다",
                  "인민과 당은 청류강의 물결처럼 언제나 하나로 흐른다.",
                  {"v2": "청류강의 물결처럼 인민과 당은 언제나 하나로 흐른다."}),
    "no-pressure": ("외부의 압력은 의지를 꺾지 못한다 (2022년부터)",
                    "그 어떤 외부의 압력도 우리의 의지를 꺾을 수 없다.",
                    {"v2": "그 어떤 외부의 압력도 우리 인민의 의지를 꺾을 수 없다."}),
    "own-strength": ("제 힘으로 일어서는 길 (2021년까지)",
                     "제 힘으로 일어서는 길만이 우리가 갈 길이다.", {}),
}
# A phrase that recurs with different particles attached, in otherwise different sentences
PHRASE = "인민대중제일주의"
PHRASE_SENTENCES = {
    "를": "우리는 인민대중제일주의를 국가활동의 근본으로 삼고 있다.",
    "는": "인민대중제일주의는 우리 공화국의 영원한 생명선이다.",
    "의": "인민대중제일주의의 기치를 높이 들고 힘차게 나아가자.",
    "에": "모든 사업을 인민대중제일주의에 철저히 복종시켜야 한다.",
    "가": "인민대중제일주의가 꽃펴나는 새 시대가 열리였다.",
}
# Multi-word phrases that recur with different particles attached, inside otherwise different sentences:
# id -> (the phrase's words without their particles, {key: sentence}). "economy-line" and "defence-line" are two
# lines that share their first four words ("자력갱생의 기치를 높이 들고"): phrase mining must keep them apart.
PHRASES = {
    "science-talent": ("과학기술 인재 육성", {
        "은": "과학기술 인재 육성은 나라의 앞날을 좌우하는 중대사이다.",
        "을": "청년동맹은 과학기술 인재 육성을 위한 학습운동을 벌리고 있다.",
        "에": "모든 대학들은 과학기술 인재 육성에 힘을 넣어야 한다.",
        "이": "우리 군의 과학기술 인재 육성이 눈에 띄게 앞섰습니다.",
    }),
    "self-reliant-base": ("자립적 민족경제 토대", {
        "를": "우리는 자립적 민족경제의 토대를 더욱 굳건히 다져왔습니다.",
        "는": "자립적 민족경제의 토대는 어떤 시련에도 흔들리지 않습니다.",
        "가": "새 제철소는 자립적 민족경제의 토대가 얼마나 튼튼한가를 보여주었습니다.",
        "에서": "공업 총생산의 장성은 자립적 민족경제의 토대에서 이룩되였습니다.",
        "를-2": "우리 당은 자립적 민족경제의 토대를 현대화하는 사업을 최우선으로 내세웠습니다.",
    }),
    "local-industry": ("지방 공업혁명", {
        "은": "지방 공업혁명은 모든 군을 자립의 거점으로 만드는 사업입니다.",
        "의": "올해는 지방 공업혁명의 첫 열매를 거두는 해로 될 것입니다.",
        "에": "우리는 지방 공업혁명에 로력과 자재를 우선 돌렸습니다.",
    }),
    "youth-zeal": ("청년들 애국적 열정 창조적 지혜", {
        "는": "청년들의 애국적 열정과 창조적 지혜는 나라의 가장 귀중한 재부입니다.",
        "를": "청년들의 애국적 열정과 창조적 지혜를 남김없이 발휘하게 하여야 합니다.",
        "가": "새 교과서에는 청년들의 애국적 열정과 창조적 지혜가 깃들어 있습니다.",
        "로": "이 다리는 청년들의 애국적 열정과 창조적 지혜로 세워진 기념비입니다.",
    }),
    "economy-line": ("자력갱생 기치 높이 들고 경제강국 건설", {
        "에": "자력갱생의 기치를 높이 들고 경제강국 건설에 떨쳐나서야 합니다.",
        "을": "자력갱생의 기치를 높이 들고 경제강국 건설을 다그쳐온 한해였습니다.",
        "의": "우리는 자력갱생의 기치를 높이 들고 경제강국 건설의 새 승리를 이룩할 것입니다.",
    }),
    "defence-line": ("자력갱생 기치 높이 들고 국방력 강화", {
        "에": "자력갱생의 기치를 높이 들고 국방력 강화에 총력을 기울였습니다.",
        "를": "군수공업은 자력갱생의 기치를 높이 들고 국방력 강화를 떠밀어왔습니다.",
        "의": "자력갱생의 기치를 높이 들고 국방력 강화의 길을 끝까지 걸어갈 것입니다.",
    }),
}
SHARED_PREFIX = ("economy-line", "defence-line")
# Sentences a splitter is easily wrong about: each must come out as one sentence passage
QUOTE = "위원장은 《모든 힘을 다하자. 승리는 우리의 것이다.》라고 강조하였다."
NEWSPAPER = "《새별신문》은 오늘 창간 일흔돌 기념 사설을 발표하였다."
DOTTED_DATE = "전국 교육자대회는 2021. 11. 25. 은하시 청년회관에서 진행되였다."
JUCHE_DATE = "주체113(2024)년 7월 14일 은하시에서는 청류강 대교 준공식이 열리였다."


def F(fid: str, variant: str = "canonical") -> tuple[str, str, str]:
    _, canonical, variants = FORMULATIONS[fid]
    return ("formulation", f"{fid}:{variant}", canonical if variant == "canonical" else variants[variant])


def P(particle: str) -> tuple[str, str, str]:
    return ("word", particle, PHRASE_SENTENCES[particle])


def M(pid: str, key: str) -> tuple[str, str, str]:
    """A sentence holding the multi-word phrase `pid`."""
    return ("phrase", f"{pid}:{key}", PHRASES[pid][1][key])


# (id, title, topic, date as written, ISO date it means, paragraphs of sentences)
DOCUMENTS = [
    ("ks-01", "2019년 신년사", "신년사", "주체108(2019)년 1월 1일", "2019-01-01", [
        ["친애하는 동포 여러분, 새해를 맞으며 온 나라 가정에 따뜻한 인사를 보냅니다.",
         "지난해 우리는 청류강 하류의 간석지 개간을 끝내고 새 농장 세 곳을 세웠습니다."],
        [F("own-strength"), "올해에는 은하제철소의 두번째 용광로를 완공하여 강철 생산을 늘릴 것입니다.", F("one-family")],
        [M("youth-zeal", "는")],
        ["모두 새해의 첫 걸음을 힘차게 내딛읍시다."]]),
    ("ks-02", "창건절 경축 연설", "기념일", "2019년 5월 20일", "2019-05-20", [
        ["오늘 우리는 공화국 창건 일흔한돌을 뜻깊게 맞이하였습니다.",
         "창건 첫해의 간고한 나날을 이겨낸 선대들의 위훈은 지금도 우리 마음속에 살아있습니다."],
        [F("one-river"), "북부 산간지대에 새로 놓은 철길은 세 개 군을 하나로 이어주었습니다.", "은하시의 새 살림집 이천세대에 로동자들이 입사하였습니다."],
        [M("self-reliant-base", "를")],
        ["창건의 정신을 이어 더 높은 목표를 향해 나아갑시다."]]),
    ("ks-03", "가을걷이 경축모임 연설", "농업", "2019.10.3", "2019-10-03", [
        ["올해 가을걷이는 예년보다 열흘 앞당겨 끝났습니다.", "서해안 협동농장들은 벼 수확고에서 새 기록을 세웠습니다."],
        [P("를"), "농장원들의 살림집마다 새 난방설비가 들어갔습니다.", F("one-family")],
        [M("local-industry", "은")],
        ["농업근로자들의 노고에 깊은 감사를 드립니다."]]),
    ("ks-04", "전국 과학자대회 연설", "과학", "주체109년 3월 8일", "2020-03-08", [
        ["전국 과학자대회에 모인 연구사들을 열렬히 환영합니다.", "지난 한해 동안 과학원은 새 품종의 밀 다섯가지를 육종하였습니다."],
        [F("own-strength"), ("special", "quote", QUOTE), "태양열 발전소 연구는 이미 시험단계에 들어섰습니다."],
        [M("science-talent", "은")],
        ["과학의 힘으로 앞길을 열어나갑시다."]]),
    ("ks-05", "큰물피해 복구 현장 연설", "재해복구", "2020년 8월", "2020-08", [
        ["이번 큰물로 동부 세 개 군의 마을들이 큰 피해를 입었습니다.", "군인들과 돌격대원들은 한달 만에 살림집 팔백세대를 다시 세웠습니다."],
        [P("는"), F("one-river"), "피해지역 아이들은 새 학교에서 새 학기를 맞게 됩니다."],
        [M("self-reliant-base", "는")],
        ["복구에 나선 모든 이들에게 고마움을 전합니다."]]),
    ("ks-06", "2021년 신년사", "신년사", "2021-01-01", "2021-01-01", [
        ["새해를 맞으며 전체 인민에게 축하의 인사를 드립니다.", "지난해의 어려운 시련 속에서도 우리는 곡물 생산 계획을 넘쳐 수행하였습니다."],
        [F("one-family"), F("own-strength"), "올해 우리는 은하시와 동해 항구를 잇는 고속도로 공사를 시작합니다."],
        [M("local-industry", "의"), M("economy-line", "에")],
        ["새해에도 한마음 한뜻으로 힘차게 전진합시다."]]),
    ("ks-07", "청년동맹 대회 연설", "청년", "주체110(2021)년 6월 12일", "2021-06-12", [
        ["청년동맹 제9차 대회에 참가한 대표들을 축하합니다.", "청년들은 지난 다섯해 동안 백여개의 공장과 발전소 건설장에서 땀을 흘렸습니다."],
        [P("의"), F("own-strength"), "청년 돌격대는 올해 북부 탄광지구에 새 마을을 세울 것입니다."],
        [M("science-talent", "을"), M("youth-zeal", "를")],
        ["청년들이여, 조국의 미래는 그대들의 어깨에 있습니다."]]),
    ("ks-08", "전국 교육자대회 연설", "교육", "2021. 11. 25.", "2021-11-25", [
        [("special", "dotted-date", DOTTED_DATE), "교원들은 올해 새 교과서 마흔두권을 집필하였습니다."],
        [F("one-family", "v2"), P("에"), "산간마을 분교들에 새 컴퓨터 교실이 꾸려졌습니다."],
        [M("science-talent", "에"), M("youth-zeal", "가")],
        ["교육자들의 헌신에 뜨거운 경의를 표합니다."]]),
    ("ks-09", "외교단 연회 연설", "외교", "주체111년 2월 21일", "2022-02-21", [
        ["여러 나라 외교관들을 은하시에 환영합니다.", "우리 공화국은 올해 남방의 세 나라와 무역협정을 맺었습니다."],
        [F("no-pressure"), F("one-river"), "우리는 평등과 호혜의 원칙에서 모든 나라와 관계를 발전시킬 것입니다."],
        [M("self-reliant-base", "가"), M("economy-line", "을")],
        ["여러분의 건강과 성과를 진심으로 기원합니다."]]),
    ("ks-10", "새별신문 창간 기념 연설", "언론", "2022년 9월 30일 (금)", "2022-09-30", [
        [("special", "newspaper", NEWSPAPER), "기자들은 지난 한해 동안 공장과 농촌을 찾아 만여건의 기사를 썼습니다."],
        [P("가"), F("one-family"), "신문은 앞으로 인민의 목소리를 더 많이 실을 것입니다."],
        [M("local-industry", "에"), M("defence-line", "에")],
        ["언론인들의 앞날에 영광이 있기를 바랍니다."]]),
    ("ks-11", "식수절 연설", "국토관리", "주체112(2023)년 4월 5일", "2023-04-05", [
        ["오늘 온 나라가 식수절을 맞아 산과 들에 나무를 심었습니다.", "지난 십년 동안 민둥산 이십만정보가 푸른 숲으로 바뀌였습니다."],
        [F("one-river", "v2"), F("no-pressure"), "올해에는 청류강 기슭에 방풍림 백리를 조성할 것입니다."],
        [M("science-talent", "이"), M("defence-line", "를")],
        ["후대들에게 푸른 강산을 물려줍시다."]]),
    ("ks-12", "연간 사업 총화 보고", "경제", "2023년", "2023", [
        ["올해 국가 사업을 총화하는 보고를 드립니다.", "공업 총생산액은 지난해보다 일곱 퍼센트 늘어났습니다."],
        [F("no-pressure", "v2"), P("를"), "전력 생산은 새 수력발전소 덕분에 크게 늘어났습니다."],
        [M("self-reliant-base", "에서"), M("economy-line", "의")],
        ["보고를 마치며 모든 근로자들의 노력에 감사드립니다."]]),
    ("ks-13", "청류강 대교 준공 연설", "건설", "주체113(2024)년 7월 14일", "2024-07-14", [
        [("special", "juche-date", JUCHE_DATE), "다리의 길이는 이천삼백메터이며 건설에는 네해가 걸렸습니다."],
        [F("no-pressure"), F("one-family"), "이 다리로 강 건너 마을 사람들은 한시간 만에 시내에 닿을 수 있게 되였습니다."],
        [M("youth-zeal", "로")],
        ["건설자들의 위훈은 길이 빛날 것입니다."]]),
    ("ks-14", "근로자당 제11차 대회 개막 연설", "당대회", "2024년 12월 1일", "2024-12-01", [
        ["새별근로자당 제11차 대회를 개막합니다.", "대회에는 전국에서 선출된 대표 이천명이 참가하였습니다."],
        [P("는"), F("one-river"), F("no-pressure"), "지난 다섯해 동안 우리는 새 도시 두개와 발전소 열곳을 건설하였습니다."],
        [M("self-reliant-base", "를-2"), M("defence-line", "의")],
        ["대회가 성과적으로 진행되기를 바랍니다."]]),
]


def text_of(sentence) -> str:
    return sentence if isinstance(sentence, str) else sentence[2]


def main() -> None:
    records, documents = [], []
    seen: set[str] = set()
    for doc_id, title, topic, written, iso, paragraphs in DOCUMENTS:
        for paragraph in paragraphs:
            assert len(" ".join(map(text_of, paragraph)).split()) >= 4, (doc_id, paragraph)
            for sentence in paragraph:
                text = text_of(sentence)
                assert len(text.split()) >= 3, text
                if isinstance(sentence, str):
                    assert text not in seen, f"filler repeats: {text}"
                    seen.add(text)
        body = "\n\n".join(" ".join(map(text_of, p)) for p in paragraphs) + "\n\n" + BOILERPLATE
        records.append({"id": doc_id, "title": title, "date": written, "topic": topic, "text": body})
        documents.append({"id": doc_id, "title": title, "date_as_written": written, "date": iso,
                          "paragraphs": len(paragraphs), "sentences": sum(len(p) for p in paragraphs)})
    for pid, (_, sentences) in PHRASES.items():  # each planted sentence once, each phrase in at least 3 speeches
        used = [text for _, _, text in _occurrences("phrase", f"{pid}:")]
        assert sorted(used) == sorted(sentences.values()) and len(used) >= 3, pid
    truth = {
        "corpus": "Saebyeol People's Republic sample speeches in Korean (invented)",
        "language": "ko",
        "n_documents": len(DOCUMENTS),
        "boilerplate": [BOILERPLATE],
        "documents": documents,
        "formulations": [_formulation(fid) for fid in FORMULATIONS],
        "word_with_particles": _word(),
        "phrases": [_phrase(pid) for pid in PHRASES],
        "whole_sentences": [QUOTE, NEWSPAPER, DOTTED_DATE, JUCHE_DATE],
    }
    with open(HERE / "corpus.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    (HERE / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _occurrences(kind: str, key_prefix: str) -> list[tuple[str, str, str]]:
    """(document id, ISO date, sentence text) of every planted sentence whose key starts with key_prefix."""
    out = []
    for doc_id, _, _, _, iso, paragraphs in DOCUMENTS:
        for paragraph in paragraphs:
            for sentence in paragraph:
                if not isinstance(sentence, str) and sentence[0] == kind and sentence[1].startswith(key_prefix):
                    out.append((doc_id, iso, sentence[2]))
    return out


def _formulation(fid: str) -> dict:
    label, canonical, _ = FORMULATIONS[fid]
    found = _occurrences("formulation", f"{fid}:")
    variants = []
    for text in dict.fromkeys(t for _, _, t in found):
        dates = [d for _, d, t in found if t == text]
        variants.append({"text": text, "count": len(dates), "first_seen": min(dates), "last_seen": max(dates)})
    return {"id": fid, "label": label, "canonical": canonical, "variants": variants,
            "documents": [d for d, _, _ in found], "count": len(found),
            "first_seen": min(d for _, d, _ in found), "last_seen": max(d for _, d, _ in found)}


def _phrase(pid: str) -> dict:
    found = _occurrences("phrase", f"{pid}:")
    other = [p for pair in (SHARED_PREFIX,) if pid in pair for p in pair if p != pid]
    return {"id": pid, "words": PHRASES[pid][0], "sentences": [t for _, _, t in found],
            "documents": [d for d, _, _ in found], "first_seen": min(d for _, d, _ in found),
            "last_seen": max(d for _, d, _ in found), "shares_prefix_with": other[0] if other else None}


def _word() -> dict:
    found = _occurrences("word", "")
    forms = {}
    for doc_id, _, text in found:
        word = next(w for w in text.split() if w.startswith(PHRASE))
        forms.setdefault(word.rstrip(".,"), []).append(doc_id)
    return {"id": "people-first", "phrase": PHRASE, "forms": forms, "documents": [d for d, _, _ in found],
            "first_seen": min(d for _, d, _ in found), "last_seen": max(d for _, d, _ in found)}


if __name__ == "__main__":
    main()
