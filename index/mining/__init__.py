"""Mining an index for what recurs: formulations (passages or phrases that say the same thing across documents)
and lexical phrases.

recurring.py  the entry: recurring() (results kept in DIR/derived), mine(), is_mined()
params.py     MiningParams and PhraseParams, default thresholds, minimum documents, sorts
corpus.py     the distinct texts of the mined documents and their occurrences (sentences, paragraphs, phrases)
pairs.py      the FAISS self-join: every pair of texts above the threshold
inclusion.py  distinct lines stay apart at the phrase level: branching lines, shared stems
grouping.py   centre-based groups that cannot drift along chains (nor join two distinct lines)
describe.py   a group as a Formulation: members, variants (each passage under one), label, counts per period,
              rise, core wording, wording shared with distinct lines
salience.py   formulations before furniture: a category (formulation, title, stock phrase) and a score
select.py     ranking (formulations first by default) and filtering formulations
phrases.py    recurring word n-grams (the phrase level's texts, and `refrain phrases`)
types.py      the typed results and their JSON
groundtruth.py  scoring against planted formulations (quality test, threshold sweep)

Importing the package loads nothing heavy: FAISS, SciPy and scikit-learn load on first mining.
"""
