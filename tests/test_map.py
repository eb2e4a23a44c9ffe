"""The map of formulations (index/mining/map.py): one stored layout per index and mining, read back as computed,
and search hits placed among the formulations without moving them. On the sample corpus, hashing encoder."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.mining.centres import centre_vectors
from index.mining.map import (MIN_FORMULATIONS, PLACE_SHARPNESS, formulation_map, passage_vectors,
                              perplexity, place, project)
from index.mining.recurring import MiningParams, recurring
from index.search import Searcher
from index.store import layout


@pytest.fixture
def searcher(tmp_path, sample_hashing_index):
    copy = tmp_path / "sample"
    shutil.copytree(sample_hashing_index, copy)
    return Searcher(copy)


def test_the_layout_is_computed_once_stored_and_read_back(searcher):
    result = recurring(searcher, MiningParams(level="sentence"))
    first = formulation_map(searcher, result)
    assert [p.formulation for p in first.points] == [f.id for f in result.formulations]
    assert first.method == "opentsne" and first.params == result.params
    coords = np.array([[p.x, p.y] for p in first.points])
    assert np.abs(coords).max() == pytest.approx(1.0, abs=1e-4) and np.allclose(coords.mean(axis=0), 0, atol=1e-3)
    stored = list((searcher.root / layout.DERIVED).glob("map-*.json"))
    assert len(stored) == 1
    assert formulation_map(searcher, result, use_cache=False) == first  # the same seed: the same map
    stored[0].write_text(json.dumps({"version": 1, "params": {}, "points": "damaged"}))
    assert formulation_map(searcher, result) == first  # a damaged file is computed again and replaced
    assert json.loads(stored[0].read_text())["points"][0][0] == first.points[0].formulation


def test_each_mining_has_its_own_map(searcher):
    sentences = formulation_map(searcher, recurring(searcher, MiningParams(level="sentence")))
    phrases = formulation_map(searcher, recurring(searcher, MiningParams(level="phrase")))
    assert {p.formulation for p in sentences.points}.isdisjoint({p.formulation for p in phrases.points})
    assert len(list((searcher.root / layout.DERIVED).glob("map-*.json"))) == 2


def test_similar_formulations_sit_closer_than_unrelated_ones(searcher):
    result = recurring(searcher, MiningParams(level="sentence", min_docs=2))
    vectors = centre_vectors(searcher, result)
    coords = project(vectors)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)  # each centre's most similar other centre
    distance = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    rank = (distance < distance[np.arange(len(coords)), nearest][:, None]).sum(axis=1) - 1  # others closer on the map
    assert np.median(rank) <= 3, np.median(rank)  # its true nearest neighbour is among its nearest on the map


def test_centre_vectors_are_the_centres_passages(searcher):
    result = recurring(searcher, MiningParams(level="sentence"))
    vectors = centre_vectors(searcher, result)
    for f, vector in zip(result.formulations, vectors):
        member = next(m for m in f.members if m.text_hash == f.centre.text_hash)
        assert np.allclose(vector, passage_vectors(searcher, [member.passage_id], "sentence")[0])


def test_centre_vectors_are_kept_with_the_mining_and_dropped_when_it_is_mined_again(searcher):
    for level in ("sentence", "phrase"):
        result = recurring(searcher, MiningParams(level=level))
        kept = list((searcher.root / layout.DERIVED).glob("recurring-*.centres.npy"))
        if level == "sentence":  # stored with the mining; a phrase mining's are embedded on first use
            assert len(kept) == 1 and np.array_equal(np.load(kept[0]), centre_vectors(searcher, result))
        vectors = centre_vectors(searcher, result)
        kept = {path.name for path in (searcher.root / layout.DERIVED).glob("recurring-*.centres.npy")}
        assert len(kept) == (1 if level == "sentence" else 2)
    (array,) = [path for path in (searcher.root / layout.DERIVED).glob("recurring-*.centres.npy")
                if np.load(path).shape == vectors.shape]
    np.save(array, np.zeros((3, vectors.shape[1]), dtype=np.float32))  # not this mining's: read again, and kept
    assert np.array_equal(centre_vectors(searcher, result), vectors) and np.array_equal(np.load(array), vectors)
    recurring(searcher, MiningParams(level="phrase"), use_cache=False)  # mined again: its old centres go
    assert not array.exists()
    sentence = recurring(searcher, MiningParams(level="sentence"))  # the stored sentence centres are its centres
    assert np.array_equal(centre_vectors(searcher, sentence), passage_vectors(
        searcher, [next(m.passage_id for m in f.members if m.text_hash == f.centre.text_hash)
                   for f in sentence.formulations], "sentence"))


def test_hits_are_placed_among_their_closest_formulations_without_moving_them():
    centres = np.eye(4, dtype=np.float32)
    coords = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    hits = np.array([[1, 0, 0, 0], [0.6, 0.8, 0, 0], [0.7071, 0.7071, 0, 0]], dtype=np.float32)
    placed = place(centres, coords, hits, k=2)
    assert placed[0] == pytest.approx([-1.0, 0.0], abs=1e-4)  # only one centre is similar at all
    second = np.exp(-0.2 / PLACE_SHARPNESS)  # 0.2 less similar than the best
    assert placed[1] == pytest.approx([(second * -1 + 1) / (1 + second), 0.0])  # close to its best centre
    assert placed[2] == pytest.approx([0.0, 0.0], abs=1e-4)  # halfway between two equally similar ones
    assert place(centres, coords, np.zeros((0, 4), dtype=np.float32)).shape == (0, 2)


def test_too_few_formulations_make_no_map(searcher):
    result = recurring(searcher, MiningParams(level="paragraph", min_docs=40))
    assert len(result.formulations) < MIN_FORMULATIONS
    assert formulation_map(searcher, result).points == ()
    assert perplexity(MIN_FORMULATIONS) == pytest.approx(4 / 3) and perplexity(31) == 10 and perplexity(1000) == 30


# ---------------------------------------------------------------- labels (explorer/logic/map_rows.py)


def test_labels_are_cut_between_words_with_one_ellipsis():
    from explorer.logic.map_rows import short_label

    assert short_label("Honest labour is the highest honour", 42) == "Honest labour is the highest honour"
    assert short_label("Science and technology are the engines … carry our Union", 42) == \
        "Science and technology are the engines …"
    cut = short_label("wise guidance … Chairman … obstacle … strength", 42)
    assert cut == "wise guidance … Chairman … obstacle …" and len(cut) <= 42


def test_labels_that_would_overlap_go_below_or_are_left_out():
    from explorer.logic.map_rows import place_labels

    text = "principle … Kestria first … decision"
    placed = place_labels([("a", 0.0, 0.0, text), ("b", 0.05, 0.0, text), ("c", 0.1, 0.0, text),
                           ("far", 0.9, -0.9, text), ("near-far", 0.9, -0.87, "x")])
    assert placed == {"a": "above", "b": "below", "far": "above", "near-far": "below"}
