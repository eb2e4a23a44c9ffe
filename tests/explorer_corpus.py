"""A small corpus for the explorer's tests: metadata to filter on, dates of every precision, a formulation
that recurs in reworded forms, and one passage of hostile markup. Indexed with the hashing encoder
(lexical, deterministic, instant), so the tests know which passage must match which query.
"""

from __future__ import annotations

import json
from pathlib import Path

from index.build import BuildSettings, build_index
from index.embed.encoder import HashingEncoder
from index.ingest.records import ReadOptions

HOSTILE = ('Warning: <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=1"> and a link '
           '[click](javascript:alert(1)) beside the iron bridge :red[alarm] $x^2$.')
HOSTILE_TITLE = 'Dangerous <b>markup</b> & "quotes" [link](javascript:alert(2))'
RIVER = "Our people and our Party flow together like one great river."

DOCS = [
    {"id": "bridge", "title": "Iron bridge opens at Tarsk", "date": "2021-03-04", "topic": "Economy", "country": "Kestria",
     "paragraphs": ["The iron bridge over the Ossel river opens today for trucks and trains.", RIVER,
                    "The welders of Tarsk finished the iron bridge in two hard winters."]},
    {"id": "harvest", "title": "Harvest festival in Ossel", "date": "2021-09-10", "topic": "Agriculture", "country": "Kestria",
     "paragraphs": ["Every sheaf of grain our farmers gather is a gift to generations yet unborn.",
                    "The people and the Party flow together as one mighty river.",
                    "Apricot harvests doubled this year on the southern terraces."]},
    {"id": "hostile", "title": HOSTILE_TITLE, "date": "2022-01-15", "topic": "Politics", "country": "Mavoria",
     "paragraphs": [HOSTILE, "No foreign pressure will ever bend the will of the Kestrian people."]},
    {"id": "newyear", "title": "New year address", "date": "2022-12-31", "topic": "Politics", "country": "Kestria",
     "paragraphs": ["Hardship is the forge in which our national character was tempered.",
                    "Our people and our Party flow together like one great river, said the Chairman.",
                    "A happy and industrious year to every family."]},
    {"id": "founders", "title": "Founders day", "date": "2023-04-22", "topic": "Politics", "country": "Kestria",
     "paragraphs": ["The founders of our Union swore that Kestria would never again kneel.", RIVER,
                    "The parade passed the old print shop at noon."]},
    {"id": "science", "title": "Science congress", "date": "2023-05-20", "topic": "Science", "country": "Mavoria",
     "paragraphs": ["Science and technology are the engines that will carry our Union into the future.",
                    "The new laboratories in Varnholm open next spring with forty researchers."]},
    {"id": "yearonly", "title": "Remarks known only by year", "date": "2022", "topic": "Politics", "country": "Kestria",
     "paragraphs": ["Hardship is the forge of our national character, the minister said.",
                    "Like one great river, our people and our Party flow together."]},
    {"id": "undated", "title": "Undated note on science", "date": None, "topic": "Science", "country": "Mavoria",
     "paragraphs": ["The engines of science will carry the Union forward, the academy wrote."]},
]

ENCODER_DIM = 256  # the name builtin:hashing-256 reloads exactly this encoder when the explorer opens the index


def write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "speeches.jsonl"
    rows = [{"id": d["id"], "title": d["title"], "date": d["date"], "topic": d["topic"], "country": d["country"],
             "text": "\n\n".join(d["paragraphs"])} for d in DOCS]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def build(out: Path, docs_folder: Path | None = None, extra_sources: tuple[Path, ...] = ()):
    """Index the corpus (plus any extra record files) into out with the hashing encoder."""
    source = write(docs_folder or out.parent / "corpus")
    options = ReadOptions(id_field="id", meta_fields=("topic", "country"))
    return build_index([str(source), *map(str, extra_sources)], out, options, BuildSettings(),
                       encoder=HashingEncoder(ENCODER_DIM))


def built(tmp_path_factory, name: str) -> Path:
    """A fresh index of the corpus in its own temporary folder, for one test module's fixture."""
    out = tmp_path_factory.mktemp(name) / "index"
    build(out)
    return out


def hit_ids(searcher, doc_key: str) -> list[str]:
    """Paragraph passage ids of the document whose JSON id is doc_key, in reading order."""
    title = next(d["title"] for d in DOCS if d["id"] == doc_key)
    doc = next(d for d in searcher.documents() if d["title"] == title)
    return [h.passage_id for h in searcher.document(doc["doc_id"]).passages["paragraph"]]


def doc_id(searcher, doc_key: str) -> str:
    title = next(d["title"] for d in DOCS if d["id"] == doc_key)
    return next(d["doc_id"] for d in searcher.documents() if d["title"] == title)
