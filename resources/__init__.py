"""The data files shipped with ClinicDesk: icons and style sheets (``ui/``), the SOAP classifier's
weights (``soap/``) and the medical vocabularies (``vocab/``).

A package rather than a bare folder so that one function finds them the same way in a checkout, in
an installed wheel and inside a frozen bundle, and so that every layer may use it without breaking
the import rules (it imports nothing of ours).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """A file or folder below ``resources/``: ``path("vocab", "drugs.txt")``."""
    return ROOT.joinpath(*parts)


def vocab_lines(name: str) -> tuple[str, ...]:
    """One entry per line of ``resources/vocab/NAME``; blank lines and ``#`` comments left out."""
    lines = (line.strip() for line in path("vocab", name).read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))
