"""The shipped vocabularies (derived by scripts/train_soap_classifier.py from corpora/vocab)."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import resources


def vocab_path(name: str) -> Path:
    return resources.path("vocab", name)


@lru_cache(maxsize=1)
def drug_names() -> frozenset[str]:
    """The MedWER drug names plus the commonly prescribed generics (common_drugs.txt), some of which
    the MedWER list lacks (benzonatate, cefdinir, meclizine, ...), without the product names that are
    ordinary words ("bedtime", "numbness", "sore throat"): a medication always names a drug."""
    from audio.wordlists import prescribable

    return prescribable()


@lru_cache(maxsize=1)
def common_drugs() -> frozenset[str]:
    """The commonly prescribed generics (common_drugs.txt), a reviewed list: each is a medication
    wherever it is said, unlike a name only the long list has (which holds symptoms too), or a first
    word alone ("potassium 3.2" is a laboratory result)."""
    from audio.wordlists import common_drug_names

    return common_drug_names()


@lru_cache(maxsize=1)
def diagnosis_terms() -> frozenset[str]:
    return frozenset(_lines("diagnosis_terms.txt"))


@lru_cache(maxsize=1)
def icd10_codes() -> tuple[tuple[str, str], ...]:
    with gzip.open(vocab_path("icd10cm_2026_codes.tsv.gz"), "rt", encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t", 1) for line in fh if "\t" in line]
    return tuple((code, desc) for code, desc in rows)


def _lines(name: str) -> list[str]:
    return list(resources.vocab_lines(name))


def longest_matches(
    words: list[str], terms: frozenset[str], *, max_words: int = 4
) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, term) matches of multi-word terms in a word list, longest first."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        for n in range(min(max_words, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if phrase in terms:
                out.append((i, i + n, phrase))
                i += n
                break
        else:
            i += 1
    return out
