"""Deterministic demo data: a whole clinic in an encrypted profile, for demos, tests and benchmarks."""

from app.demo.people import OWNER_USERNAME
from app.demo.seeder import ensure_demo_profile, practice_today, seed_profile

__all__ = ["OWNER_USERNAME", "ensure_demo_profile", "practice_today", "seed_profile"]
