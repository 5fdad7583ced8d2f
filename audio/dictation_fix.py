"""Context-aware correction of Whisper dictation text: numbers, units, frequencies and drug names.

Whisper hears a dose or a vital sign it did not expect as ordinary English: "forty milligrams" becomes
"for the milligrams", "once daily" becomes "one stale", "famotidine 20 milligrams" becomes
"famicidine 20 milligrams". Each fix here only fires where the clinical context leaves no doubt about
what kind of word belongs there (a number right before a dose unit, a frequency right after a route, a
drug name right before a dose), so ordinary prose is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from audio.phonetic import edit_distance, phonetic_key, similarity
from audio.wordlists import garbled

#: units a dose or a measurement is given in (spoken forms as Whisper writes them)
DOSE_UNITS = (
    "milligrams", "milligram", "micrograms", "microgram", "milliliters", "milliliter", "kilograms",
    "kilogram", "units", "puffs", "tablets", "tablet", "capsules", "capsule", "grams", "gram", "percent",
    "mg", "mcg", "ml", "kg", "g", "%",
)  # fmt: skip
_UNIT_TARGETS = ("milligrams", "micrograms", "milliliters", "kilograms", "puffs", "tablets", "capsules")
_UNIT_RE = "|".join(sorted((re.escape(u) for u in DOSE_UNITS), key=len, reverse=True))

#: well-known English sound-alikes of number words (what Whisper writes for a synthetic or fast "forty")
NUMBER_SOUNDALIKES: dict[str, str] = {
    "for the": "forty", "for tea": "forty", "fourty": "forty", "forte": "forty",
    "ad": "eighty", "a d": "eighty", "a tea": "eighty", "eighty-": "eighty",
    "thirsty": "thirty", "fifth e": "fifty", "sixth e": "sixty",
    "to": "two", "too": "two", "for": "four", "ate": "eight", "won": "one", "tree": "three",
}  # fmt: skip
_VITAL_NAMES = (
    r"heart rate|pulse|respiratory rate|respirations|temperature|oxygen saturation|saturation|weight|height|"
    r"blood pressure|over"
)
#: frequencies as the prompt teaches Whisper to write them
FREQUENCIES = (
    "once daily", "twice daily", "three times daily", "four times daily", "at bedtime", "as needed",
    "once a day", "twice a day", "every morning", "every evening", "once weekly", "weekly", "once a week",
    "twice weekly", "every week", "every other day", "every day",
)  # fmt: skip
#: what precedes a frequency in a prescription
_ROUTES = rf"by mouth|orally|inhaled|subcutaneously|topically|in each nostril|in each eye|(?:{_UNIT_RE})"
#: words that start a prescription and are never part of the drug's name
_RX_VERBS = {
    "start", "started", "starting", "continue", "continued", "add", "increase", "decrease", "reduce", "stop",
    "take", "takes", "taking", "prescribe", "prescribed", "begin", "resume", "switch", "to", "on", "and",
    "then", "the", "a", "of", "with", "plus", "also", "give", "given", "use", "try", "hold", "restart",
}  # fmt: skip
DRUG_CUTOFF = 0.75
UNIT_CUTOFF = 0.6
FREQ_CUTOFF = 0.8
#: ... and for words that are all ordinary ("at bed, I am" for "at bedtime")
FREQ_ORDINARY_CUTOFF = 0.9
_HEADER_WORDS = {"subjective", "objective", "assessment", "plan", "impression", "exam", "history"}
#: the commonest drugs are likelier to be said than rare ones with a similar sound
PREFERRED_BONUS = 0.05


def fix_number_words(text: str) -> str:
    """Sound-alikes of number words, only right before a dose unit or right after a vital sign's name."""
    alts = "|".join(sorted((re.escape(k) for k in NUMBER_SOUNDALIKES), key=len, reverse=True))

    def before_unit(m: re.Match[str]) -> str:
        return NUMBER_SOUNDALIKES[m.group(1).lower()] + m.group(2)

    text = re.sub(rf"\b({alts})(,?\s+(?:{_UNIT_RE})\b)", before_unit, text, flags=re.IGNORECASE)
    tens_only_ages = "|".join(re.escape(k) for k, v in NUMBER_SOUNDALIKES.items() if v.endswith("ty"))

    def before_age(m: re.Match[str]) -> str:
        word = NUMBER_SOUNDALIKES[m.group(1).lower()]
        return (word.capitalize() if m.group(1)[:1].isupper() else word) + m.group(2)

    # "For the year-old man": an age is the only thing said right before "year-old"
    text = re.sub(rf"\b({tens_only_ages})([ -]years?[ -]old\b)", before_age, text, flags=re.IGNORECASE)
    # "hemoglobin at one seed": the A1c test, however it was heard
    text = re.sub(
        r"\b(hemoglobin|glycated hemoglobin)\s+(?:a|at|eh|8)[\s-]*(?:one|1)[\s-]*(?:c|see|sea|seed|seat)\b",
        r"\1 A1c",
        text,
        flags=re.IGNORECASE,
    )
    tens_only = "|".join(re.escape(k) for k, v in NUMBER_SOUNDALIKES.items() if v.endswith("ty"))

    def after_vital(m: re.Match[str]) -> str:
        return m.group(1) + NUMBER_SOUNDALIKES[m.group(2).lower()]

    # "heart rate AD" / "blood pressure 130 over for the": only the tens sound-alikes, which are not
    # ordinary words in that slot; "for" and "to" are (heart rate "to" would be an ordinary word)
    return re.sub(
        rf"(\b(?:{_VITAL_NAMES})\b[,:]?\s+(?:is\s+|of\s+)?)({tens_only})(?=\b)",
        after_vital,
        text,
        flags=re.IGNORECASE,
    )


#: what Whisper writes for a spoken digit after "one hundred and ..." ("100 and wait" for 108)
_DIGIT_SOUNDALIKES = {
    "one": 1, "won": 1, "two": 2, "to": 2, "too": 2, "three": 3, "tree": 3, "four": 4, "for": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "ate": 8, "wait": 8, "nine": 9, "zero": 0, "oh": 0,
}  # fmt: skip
_VITAL_LEAD = (
    r"(?:heart rate|pulse|respiratory rate|respirations|temperature|temp|weight|weighs|height|"
    r"oxygen saturation|saturation|sats|blood pressure|bp|glucose|sugar)"
)


def fix_vital_numbers(text: str) -> str:
    """Numbers of a vital sign as Whisper writes them when it does not expect one, right after the
    vital's name: "pulse 100 and 1" / "100 and wait" -> 101 / 108 ("one hundred and one"), "weight
    200 and 4 pounds" -> 204, "temperature 98 point to" -> 98.2. Only there: "100 and 1 things" in
    prose stays as said."""
    digits = "|".join(sorted(_DIGIT_SOUNDALIKES, key=len, reverse=True))

    def hundred_and(m: re.Match[str]) -> str:
        tail = m.group(3)
        value = int(tail) if tail.isdigit() else _DIGIT_SOUNDALIKES[tail.lower()]
        return f"{m.group(1)}{int(m.group(2)) * 100 + value}"

    text = re.sub(
        rf"(\b{_VITAL_LEAD}\b[,:]?\s+(?:is\s+|of\s+|was\s+)?)([1-9])00 and (\d{{1,2}}|{digits})\b"
        r"(?!\s*(?:over|/))",
        hundred_and,
        text,
        flags=re.IGNORECASE,
    )

    # "blood pressure 138 over 72 plus 68": right after a blood pressure, "plus" and a number is the pulse
    text = re.sub(
        r"(\b(?:blood pressure|bp)\b[,:]?\s+\d{2,3}\s*(?:/|over)\s*\d{2,3},?\s+)plus(,?\s+\d{2,3}\b)",
        r"\1pulse\2",
        text,
        flags=re.IGNORECASE,
    )

    def decimal(m: re.Match[str]) -> str:
        return f"{m.group(1)}.{_DIGIT_SOUNDALIKES[m.group(2).lower()]}"

    return re.sub(
        rf"(\b{_VITAL_LEAD}\b[,:]?\s+(?:is\s+|of\s+|was\s+)?\d{{2,3}}) point ({digits})\b",
        decimal,
        text,
        flags=re.IGNORECASE,
    )


def fix_blood_pressure(text: str) -> str:
    """ "blood pressure 120, 78" (the "over" swallowed) -> "blood pressure 120 over 78"; "162.94" (the
    "over" heard as a decimal point) -> "162 over 94"."""

    def decimal(m: re.Match[str]) -> str:
        high, low = int(m.group(2)), int(m.group(3))
        if 70 <= high <= 260 and 30 <= low <= 160 and high > low:
            return f"{m.group(1)}{high} over {low}"
        return m.group(0)

    text = re.sub(
        r"(\b(?:blood pressure|BP)\b[,:]?\s+(?:is\s+|of\s+|was\s+)?)(\d{2,3})\.(\d{2,3})\b",
        decimal,
        text,
        flags=re.IGNORECASE,
    )

    def hundreds(m: re.Match[str]) -> str:
        high = int(m.group(2)) * 100 + int(m.group(3))
        return f"{m.group(1)}{high}{m.group(4)}{m.group(5)}" if high > int(m.group(5)) else m.group(0)

    for pattern in (
        # "one twenty over eighty" heard as "100 and 20/80": the spoken reading is 120
        r"(\b(?:blood pressure|BP)\b[,:]?\s+(?:is\s+|of\s+)?)([12])00 and (\d{1,2})",
        # "one twenty eight over seventy eight" written by halves: "1, 28 over 78"
        r"(\b(?:blood pressure|BP)\b[,:.]?\s+(?:is\s+|of\s+|was\s+)?)([12]),\s*(\d{2})",
    ):
        text = re.sub(pattern + r"(\s*(?:/|over)\s*)(\d{2,3})\b", hundreds, text, flags=re.IGNORECASE)

    def join(m: re.Match[str]) -> str:
        high, low = int(m.group(2)), int(m.group(3))
        if 60 <= high <= 260 and 30 <= low <= 160 and high > low:
            return f"{m.group(1)}{high} over {low}"
        return m.group(0)

    text = re.sub(
        r"(\b(?:blood pressure|BP)\b[,:]?\s+(?:is\s+|of\s+)?)(\d{2,3}),?\s+(?:over,?\s+)?(\d{2,3})\b"
        r"(?!\s*(?:/|over))",
        join,
        text,
        flags=re.IGNORECASE,
    )

    def hundred(m: re.Match[str]) -> str:
        # "one eighteen over seventy four" heard without its "one": a systolic below the diastolic is
        # impossible, and 1xx is the reading that was said
        high, low = int(m.group(2)), int(m.group(4))
        if 10 <= high < low and 100 + high > low:
            return f"{m.group(1)}{100 + high}{m.group(3)}{low}"
        return m.group(0)

    return re.sub(
        r"(\b(?:blood pressure|BP)\b[,:]?\s+(?:is\s+|of\s+)?)(\d{2}),?(\s*(?:/|over)\s*)(\d{2,3})\b",
        hundred,
        text,
        flags=re.IGNORECASE,
    )


_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*|\d+(?:\.\d+)?|[^\sA-Za-z\d]")


def _key_of(words: Iterable[str]) -> str:
    return phonetic_key(" ".join(words))


def fix_units(text: str, protected: frozenset[str] = frozenset()) -> str:
    """A misheard unit right after a number ("20 milli drembs") -> the unit it sounds like.

    Not after a number that names a kind ("type 2 diabetes", "stage 3", "grade 1"), and never over a
    word of ``protected`` (the medical vocabulary): "diabetes" sounds a little like "tablets"."""
    known = {u.lower() for u in DOSE_UNITS} | _ORDINARY_FOLLOWERS

    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(0)
        number, words = m.group(2), m.group(3)
        parts = words.split()
        for n in (2, 1):
            if len(parts) < n:
                continue
            span = parts[:n]
            plain = [re.sub(r"[^a-z]", "", p.lower()) for p in span]
            if plain[0] in known or plain[0] in protected or not garbled(" ".join(plain)):
                return m.group(0)  # ordinary words after a number ("96 mild lower") are no unit
            if n == 2 and (plain[1] in known or plain[1] in protected or plain[1] in _RX_VERBS):
                continue
            key = _key_of(plain)
            best = max(_UNIT_TARGETS, key=lambda u: similarity(key, phonetic_key(u)))
            if similarity(key, phonetic_key(best)) >= UNIT_CUTOFF and key[:1] == phonetic_key(best)[:1]:
                tail = " ".join(parts[n:])
                return f"{number} {best}" + (f" {tail}" if tail else "")
        return m.group(0)

    return re.sub(
        rf"(\b(?:{_KIND_WORDS})\s+)?\b(\d+(?:\.\d+)?) ((?:[A-Za-z][A-Za-z'-]*)(?: [A-Za-z][A-Za-z'-]*)?)",
        repl,
        text,
        flags=re.IGNORECASE,
    )


#: words before a number that make it a name, not an amount ("type 2", "stage 3", "grade 1")
_KIND_WORDS = r"type|stage|grade|class|level|phase|step|part|number|no|gravida|para"


#: ordinary words that follow a number in dictation and must never become a unit
_ORDINARY_FOLLOWERS = {
    "days", "day", "weeks", "week", "months", "month", "years", "year", "hours", "hour", "minutes", "minute",
    "times", "time", "over", "to", "and", "or", "beats", "breaths", "degrees", "degree", "plus", "out", "of",
    "by", "at", "in", "for", "with", "mmhg", "pounds", "pound", "inches", "feet", "centimeters", "drops",
    "sprays", "refills", "doses", "dose", "am", "pm", "o'clock", "year-old", "millimeters", "liters",
}  # fmt: skip


#: inhaler doses: what the route after them may be heard as ("2 puffs in hail")
_INHALED_AFTER = r"puffs?|inhalations?|sprays?"
#: "at ___ time" after a route is bedtime, except for these ordinary times of day
_NOT_BEDTIME = {"dinner", "lunch", "breakfast", "supper", "meal", "tea", "the", "same", "each", "any", "one"}


def fix_routes(text: str) -> str:
    """ "2 puffs in hail" -> "2 puffs inhaled": right after an inhaler dose, a word or two that sound
    like "inhaled" can only be the route."""
    target = phonetic_key("inhaled")

    def repl(m: re.Match[str]) -> str:
        span = m.group(2)
        key = phonetic_key(span)
        if span.lower() in ("inhaled", "inhale") or (key[:1] == "a" and similarity(key, target) >= 0.6):
            return f"{m.group(1)}inhaled"
        return m.group(0)

    return re.sub(
        rf"(\b(?:{_INHALED_AFTER})\s+)((?:in|and|an|un)\s+[a-z]+|inhale)\b", repl, text, flags=re.IGNORECASE
    )


def fix_bedtime(text: str) -> str:
    """ "by mouth at third time" -> "by mouth at bedtime": after a route, "at ___ time" names bedtime
    unless it is an ordinary time of day ("at dinner time")."""

    def repl(m: re.Match[str]) -> str:
        word = m.group(2).lower()
        return m.group(0) if word in _NOT_BEDTIME else f"{m.group(1)}at bedtime"

    text = re.sub(r"\bbed time\b", "bedtime", text, flags=re.IGNORECASE)
    return re.sub(rf"(\b(?:{_ROUTES}),?\s+)at ([a-z]+) time\b", repl, text, flags=re.IGNORECASE)


def fix_frequencies(text: str) -> str:
    """A misheard frequency right after a route or dose ("by mouth, one stale") -> "once daily"."""
    keys = {f: phonetic_key(f) for f in FREQUENCIES}
    text = re.sub(r"\b(?:wise|twice a|twist)(?= daily\b| a day\b)", "twice", text, flags=re.IGNORECASE)
    out: list[str] = []
    pos = 0
    for m in re.finditer(rf"\b(?:{_ROUTES})(?:,?\s+)", text, flags=re.IGNORECASE):
        if m.start() < pos:
            continue
        words = list(re.finditer(r"[A-Za-z][A-Za-z'-]*", text[m.end() : m.end() + 40]))[:4]
        choice: tuple[float, int, str] | None = None  # (similarity, end, frequency)
        for n in range(1, len(words) + 1):
            end = m.end() + words[n - 1].end()
            span = re.sub(r"[^a-z' ]", "", text[m.end() : end].lower())
            if span in FREQUENCIES or any(span.startswith(f) for f in FREQUENCIES):
                choice = None
                break
            key = phonetic_key(span)
            if len(key) < 3 or any(w in _HEADER_WORDS for w in span.split()):
                continue  # "assessment" after a dose is a header, said as it is
            best = max(FREQUENCIES, key=lambda f: similarity(key, keys[f]))
            sim = similarity(key, keys[best])
            if sim < FREQ_ORDINARY_CUTOFF and not garbled(span, numbers=True):
                continue  # ordinary words change only when they sound all but the same
            if sim >= FREQ_CUTOFF and len(span) >= 0.6 * len(best) and (choice is None or sim > choice[0]):
                choice = (sim, end, best)
        if choice is not None:
            out.append(text[pos : m.end()] + choice[2])
            pos = choice[1]
    out.append(text[pos:])
    return "".join(out)


class DrugSnapper:
    """Snaps the words just before a dose ("penta presole 40 milligrams") to a drug name by sound."""

    def __init__(self, names: Iterable[str], preferred: Iterable[str] = ()) -> None:
        self.names = frozenset(n.lower() for n in names)
        self.preferred = frozenset(n.lower() for n in preferred)
        self.by_length: dict[int, list[tuple[str, str]]] = {}
        for name in self.names:
            key = phonetic_key(name)
            if len(key) >= 3:
                self.by_length.setdefault(len(key), []).append((key, name))

    def best(self, words: list[str]) -> str | None:
        plain = " ".join(words).lower()
        key = phonetic_key(plain)
        if len(key) < 4:
            return None
        limit = int(len(key) * (1 - DRUG_CUTOFF))
        scored: list[tuple[float, float, str]] = []
        for length in range(len(key) - limit, len(key) + limit + 1):
            for cand_key, name in self.by_length.get(length, []):
                d = edit_distance(key, cand_key, limit)
                if d <= limit:
                    sound = 1 - d / max(len(key), len(cand_key))
                    spelling = similarity(plain.replace(" ", ""), name.replace(" ", ""))
                    prior = PREFERRED_BONUS if name in self.preferred else 0.0
                    scored.append(((sound + spelling) / 2 + prior, sound, name))
        scored = [s for s in scored if s[1] >= DRUG_CUTOFF]
        if not scored:
            return None
        scored.sort(reverse=True)
        top = scored[0]
        if len(scored) > 1 and top[0] - scored[1][0] < 0.02:
            return None  # two names fit about equally well: do not guess
        return top[2]

    def fix(self, text: str) -> str:
        tokens = _TOKEN.findall(text)
        out = list(tokens)
        i = 0
        while i < len(tokens):
            if _is_number(tokens[i]) and self._dose_follows(tokens, i):
                self._snap_before(out, i)
            i += 1
        return _rejoin(text, tokens, out)

    @staticmethod
    def _dose_follows(tokens: list[str], i: int) -> bool:
        nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        return nxt in {u.lower() for u in DOSE_UNITS} and nxt not in ("%", "percent", "kilograms", "kg")

    def _snap_before(self, out: list[str], i: int) -> None:
        j = i - 1
        if j >= 0 and out[j] == ",":
            j -= 1
        words: list[int] = []
        while j >= 0 and len(words) < 3 and re.fullmatch(r"[A-Za-z][A-Za-z'-]*", out[j]):
            if out[j].lower() in _RX_VERBS or _is_number(out[j]):
                break
            words.insert(0, j)
            j -= 1
        if not words:
            return
        texts = [out[k].lower() for k in words]
        for n in range(1, len(texts) + 1):  # already a drug name (any ending of the span): leave it
            if " ".join(texts[-n:]) in self.names:
                return
        for n in range(len(words), 0, -1):  # the longest span that sounds like one drug
            span = words[-n:]
            name = self.best([out[k] for k in span])
            if name is not None:
                out[span[0]] = name.capitalize() if out[span[0]][:1].isupper() else name
                for k in span[1:]:
                    out[k] = ""
                return


_NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
}  # fmt: skip


def _is_number(token: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", token)) or token.lower() in _NUMBER_WORDS


def _rejoin(original: str, tokens: list[str], out: list[str]) -> str:
    """Puts replaced tokens back into the original spacing."""
    if tokens == out:
        return original
    pieces: list[str] = []
    pos = 0
    for tok, new in zip(tokens, out, strict=True):
        at = original.index(tok, pos)
        gap = original[pos:at]
        pos = at + len(tok)
        if new == "":
            continue
        pieces.append(gap if pieces else gap.lstrip())
        pieces.append(new)
    pieces.append(original[pos:])
    return re.sub(r" {2,}", " ", "".join(pieces))


def fix_dictation(
    text: str, snapper: DrugSnapper | None = None, *, protected: frozenset[str] = frozenset()
) -> str:
    """All context fixes, in the order that lets each one see the others' results."""
    text = fix_number_words(text)
    text = fix_vital_numbers(text)
    text = fix_blood_pressure(text)
    text = fix_units(text, protected)
    text = fix_routes(text)
    text = fix_bedtime(text)
    text = fix_frequencies(text)
    if snapper is not None:
        text = snapper.fix(text)
    return text
