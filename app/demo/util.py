"""Deterministic building blocks: ids and weighted choices drawn from a seeded ``random.Random``.

``models.new_id`` takes its randomness from the OS, which would make two seeds of the same demo differ;
here ids are UUIDv7 built from the row's own timestamp and the seeded generator, so they stay
time-ordered (as the real ones are) and reproducible.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    ms = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand_a = rng.getrandbits(12)
    rand_b = rng.getrandbits(62)
    return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)


def base_row(rng: random.Random, created: datetime, *, updated: datetime | None = None) -> dict[str, Any]:
    """The columns every seeded row has: its id (drawn first, so a seed gives the same ids), made at
    ``created``, last changed at ``updated`` (default: then), never synced and not deleted."""
    return {
        "id": uuid7_at(created, rng),
        "created_at": created,
        "updated_at": updated or created,
        "version": None,
        "deleted_at": None,
    }


class Weighted(Generic[T]):
    """Fast repeated weighted choice from ``(value, weight)`` pairs."""

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))

    def pick(self, rng: random.Random) -> T:
        return rng.choices(self.values, cum_weights=self.cum)[0]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p
