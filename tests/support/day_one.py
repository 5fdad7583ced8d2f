"""A practice's first day, for tests: an empty profile with its staff and (optionally) the practice
set up through the app's own services, and files of patients to import."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.services.practice_setup import default_input, save_practice
from app.store import Store
from models import User
from models.enums import Role
from tests.support.profiles import empty_store

STAFF = (
    ("admin", "Ada Min", Role.ADMIN),
    ("desk", "Rae Desk", Role.RECEPTIONIST),
    ("dr.lee", "Dr Mei Lee", Role.DOCTOR),
)
FIRST = ("Mara", "Ivo", "Lena", "Omar", "Ruth", "Tariq", "Noor", "Jonas", "Aiko", "Femi", "Zofia", "Raúl")
LAST = (
    "Quill",
    "Brandt",
    "Okoye",
    "Novak",
    "Haddad",
    "Ferreira",
    "Wiśniewski",
    "Lindqvist",
    "Mbeki",
    "Ó Briain",
)
HEADER = ["mrn", "first_name", "last_name", "date_of_birth", "sex", "phone", "email", "address", "city",
          "region", "postal_code", "country"]  # fmt: skip


def practice_profile(folder: Path, *, owner: str = "desk", set_up: bool = True) -> Store:
    """An empty profile with the staff above, signed in as ``owner``; the practice is set up by the
    administrator (UTC, weekdays 08:00–17:00, the seeds' rules) unless ``set_up`` is False."""
    store = empty_store(folder)
    with store.session() as s:
        users = [User(username=u, full_name=n, role=r) for u, n, r in STAFF]
        s.add_all(users)
        s.flush()
        admin = users[0].id
    if set_up:
        with store.session(actor_id=admin) as s:
            save_practice(s, replace(default_input("UTC"), name="Harbour Street Clinic"))
    store.set_owner(owner)
    return store


def patient_rows(count: int, *, seed: int = 7, mrn_from: int | None = 1) -> list[dict[str, Any]]:
    """``count`` distinct patients (no two share a name and birth date, or a phone)."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        born = date(1930, 1, 1) + timedelta(days=(n * 7919 + rng.randrange(30)) % 30000)
        rows.append(
            {
                "mrn": f"OLD{mrn_from + n:07d}" if mrn_from is not None else "",
                "first_name": FIRST[n % len(FIRST)],
                "last_name": f"{LAST[(n // len(FIRST)) % len(LAST)]}{'' if n < 120 else n}",
                "date_of_birth": born.isoformat(),
                "sex": rng.choice(["female", "male", "F", "M"]),
                "phone": f"+1 416 {2000000 + n:07d}",
                "email": f"patient{n}@example.org",
                "address": f"{n + 1} King Street",
                "city": "Toronto",
                "region": "ON",
                "postal_code": "M5V 1A1",
                "country": "CA",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict[str, Any]], *, header: list[str] | None = None) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or HEADER, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def fhir_bundle(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A FHIR R4 collection Bundle of Patient resources made from ``rows``."""
    entries = []
    for row in rows:
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "name": [{"use": "official", "family": row["last_name"], "given": [row["first_name"]]}],
            "birthDate": row["date_of_birth"],
            "gender": {"F": "female", "M": "male"}.get(row["sex"], row["sex"]),
            "telecom": [{"system": "phone", "value": row["phone"]}],
            "address": [{"line": [row["address"]], "city": row["city"], "state": row["region"],
                         "postalCode": row["postal_code"], "country": row["country"]}],
        }  # fmt: skip
        if row.get("mrn"):
            medical_record = {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
            resource["identifier"] = [{"type": {"coding": [medical_record]}, "value": row["mrn"]}]
        entries.append({"resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def write_fhir(path: Path, bundle: dict[str, Any]) -> Path:
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path
