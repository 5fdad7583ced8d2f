"""Spoken section headers: the doctor's own structure always wins over the classifier.

The header table and the rules for where a header counts live in ``audio.spoken``, shared with the
dictation session (which follows the assessment for the diagnosis recovery), so the two never disagree.
This module splits an utterance into header and content pieces for the structuring step.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio.spoken import ASSESSMENT_AND_PLAN, HEADERS, LEADING_OK, SECTIONS, find_headers

__all__ = ["ASSESSMENT_AND_PLAN", "HEADERS", "LEADING_OK", "SECTIONS", "HeaderMatch", "Piece", "match_header"]


@dataclass(frozen=True)
class HeaderMatch:
    section: str
    label: str | None
    rest: str  # the utterance's text after the header (may be empty)


@dataclass(frozen=True)
class Piece:
    """Part of an utterance: a header (``section``/``label`` set, no text) or content at characters
    ``start:end`` of the utterance."""

    start: int
    end: int
    section: str | None = None
    label: str | None = None

    @property
    def header(self) -> bool:
        return self.section is not None


def split_headers(text: str) -> list[Piece]:
    """The utterance as content and header pieces in order ("... two days. Objective. Blood ...")."""
    pieces: list[Piece] = []
    pos = 0
    for h in find_headers(text):
        if text[pos : h.start].strip(" \t,;:.-"):
            pieces.append(Piece(pos, h.start))
        pieces.append(Piece(h.start, h.end, h.section, h.label))
        pos = h.end
    if text[pos:].strip(" \t,;:.-"):
        pieces.append(Piece(pos, len(text)))
    return pieces


def match_header(text: str) -> HeaderMatch | None:
    """The header an utterance starts with, if any ("Physical exam: ..." and "physical exam" alike),
    and the text after it up to the next header."""
    pieces = split_headers(text)
    if not pieces or not pieces[0].header:
        return None
    first = pieces[0]
    after = pieces[1] if len(pieces) > 1 and not pieces[1].header else None
    rest = text[after.start : after.end].lstrip(" :;,.-\u2014\t").strip() if after else ""
    assert first.section is not None
    return HeaderMatch(first.section, first.label, rest)
