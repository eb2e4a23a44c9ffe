"""Errors that reach users as one clear sentence (exit 2 on the CLI, a message in the explorer)."""

from __future__ import annotations

import errno
import sqlite3
from contextlib import contextmanager
from pathlib import Path


class RefrainError(Exception):
    """A problem the user can fix: bad input, a missing or incompatible index, a bad query."""


class IndexUnavailable(RefrainError):
    """The index directory is missing, corrupt, or was built in a way this process cannot use."""


class BuildLocked(RefrainError):
    """Another build holds the index directory's lock."""


@contextmanager
def disk_full_reported(doing: str, kept: str):
    """A full disk, in whichever layer notices it (an OSError, or SQLite's "database or disk is full"), as one
    sentence that says what could not be done and what is kept, instead of a traceback."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        if not _disk_full(exc):
            raise
        raise RefrainError(f"cannot {doing}: the disk is full ({exc}); {kept}") from exc


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
