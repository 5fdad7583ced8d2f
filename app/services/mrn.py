"""Medical record numbers in the practice's format, unique even when two workstations register
patients offline at the same moment.

An MRN is the practice's prefix and a zero-padded number ("MRN0001234", Practice.mrn_prefix and
mrn_digits). A workstation that syncs takes its numbers from a block the server reserved for it
(the server's per-organisation counter hands each block out once; :func:`keep_block` stores it after
a sync), so no two workstations ever hold the same number; a stand-alone profile (no sync server)
counts on from the highest MRN it holds. Either way a number already used in this profile (an
imported or hand-entered MRN) is skipped, and the server's unique constraint is the last word.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services.practice import get_practice
from clinicdesk.errors import ValidationError
from models import Patient, Practice
from sync.local import get_state, set_state

#: sync state key: the reserved numbers not used yet, {"next": n, "end": m} (end exclusive)
BLOCK_KEY = "mrn_block"
#: a workstation asks for a new block when it holds fewer numbers than this
LOW_WATER = 25
BLOCK_SIZE = 200
_SERVER_URL = "server_url"
_MRN_CHARS = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_PREFIX = re.compile(r"^[A-Za-z-]{0,16}$")


def check_mrn(mrn: str) -> str:
    """A hand-entered MRN: letters, digits and hyphens, at most 32 characters."""
    text = mrn.strip()
    if not _MRN_CHARS.match(text):
        raise ValidationError("an MRN holds 1 to 32 letters, digits or hyphens")
    return text


def check_format(prefix: str, digits: int) -> None:
    if not _PREFIX.match(prefix):
        raise ValidationError("the MRN prefix holds up to 16 letters (and hyphens), no digits")
    if not 4 <= digits <= 12 or len(prefix) + digits > 32:
        raise ValidationError("an MRN has 4 to 12 digits after its prefix (32 characters at most)")


def format_mrn(practice: Practice, number: int) -> str:
    return f"{practice.mrn_prefix}{number:0{practice.mrn_digits}d}"


def _block(session: Session) -> tuple[int, int] | None:
    raw = get_state(session, BLOCK_KEY)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return int(data["next"]), int(data["end"])
    except (ValueError, KeyError, TypeError):
        return None


def _save_block(session: Session, next_number: int, end: int) -> None:
    set_state(session, BLOCK_KEY, json.dumps({"next": next_number, "end": end}))


def numbers_left(session: Session) -> int:
    block = _block(session)
    return max(0, block[1] - block[0]) if block else 0


def keep_block(session: Session, start: int, end: int) -> None:
    """Keeps a block the server reserved for this workstation. A block asked for while a few
    numbers were left follows on from them when it can; otherwise the few are given up (an MRN
    need not be the next number, only unique)."""
    block = _block(session)
    if block is not None and block[0] < block[1] == start:
        start = block[0]
    _save_block(session, start, end)


def _local_top(session: Session, practice: Practice) -> int:
    """The highest number of this practice's format among the MRNs this profile holds."""
    low = practice.mrn_prefix + "0" * practice.mrn_digits
    high = practice.mrn_prefix + "9" * practice.mrn_digits
    top = session.scalar(
        select(func.max(Patient.mrn)).where(
            Patient.mrn >= low, Patient.mrn <= high, func.length(Patient.mrn) == len(low)
        )
    )
    if top is None or not top[len(practice.mrn_prefix) :].isdigit():
        return 0
    return int(top[len(practice.mrn_prefix) :])


def _free(
    session: Session, practice: Practice, number: int, count: int, end: int | None
) -> tuple[list[str], int]:
    """The next ``count`` MRNs from ``number`` that this profile does not hold yet (a few hundred
    looked up at a time, never one query per number), and the number after the last one taken."""
    out: list[str] = []
    with session.no_autoflush:
        while len(out) < count:
            stop = number + max(64, 2 * (count - len(out)))
            if end is not None:
                stop = min(stop, end)
            if number >= stop:
                raise ValidationError(
                    "this workstation has used all its reserved MRN numbers: sync while online to get "
                    "more, or enter the MRN"
                )
            wanted = {format_mrn(practice, n): n for n in range(number, stop)}
            taken: set[str] = set()
            names = list(wanted)
            for start in range(0, len(names), 500):
                taken.update(
                    session.scalars(select(Patient.mrn).where(Patient.mrn.in_(names[start : start + 500])))
                )
            for candidate, n in wanted.items():
                if candidate not in taken:
                    out.append(candidate)
                    if len(out) == count:
                        return out, n + 1
            number = stop
    return out, number


def next_mrns(session: Session, count: int = 1) -> list[str]:
    """``count`` new MRNs, taken from this workstation's reserved numbers (or, for a stand-alone
    profile, counted on from the highest it holds). The numbers are used up in this transaction."""
    practice = get_practice(session)
    if get_state(session, _SERVER_URL) is None:  # stand-alone: no other workstation gives out MRNs
        return _free(session, practice, _local_top(session, practice) + 1, count, None)[0]
    block = _block(session)
    if block is None:
        raise ValidationError(
            "this workstation has no MRN numbers reserved yet: sync once while online, or enter the MRN"
        )
    out, number = _free(session, practice, block[0], count, block[1])
    _save_block(session, number, block[1])
    return out
