"""The whole UN General Debate (1946-2024) within an hour of a busy 2-core machine: which formulations came first
and which came last, who used them, and which gave way to which (issue #11, item 7; docs/un-general-debate.md).

Embedding all 2.1M sentences takes a day here (the bundled model runs at 10-15 sentences a second on this shared
machine), so the script mines a stratified sample: SPEECHES_PER_YEAR speeches drawn at random (fixed seed) from
every year, so that no era is missing. What the sample cannot show, the report says: a formulation's first use
in the sample is the earliest *sampled* use, and the hand checks compare it with the whole corpus.

About 4,500 speeches (1993-2014 nearly all, 1969, 1982) are hard-wrapped at about 55 characters, one printed
line per line; the script reads them as a build does (index/ingest/reflow.py joins the lines of each
paragraph) before cutting sentences, and counts them.

The mining is at sentence level, and a build embeds paragraphs too: long reflowed paragraphs cost more than
all the sentences together. So the prepared speeches hold one sentence per line (split by Refrain's own
sentence splitter): each paragraph of the index is one sentence, and every text is embedded once. The
paragraph level of this index is therefore not the speeches' paragraphs; only sentences are mined.

    python -m bench.un_history prepare --speeches /work/notes/un-all   # sample + reflow into bench/work/un-history
    python -m bench.un_history build                                    # refrain build (the long part)
    python -m bench.un_history report > /tmp/un-history.md              # mine and print the tables
    python -m bench.un_history succession "Millennium Development Goals" "Sustainable Development Goals"
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.common import work_dir
from index.ingest import reflow
from index.ingest.segment import SentenceSplitter, paragraph_spans

SPEECHES_PER_YEAR = 2
SEED = 11  # the number: any fixed seed makes the sample reproducible
NAME = re.compile(r"^(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$")
DATE_PATTERN = r"_(?P<year>\d{4})\.txt$"
META_PATTERN = r"^(?P<country>[A-Z]{2,3})_(?P<session>\d+)_"
HERE = work_dir("un-history")


def paragraphs_as_read(text: str) -> tuple[list[str], bool]:
    """The speech's paragraphs as a build reads them (hard-wrapped lines joined by index/ingest/reflow.py), and
    whether it was hard-wrapped."""
    lines = reflow.lines_of(text)
    layout = reflow.detect(text, lines)
    edits = reflow.edits(text, layout, lines) if layout else []
    spans = paragraph_spans(text, layout=layout, lines=lines)
    return [reflow.reading_text(text, a, b, edits) for a, b in spans], layout is not None


def one_sentence_a_line(paragraphs: list[str], splitter: SentenceSplitter) -> str:
    """The speech's sentences, one a line (a line is a paragraph to Refrain), as its own splitter cuts them."""
    sentences = []
    for paragraph in paragraphs:
        paragraph = " ".join(paragraph.split())
        sentences += [paragraph[a:b] for a, b in splitter.spans(paragraph)] if paragraph else []
    return "\n".join(sentences) + "\n"


def prepare(speeches: Path, out: Path, countries_every: int = 0, years: tuple[int, int] = (1946, 2024),
            per_year: int = SPEECHES_PER_YEAR) -> dict:
    """Sample the speeches into out/corpus, one sentence a line. Default: per_year speeches a year, at random.
    countries_every=N: instead every speech of every Nth country (alphabetically) among those that spoke in each
    of the years, for who-uses-what and since when."""
    by_year: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(speeches.iterdir()):
        m = NAME.match(path.name)
        if m and years[0] <= int(m["year"]) <= years[1]:
            by_year[m["year"]].append(path)
    if countries_every:
        spoke = [{NAME.match(p.name)["country"] for p in paths} for paths in by_year.values()]
        countries = sorted(set.intersection(*spoke))[::countries_every]
        picked = {year: [p for p in paths if NAME.match(p.name)["country"] in countries] for year, paths in by_year.items()}
    else:
        rng = random.Random(SEED)
        picked = {year: rng.sample(paths, min(per_year, len(paths))) for year, paths in sorted(by_year.items())}
    splitter = SentenceSplitter(language="en")
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    chosen, reflowed = [], []
    for year in sorted(picked):
        for path in picked[year]:
            paragraphs, wrapped = paragraphs_as_read(path.read_text(encoding="utf-8-sig", errors="replace"))
            if wrapped:
                reflowed.append(path.name)
            (corpus / path.name).write_text(one_sentence_a_line(paragraphs, splitter), encoding="utf-8")
            chosen.append(path.name)
    summary = {"speeches": len(chosen), "years": len(picked), "per_year": None if countries_every else per_year,
               "countries_every": countries_every or None, "seed": None if countries_every else SEED,
               "reflowed": reflowed, "files": chosen}
    (out / "sample.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def build(out: Path) -> int:
    from index.cli.main import main

    return main(["build", str(out / "corpus"), "--out", str(out / "index"), "--title-from", "filename",
                 "--date-pattern", DATE_PATTERN, "--meta-pattern", META_PATTERN,
                 "--cache", str(out / "cache.sqlite")])


def report(out: Path, level: str = "sentence", shown: int = 10, speeches: Path | None = None) -> str:
    """Markdown: the sample, the ten formulations first used earliest and latest (with variants and adopters), and
    the lineage links; every formulation by id, so `refrain recurring DIR --json` gives its member passages."""
    from index.mining.adoption import adoption, field_values
    from index.mining.centres import centre_vectors
    from index.mining.lineage import lineage
    from index.mining.recurring import MiningParams, recurring
    from index.mining.select import select
    from index.search import Searcher

    sample = json.loads((out / "sample.json").read_text(encoding="utf-8"))
    searcher = Searcher(out / "index")
    manifest = searcher.manifest
    result = recurring(searcher, MiningParams(level))
    dated = [f for f in result.formulations if f.first_seen]
    earliest = sorted(dated, key=lambda f: (f.first_seen.date, -f.n_documents, f.id))[:shown]
    latest = select(dated, "first")[:shown]
    countries = field_values(searcher, result, "country")
    corpus = AllSpeeches(speeches) if speeches else None
    drawn = (f"every speech of every {sample['countries_every']}th country, {sample['years']} years"
             if sample.get("countries_every") else
             f"{sample['per_year']} a year from each of {sample['years']} years (seed {sample['seed']})")
    lines = [
        f"Sample: {sample['speeches']} speeches, {drawn}; {len(sample['reflowed'])} hard-wrapped speeches reflowed. Index: "
        f"{manifest['counts']['sentence']:,} sentences, {manifest['build']['distinct_texts']:,} distinct texts, "
        f"embedded in {manifest['build']['seconds']['embed'] / 60:.0f} min "
        f"({manifest['build']['embed_rate']:.1f} texts/s). Mining: {result.params.level} level, threshold "
        f"{result.params.threshold}, at least {result.params.min_docs} documents: {len(result.formulations):,} "
        f"formulations, {len(dated):,} dated.",
    ]
    for title, chosen in ((f"The {shown} first used earliest", earliest), (f"The {shown} first used latest", latest)):
        lines += ["", f"### {title}", "", "| # | first use | last use | speeches | countries (first adopters) | "
                  "formulation (centre) and variants | id |" + (" the variants shown, verbatim in every speech |" if corpus else ""),
                  "|---|---|---|---|---|---|---|" + ("---|" if corpus else "")]
        for i, f in enumerate(chosen, start=1):
            users = adoption(f, countries).adopters
            first_users = ", ".join(f"{a.value} {a.first_seen.date}" for a in users[:3] if a.first_seen)
            variants = "<br>".join(f"“{' '.join(v.text.split())}” ({v.passages})" for v in f.variants[:3])
            more = f"<br>… {f.n_variants - 3} more" if f.n_variants > 3 else ""
            lines.append(f"| {i} | {f.first_seen.date} ({f.first_seen.title}) | "
                         f"{f.last_seen.date} | {f.n_documents} | {len(users)}: {first_users} | "
                         f"{variants}{more} | {f.id} |"
                         + (f" {first_verbatim(corpus, [v.text for v in f.variants[:3]])} |" if corpus else ""))
    found = lineage(result, centre_vectors(searcher, result))
    by_id = {f.id: f for f in result.formulations}
    lines += ["", f"### Lineage ({len(found.links)} links, per {found.by}, centres at least {found.band[0]:.2f} alike)", ""]
    for link in found.links:
        earlier, later = by_id[link.earlier], by_id[link.later]
        lines.append(f"- {link.earlier} “{' '.join(earlier.centre.text.split())}” ({earlier.first_seen.date}–"
                     f"{earlier.last_seen.date}) → {link.later} “{' '.join(later.centre.text.split())}” "
                     f"({later.first_seen.date}–{later.last_seen.date}): similarity "
                     f"{link.similarity:.2f}, r {link.correlation:+.2f}, share {link.share_before:.1%} before "
                     f"{link.handover}, {link.share_after:.1%} after")
    return "\n".join(lines)


@dataclass(frozen=True)
class Use:
    """Where a wording is said verbatim: the file (UN name: country, session, year) and line of its first match."""

    file: str
    year: str
    line: int


class AllSpeeches:
    """Every speech of the corpus, read once and folded (lower case, runs of white space as one space) so that a
    wording is found verbatim across line breaks in all of them at string-search speed: the mined sample says
    which formulations there are, the whole corpus says when each wording was first used. A word hyphenated at
    a printed line end ("Secretary-/General") is not joined here, so such a use can be missed."""

    def __init__(self, speeches: Path):
        self.paths = sorted((p for p in speeches.iterdir() if NAME.match(p.name)),
                            key=lambda p: (NAME.match(p.name)["year"], p.name))
        self.years = [NAME.match(p.name)["year"] for p in self.paths]
        self.folded = [fold(p.read_text(encoding="utf-8-sig", errors="replace")) for p in self.paths]

    def holders(self, wording: str) -> list[int]:
        """The speeches (indexes into paths, oldest first) holding the wording."""
        needle = fold(wording)
        return [i for i, text in enumerate(self.folded) if needle in text] if needle else []

    def use(self, i: int, wording: str) -> Use:
        """Speech i's use of the wording, with the line of its first match (the speech is read again for it)."""
        path = self.paths[i]
        raw = path.read_text(encoding="utf-8-sig", errors="replace")
        m = re.search(r"\s+".join(map(re.escape, wording.split())), raw, re.IGNORECASE)
        return Use(path.name, self.years[i], raw.count("\n", 0, m.start()) + 1 if m else 0)

    def uses(self, wording: str) -> list[Use]:
        """Every speech holding the wording, oldest first, with the line of its first match."""
        return [self.use(i, wording) for i in self.holders(wording)]


def fold(text: str) -> str:
    return " ".join(text.lower().split())


def first_verbatim(corpus: AllSpeeches, wordings: list[str]) -> str:
    """'N speeches, first YEAR FILE:LINE' for the earliest verbatim use of any of the wordings in every speech;
    only that first speech is read for its line."""
    holding = {w: corpus.holders(w) for w in wordings}
    speeches = set().union(*holding.values())
    if not speeches:
        return "none found verbatim"
    first = min(speeches)  # paths are in (year, name) order
    first_use = corpus.use(first, next(w for w, found in holding.items() if first in found))
    return f"{len(speeches):,} speeches, first {first_use.year} ({first_use.file.removesuffix('.txt')}:{first_use.line})"


def succession(speeches: Path, earlier: str, later: str, similarity: float = 0.67) -> str:
    """Lineage's rule on two wordings over every speech (not a mining: the members are the speeches that hold each
    wording, found by searching the words across line breaks; each member is a file and line), to check a
    succession the sample is too thin for."""
    import numpy as np

    from index.mining.lineage import lineage
    from index.mining.params import MiningParams
    from index.mining.types import (Centre, Formulation, IndexInfo, Member, MiningResult, MiningStats, PeriodCount, Salience,
                                    PeriodTotals, Seen)

    corpus = AllSpeeches(speeches)
    paths = corpus.paths
    totals: dict[str, int] = defaultdict(int)
    for year in corpus.years:
        totals[year] += 1
    members = {wording: [Member(f"{u.file}:{u.line}", u.file, u.file, u.year, wording, 1.0, wording)
                         for u in corpus.uses(wording)] for wording in (earlier, later)}
    period_totals = PeriodTotals(dict(totals), {}, 0)
    formulations = []
    for i, (wording, found) in enumerate(members.items()):
        per_year: dict[str, list[str]] = defaultdict(list)
        for m in found:
            per_year[m.date].append(m.doc_id)
        counts = {y: PeriodCount.of(len(d), len(d), totals[y]) for y, d in sorted(per_year.items())}
        formulations.append(Formulation(
            id=f"f-{i}", level="phrase", label=wording, salience=Salience("formulation", float(len(found)), 1.0, 1.0,
                                                                           0.0, 0.0, 0.0),
            centre=Centre(wording.lower(), wording), core=wording, n_passages=len(found), n_documents=len(found),
            n_variants=1, multi_variant_documents=0,  # one match a speech, as mined
            first_seen=Seen(found[0].date, found[0].doc_id, found[0].title, found[0].passage_id) if found else None,
            last_seen=Seen(found[-1].date, found[-1].doc_id, found[-1].title, found[-1].passage_id) if found else None,
            per_year=counts, per_month={}, rise=0.0, variants=(), shared=(), members=tuple(found)))
    result = MiningResult(MiningParams("phrase").check(), IndexInfo("", ""), "", 0.0,
                          MiningStats(0, 0, 0, 0, len(paths), 2), period_totals, None, tuple(formulations))
    vectors = np.array([[1.0, 0.0], [similarity, (1 - similarity ** 2) ** 0.5]], dtype=np.float32)
    out = [f"{wording}: {len(found)} speeches; per year "
           + ", ".join(f"{y} {c.documents}" for y, c in f.per_year.items()) + f"; first {found[0].passage_id}"
           for (wording, found), f in zip(members.items(), formulations) if found]
    for link in lineage(result, vectors, by="year").links:
        out.append(f"link: {link.earlier_curve.centre} -> {link.later_curve.centre}, handover "
                   f"{link.handover}, share {link.share_before:.1%} before, {link.share_after:.1%} after, "
                   f"r {link.correlation:+.2f}, window {link.periods[0]}-{link.periods[-1]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("prepare", "build", "report", "succession"))
    parser.add_argument("wordings", nargs="*", help="succession: the earlier and the later wording")
    parser.add_argument("--speeches", type=Path, default=Path("/work/notes/un-all"),
                        help="the unpacked speeches (tar -xJf speeches.tar.xz -C DIR, outside the repository)")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--countries-every", type=int, default=0, metavar="N",
                        help="prepare: every speech of every Nth country (of those speaking every year) instead")
    parser.add_argument("--per-year", type=int, default=SPEECHES_PER_YEAR, metavar="N",
                        help=f"prepare: speeches drawn at random from each year (default {SPEECHES_PER_YEAR})")
    parser.add_argument("--years", type=int, nargs=2, default=(1946, 2024), metavar=("FIRST", "LAST"))
    parser.add_argument("--level", choices=("sentence", "paragraph", "phrase"), default="sentence",
                        help="the mining level reported (default sentence)")
    args = parser.parse_args(argv)
    if args.step == "prepare":
        summary = prepare(args.speeches, args.out, args.countries_every, tuple(args.years), args.per_year)
        print(f"{summary['speeches']} speeches from {summary['years']} years; {len(summary['reflowed'])} reflowed")
        return 0
    if args.step == "build":
        return build(args.out)
    if args.step == "succession":
        if len(args.wordings) != 2:
            parser.error("succession takes two wordings: the earlier and the later")
        print(succession(args.speeches, *args.wordings))
        return 0
    print(report(args.out, args.level, speeches=args.speeches if args.speeches.is_dir() else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
