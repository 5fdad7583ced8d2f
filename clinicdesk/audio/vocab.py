"""The word lists in ``resources/vocab`` that the spelling and recovery passes read."""

from __future__ import annotations

from pathlib import Path

VOCAB_DIR = Path(__file__).resolve().parents[1] / "resources" / "vocab"


def vocab_lines(name: str) -> tuple[str, ...]:
    """One entry per line of ``resources/vocab/NAME``; blank lines and ``#`` comments left out."""
    lines = (line.strip() for line in (VOCAB_DIR / name).read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))
