"""A planted succession: 48 invented speeches (six countries, 2014-2021) in which an old slogan gives way to its
successor, country by country, beside formulations that must not be taken for either.

    OLD   "Let us carry forward the Chollima spirit and build a prosperous homeland."  2014-2018, fading
    NEW   "Let us carry forward the spirit of the new era and build a powerful homeland."  2017-2021, rising,
          adopted by KES and MAV in 2017, TAR and ORN in 2018, VEL in 2019, SUD in 2021
    SPIRIT "The Chollima spirit lives on in the hearts of our workers."  close to OLD in meaning, used every year
    LABOUR "Our homeland will prosper through the labour of its people."  close to both, used every year
    CLINIC "The new hospital in the capital will open its doors to patients next spring."  rises with NEW, unrelated

With the bundled model OLD~NEW is about 0.72 (within the lineage band, below the grouping threshold), OLD~SPIRIT
0.65, OLD~LABOUR and NEW~LABOUR about 0.6, CLINIC below 0.2 with all of them. Each slogan shares its line with
words of its own, since a line found in a fifth of the documents would be removed as boilerplate.
"""

from __future__ import annotations

import json
from pathlib import Path

COUNTRIES = {"KES": "Kestria", "MAV": "Mavoria", "TAR": "Tarsk", "ORN": "Ornland", "VEL": "Velmar", "SUD": "Sudra"}
YEARS = list(range(2014, 2022))
ADOPTS_NEW = {"KES": 2017, "MAV": 2017, "TAR": 2018, "ORN": 2018, "VEL": 2019, "SUD": 2021}
OLD_USERS = {2014: ("KES", "MAV", "TAR", "ORN", "VEL"), 2015: ("KES", "MAV", "TAR", "ORN", "VEL"),
             2016: ("KES", "MAV", "TAR", "ORN"), 2017: ("TAR", "ORN"), 2018: ("VEL",)}
CLINIC_USERS = {2019: 3, 2020: 4, 2021: 5}  # the first n countries

OLD = ("Let us carry forward the Chollima spirit and build a prosperous homeland.",
       "Carrying forward the Chollima spirit, let us build a prosperous homeland.")
NEW = ("Let us carry forward the spirit of the new era and build a powerful homeland.",
       "Carrying forward the spirit of the new era, let us build a powerful homeland.",
       "With the spirit of the new era, let us build a powerful and civilized homeland.")
SPIRIT = ("The Chollima spirit lives on in the hearts of our workers.",
          "In the hearts of our workers the Chollima spirit lives on.")
LABOUR = ("Our homeland will prosper through the labour of its people.",
          "Through the labour of its people our homeland will prosper.")
CLINIC = ("The new hospital in the capital will open its doors to patients next spring.",
          "Next spring the new hospital in the capital opens its doors to patients.")
SUBJECTS = ("fishing fleet", "railway workshop", "paper mill", "orchard cooperative", "glass factory", "tram depot",
            "cement kiln", "salt works")


def date_of(year: int, country: str) -> str:
    return f"{year}-{list(COUNTRIES).index(country) + 3:02d}-01"


def speeches() -> list[dict]:
    rows = []
    for y, year in enumerate(YEARS):
        for c, (code, name) in enumerate(COUNTRIES.items()):
            n = y * len(COUNTRIES) + c
            subject = SUBJECTS[n % len(SUBJECTS)]
            lines = [f"{name} greets the session of {year} on behalf of the {subject} of {code.lower()}ville."]
            if code in OLD_USERS.get(year, ()):
                lines[0] += " " + OLD[n % len(OLD)]
            if year >= ADOPTS_NEW[code]:
                lines[0] += " " + NEW[n % len(NEW)]
            lines.append(f"In week {n + 11} the {subject} counted {3 * n + 7} new hands.")
            if (c - y) % len(COUNTRIES) < 3:
                lines[-1] += " " + SPIRIT[n % len(SPIRIT)]
            lines.append(f"Delegate number {n + 40} thanked the chair for the order of speakers.")
            if (c + 2 * y) % len(COUNTRIES) < 2:
                lines[-1] += " " + LABOUR[n % len(LABOUR)]
            if c < CLINIC_USERS.get(year, 0):
                lines.append(f"Item {n + 90} on the budget was closed. " + CLINIC[n % len(CLINIC)])
            rows.append({"id": f"{code}-{year}", "title": f"Address of {name}, {year}", "date": date_of(year, code),
                         "country": code, "text": "\n\n".join(lines)})
    return rows


def write(folder: Path) -> Path:
    return _write_jsonl(folder, speeches())


def _write_jsonl(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "speeches.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def uses(texts: tuple[str, ...]) -> dict[int, int]:
    """Documents per year whose text holds one of these wordings: the ground truth the mining must find."""
    counts: dict[int, int] = {year: 0 for year in YEARS}
    for row in speeches():
        if any(t in row["text"] for t in texts):
            counts[int(row["date"][:4])] += 1
    return counts


# ---------------------------------------------------------------- a lexical succession, for the stand-in encoder

# With the hashing stand-in (builtin:hashing-256) the two slogans are 0.77 apart: within the lineage band, below the
# grouping threshold. Four countries drop LEXICAL_OLD for LEXICAL_NEW, each in its year; LEXICAL_FLAT is said by all.
LEXICAL_OLD = "Self-reliance is the banner of our glorious nation and its toiling people."
LEXICAL_NEW = "Self-development is the banner of our glorious nation and its working people."
LEXICAL_FLAT = "We thank the Assembly for its warm hospitality this autumn."
LEXICAL_ADOPTS = {"KES": 2020, "MAV": 2020, "TAR": 2021, "ORN": 2022}
LEXICAL_YEARS = list(range(2016, 2024))
LEXICAL_MODEL = "builtin:hashing-256"


def lexical_speeches() -> list[dict]:
    rows = []
    for year in LEXICAL_YEARS:
        for day, (country, adopts) in enumerate(LEXICAL_ADOPTS.items(), start=20):
            said = [f"Delegate {country} speaks in {year} of harbour number {year * 7 + day} and tunnel {day}. "
                    + (LEXICAL_NEW if year >= adopts else LEXICAL_OLD),
                    f"{LEXICAL_FLAT} The {country} budget of {year} grew by {day + year % 13} units for villages."]
            rows.append({"id": f"{country}-{year}", "title": f"{country} {year}", "date": f"{year}-09-{day}",
                         "country": country, "text": "\n\n".join(said)})
    return rows


def write_lexical(folder: Path) -> Path:
    return _write_jsonl(folder, lexical_speeches())
