"""Checks that every mined formulation must pass, shared by the unit tests (stand-in encoder) and the quality
tests (real model)."""

from __future__ import annotations

from index.mining.types import Formulation


def variant_counts_add_up(f: Formulation) -> None:
    """Each member counts under one variant: the variant rows add up, and the label is the most used one."""
    by_variant: dict[str, list] = {}
    for m in f.members:
        by_variant.setdefault(m.text_hash, []).append(m)
    assert set(by_variant) <= {v.text_hash for v in f.variants}
    for v in f.variants:
        held = by_variant.get(v.text_hash, [])
        assert (v.passages, v.documents) == (len(held), len({m.doc_id for m in held})), v.text
    assert sum(v.passages for v in f.variants) == f.n_passages == len(f.members)
    assert f.label == f.variants[0].text and f.variants[0].passages == max(v.passages for v in f.variants)
    variants_of_doc: dict[str, set] = {}
    for m in f.members:
        variants_of_doc.setdefault(m.doc_id, set()).add(m.text_hash)
    assert f.multi_variant_documents == sum(len(v) > 1 for v in variants_of_doc.values())
    assert sum(v.documents for v in f.variants) == sum(len(v) for v in variants_of_doc.values())
