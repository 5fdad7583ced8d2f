"""The prescribing safety checks: drug–allergy, duplicate therapy and dose range.

Pure: given the items about to be signed, the patient's recorded allergies and the medications
already active, it returns :class:`Finding` values for the doctor to see. The knowledge is in
``resources/vocab/drug_safety.json`` (drug classes, allergen names, usual adult doses); a drug the
vocabulary does not cover is checked by name only (an allergy to it, the same drug twice) and never
for its dose. A finding never forbids: the doctor may sign over it with a reason
(app/services/prescribing.py records both).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import resources

HIGH, MODERATE, INFO = "high", "moderate", "info"
#: grams and micrograms in terms of each other, to compare a dose with the vocabulary's unit
_SCALE = {"g": 1000.0, "mg": 1.0, "mcg": 0.001, "µg": 0.001, "ug": 0.001}
_DOSE = re.compile(r"(\d+(?:\.\d+)?)\s*(g|mg|mcg|µg|ug)\b", re.IGNORECASE)
#: how often a day, most specific first ("twice daily" is twice, not daily)
_TIMES = (
    (re.compile(r"\bfour times\b|\bq\.?i\.?d\.?\b", re.I), 4),
    (re.compile(r"\b(?:three times|thrice)\b|\bt\.?i\.?d\.?\b", re.I), 3),
    (re.compile(r"\b(?:twice|two times)\b|\bb\.?i\.?d\.?\b", re.I), 2),
    (re.compile(r"\b(?:once|one time|daily|qhs|at bedtime|every morning)\b|\bq\.?d\.?\b", re.I), 1),
)
_EVERY_HOURS = re.compile(r"\b(?:every|q)\s*(\d{1,2})\s*(?:h|hr|hrs|hours?)\b", re.I)


@dataclass(frozen=True)
class Finding:
    """One thing the doctor must see before signing. ``key`` names it stably, so a signature can
    say which findings were on screen when the doctor decided."""

    kind: str  # "allergy", "duplicate", "dose", "allergies_unknown"
    severity: str  # "high", "moderate" (both need a reason to sign over), "info"
    medication: str
    message: str
    key: str

    @property
    def needs_reason(self) -> bool:
        return self.severity != INFO

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Item:
    """A medication as prescribed: its name, dose text ("500 mg") and frequency ("twice daily")."""

    medication: str
    dosage: str | None = None
    frequency: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    classes: Mapping[str, Mapping[str, Any]]
    allergens: Mapping[str, list[str]]
    drugs: Mapping[str, Mapping[str, Any]]
    #: drug names, longest first, for finding the drug in "amoxicillin 500 mg capsule"
    names: tuple[str, ...] = field(default=())


@cache
def vocabulary() -> Vocabulary:
    data = json.loads(resources.path("vocab", "drug_safety.json").read_text(encoding="utf-8"))
    drugs = data["drugs"]
    return Vocabulary(data["classes"], data["allergens"], drugs, tuple(sorted(drugs, key=len, reverse=True)))


def normalise(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", name.lower().replace("/", " ")).split())


def drug_of(name: str) -> str:
    """The vocabulary's drug a medication names ("Amoxicillin 500mg caps" -> "amoxicillin"), or the
    name itself, normalised, for a drug it does not know."""
    text = normalise(name)
    for known in vocabulary().names:
        if text == known or text.startswith(known + " "):
            return known
    return text


def classes_of(drug: str) -> list[str]:
    return list(vocabulary().drugs.get(drug, {}).get("classes", []))


def _label(klass: str) -> str:
    return str(vocabulary().classes.get(klass, {}).get("label", klass))


def _allergy_findings(drug: str, medication: str, allergies: Sequence[Mapping[str, Any]]) -> list[Finding]:
    vocab = vocabulary()
    mine = set(classes_of(drug))
    found: list[Finding] = []
    for allergy in allergies:
        substance = str(allergy.get("substance") or "").strip()
        allergen = normalise(substance)
        if not allergen:
            continue
        reaction = f" (reaction: {allergy['reaction']})" if allergy.get("reaction") else ""
        direct = allergen == drug or drug.startswith(allergen + " ") or drug_of(allergen) == drug
        named_classes = set(vocab.allergens.get(allergen, ()))
        allergen_drug = drug_of(allergen) if allergen not in vocab.allergens else ""
        if direct:
            found.append(
                Finding("allergy", HIGH, medication, f"the patient is allergic to {substance}{reaction}",
                        f"allergy:{drug}:{allergen}")
            )  # fmt: skip
            continue
        if named_classes & mine:
            klass = sorted(named_classes & mine)[0]
            found.append(
                Finding("allergy", HIGH, medication,
                        f"{medication} is a {_label(klass)}; the patient is allergic to {substance}"
                        f"{reaction}", f"allergy:{drug}:{allergen}")
            )  # fmt: skip
            continue
        shared = set(classes_of(allergen_drug)) & mine if allergen_drug in vocab.drugs else set()
        if shared:
            klass = sorted(shared)[0]
            severity = HIGH if vocab.classes.get(klass, {}).get("class_allergy") else MODERATE
            found.append(
                Finding("allergy", severity, medication,
                        f"{medication} is a {_label(klass)}, like {substance}, to which the patient is "
                        f"allergic{reaction}", f"allergy:{drug}:{allergen}")
            )  # fmt: skip
            continue
        allergen_classes = named_classes | set(classes_of(allergen_drug))
        cross = {
            c for a in allergen_classes for c in vocab.classes.get(a, {}).get("cross_reactive", [])
        } & mine
        if cross:
            klass = sorted(cross)[0]
            found.append(
                Finding("allergy", MODERATE, medication,
                        f"{medication} is a {_label(klass)}: possible cross-reactivity with the patient's "
                        f"allergy to {substance}{reaction}", f"cross:{drug}:{allergen}")
            )  # fmt: skip
    return found


def _duplicates(drug: str, medication: str, active: Iterable[str]) -> list[Finding]:
    vocab = vocabulary()
    found: list[Finding] = []
    mine = {c for c in classes_of(drug) if vocab.classes.get(c, {}).get("therapeutic")}
    for other_name in active:
        other = drug_of(other_name)
        if other == drug:
            found.append(
                Finding("duplicate", HIGH, medication, f"{other_name} is already active for this patient",
                        f"duplicate:{drug}:{other}")
            )  # fmt: skip
            continue
        shared = mine & set(classes_of(other))
        if shared:
            klass = sorted(shared)[0]
            found.append(
                Finding("duplicate", MODERATE, medication,
                        f"{other_name}, also a {_label(klass)}, is already active for this patient",
                        f"duplicate:{drug}:{other}")
            )  # fmt: skip
    return found


def parse_dose(text: str | None) -> tuple[float, str] | None:
    """(amount, unit) of a dose written "500 mg", "0.5g", "50 mcg"; None when it names none."""
    match = _DOSE.search(text or "")
    if match is None:
        return None
    return float(match.group(1)), match.group(2).lower()


def times_a_day(frequency: str | None) -> float | None:
    text = frequency or ""
    if "prn" in text.lower() or "as needed" in text.lower():
        return None  # as needed: no fixed daily total
    every = _EVERY_HOURS.search(text)
    if every and 0 < int(every.group(1)) <= 24:
        return 24 / int(every.group(1))
    for pattern, times in _TIMES:
        if pattern.search(text):
            return float(times)
    return None


def _dose_findings(drug: str, item: Item) -> list[Finding]:
    known = vocabulary().drugs.get(drug)
    dose = parse_dose(item.dosage)
    if known is None or dose is None or "unit" not in known:
        return []
    amount, unit = dose
    amount = amount * _SCALE[unit] / _SCALE[str(known["unit"])]
    shown = f"{amount:g} {known['unit']}"
    low, high = known["per_dose"]
    found: list[Finding] = []
    if not low <= amount <= high:
        found.append(
            Finding("dose", HIGH, item.medication,
                    f"{shown} per dose is outside the usual adult range of {low:g}–{high:g} {known['unit']}",
                    f"dose:{drug}:{amount:g}")
        )  # fmt: skip
    times = times_a_day(item.frequency)
    most = known.get("max_daily")
    if times is not None and most is not None and amount * times > float(most) + 1e-9:
        found.append(
            Finding("dose", HIGH, item.medication,
                    f"{amount * times:g} {known['unit']} a day is above the usual adult maximum of "
                    f"{float(most):g} {known['unit']}", f"daily:{drug}:{amount * times:g}")
        )  # fmt: skip
    return found


def check(
    items: Sequence[Item],
    *,
    allergies: Sequence[Mapping[str, Any]],
    allergies_recorded: bool,
    active: Sequence[str],
) -> list[Finding]:
    """Every finding for ``items`` against the allergies and the ``active`` medications (names),
    most serious first. ``allergies_recorded`` False: nobody has asked the patient yet."""
    findings: list[Finding] = []
    if not allergies_recorded:
        unknown = "the patient's allergies have not been recorded"
        findings.append(Finding("allergies_unknown", INFO, "", unknown, "allergies:unknown"))
    for i, item in enumerate(items):
        drug = drug_of(item.medication)
        others = [o for j, o in enumerate(items) if j != i]
        findings += _allergy_findings(drug, item.medication, allergies)
        findings += _duplicates(drug, item.medication, [*active, *(o.medication for o in others[i:])])
        findings += _dose_findings(drug, item)
    order = {HIGH: 0, MODERATE: 1, INFO: 2}
    unique = {f.key: f for f in findings}
    return sorted(unique.values(), key=lambda f: order[f.severity])
