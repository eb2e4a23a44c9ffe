"""CLI commands for recurring formulations (`recurring`, `phrases`)."""

from __future__ import annotations


def add_commands(sub) -> None:
    pass
