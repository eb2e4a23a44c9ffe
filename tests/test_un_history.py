"""bench/un_history.py on small invented speech files named like the UN corpus's: the hard-wrapped ones are
reflowed, the sample is drawn per year (or per country) and written one sentence a line, and `succession` judges
two wordings over every speech by lineage's rule, each member a file and line."""

from __future__ import annotations

import json

from bench import un_history
from tests.conftest import write_corpus

WRAPPED = "\n".join([
    "I am honoured to address the Assembly on behalf",
    "of my country and to reinforce the message of",
    "the Summit.",
    "The members of this body reflect virtually every",
    "culture, ethnicity and region of the world. We are",
    "as diverse as humanity.",
] * 8)


def test_hard_wrapped_speeches_are_read_as_a_build_reads_them():
    one_a_line = "\n".join(["A whole paragraph on one line, as most speeches are written. " * 3] * 50)
    assert un_history.paragraphs_as_read(one_a_line)[1] is False
    paragraphs, wrapped = un_history.paragraphs_as_read(WRAPPED)
    assert wrapped
    assert paragraphs[0] == ("I am honoured to address the Assembly on behalf of my country and to reinforce the "
                             "message of the Summit.")
    assert paragraphs[1] == ("The members of this body reflect virtually every culture, ethnicity and region of the "
                             "world. We are as diverse as humanity.")
    assert len(paragraphs) == 16


def test_prepare_samples_per_year_or_per_country(tmp_path):
    files = {f"{c}_{y - 1945}_{y}.txt": f"{c} speaks in {y}. It is a fine year.\n" for y in (2000, 2001, 2002)
             for c in ("AAA", "BBB", "CCC", "DDD")}
    files["EEE_55_2000.txt"] = WRAPPED  # speaks in one year only
    speeches = write_corpus(tmp_path / "all", files)
    summary = un_history.prepare(speeches, tmp_path / "sample")
    assert summary["speeches"] == 6 and summary["years"] == 3 and summary["seed"] == un_history.SEED
    assert [sum(f.endswith(f"_{y}.txt") for f in summary["files"]) for y in (2000, 2001, 2002)] == [2, 2, 2]
    assert summary == un_history.prepare(speeches, tmp_path / "again")  # the same draw every time
    chosen = summary["files"][0]
    assert (tmp_path / "sample" / "corpus" / chosen).read_text().splitlines()[1] == "It is a fine year."
    by_country = un_history.prepare(speeches, tmp_path / "countries", countries_every=2)
    assert sorted(by_country["files"]) == sorted(f for f in files if f[:3] in ("AAA", "CCC"))  # EEE missed two years
    assert json.loads((tmp_path / "countries" / "sample.json").read_text())["countries_every"] == 2


def test_succession_over_every_speech(tmp_path):
    files = {}
    for year in range(2010, 2018):
        for i, country in enumerate(("AAA", "BBB", "CCC", "DDD", "EEE")):
            old = year < 2013 + i // 2 and not (year > 2014 and i < 3)
            said = "the old Development\nGoals" if old else "the new Development Goals" if year >= 2013 else "nothing"
            files[f"{country}_{year - 1945}_{year}.txt"] = f"We speak of {said} today.\n"
    speeches = write_corpus(tmp_path / "all", files)
    out = un_history.succession(speeches, "old Development Goals", "new Development Goals").splitlines()
    assert out[0].startswith("old Development Goals: ") and "first AAA_65_2010.txt:1" in out[0]
    # 2013: the new wording in two speeches, the old in three; 2014: four against one
    assert "2013 3, 2014 1;" in out[0] and out[-1].startswith("link: old development goals -> new development goals, handover 2014")


def test_first_verbatim_use_in_every_speech(tmp_path):
    files = {
        "AAA_60_2005.txt": "We welcome the Millennium\nDevelopment   Goals today.\n",
        "BBB_56_2001.txt": "Intro.\nSecond line.\nThe millennium development goals must be met.\n",
        "CCC_70_2015.txt": "Only the sustainable development goals.\n",
        "DDD_50_1995.txt": "Development goals in general.\n",
    }
    corpus = un_history.AllSpeeches(write_corpus(tmp_path / "all", files))
    uses = corpus.uses("Millennium Development Goals")
    assert [(u.file, u.year, u.line) for u in uses] == [("BBB_56_2001.txt", "2001", 3), ("AAA_60_2005.txt", "2005", 1)]
    assert un_history.first_verbatim(corpus, ["millennium development goals", "sustainable development goals"]) == \
        "3 speeches, first 2001 (BBB_56_2001:3)"
    assert un_history.first_verbatim(corpus, ["post-2015 agenda"]) == "none found verbatim"
