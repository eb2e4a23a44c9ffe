"""Retrieval beyond the dense vectors: lexical matching over FTS5 (verbatim phrases, shared words by bm25),
the fusion of lexical and dense rankings, and why each hit matched.

`lexical` talks to SQLite, `fusion` is pure arithmetic over rankings, `ranking` puts them together for a
Searcher (index.search), which stays the one entry point for queries.
"""

MODES = ("hybrid", "semantic", "lexical")  # search modes (index.retrieval.ranking)
DEFAULT_MODE = "hybrid"
ORDERS = ("oldest", "newest", "relevance")  # exact-phrase orders (index.retrieval.lexical)
