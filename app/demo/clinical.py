"""Encounters with SOAP notes for completed visits, and the nurses' and doctors' tasks and alerts.

Notes are assembled from a handful of visit patterns (physical, hypertension, diabetes, respiratory
infection, ...) with vitals drawn per visit, so the chart, the note editor and the ICD-10 features
have believable material without shipping real patients' notes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from app.demo import vocab
from app.demo.people import PatientFacts, Roster
from app.demo.schedule import Booked
from app.demo.util import Weighted, base_row, chance
from models.enums import SOAP_SECTIONS

_CONDITION_NAMES = {code: name for name, code, *_ in vocab.CONDITIONS}


def _vitals(rng: random.Random, patient: PatientFacts, hypertensive: bool) -> dict[str, Any]:
    child = patient.age < 14
    systolic = (
        rng.randint(90, 110) if child else rng.randint(128, 162) if hypertensive else rng.randint(104, 134)
    )
    return {
        "bp_systolic": systolic,
        "bp_diastolic": max(50, systolic - rng.randint(38, 55)),
        "heart_rate": rng.randint(70, 110) if child else rng.randint(56, 96),
        "temperature_c": round(rng.uniform(36.3, 37.3), 1),
        "respiratory_rate": rng.randint(18, 26) if child else rng.randint(12, 18),
        "spo2": rng.randint(95, 100),
        "weight_kg": round(rng.uniform(12, 45) if child else rng.uniform(52, 118), 1),
    }


def _dx(code: str, description: str | None = None) -> dict[str, str]:
    return {"code": code, "description": description or _CONDITION_NAMES.get(code, code)}


def _meds(codes: tuple[str, ...], rng: random.Random) -> list[dict[str, str]]:
    out = []
    for code in codes:
        for name, dose, unit, frequency in vocab.MEDICATIONS.get(code, ())[:1]:
            out.append({"name": name, "dose": dose, "unit": unit, "frequency": frequency})
    return out[: rng.randint(1, 4)] if out else []


def _vitals_line(v: dict[str, Any]) -> str:
    return (
        f"BP {v['bp_systolic']}/{v['bp_diastolic']}, HR {v['heart_rate']}, T {v['temperature_c']} °C, "
        f"RR {v['respiratory_rate']}, SpO2 {v['spo2']}%, weight {v['weight_kg']} kg."
    )


Note = dict[str, Any]


def _physical(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    return {
        "subjective": "Here for a periodic health exam. Feels well. No chest pain, shortness of breath or "
        "weight change. Sleeping well. Up to date with screening per patient.",
        "objective": f"{_vitals_line(v)} Heart sounds normal, chest clear, abdomen soft and non-tender.",
        "assessment": "Well adult examination without abnormal findings.",
        "plan": "Routine bloodwork (CBC, lipids, HbA1c). Age-appropriate screening reviewed. "
        "Return in one year.",
        "diagnoses": [
            _dx("Z00.00", "Encounter for general adult medical examination without abnormal findings")
        ],
        "plan_items": ["CBC, lipid panel, HbA1c", "Return in 12 months"],
    }


def _hypertension(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    controlled = v["bp_systolic"] < 140
    return {
        "subjective": "Follow-up of blood pressure. Taking medication daily, no side effects. Home readings "
        f"{'mostly under 135/85' if controlled else 'often above 145/90'}. No headaches or chest pain.",
        "objective": f"{_vitals_line(v)} No edema. Heart regular.",
        "assessment": f"Essential hypertension, {'controlled' if controlled else 'not at target'}.",
        "plan": "Continue current dose."
        if controlled
        else "Increase amlodipine to 10 mg once daily. Home BP log for two weeks. Recheck in 4 weeks.",
        "diagnoses": [_dx("I10")],
        "plan_items": ["Home BP log", "Electrolytes and creatinine" if controlled else "Recheck in 4 weeks"],
    }


def _diabetes(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    a1c = round(rng.uniform(6.4, 9.6), 1)
    return {
        "subjective": "Diabetes review. Checking sugars most mornings, fasting 6 to 9 mmol/L. "
        "No hypoglycemia. No foot ulcers or numbness.",
        "objective": f"{_vitals_line(v)} Monofilament sensation intact both feet. Last HbA1c {a1c}%.",
        "assessment": f"Type 2 diabetes mellitus, HbA1c {a1c}% "
        f"({'at target' if a1c <= 7 else 'above target'}).",
        "plan": "Continue metformin."
        if a1c <= 7
        else "Add empagliflozin 10 mg once daily. Dietitian referral. Repeat HbA1c in 3 months.",
        "diagnoses": [_dx("E11.9" if a1c <= 7 else "E11.65")],
        "plan_items": ["HbA1c in 3 months", "Annual eye exam", "Urine albumin-to-creatinine ratio"],
    }


def _respiratory(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    days = rng.randint(2, 6)
    v["temperature_c"] = round(rng.uniform(37.2, 38.4), 1)
    return {
        "subjective": f"{days} days of sore throat, runny nose and dry cough. No shortness of breath. "
        "Sick contacts at home.",
        "objective": f"{_vitals_line(v)} Pharynx mildly erythematous, no exudate. Chest clear.",
        "assessment": "Acute upper respiratory infection, likely viral.",
        "plan": "Supportive care: fluids, rest, acetaminophen as needed. Return if fever beyond 5 days or "
        "breathing difficulty.",
        "diagnoses": [_dx("J06.9", "Acute upper respiratory infection, unspecified")],
        "medications": [
            {"name": "Acetaminophen", "dose": "500", "unit": "mg", "frequency": "every 6 hours as needed"}
        ],
        "plan_items": ["Return precautions reviewed"],
    }


def _urinary(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    return {
        "subjective": "Two days of burning on urination and frequency. No fever, no flank pain.",
        "objective": f"{_vitals_line(v)} No CVA tenderness. "
        "Urine dipstick positive for leukocytes and nitrites.",
        "assessment": "Uncomplicated urinary tract infection.",
        "plan": "Nitrofurantoin 100 mg twice daily for 5 days. Urine culture sent.",
        "diagnoses": [_dx("N39.0", "Urinary tract infection, site not specified")],
        "medications": [{"name": "Nitrofurantoin", "dose": "100", "unit": "mg", "frequency": "twice daily"}],
        "plan_items": ["Urine culture", "Call if not improving in 48 hours"],
    }


def _review(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    problems = [c for c in p.conditions if c in _CONDITION_NAMES][:3]
    listed = "; ".join(_CONDITION_NAMES[c] for c in problems) or "no chronic problems"
    return {
        "subjective": "Review of results and medications. Tolerating medications. No new concerns.",
        "objective": f"{_vitals_line(v)} Recent bloodwork within normal limits apart from known problems.",
        "assessment": f"Stable: {listed}.",
        "plan": "Continue current medications. Renewals sent to pharmacy. Follow up in 3 months.",
        "diagnoses": [_dx(c) for c in problems],
        "plan_items": ["Prescription renewals", "Follow-up in 3 months"],
    }


def _procedure(rng: random.Random, p: PatientFacts, v: dict[str, Any]) -> Note:
    return {
        "subjective": "Here for the planned procedure. Consent reviewed and signed.",
        "objective": f"{_vitals_line(v)} Site prepared with chlorhexidine; local anaesthetic 1% lidocaine.",
        "assessment": "Procedure completed without complication.",
        "plan": "Wound care instructions given. Review in 10 days or sooner if signs of infection.",
        "diagnoses": [],
        "plan_items": ["Wound check in 10 days"],
    }


_PATTERNS: dict[str, Callable[[random.Random, PatientFacts, dict[str, Any]], Note]] = {
    "Annual physical": _physical,
    "Periodic health exam": _physical,
    "Well-child visit": _physical,
    "Pap test": _physical,
    "Blood pressure check": _hypertension,
    "Follow-up: blood pressure": _hypertension,
    "Diabetes review": _diabetes,
    "Follow-up: diabetes": _diabetes,
    "Sore throat": _respiratory,
    "Fever and cough": _respiratory,
    "Chest cold": _respiratory,
    "Ear pain": _respiratory,
    "Urinary symptoms": _urinary,
}


def encounter_rows(rng: random.Random, visit: Booked) -> tuple[dict[str, Any], dict[str, Any]]:
    """An encounter and its SOAP note for a visit that happened (completed) or is happening."""
    done = visit.status == "completed"
    pattern = _PATTERNS.get(visit.reason, _procedure if visit.appointment_type == "procedure" else _review)
    vitals = _vitals(rng, visit.patient, "I10" in visit.patient.conditions)
    content = {"medications": _meds(visit.patient.conditions, rng), **pattern(rng, visit.patient, vitals)}
    content["vitals"] = vitals
    content.setdefault("diagnoses", [])
    content.setdefault("plan_items", [])
    encounter = {
        **base_row(rng, visit.start, updated=visit.end if done else visit.start),
        "appointment_id": visit.id,
        "clinician_id": visit.doctor.id,
        "patient_id": visit.patient.id,
        "encounter_type": "telemedicine" if visit.appointment_type == "telemedicine" else "office_visit",
        "start_at": visit.start,
        "end_at": visit.end if done else None,
        "chief_complaint": visit.reason,
        "status": "completed" if done else "in_progress",
        "vitals": vitals,
    }
    signed_at = (visit.end + timedelta(minutes=rng.randint(5, 240))).replace(microsecond=0) if done else None
    words = sum(len(str(content[k]).split()) for k in SOAP_SECTIONS)
    note = {
        **base_row(rng, visit.start, updated=signed_at or visit.start),
        "encounter_id": encounter["id"],
        "patient_id": visit.patient.id,
        "author_id": visit.doctor.id,
        "note_type": "procedure" if visit.appointment_type == "procedure" else "soap",
        "status": "signed" if done else "draft",
        "content": content,
        "raw_transcription": None,
        "utterances": [],
        "engine_confidence": None,
        "signed_by_id": visit.doctor.id if done else None,
        "signed_at": signed_at,
        "metadata": {"recording_seconds": 0, "word_count": words, "edit_count": rng.randint(0, 6)},
        "tags": [visit.appointment_type],
        "template": "soap-default",
        "current_version": 1,
    }
    return encounter, note


def task_rows(
    rng: random.Random, roster: Roster, patients: list[PatientFacts], now: datetime, count: int
) -> list[dict[str, Any]]:
    priorities = Weighted([("low", 20), ("medium", 45), ("high", 25), ("urgent", 10)])
    statuses = Weighted([("pending", 55), ("in_progress", 20), ("completed", 20), ("cancelled", 5)])
    staff = [*roster.nurses, *roster.nurses, *roster.doctors]  # nurses carry most of the list
    rows = []
    for _ in range(count):
        title, kind = rng.choice(vocab.TASKS)
        created = (now - timedelta(hours=rng.uniform(1, 24 * 21))).replace(microsecond=0)
        due = (created + timedelta(hours=rng.uniform(2, 24 * 14))).replace(second=0, microsecond=0)
        status = statuses.pick(rng)
        completed_at = None
        if status == "completed":
            completed_at = min(now, created + (due - created) * rng.uniform(0.2, 1.2)).replace(microsecond=0)
        creator = rng.choice(roster.doctors)
        rows.append(
            {
                **base_row(rng, created, updated=completed_at or created),
                "title": title,
                "description": None if chance(rng, 0.5) else "See the latest encounter note for details.",
                "assignee_id": rng.choice(staff).id,
                "creator_id": creator.id,
                "team": rng.choice(("nursing", "front desk", None)),
                "patient_id": rng.choice(patients).id if patients else None,
                "encounter_id": None,
                "due_at": due,
                "priority": priorities.pick(rng),
                "status": status,
                "task_type": kind,
                "completed_at": completed_at,
            }
        )
    return rows


def alert_rows(
    rng: random.Random, roster: Roster, patients: list[PatientFacts], now: datetime, count: int
) -> list[dict[str, Any]]:
    rows = []
    recipients = [*roster.doctors, *roster.nurses]
    for i in range(count):
        kind, severity, title, message = (
            vocab.ALERTS[i % len(vocab.ALERTS)] if i < 10 else rng.choice(vocab.ALERTS)
        )
        created = (now - timedelta(hours=rng.uniform(0.1, 24 * 10))).replace(microsecond=0)
        read = chance(rng, 0.15) if severity == "critical" else chance(rng, 0.5)
        recipient = roster.owner if i < len(vocab.ALERTS) else rng.choice(recipients)
        rows.append(
            {
                **base_row(rng, created),
                "recipient_id": recipient.id,
                "patient_id": None if kind == "system" or not patients else rng.choice(patients).id,
                "alert_type": kind,
                "severity": severity,
                "title": title,
                "message": message,
                "read": read,
                "read_at": min(now, created + timedelta(minutes=rng.randint(2, 600))) if read else None,
                "source": "lab-interface" if kind == "lab_result" else "clinicdesk",
                "source_id": None,
            }
        )
    return rows
