"""Spoken text to written clinical text: "one fifty over ninety" becomes "150/90".

Runs on Vosk output (lower case, no punctuation) and on Whisper output (already punctuated, digits)
alike, and is idempotent, so the SOAP code can call it on anything. Small numbers stay words unless a
unit or a clinical context follows ("one of them" must not become "1 of them"); clinicians read digits
for doses and measurements and words for prose.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]

#: spoken unit -> written unit (longest phrases first when matching)
UNIT_WORDS: dict[str, str] = {
    "milligrams per kilogram": "mg/kg",
    "millimeters of mercury": "mmHg",
    "beats per minute": "bpm",
    "breaths per minute": "breaths/min",
    "kilograms per meter squared": "kg/m2",
    "international units": "IU",
    "milligrams": "mg", "milligram": "mg", "mgs": "mg",
    "micrograms": "mcg", "microgram": "mcg", "mcgs": "mcg",
    "milliliters": "mL", "milliliter": "mL", "millilitres": "mL", "ml": "mL",
    "grams": "g", "gram": "g",
    "kilograms": "kg", "kilogram": "kg", "kilos": "kg",
    "centimeters": "cm", "centimeter": "cm", "centimetres": "cm",
    "millimeters": "mm", "millimeter": "mm",
    "pounds": "lb", "pound": "lb", "lbs": "lb",
    "percent": "%", "per cent": "%",
    "milliequivalents": "mEq",
}  # fmt: skip
UNIT_SYMBOLS = {"mg", "mcg", "mL", "g", "kg", "cm", "mm", "lb", "%", "mEq", "IU", "mg/kg", "mmHg", "bpm"}
#: number-followers that make a small number a quantity ("two tablets", "three days")
QUANTITY_WORDS = {
    "tablet", "tablets", "tab", "tabs", "capsule", "capsules", "puff", "puffs", "drop", "drops", "unit",
    "units", "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "minute",
    "minutes", "times", "refill", "refills", "degrees", "degree", "liters", "liter", "inches", "inch",
    "feet", "foot", "out", "plus", "beats", "breaths", "sprays", "spray", "patch", "patches", "doses", "dose",
    "am", "pm", "centimeter", "cm",
}  # fmt: skip
FREQUENCIES: list[tuple[str, str]] = [
    (r"(?:once|one time|1 time) (?:a|per) day|once daily|every day|q\.? ?d\.?", "once daily"),
    (
        r"(?:twice|two times|2 times) (?:a|per) day|twice daily|(?:two|2) times daily|b\.? ?i\.? ?d\.?",
        "twice daily",
    ),
    (r"(?:three|3) times (?:a|per) day|(?:three|3) times daily|t\.? ?i\.? ?d\.?", "three times daily"),
    (r"(?:four|4) times (?:a|per) day|(?:four|4) times daily|q\.? ?i\.? ?d\.?", "four times daily"),
    (r"at bedtime|every night at bedtime|q\.? ?h\.? ?s\.?", "at bedtime"),
    (r"as needed|p\.? ?r\.? ?n\.?", "as needed"),
    (r"every (\d+) hours?", r"every \1 hours"),
    (r"once (?:a|per) week|once weekly|weekly", "once weekly"),
]
PUNCTUATION_WORDS = {
    "period": ".", "full stop": ".", "comma": ",", "question mark": "?", "colon": ":", "semicolon": ";",
    "exclamation point": "!", "exclamation mark": "!", "hyphen": "-", "dash": " -",
    "open parenthesis": "(", "close parenthesis": ")",
}  # fmt: skip
#: "period" is a word after these ("last menstrual period", "a period of")
_PERIOD_AS_WORD = {"menstrual", "a", "the", "this", "that", "time", "waiting", "washout", "trial", "grace"}

_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?|[A-Za-z]+(?:['’][A-Za-z]+)?|\n|[^\sA-Za-z\d]")


def _is_number_word(word: str) -> bool:
    return word in UNITS or word in TENS or word in SCALES


def _parse_standard(words: list[str]) -> float | None:
    total = 0
    current = 0
    for w in words:
        if w in UNITS:
            current += UNITS[w]
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return float(total + current)


def _split_number_run(words: list[str]) -> list[list[str]]:
    """Splits a run of number words into separate numbers: "five five" is two numbers, "twenty five" one."""
    groups: list[list[str]] = []
    for w in words:
        if not groups:
            groups.append([w])
            continue
        prev = groups[-1][-1]
        joins = (
            w in SCALES
            or (prev in TENS and w in UNITS and 0 < UNITS[w] < 10 and w != "oh")
            or (prev in SCALES and w not in SCALES)
            or (prev == "and" and w not in SCALES)
            or (prev in UNITS and 0 < UNITS[prev] < 10 and w in TENS and len(groups[-1]) == 1)  # "one fifty"
            or (
                prev in UNITS
                and 0 < UNITS[prev] < 10
                and w in UNITS
                and UNITS[w] >= 10
                and len(groups[-1]) == 1
            )
            or (prev == "oh" and w in UNITS and len(groups[-1]) == 2)  # "one oh five"
            or (w == "oh" and prev in UNITS and len(groups[-1]) == 1)
        )
        if joins:
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups


def _value(group: list[str]) -> float | None:
    if (
        group
        and group[0] in UNITS
        and 0 < UNITS[group[0]] < 10
        and len(group) >= 2
        and group[1] not in SCALES
    ):
        # colloquial hundreds: "one fifty" = 150, "one forty two" = 142, "one oh five" = 105
        rest = [w for w in group[1:] if w != "oh"] if group[1] == "oh" else group[1:]
        tail = _parse_standard(rest)
        if tail is not None and tail < 100:
            return UNITS[group[0]] * 100 + tail
    return _parse_standard(group)


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _numbers(tokens: list[str]) -> list[str]:
    """Turns runs of number words (with "point" decimals) into digit tokens."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        low = tokens[i].lower()
        if not _is_number_word(low) or (low == "oh" and not (out and out[-1].isdigit())):
            out.append(tokens[i])
            i += 1
            continue
        j = i
        run: list[str] = []
        while j < len(tokens) and (
            _is_number_word(tokens[j].lower())
            or (tokens[j].lower() == "and" and run and run[-1] == "hundred" and j + 1 < len(tokens)
                and _is_number_word(tokens[j + 1].lower()))
        ):  # fmt: skip
            if tokens[j].lower() != "and":
                run.append(tokens[j].lower())
            j += 1
        groups = _split_number_run(run)
        values = [_value(g) for g in groups]
        # decimals: "ninety eight point six", "point five"
        if j + 1 < len(tokens) and tokens[j].lower() == "point" and tokens[j + 1].lower() in UNITS:
            k = j + 1
            digits = ""
            while k < len(tokens) and tokens[k].lower() in UNITS and UNITS[tokens[k].lower()] < 10:
                digits += str(UNITS[tokens[k].lower()])
                k += 1
            if digits and values[-1] is not None:
                values[-1] = float(f"{_fmt(values[-1])}.{digits}")
                j = k
        for g, v in zip(groups, values, strict=True):
            out.append(_fmt(v) if v is not None else " ".join(g))
        i = j
    return out


def _small_words_back(tokens: list[str], originals: set[int]) -> list[str]:
    """Writes small stand-alone numbers as words again unless a quantity follows."""
    out = list(tokens)
    for idx in originals:
        tok = out[idx]
        if not re.fullmatch(r"\d", tok):
            continue
        nxt = out[idx + 1].lower() if idx + 1 < len(out) else ""
        prev = out[idx - 1].lower() if idx > 0 else ""
        if nxt in QUANTITY_WORDS or nxt in UNIT_SYMBOLS or nxt in ("over", "/", "to", "-") or nxt.isdigit():
            continue
        if prev in ("over", "to", "/", "grade", "level", "stage", "type", "of", "-") and prev != "of":
            continue
        if nxt in UNIT_WORDS or (any(k.startswith(nxt + " ") for k in UNIT_WORDS) and nxt):
            continue
        word = next(w for w, v in UNITS.items() if str(v) == tok and w not in ("oh", "zero"))
        out[idx] = word if tok != "0" else "zero"
    return out


def _join(tokens: list[str]) -> str:
    text = ""
    for tok in tokens:
        if tok == "\n":
            text = text.rstrip(" ") + "\n"
        elif tok in {".", ",", "?", "!", ":", ";", ")", "%"} or not text or text.endswith(("\n", "(", "/")):
            text = text.rstrip(" ") + tok if tok in {".", ",", "?", "!", ":", ";", ")", "%"} else text + tok
        else:
            text += " " + tok
    return text.strip(" ")


def _replace_phrases(text: str) -> str:
    for spoken, written in sorted(UNIT_WORDS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<=\d) ?{re.escape(spoken)}\b", " " + written, text, flags=re.IGNORECASE)
    text = re.sub(r"(\d) %", r"\1%", text)
    # blood pressure and ratios: "150 over 90" -> "150/90"
    text = re.sub(r"\b(\d{2,3}) ?(?:over|/) ?(\d{2,3})\b", r"\1/\2", text)
    # temperatures
    text = re.sub(r"\b(\d+(?:\.\d+)?) ?degrees? (?:fahrenheit|f)\b", r"\1 °F", text, flags=re.IGNORECASE)
    text = re.sub(
        r"\b(\d+(?:\.\d+)?) ?degrees? (?:celsius|centigrade|c)\b", r"\1 °C", text, flags=re.IGNORECASE
    )
    text = re.sub(r"\b(\d+(?:\.\d+)?) ?°\s?([FC])\b", r"\1 °\2", text)
    # ranges: "2 to 3 days" -> "2-3 days" only when a quantity follows
    text = re.sub(
        r"\b(\d+) (?:to|-) (\d+) (days?|weeks?|months?|hours?|times|tablets?|mg|mcg|puffs?)\b",
        r"\1-\2 \3",
        text,
    )
    for pattern, written in FREQUENCIES:
        text = re.sub(rf"\b(?:{pattern})(?![\w])", written, text, flags=re.IGNORECASE)
    text = re.sub(r"\bper os\b|\borally\b", "by mouth", text, flags=re.IGNORECASE)
    text = re.sub(r"\bo2 sat(?:uration)?s?\b", "oxygen saturation", text, flags=re.IGNORECASE)
    return text


def _dates(text: str) -> str:
    months = "|".join(m.capitalize() for m in MONTHS) + "|" + "|".join(MONTHS)
    ords = "|".join(sorted(ORDINALS, key=len, reverse=True))

    def ordinal_day(m: re.Match[str]) -> str:
        words = m.group(2).lower().split()
        day = sum(TENS.get(w, 0) for w in words[:-1]) + ORDINALS[words[-1]]
        return f"{m.group(1).capitalize()} {day}"

    text = re.sub(
        rf"\b({months}) ((?:(?:twenty|thirty) )?(?:{ords}))\b", ordinal_day, text, flags=re.IGNORECASE
    )
    text = re.sub(
        rf"\b({months}) (\d{{1,2}})(?:st|nd|rd|th)?\b",
        lambda m: f"{m.group(1).capitalize()} {m.group(2)}",
        text,
    )
    text = re.sub(rf"\b((?:{months}) \d{{1,2}}),? (\d{{4}})\b", r"\1, \2", text, flags=re.IGNORECASE)
    return text


def _years(tokens: list[str]) -> list[str]:
    """Spoken years: "twenty twenty four" -> 2024, "nineteen eighty" -> 1980 (after a month or "in")."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        a = tokens[i].lower()
        prev = out[-1].lower() if out else ""
        if a in ("twenty", "nineteen") and i + 1 < len(tokens) and (prev in MONTHS or prev in ("in", "since")
                or (len(out) >= 2 and out[-2].lower() in MONTHS)):  # fmt: skip
            rest = tokens[i + 1 : i + 3]
            low = [r.lower() for r in rest]
            if low and low[0] in TENS:
                tail = TENS[low[0]] + (
                    UNITS[low[1]] if len(low) > 1 and low[1] in UNITS and UNITS[low[1]] < 10 else 0
                )
                used = 2 if len(low) > 1 and low[1] in UNITS and UNITS[low[1]] < 10 else 1
                out.append(str((20 if a == "twenty" else 19) * 100 + tail))
                i += 1 + used
                continue
            if low and low[0] in UNITS and 10 <= UNITS[low[0]] <= 19:
                out.append(str((20 if a == "twenty" else 19) * 100 + UNITS[low[0]]))
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


def _punctuation_words(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        low = tokens[i].lower()
        pair = f"{low} {tokens[i + 1].lower()}" if i + 1 < len(tokens) else ""
        if pair in ("new paragraph", "next paragraph"):
            out.append("\n")
            out.append("\n")
            i += 2
            continue
        if pair == "new line":
            out.append("\n")
            i += 2
            continue
        if pair in PUNCTUATION_WORDS:
            out.append(PUNCTUATION_WORDS[pair])
            i += 2
            continue
        if low in PUNCTUATION_WORDS and low not in ("dash", "hyphen"):
            prev = out[-1].lower() if out else ""
            if low == "period" and (
                prev in _PERIOD_AS_WORD or not out or (i + 1 < len(tokens) and tokens[i + 1].lower() == "of")
            ):
                out.append(tokens[i])
            else:
                out.append(PUNCTUATION_WORDS[low])
            i += 1
            continue
        out.append(tokens[i])
        i += 1
    return out


def normalize(text: str) -> str:
    """Spoken dictation text -> written clinical text. Idempotent."""
    tokens = _TOKEN.findall(text)
    tokens = _punctuation_words(tokens)
    tokens = _years(tokens)
    before = len(tokens)
    converted = _numbers(tokens)
    # which output positions came from number words (to write small ones back as words)
    originals = {
        i
        for i, tok in enumerate(converted)
        if tok.isdigit() and before and not any(c.isdigit() for c in text)
    } | {i for i, tok in enumerate(converted) if tok.isdigit() and tok not in tokens}
    converted = _small_words_back(converted, originals)
    out = _join(converted)
    if " - " not in text:  # "67-year-old" stays one word (the tokens came apart at its hyphens)
        out = re.sub(r"(?<=[A-Za-z0-9]) - (?=[A-Za-z0-9])", "-", out)
    out = _replace_phrases(out)
    out = _dates(out)
    out = _GLUED.sub(lambda m: m.group(0).replace(" ", ""), out)
    return re.sub(r"[ \t]+", " ", out).strip()


#: names written with their digits, which the tokens above take apart: SpO2, O2, CO2, B12, (Hb)A1c
_GLUED = re.compile(r"\b(?:[Ss][Pp][Oo] 2|O 2|CO 2|B 12|(?:Hb)?A 1 ?[cC])\b")


def sentence_case(text: str) -> str:
    """Capitalises sentence starts and ends the text with a full stop (for display of Vosk text)."""
    text = text.strip()
    if not text:
        return text
    text = re.sub(r"(^|[.?!]\s+|\n\s*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    if text[-1] not in ".?!:\n":
        text += "."
    return text
