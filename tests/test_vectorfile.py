"""Vectors files written and read a block at a time are ordinary .npy files, read back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from index.store import vectorfile
from index.store.vectorfile import VectorFile, write_vectors


def test_blocks_written_are_the_matrix_np_load_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(vectorfile, "BLOCK", 7)  # many blocks from a small matrix
    matrix = np.random.default_rng(3).normal(size=(50, 6)).astype(np.float32)
    path = tmp_path / "v.npy"
    write_vectors(path, matrix.shape, (matrix[i:i + 9] for i in range(0, 50, 9)))
    np.testing.assert_array_equal(np.load(path, allow_pickle=False), matrix)
    file = VectorFile(path)
    assert file.shape == (50, 6) and len(file) == 50
    np.testing.assert_array_equal(file[10:33], matrix[10:33])
    np.testing.assert_array_equal(file[45:60], matrix[45:])
    rows = np.array([0, 1, 6, 7, 8, 20, 21, 49])
    np.testing.assert_array_equal(file[rows], matrix[rows])
    np.testing.assert_array_equal(file[np.array([5, 2, 5, 49, 48])], matrix[[5, 2, 5, 49, 48]])  # any order


def test_blocks_that_do_not_add_up_are_refused(tmp_path):
    with pytest.raises(ValueError, match="4 vectors written of 5"):
        write_vectors(tmp_path / "v.npy", (5, 2), [np.zeros((4, 2))])
    with pytest.raises(ValueError, match="a block of shape"):
        write_vectors(tmp_path / "v.npy", (5, 2), [np.zeros((6, 2))])


def test_a_truncated_file_is_an_error(tmp_path):
    path = tmp_path / "v.npy"
    write_vectors(path, (100, 4), [np.ones((100, 4))])
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size - 16)
    with pytest.raises(ValueError, match="truncated"):
        VectorFile(path)[90:100]
    with pytest.raises(ValueError, match="v.npy is shorter than its header says"):
        VectorFile(path)[np.array([3, 99])]
