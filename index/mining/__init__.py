"""Mining an index for what recurs: formulations (passages or phrases that say the same thing across documents)
and lexical phrases.

recurring.py  the entry: recurring() (results kept in DIR/derived), mine(), is_mined()
params.py     MiningParams and PhraseParams, default thresholds, minimum documents, sorts
corpus.py     the distinct texts of the mined documents and their occurrences (sentences, paragraphs, phrases)
pairs.py      the FAISS self-join: every pair of texts above the threshold
grouping.py   centre-based groups that cannot drift along chains
describe.py   a group as a Formulation: members, variants, counts per period, rise, core wording
select.py     ranking and filtering formulations
phrases.py    recurring word n-grams (the phrase level's texts, and `refrain phrases`)
types.py      the typed results and their JSON
groundtruth.py  scoring against planted formulations (quality test, threshold sweep)

Importing the package loads nothing heavy: FAISS, SciPy and scikit-learn load on first mining.
"""
