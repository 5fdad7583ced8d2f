"""Which SOAP section an utterance without a spoken header belongs to.

A linear model over word uni- and bigrams (tf-idf), trained by scripts/train_soap_classifier.py and
shipped as a small .npz; inference is numpy only. Utterances are not classified one by one: a dictation
runs S -> O -> A -> P far more often than it jumps back, so a Viterbi pass over the whole dictation
with a penalty on going backwards fixes most single-sentence mistakes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

import numpy as np
import numpy.typing as npt

import resources
from app.soap.extract import extract_diagnoses, extract_medications, extract_vitals
from app.soap.headers import SECTIONS
from audio.normalize import normalize

_TOKEN = re.compile(r"[a-z]+|\d+")
WEIGHTS_FILE = "soap_classifier.npz"
#: log-penalties for moving between sections (stay is free)
FORWARD_PENALTY = 1.0
BACKWARD_PENALTY = 6.0
AP_SWITCH_PENALTY = 1.0


def tokens(text: str) -> list[str]:
    return ["0" if t[0].isdigit() else t for t in _TOKEN.findall(text.lower())]


def ngrams(text: str) -> list[str]:
    toks = tokens(text)
    return toks + [f"{a} {b}" for a, b in pairwise(toks)]


class SectionClassifier:
    def __init__(
        self,
        vocabulary: list[str],
        idf: npt.NDArray[np.float32],
        coef: npt.NDArray[np.float32],
        intercept: npt.NDArray[np.float32],
        classes: list[str],
    ) -> None:
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)  # (n_features, n_classes)
        self.intercept = intercept.astype(np.float32)
        self.classes = classes
        # columns in SECTIONS order
        self._order = [classes.index(s) for s in SECTIONS]

    @classmethod
    def load(cls) -> SectionClassifier:
        return _load_default()

    def log_proba(self, texts: list[str]) -> npt.NDArray[np.float64]:
        """(n, 4) log-probabilities, columns in SECTIONS order."""
        out = np.zeros((len(texts), len(SECTIONS)), dtype=np.float64)
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in ngrams(text):
                j = self.index.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if counts:
                idx = np.fromiter(counts.keys(), dtype=np.int64)
                tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))
                values = tf * self.idf[idx]
                values /= np.linalg.norm(values) or 1.0
                scores = values @ self.coef[idx].astype(np.float64) + self.intercept
            else:
                scores = self.intercept.astype(np.float64)
            scores = scores[self._order]
            scores -= scores.max()
            out[row] = scores - np.log(np.exp(scores).sum())
        return out

    def predict(self, texts: list[str]) -> list[str]:
        return [SECTIONS[i] for i in self.log_proba(texts).argmax(axis=1)]

    def decode(
        self,
        texts: list[str],
        *,
        allowed: list[tuple[str, ...] | None] | None = None,
        start: str | None = None,
        after_problem: list[bool] | None = None,
    ) -> list[str]:
        """Sections for a whole dictation in order (Viterbi). ``allowed[i]`` restricts utterance i;
        ``after_problem[i]`` says it follows the first sentence under "assessment and plan"."""
        if not texts:
            return []
        emit = self.log_proba(texts) + np.array([cues(t) for t in texts])
        for i, later in enumerate(after_problem or []):
            if later and not extract_diagnoses(normalize(texts[i])):
                emit[i, SECTIONS.index("plan")] += UNNAMED_PLAN_WEIGHT
        n, k = emit.shape
        if allowed:
            for i, allow in enumerate(allowed):
                if allow:
                    mask = np.array([s not in allow for s in SECTIONS])
                    emit[i, mask] = -1e9
        trans = transitions()
        score = emit[0].copy()
        if start is not None:
            score += trans[SECTIONS.index(start)]
        back = np.zeros((n, k), dtype=np.int64)
        for i in range(1, n):
            cand = score[:, None] + trans
            back[i] = cand.argmax(axis=0)
            score = cand.max(axis=0) + emit[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        return [SECTIONS[j] for j in reversed(path)]


#: what a sentence's opening says about its section, in the order a clinician dictates, as log-odds
#: added to the model's (``CUE_WEIGHT`` each): the model learnt from written notes, where "she takes
#: metformin 500 milligrams twice a day" is history; said, a sentence opening on a prescribing verb or
#: a follow-up is the plan, and an examination finding is the exam
CUE_WEIGHT = 2.5
#: the same for what a sentence holds (``_what_it_is``): 3.5 on the ACI-Bench notes without headers
#: (0.922 -> 0.931; 2.5 gave 0.931, 5.0 gave 0.924) and the dev dictations
CONTENT_CUE_WEIGHT = 3.5
_PLAN_OPENING = re.compile(
    r"^(?:start|started|starting|continue|stop|increase|decrease|reduce|switch|add|begin|resume|hold|"
    r"follow[- ]up|return|recheck|refer|referral|schedule|order|check|repeat|come back|back in|see (?:him|"
    r"her|them) (?:in|back)|we will|we'll|plan|advise[ds]?|counsel(?:ed|ing)?|prescribe[ds]?)\b",
    re.IGNORECASE,
)
_OBJECTIVE_OPENING = re.compile(
    r"^(?:on exam|exam|examination|lungs|heart (?:regular|sounds|rate)|abdomen|abdominal exam|"
    r"(?:x-rays?|ct|mri|ultrasound|echo(?:cardiogram)?|ecg|ekg|electrocardiogram|labs?) (?:show|shows|"
    r"showed|reveal|reveals)|blood pressure|pulse|temperature|oxygen saturation|respiratory rate|"
    r"weight \d|tender|no (?:edema|tenderness|murmur)|reflexes|range of motion|skin)\b",
    re.IGNORECASE,
)


#: under a spoken "assessment and plan", a sentence after the first that names no diagnosis is likelier
#: the plan: a doctor names the problem, then says what to do about it ("Gestational diabetes. Diet
#: counseling and glucose checks four times a day."); the model, from written notes, files much of that
#: as assessment
UNNAMED_PLAN_WEIGHT = 2.0


def cues(text: str) -> list[float]:
    """Log-odds from how the sentence opens and what it is (see ``CUE_WEIGHT``), in SECTIONS order."""
    out = [0.0] * len(SECTIONS)
    opening = text.strip().lstrip("-•*").strip()
    if _PLAN_OPENING.match(opening):
        out[SECTIONS.index("plan")] += CUE_WEIGHT
    elif _OBJECTIVE_OPENING.match(opening):
        out[SECTIONS.index("objective")] += CUE_WEIGHT
    elif section := _what_it_is(normalize(opening)):
        out[SECTIONS.index(section)] += CONTENT_CUE_WEIGHT
    return out


#: a sentence of at most this many words that gives a vital sign is a measurement, not history
_MEASUREMENT_WORDS = 12


def _what_it_is(written: str) -> str | None:
    """What a dictated sentence is, from what it holds rather than how it opens: a prescription that
    opens on the drug ("methylphenidate 18 mg by mouth every morning"), a short reading of vital signs
    ("BMI 31.4 and acne on the chin"), or a diagnosis said alone. Written notes, which the model learnt
    from, put these in history as often as not ("she takes ..."); a doctor dictating says them in
    their sections."""
    words = re.findall(r"[a-z0-9]+", written.lower())
    if not words:
        return None
    meds = extract_medications(written)
    if meds and words[: len(meds[0].name.split())] == meds[0].name.split():
        first = meds[0]
        if first.dose is not None and (first.route or first.frequency):
            return "plan"
    if len(words) <= _MEASUREMENT_WORDS and extract_vitals(written):
        return "objective"
    # a symptom (ICD-10 chapter R: "cough", "chest pain") said alone is as often the complaint
    named = sum(
        len(d.text.split()) for d in extract_diagnoses(written) if not (d.icd10 or "").startswith("R")
    )
    if named and named * 2 >= len(words):
        return "assessment"
    return None


def transitions() -> npt.NDArray[np.float64]:
    """Log-penalties between sections. Assessment and plan interleave problem by problem in real
    notes, so moving between them is cheap either way; going back to S or O is what's rare."""
    k = len(SECTIONS)
    trans = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            if a == b:
                continue
            if a >= 2 and b >= 2:
                trans[a, b] = -AP_SWITCH_PENALTY
            else:
                trans[a, b] = -FORWARD_PENALTY if b > a else -BACKWARD_PENALTY
    return trans


@lru_cache(maxsize=1)
def _load_default() -> SectionClassifier:
    with np.load(resources.path("soap", WEIGHTS_FILE), allow_pickle=False) as data:
        vocabulary = str(data["vocabulary"].item()).split("\n")
        return SectionClassifier(
            vocabulary,
            data["idf"],
            data["coef"],
            data["intercept"],
            [str(c) for c in data["classes"]],
        )
