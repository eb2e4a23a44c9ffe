"""The levels Refrain works at, named once: passages are paragraphs and sentences; mining adds phrases."""

LEVELS = ("paragraph", "sentence")  # passage levels: each has its own vectors and FAISS index
DEFAULT_LEVEL = "paragraph"  # what search, similar and phrase look at unless told otherwise
MINING_LEVELS = ("sentence", "paragraph", "phrase")  # recurring formulations: phrase = word phrases inside sentences
