"""Refrain's index: read speeches, segment them, embed passages, store and search them.

Importing this package is cheap: the embedding model and FAISS load only when used.
"""

FORMAT_VERSION = 1
