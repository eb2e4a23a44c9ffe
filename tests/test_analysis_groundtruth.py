"""Ground truth for lineage and adoption with the real bundled model (tests/planted_succession.py): the old slogan
gives way to its successor and nothing else is linked; the successor's adopters come out country by country, in
the order and with the counts planted; every figure matches the member passages."""

from __future__ import annotations

import json

import pytest

import planted_succession as planted
from conftest import GROUND_TRUTH, quick_build
from index.ingest.records import ReadOptions
from index.mining.adoption import adoption, field_values
from index.mining.centres import centre_vectors
from index.mining.lineage import lineage
from index.mining.periods_compare import compare_periods
from index.mining.recurring import MiningParams, recurring
from index.search import Searcher

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, model_cache, real_encoder) -> Searcher:
    corpus = planted.write(tmp_path_factory.mktemp("planted"))
    out = tmp_path_factory.mktemp("planted-index") / "index"
    quick_build([corpus], out, real_encoder, ReadOptions(id_field="id", meta_fields=("country",)), cache_path=model_cache)
    return Searcher(out)


@pytest.fixture(scope="module")
def mined(searcher):
    return recurring(searcher, MiningParams("sentence"))


@pytest.fixture(scope="module")
def planted_ids(mined) -> dict[str, str]:
    """The formulation holding each planted wording, checked to hold all of its variants and nothing else."""
    found = {}
    for name in ("OLD", "NEW", "SPIRIT", "LABOUR", "CLINIC"):
        wordings = set(getattr(planted, name))
        (f,) = [f for f in mined.formulations if wordings & {v.text for v in f.variants}]
        assert {v.text for v in f.variants} == wordings, name
        assert {y: f.per_year[str(y)].documents if str(y) in f.per_year else 0 for y in planted.YEARS} == \
            planted.uses(getattr(planted, name)), name
        found[name] = f.id
    return found


def test_the_old_slogan_gives_way_to_its_successor_and_nothing_else_is_linked(searcher, mined, planted_ids):
    vectors = centre_vectors(searcher, mined)
    found = lineage(mined, vectors)
    planted_set = set(planted_ids.values())
    links = {(k.earlier, k.later) for k in found.links if {k.earlier, k.later} & planted_set}
    assert links == {(planted_ids["OLD"], planted_ids["NEW"])}
    (link,) = [k for k in found.links if k.earlier == planted_ids["OLD"]]
    assert found.by == "year" and link.handover == "2018" and 0.6 <= link.similarity < 0.8  # 2017: two each
    assert link.earlier_curve.documents == tuple(planted.uses(planted.OLD).values())
    assert link.later_curve.documents == tuple(planted.uses(planted.NEW).values())
    assert (link.share_before, link.share_after) == (round(16 / 24, 4), round(1 / 24, 4))
    of_new = lineage(mined, vectors, planted_ids["NEW"])
    assert [(k.relation_to(planted_ids["NEW"]), k.other(planted_ids["NEW"]).formulation_id) for k in of_new.links] == \
        [("predecessor", planted_ids["OLD"])]
    by_id = {f.id: f for f in mined.formulations}
    spirit_sim = float(vectors[list(by_id).index(planted_ids["SPIRIT"])] @ vectors[list(by_id).index(planted_ids["OLD"])])
    assert 0.6 <= spirit_sim < 0.8  # close in meaning to the old slogan, yet flat: the time rule keeps it out


def test_the_successors_adopters_country_by_country(searcher, mined, planted_ids):
    new = next(f for f in mined.formulations if f.id == planted_ids["NEW"])
    found = adoption(new, field_values(searcher, mined, "country"))
    got = [(a.value, a.documents, a.total, a.first_seen.date) for a in found.adopters]
    expected = [(c, planted.YEARS[-1] - year + 1, len(planted.YEARS), planted.date_of(year, c))
                for c, year in sorted(planted.ADOPTS_NEW.items(), key=lambda item: planted.date_of(item[1], item[0]))]
    assert got == expected and found.values_mined == 6 and found.without_value == 0
    for a in found.adopters:  # every count is its members'
        members = [m for m in new.members if m.doc_id in a.doc_ids]
        assert {m.doc_id for m in members} == set(a.doc_ids) and len(members) == a.passages
        assert a.share == round(a.documents / a.total, 4) and a.last_seen.date == planted.date_of(2021, a.value)


def test_comparing_the_first_and_last_years(searcher, mined, planted_ids):
    changes = {c.formulation_id: c for c in compare_periods(searcher, mined, ("2014", "2015"), ("2020", "2021")).changes}
    assert changes[planted_ids["OLD"]].status == "vanished" and changes[planted_ids["NEW"]].status == "new"
    assert changes[planted_ids["CLINIC"]].status == "new"
    assert changes[planted_ids["SPIRIT"]].status == "steady" and changes[planted_ids["LABOUR"]].status == "steady"
    assert (changes[planted_ids["OLD"]].first.documents, changes[planted_ids["NEW"]].second.documents) == (10, 11)


def test_the_packaged_samples_planted_renamings(request):
    """The packaged sample's planted renamings (explorer/sample/ground_truth.json, "phrase_formulations" whose
    "replaces" is a renaming): each is found as a link at the phrase level, and every link found is a planted
    pair. Its planted successions are not required: one shares a long prefix but its centres are 0.55 apart, the
    other overlaps for two years with six speeches each, too few for the tests (README.md, "Lineage")."""
    truth = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
    planted_pairs = [(g["replaces"], g) for g in truth.get("phrase_formulations", []) if g.get("replaces")]
    if not planted_pairs:
        pytest.skip("this sample has no planted renamings yet (issue #11, items 1-3 add them)")
    out, _ = request.getfixturevalue("sample_index")
    searcher = Searcher(out)
    mined = recurring(searcher, MiningParams("phrase"))
    by_id = {g["id"]: g for g in truth["phrase_formulations"]}

    def holding(canonical: str) -> str:
        (f,) = [f for f in mined.formulations if canonical in {v.text for v in f.variants}]
        return f.id

    expected = {(holding(by_id[r["id"]]["canonical"]), holding(g["canonical"])): r["kind"] for r, g in planted_pairs}
    found = {(k.earlier, k.later) for k in lineage(mined, centre_vectors(searcher, mined)).links}
    assert {pair for pair, kind in expected.items() if kind == "renaming"} <= found
    assert found <= set(expected)
