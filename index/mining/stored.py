"""Where DIR/derived keeps a mining: one key for the result (index/mining/recurring.py) and the arrays stored with
it (its centre vectors, index/mining/centres.py), so both always name the same mining."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.mining.params import MiningParams
from index.mining.types import MINER_VERSION

if TYPE_CHECKING:
    from index.search import Searcher


def derived_key(searcher: Searcher, params: MiningParams) -> tuple:
    """(root, kind, content hash, parameters, version): the arguments index/store/derived.py takes."""
    return searcher.root, "recurring", searcher.manifest["content_hash"], params.as_dict(), MINER_VERSION
