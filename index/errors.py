"""Errors that reach users as one clear sentence (exit 2 on the CLI, a message in the explorer)."""


class RefrainError(Exception):
    """A problem the user can fix: bad input, a missing or incompatible index, a bad query."""


class IndexUnavailable(RefrainError):
    """The index directory is missing, corrupt, or was built in a way this process cannot use."""


class BuildLocked(RefrainError):
    """Another build holds the index directory's lock."""
