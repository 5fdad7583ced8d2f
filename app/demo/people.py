"""Demo staff, the practice, and patients with what hangs off their charts.

Rows are plain dicts for Core ``insert()`` executemany: at 100,000 patients the ORM's unit of work
would dominate the seeding time.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.demo import vocab
from app.demo.calendar import BUSINESS_HOURS, PRACTICE_TIMEZONE, holidays_between
from app.demo.util import Weighted, base_row, chance
from app.services.patients import name_key

OWNER_USERNAME = "dr.house"
OWNER_FULL_NAME = "Gregory House"
PRACTICE_NAME = "Riverside Family Health"

#: Booking rules per type (Practice.appointment_types). Follow-ups and procedures may be booked up to
#: six months out, so a year-long demo's far-future recalls are legitimate bookings.
APPOINTMENT_TYPES: dict[str, dict[str, Any]] = {
    "routine": {"label": "Routine exam", "duration_minutes": 30, "min_lead_hours": 24, "max_lead_days": 60},
    "follow_up": {
        "label": "Follow-up",
        "duration_minutes": 15,
        "durations": [15, 20],
        "min_lead_hours": 0,
        "max_lead_days": 180,
    },
    "urgent": {"label": "Urgent visit", "duration_minutes": 15, "min_lead_hours": 0, "max_lead_days": 2},
    "consultation": {
        "label": "Consultation",
        "duration_minutes": 45,
        "min_lead_hours": 0,
        "max_lead_days": 120,
    },
    "procedure": {"label": "Procedure", "duration_minutes": 60, "min_lead_hours": 24, "max_lead_days": 180},
    "telemedicine": {
        "label": "Telemedicine",
        "duration_minutes": 20,
        "min_lead_hours": 0,
        "max_lead_days": 60,
    },
}


@dataclass
class Staff:
    id: uuid.UUID
    username: str
    full_name: str
    role: str


@dataclass
class Roster:
    doctors: list[Staff]
    nurses: list[Staff]
    receptionists: list[Staff]
    admins: list[Staff]

    @property
    def owner(self) -> Staff:
        return self.doctors[0]

    def everyone(self) -> list[Staff]:
        return [*self.doctors, *self.nurses, *self.receptionists, *self.admins]


@dataclass
class PatientFacts:
    """What later tables need to know about a patient, kept small: 100,000 of them stay in memory."""

    id: uuid.UUID
    doctor: int
    age: int
    conditions: tuple[str, ...] = field(default_factory=tuple)


def doctor_count(patients: int) -> int:
    """About 350 patients per doctor: ~10 visits a patient a year then fill ~13 of a doctor's
    ~16 possible daily slots, so a half-million-appointment year still fits inside business hours."""
    return max(4, -(-patients // 350))


def make_roster(rng: random.Random, patients: int, now: datetime) -> tuple[Roster, list[dict[str, Any]]]:
    specialties = Weighted([((s, c), w) for s, c, w in vocab.DOCTOR_SPECIALTIES])
    taken: set[str] = {OWNER_USERNAME}
    rows: list[dict[str, Any]] = []
    roster = Roster([], [], [], [])
    counts = {
        "doctor": doctor_count(patients),
        "nurse": max(3, doctor_count(patients) // 2),
        "receptionist": max(2, doctor_count(patients) // 4),
        "admin": 1,
    }
    prefix = {"doctor": "dr", "nurse": "rn", "receptionist": "front", "admin": "admin"}
    for role, count in counts.items():
        for i in range(count):
            created = now - timedelta(days=rng.randint(200, 3000))
            specialty: str | None
            credentials: str | None
            if role == "doctor" and i == 0:
                first, last, username = "Gregory", "House", OWNER_USERNAME
                specialty, credentials = "Internal Medicine", "MD, FRCPC"
            else:
                first = rng.choice(vocab.FEMALE_FIRST + vocab.MALE_FIRST)
                last = rng.choice(vocab.LAST_NAMES)
                base = f"{prefix[role]}.{_ascii(last)}"
                username, n = base, 2
                while username in taken:
                    username, n = f"{base}{n}", n + 1
                specialty, credentials = specialties.pick(rng) if role == "doctor" else (None, None)
                if role == "nurse":
                    credentials = rng.choice(("RN", "RPN", "NP"))
            taken.add(username)
            row = base_row(rng, created)
            full_name = f"{first} {last}"
            row.update(
                username=username,
                email=f"{username}@riverside-health.example.ca",
                full_name=full_name,
                role=role,
                specialty=specialty,
                credentials=credentials,
                license_number=f"CPSO {rng.randint(60000, 129999)}" if role == "doctor" else None,
                phone_extension=str(100 + len(rows)),
                preferences={"theme": "light", "default_view": "schedule" if role == "doctor" else "tasks"},
                active=True,
                last_login_at=now - timedelta(hours=rng.randint(1, 72)),
            )
            rows.append(row)
            getattr(roster, f"{role}s").append(Staff(row["id"], username, full_name, role))
    return roster, rows


def _ascii(name: str) -> str:
    table = str.maketrans("éèêëàâçôöüûïîñśńłó", "eeeeaacoouuiinsnlo")
    return "".join(c for c in name.casefold().translate(table) if c.isalnum())


def practice_row(rng: random.Random, now: datetime, first: date, last: date) -> dict[str, Any]:
    this_year = now.date().year
    span_first = min(first, date(this_year, 1, 1))
    span_last = max(last, date(this_year + 1, 12, 31))
    row = base_row(rng, now - timedelta(days=3650))
    row.update(
        name=PRACTICE_NAME,
        phone="416-555-0142",
        address={
            "street": "250 Riverside Drive, Suite 300",
            "city": "Toronto",
            "region": "ON",
            "postal_code": "M6S 4A8",
            "country": "CA",
        },
        timezone=PRACTICE_TIMEZONE,
        business_hours=dict(BUSINESS_HOURS),
        holiday_schedule=[d.isoformat() for d in holidays_between(span_first, span_last)],
        appointment_types=APPOINTMENT_TYPES,
        insurance_plans_accepted=[
            "OHIP",
            *(p for p, _ in vocab.PRIVATE_PAYERS_CA),
            *(p for p, _ in vocab.PAYERS_US),
        ],
    )
    return row


@dataclass
class PatientRows:
    patient: dict[str, Any]
    facts: PatientFacts
    care_team: list[dict[str, Any]]
    insurances: list[dict[str, Any]]
    conditions: list[dict[str, Any]]


class PatientFactory:
    """Draws patients one at a time from a seeded generator."""

    def __init__(self, rng: random.Random, roster: Roster, today: date, now: datetime, count: int) -> None:
        self.rng = rng
        self.roster = roster
        self.today = today
        self.now = now
        self.mrns = rng.sample(range(1_000_000, 10_000_000), count)
        self.languages = Weighted(list(vocab.LANGUAGES))
        self.blood = Weighted(list(vocab.BLOOD_GROUPS))
        self.contact = Weighted(list(vocab.CONTACT_METHODS))
        self.severity = Weighted(list(vocab.SEVERITIES))
        self.ca_cities = Weighted([(c, c[-1]) for c in vocab.CANADIAN_CITIES])
        self.us_cities = Weighted([(c, c[-1]) for c in vocab.US_CITIES])
        self.private_ca = Weighted(list(vocab.PRIVATE_PAYERS_CA))
        self.payers_us = Weighted(list(vocab.PAYERS_US))
        self.conditions = vocab.CONDITIONS

    def patients(self) -> Iterator[PatientRows]:
        for i, mrn in enumerate(self.mrns):
            yield self._one(i, mrn)

    def _one(self, index: int, mrn: int) -> PatientRows:
        rng = self.rng
        year = int(rng.triangular(1930, 2024.99, 1978))
        dob = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        dob = min(dob, self.today - timedelta(days=30))
        age = (self.today - dob).days // 365
        roll = rng.random()
        if roll < 0.48:
            gender, first = "female", rng.choice(vocab.FEMALE_FIRST)
        elif roll < 0.96:
            gender, first = "male", rng.choice(vocab.MALE_FIRST)
        else:
            gender, first = rng.choice(("non-binary", "female", "male")), rng.choice(vocab.NEUTRAL_FIRST)
        last = rng.choice(vocab.LAST_NAMES)
        if chance(rng, 0.04):
            last = f"{last}-{rng.choice(vocab.LAST_NAMES)}"
        created = self.now - timedelta(days=rng.randint(30, min(5000, max(31, age * 365))))
        row = base_row(rng, created)
        address = self._address()
        row.update(
            mrn=f"MRN{mrn:07d}",
            first_name=first,
            last_name=last,
            first_name_key=name_key(first),
            last_name_key=name_key(last),
            date_of_birth=dob,
            gender=gender,
            phone=address.pop("phone"),
            email=None
            if chance(rng, 0.15)
            else f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(_MAIL_DOMAINS)}",
            emergency_contact={
                "name": f"{rng.choice(vocab.FEMALE_FIRST + vocab.MALE_FIRST)} {last}",
                "relationship": rng.choice(vocab.RELATIONSHIPS),
                "phone": self._phone(address["area_codes"]),
            },
            blood_group=None if chance(rng, 0.3) else self.blood.pick(rng),
            allergies=self._allergies(dob),
            preferred_language=self.languages.pick(rng),
            preferred_contact_method=self.contact.pick(rng),
            status="inactive" if chance(rng, 0.03) else "active",
        )
        # every demo patient was asked: an empty list is "no known allergies", not "not recorded"
        row["allergy_status"] = "recorded" if row["allergies"] else "none_known"
        payers = self._insurances(row, address, age)
        row.update(
            address_street=address["street"],
            address_city=address["city"],
            address_region=address["region"],
            address_postal_code=address["postal_code"],
            address_country=address["country"],
        )
        doctor = (
            index % len(self.roster.doctors)
            if rng.random() < 0.9
            else rng.randrange(len(self.roster.doctors))
        )
        conditions = self._conditions(row, age, dob)
        care = [self._care(row, self.roster.doctors[doctor].id, "primary care physician")]
        if chance(rng, 0.25):
            care.append(self._care(row, rng.choice(self.roster.nurses).id, "nurse"))
        facts = PatientFacts(row["id"], doctor, age, tuple(c["icd10_code"] for c in conditions))
        return PatientRows(row, facts, care, payers, conditions)

    def _phone(self, area_codes: tuple[str, ...]) -> str:
        return f"{self.rng.choice(area_codes)}-555-{self.rng.randint(100, 9999):04d}"

    def _address(self) -> dict[str, Any]:
        rng = self.rng
        street = f"{rng.randint(1, 4999)} {rng.choice(vocab.STREET_NAMES)} {rng.choice(vocab.STREET_TYPES)}"
        if chance(rng, 0.12):
            street = f"{rng.randint(101, 2405)}-{street}"
        codes: tuple[str, ...]
        if chance(rng, 0.95):
            city, region, letter, codes, _ = self.ca_cities.pick(rng)
            letters = vocab.POSTAL_LETTERS
            postal = (
                f"{letter}{rng.randint(1, 9)}{rng.choice(letters)} "
                f"{rng.randint(0, 9)}{rng.choice(letters)}{rng.randint(0, 9)}"
            )
            country = "CA"
        else:
            city, region, prefix, code, _ = self.us_cities.pick(rng)
            codes, postal, country = (code,), f"{prefix}{rng.randint(0, 99):02d}", "US"
        address: dict[str, Any] = {"street": street, "city": city, "region": region, "postal_code": postal}
        address.update(country=country, area_codes=codes)
        address["phone"] = self._phone(codes)
        return address

    def _allergies(self, dob: date) -> list[dict[str, Any]]:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3), weights=(62, 25, 10, 3))[0]
        out = []
        for substance, category, reactions in rng.sample(vocab.ALLERGENS, count):
            recorded = dob + timedelta(days=rng.randint(0, max(1, (self.today - dob).days)))
            out.append(
                {
                    "substance": substance,
                    "category": category,
                    "reaction": rng.choice(reactions),
                    "severity": "severe"
                    if "anaphylaxis" in reactions and chance(rng, 0.5)
                    else self.severity.pick(rng),
                    "recorded_on": recorded.isoformat(),
                }
            )
        return out

    def _insurances(self, patient: dict[str, Any], address: dict[str, Any], age: int) -> list[dict[str, Any]]:
        rng = self.rng
        rows = []
        created = patient["created_at"]
        if address["country"] == "CA":
            plan = vocab.PROVINCIAL_PLANS.get(address["region"], "OHIP")
            policy = f"{rng.randint(1000, 9999)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}"
            if plan == "OHIP":
                policy += f"-{rng.choice('ABCDEFGHJKLMNPRSTVWXYZ')}{rng.choice('ABCDEFGHJKLMNPRSTVWXYZ')}"
            payers: list[tuple[str, str, str | None, str]] = [(plan, policy, None, "provincial")]
            if 18 <= age < 70 and chance(rng, 0.6):
                payers.append(
                    (
                        self.private_ca.pick(rng),
                        f"{rng.randint(10**7, 10**8 - 1)}",
                        f"G{rng.randint(10000, 99999)}",
                        "extended health",
                    )
                )
        else:
            payer = "Medicare" if age >= 65 else self.payers_us.pick(rng)
            payers = [
                (
                    payer,
                    f"{rng.choice('ABCDEFGHJKLMNPRSTVWXYZ')}{rng.randint(10**8, 10**9 - 1)}",
                    f"{rng.randint(10000, 99999)}",
                    "medical",
                )
            ]
        for i, (payer, policy, group, coverage) in enumerate(payers):
            row = base_row(rng, created)
            effective = created.date() - timedelta(days=rng.randint(0, 2000))
            row.update(
                patient_id=patient["id"],
                payer=payer,
                policy_number=policy,
                group_number=group,
                coverage_type=coverage,
                is_primary=i == 0,
                effective_date=effective,
                expiry_date=None
                if coverage == "provincial"
                else effective + timedelta(days=365 * rng.randint(2, 6)),
            )
            rows.append(row)
        return rows

    def _conditions(self, patient: dict[str, Any], age: int, dob: date) -> list[dict[str, Any]]:
        rng = self.rng
        eligible = [c for c in self.conditions if c[2] <= age]
        wanted = min(
            len(eligible), rng.choices((0, 1, 2, 3, 4, 5), weights=(30, 28, 20, 12, 7, 3))[0] + (age > 60)
        )
        chosen: list[tuple[str, str, int, int, bool]] = []
        weights = [c[3] for c in eligible]
        while len(chosen) < wanted:
            pick = rng.choices(eligible, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        rows = []
        for name, code, min_age, _, chronic in chosen:
            earliest = dob + timedelta(days=365 * min_age)
            span = max(1, (self.today - earliest).days)
            diagnosed = earliest + timedelta(days=rng.randrange(span))
            status = "chronic" if chronic else ("resolved" if chance(rng, 0.4) else "active")
            row = base_row(rng, datetime.combine(diagnosed, datetime.min.time(), tzinfo=UTC))
            row.update(
                patient_id=patient["id"],
                name=name,
                icd10_code=code,
                diagnosed_date=diagnosed,
                status=status,
                notes=None,
            )
            rows.append(row)
        return rows

    def _care(self, patient: dict[str, Any], provider: uuid.UUID, role: str) -> dict[str, Any]:
        row = base_row(self.rng, patient["created_at"])
        row.update(
            provider_id=provider,
            patient_id=patient["id"],
            role=role,
            start_date=patient["created_at"].date(),
            status="active",
        )
        return row


_MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.ca")
