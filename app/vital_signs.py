"""Vital signs as the note and the nurse's entry hold them, read one way for every use.

A dictated note writes ``{"blood_pressure": "150/90", "temperature": {"value": 101.2, "unit": "F"},
"spo2": 94, "weight": {"value": 82, "unit": "kg"}}``; the nurse's form writes plain numbers in
its own units (°C, kg) and ``oxygen_saturation``. :func:`readings` turns either into
:class:`Reading` values with UCUM units, which the alert rules compare with limits and the FHIR
export writes as Observations. A value whose unit was never said (a dictated "weight 82") has no
unit here either: it is left out rather than guessed. Records made by the demo seeder name the unit
in the key instead (``bp_systolic``, ``temperature_c``, ``weight_kg``), which reads the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: the unit each kind of reading is written in when none is said (the nurse's form)
FORM_UNITS = {"temperature": "Cel", "weight": "kg", "height": "cm"}
#: spoken or typed units -> UCUM
UCUM = {
    "c": "Cel", "cel": "Cel", "celsius": "Cel", "f": "[degF]", "[degf]": "[degF]", "fahrenheit": "[degF]",
    "kg": "kg", "kilograms": "kg", "kilos": "kg", "lb": "[lb_av]", "lbs": "[lb_av]", "pounds": "[lb_av]",
    "[lb_av]": "[lb_av]", "cm": "cm", "m": "m", "in": "[in_i]", "inches": "[in_i]", "[in_i]": "[in_i]",
}  # fmt: skip
SIMPLE = {"heart_rate": "/min", "respiratory_rate": "/min", "spo2": "%", "bmi": "kg/m2"}


@dataclass(frozen=True)
class Reading:
    """One vital sign. ``value`` is None for blood pressure, which has ``systolic``/``diastolic``."""

    kind: str
    value: float | None
    unit: str
    systolic: float | None = None
    diastolic: float | None = None

    @property
    def celsius(self) -> float | None:
        """A temperature in °C, whatever it was taken in."""
        if self.kind != "temperature" or self.value is None:
            return None
        return round((self.value - 32) * 5 / 9, 1) if self.unit == "[degF]" else self.value

    def text(self) -> str:
        if self.kind == "blood_pressure":
            return f"{_number(self.systolic)}/{_number(self.diastolic)} mmHg"
        unit = {"Cel": "°C", "[degF]": "°F", "[lb_av]": "lb", "[in_i]": "in", "/min": "/min"}.get(
            self.unit, self.unit
        )
        return f"{_number(self.value)} {unit}".strip()


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def _float(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def _measured(kind: str, raw: Any) -> Reading | None:
    """A reading with a unit of its own ({"value", "unit"}) or a form's plain number."""
    if isinstance(raw, Mapping):
        value = _float(raw.get("value"))
        said = str(raw.get("unit") or "").strip().lower()
        unit = UCUM.get(said)
        if value is None or unit is None:
            return None  # a unit that was not said is not guessed
        return Reading(kind, value, unit)
    value = _float(raw)
    return Reading(kind, value, FORM_UNITS[kind]) if value is not None else None


def _unit_named(vitals: Mapping[str, Any]) -> dict[str, Any]:
    """Keys that carry their unit (``temperature_c``) in the form :func:`readings` reads."""
    out: dict[str, Any] = {}
    if "blood_pressure" not in vitals and "bp_systolic" in vitals and "bp_diastolic" in vitals:
        out["blood_pressure"] = f"{vitals['bp_systolic']}/{vitals['bp_diastolic']}"
    for key, kind, unit in (("temperature_c", "temperature", "C"), ("weight_kg", "weight", "kg"),
                            ("height_cm", "height", "cm")):  # fmt: skip
        if kind not in vitals and key in vitals:
            out[kind] = {"value": vitals[key], "unit": unit}
    return out


def readings(vitals: Mapping[str, Any] | None) -> list[Reading]:
    """The readings of a note's or an encounter's vitals, in a fixed order."""
    if not vitals:
        return []
    vitals = {**vitals, **_unit_named(vitals)}
    out: list[Reading] = []
    bp = vitals.get("blood_pressure")
    if isinstance(bp, str) and "/" in bp:
        high, _, low = bp.partition("/")
        systolic, diastolic = _float(high), _float(low)
        if systolic is not None and diastolic is not None:
            out.append(Reading("blood_pressure", None, "mm[Hg]", systolic, diastolic))
    for kind in ("heart_rate", "respiratory_rate"):
        value = _float(vitals.get(kind))
        if value is not None:
            out.append(Reading(kind, value, SIMPLE[kind]))
    temperature = _measured("temperature", vitals.get("temperature")) if "temperature" in vitals else None
    if temperature is not None:
        out.append(temperature)
    spo2 = _float(vitals.get("spo2", vitals.get("oxygen_saturation")))
    if spo2 is not None:
        out.append(Reading("spo2", spo2, "%"))
    for kind in ("weight", "height"):
        if kind in vitals:
            reading = _measured(kind, vitals[kind])
            if reading is not None:
                out.append(reading)
    bmi = _float(vitals.get("bmi"))
    if bmi is not None:
        out.append(Reading("bmi", bmi, "kg/m2"))
    return out
