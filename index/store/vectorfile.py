"""A level's vectors file (.npy, float32, C order) written and read a block at a time with plain file I/O.

A memory map would take less code, but every page it touches counts as the process's resident memory until it is
unmapped: writing a 1.3M-vector level through one and filling its FAISS index from it held 2 GB more at the peak of
a whole-archive build (bench/bench_memory.py). The files are ordinary .npy files: np.load reads them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np

BLOCK = 65_536  # rows read at a time
_DTYPE = np.dtype("<f4")


def write_vectors(path: Path, shape: tuple[int, int], blocks: Iterable[np.ndarray]) -> None:
    """Write blocks of rows, in order, as one .npy file of the given shape; they must add up to it exactly."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(_DTYPE),
                                                  "fortran_order": False, "shape": tuple(shape)})
        rows = 0
        for block in blocks:
            block = np.ascontiguousarray(block, dtype=_DTYPE)
            if block.ndim != 2 or block.shape[1] != shape[1] or rows + len(block) > shape[0]:
                raise ValueError(f"{path.name}: a block of shape {block.shape} after {rows} of {shape} rows")
            fh.write(block.tobytes())
            rows += len(block)
        if rows != shape[0]:
            raise ValueError(f"{path.name}: {rows} vectors written of {shape[0]}")


def read_rows(fd: int, offset: int, dim: int, rows: np.ndarray, name: str) -> np.ndarray:
    """Rows (any order) of a float32 matrix stored from `offset` in the open file `fd`: one pread per run of
    consecutive rows, so scattered rows cost a small read each rather than a block (or, through a memory map,
    a resident page each). ValueError names the file when it is shorter than the rows asked for."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    out = np.empty((len(rows), dim), dtype=np.float32)
    size = dim * _DTYPE.itemsize
    ascending = len(rows) < 2 or bool(np.all(np.diff(rows) >= 0))
    order = None if ascending else np.argsort(rows, kind="stable")
    ordered = rows if ascending else rows[order]
    breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
    sorted_out = out if ascending else np.empty_like(out)  # rows already in order: read straight into out
    for a, b in zip([0, *breaks.tolist()], [*breaks.tolist(), len(rows)]):
        data = os.pread(fd, (b - a) * size, offset + int(ordered[a]) * size)
        if len(data) != (b - a) * size:
            raise ValueError(f"{name} is shorter than its header says")
        sorted_out[a:b] = np.frombuffer(data, dtype=_DTYPE).reshape(b - a, dim)
    if not ascending:
        out[order] = sorted_out
    return out


class VectorFile:
    """Rows of a vectors file read on demand: `len`, `shape`, `file[a:b]` (a block) and `file[rows]`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with open(self.path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(fh)
            self._offset = fh.tell()
        if dtype != _DTYPE or fortran or len(shape) != 2:
            raise ValueError(f"{self.path} is not a C-order float32 matrix")
        self.shape = tuple(shape)
        self.dtype = dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise IndexError("only contiguous slices are read")
            return self._read(start, max(start, stop))
        rows = np.asarray(key, dtype=np.int64)
        if rows.ndim != 1:
            raise IndexError("rows are read as a list")
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return read_rows(fd, self._offset, self.shape[1], rows, self.path.name)
        finally:
            os.close(fd)

    def _read(self, start: int, stop: int) -> np.ndarray:
        width = self.shape[1] * _DTYPE.itemsize
        with open(self.path, "rb") as fh:
            fh.seek(self._offset + start * width)
            data = np.fromfile(fh, dtype=_DTYPE, count=(stop - start) * self.shape[1])
        if len(data) != (stop - start) * self.shape[1]:
            raise ValueError(f"{self.path} is truncated")
        return data.reshape(stop - start, self.shape[1])
