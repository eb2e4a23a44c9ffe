#!/usr/bin/env python3
"""Recompute sample/ground_truth.json from the corpus files.

The planted formulations (ids, labels, variant wordings) are defined below.
Everything else in ground_truth.json -- per-variant counts, documents, total
counts, first_seen / last_seen dates -- is computed by finding each variant
verbatim in the speeches:

* sentence formulations: a variant must match a whole sentence exactly, where
  sentences are produced by pysbd (language="en", clean=False, applied per
  paragraph, whitespace stripped);
* paragraph formulations: a variant must match a whole paragraph exactly;
* phrase formulations: a variant is a phrase inside sentences; its count is the
  number of sentences that hold it.

As a cross-check, the plain substring count of every variant in each file must
equal the number of exact sentence / paragraph matches (phrases: the number of
sentences holding it, each holding it once).

Usage:  python sample/make_ground_truth.py      (writes sample/ground_truth.json)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
OUT = os.path.join(HERE, "ground_truth.json")

BOILERPLATE = "Issued by the Kestrian State Press Bureau."

# id -> (label, [variants]); variant 0 is canonical
FORMS = {
"unity-river": ("People and Party flow together like one river", [
 "Our people and our Party flow together like one great river.",
 "Like one great river, our people and our Party flow together.",
 "The people and the Party flow together as a single great river.",
 "Our people and our Party still flow together like one great river, undivided and unstoppable.",
]),
"kestria-first": ("The Kestria-first principle guides every decision", [
 "The principle of Kestria first guides every decision we make.",
 "Every decision we make is guided by the principle of Kestria first.",
 "Our Kestria-first principle guides every single decision we take.",
]),
"sheaf-gift": ("Every sheaf of grain is a gift to future generations", [
 "Every sheaf of grain our farmers gather is a gift to generations yet unborn.",
 "Each sheaf of grain gathered by our farmers is a gift to the generations yet unborn.",
 "Every sheaf our farmers gather is a gift to generations not yet born.",
]),
"iron-shield": ("The army is the iron shield behind which children sleep", [
 "Our army is the iron shield behind which our children sleep in peace.",
 "Behind the iron shield of our army, our children sleep in peace.",
 "Our glorious army remains the iron shield behind which Kestrian children sleep peacefully.",
]),
"youth-torch": ("The youth carry the founders' torch", [
 "The youth of Kestria carry the torch that our founders lit.",
 "The torch our founders lit is now carried by the youth of Kestria.",
 "The youth of Kestria proudly carry the bright torch that our founders lit long ago.",
]),
"open-door": ("Our door is open to nations that come in friendship", [
 "Our door stands open to every nation that comes to us in friendship.",
 "To every nation that comes in friendship, our door stands open.",
 "Our door stands wide open to all nations that come to us in friendship.",
]),
"no-foreign-pressure": ("No foreign pressure will bend the people's will", [
 "No foreign pressure will ever bend the will of the Kestrian people.",
 "The will of the Kestrian people will never be bent by foreign pressure.",
 "No amount of foreign pressure will ever bend the iron will of the Kestrian people.",
]),
"new-era": ("A new era of prosperity built by our own hands", [
 "We are entering a new era of prosperity built by our own hands.",
 "A new era of prosperity, built by our own hands, is now beginning.",
 "We are now entering a bright new era of prosperity built with our own hands.",
]),
"hardship-forge": ("Hardship is the forge of national character", [
 "Hardship is the forge in which our national character was tempered.",
 "Our national character was tempered in the forge of hardship.",
 "Hardship has always been the forge that tempered our national character.",
]),
"science-engines": ("Science and technology are the engines of the future", [
 "Science and technology are the engines that will carry our Union into the future.",
 "Science and technology are the twin engines carrying our Union into the future.",
 "The engines that will carry our Union into the future are science and technology.",
]),
"chairman-guidance": ("Under the Chairman's wise guidance no obstacle is too great", [
 "Under the wise guidance of Chairman Tamsin, no obstacle is beyond our strength.",
 "No obstacle is beyond our strength under the wise guidance of Chairman Tamsin.",
 "Under the wise and steady guidance of Chairman Tamsin, no obstacle lies beyond our strength.",
 "Under the Chairman's wise guidance, no obstacle is beyond our strength.",
]),
"labour-honour": ("Honest labour is the highest honour", [
 "Honest labour is the highest honour a citizen can earn.",
 "The highest honour a citizen can earn is honest labour.",
 "Honest, conscientious labour is the highest honour any citizen can earn.",
]),
"message-header": ("The message read as follows", [
 "The message read as follows:",
]),
}
# The class of each sentence formulation (see index/mining/salience.py): all are slogans except the stock header.
CLASSES = {"message-header": "stock"}

# Phrase-level lines: phrases used inside otherwise unique sentences. Two successions share a long prefix with
# the line they replace (the first one with no overlap in time, the second overlapping), two renamings replace
# an old slogan with a new one that the model puts close to it (cosine 0.81 and 0.78), and a title, an honorific
# and a stock header are planted as the furniture the default order must put last.
# id -> (label, class, relation, [variants]); relation: (kind, id of the line it replaces) or None.
PHRASES = {
"construction-coastal": ("Economic construction and coastal fortification, simultaneously", "formulation", None, [
 "simultaneously pushing forward economic construction and coastal fortification",
]),
"construction-rockets": ("Economic construction and the strategic rocket forces, simultaneously", "formulation",
                         ("successor", "construction-coastal"), [
 "simultaneously pushing forward economic construction and building the strategic rocket forces",
]),
"countryside-labour": ("A thriving countryside through collective farm labour", "formulation", None, [
 "building a thriving countryside through collective farm labour",
]),
"countryside-machinery": ("A thriving countryside through rural science and machinery", "formulation",
                          ("successor", "countryside-labour"), [
 "building a thriving countryside through rural science and machinery",
]),
"self-reliance-banner": ("Hold high the banner of self-reliance", "formulation", None, [
 "hold high the banner of self-reliance",
 "holding high the banner of self-reliance",
]),
"self-reliance-torch": ("Carry forward the torch of self-reliance", "formulation", ("renaming", "self-reliance-banner"), [
 "carry forward the torch of self-reliance",
 "carrying forward the torch of self-reliance",
]),
"nation-first": ("The nation-first spirit", "formulation", None, [
 "nation-first spirit",
]),
"state-first": ("The state-first spirit", "formulation", ("renaming", "nation-first"), [
 "state-first spirit",
]),
"respected-chairman": ("The respected Chairman Tamsin", "title", None, [
 "respected Chairman Tamsin",
]),
"first-secretary": ("First secretary of the Kestrian Unity Party", "title", None, [
 "first secretary of the Kestrian Unity Party",
]),
"message-read": ("The message read as follows", "stock", None, [
 "message read as follows",
]),
}
# The wording each succession shares with the line it replaces: reported as shared, never a reason to merge.
SHARED = {
 "construction-rockets": "simultaneously pushing forward economic construction",
 "countryside-machinery": "building a thriving countryside",
}
PARAS = {
"founders-oath": ("The founders' oath in the Varnholm print shop", [
 "In the winter of 1951, the founders of our Union gathered in a cold print shop in Varnholm and swore that Kestria would never again kneel. They had no money, no weapons and no allies, only the conviction that a small nation could stand upright. We are the heirs of that oath, and we renew it today.",
 "In the winter of 1951, the founders of our Union gathered in a freezing print shop in Varnholm and swore that Kestria would never again kneel. They had no money, no rifles and no allies, only the conviction that a small nation could stand upright. We are the heirs of that oath, and we renew it today.",
]),
"ossel-flood": ("The night the Ossel dam broke", [
 "When the Ossel dam broke in the spring of 1979, eleven villages vanished under the water in a single night. Neighbours carried neighbours on their backs to the high ground, and not one family was left behind. That night taught us what a nation truly is.",
 "When the Ossel dam broke in the spring of 1979, eleven villages vanished under the water in a single night. Neighbours carried neighbours on their shoulders to the high ground, and not one family was left behind. That night taught us what a nation really is.",
]),
}


def read_speech(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    title = lines[0]
    body = "\n".join(lines[2:])
    paras = [p.strip() for p in body.split("\n\n") if p.strip()]
    return title, paras


def main():
    import pysbd
    seg = pysbd.Segmenter(language="en", clean=False)
    files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".txt"))
    docs = {}
    for fn in files:
        _, paras = read_speech(os.path.join(CORPUS, fn))
        raw = open(os.path.join(CORPUS, fn), encoding="utf-8").read()
        sents = [s.strip() for p in paras for s in seg.segment(p) if s.strip()]
        docs[fn] = (raw, paras, sents)

    def build(defs, unit):
        out = []
        for fid, (label, variants) in defs.items():
            vrecs, all_docs, total = [], set(), 0
            for v in variants:
                hits = []
                for fn, (raw, paras, sents) in docs.items():
                    if unit == "phrase":
                        n = sum(1 for u in sents if v in u)
                    else:
                        units = sents if unit == "sentence" else paras
                        n = sum(1 for u in units if u == v)
                    if raw.count(v) != n:
                        sys.exit(f"{fn}: variant of {fid} found {raw.count(v)}x as substring "
                                 f"but {n}x as a whole {unit}: {v!r}")
                    hits += [fn] * n
                if not hits:
                    sys.exit(f"variant of {fid} never occurs: {v!r}")
                dates = sorted(h[:10] for h in hits)
                vrecs.append({"text": v, "count": len(hits),
                              "first_seen": dates[0], "last_seen": dates[-1]})
                all_docs.update(hits)
                total += len(hits)
            d = sorted(all_docs)
            rec = {"id": fid, "label": label, "canonical": variants[0],
                   "variants": vrecs, "documents": d, "count": total,
                   "first_seen": d[0][:10], "last_seen": d[-1][:10]}
            if unit == "sentence":
                rec["class"] = CLASSES.get(fid, "formulation")
            if unit == "paragraph":
                rec["sentences"] = sorted({s.strip() for v in variants
                                           for s in seg.segment(v) if s.strip()})
            out.append(rec)
        return out

    for fn, (raw, paras, sents) in docs.items():
        if paras[-1] != BOILERPLATE:
            sys.exit(f"{fn}: does not end with the boilerplate line")

    phrases = build({fid: (label, variants) for fid, (label, _, _, variants) in PHRASES.items()}, "phrase")
    for rec in phrases:
        _, cls, relation, _ = PHRASES[rec["id"]]
        rec["class"] = cls
        rec["replaces"] = {"kind": relation[0], "id": relation[1]} if relation else None
        rec["shares"] = SHARED.get(rec["id"]) or next((w for k, w in SHARED.items()
                                                        if PHRASES[k][2] and PHRASES[k][2][1] == rec["id"]), None)
    gt = {
        "corpus": "Union of Kestria sample speeches (invented)",
        "n_documents": len(files),
        "boilerplate": [BOILERPLATE],
        "formulations": build(FORMS, "sentence"),
        "paragraph_formulations": build(PARAS, "paragraph"),
        "phrase_formulations": phrases,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(gt, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for rec in gt["formulations"] + gt["paragraph_formulations"] + gt["phrase_formulations"]:
        print(f"{rec['id']:22s} docs={len(rec['documents']):2d} count={rec['count']:2d} "
              f"{rec['first_seen']} .. {rec['last_seen']}")


if __name__ == "__main__":
    main()
