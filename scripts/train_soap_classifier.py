"""Trains the SOAP section classifier and writes resources/soap/soap_classifier.npz.

Training data: the train and valid splits of ACI-Bench (sections) and MTS-Dialog (section headers), read
from ../shared/corpora/notes. The ACI-Bench test1/test2 splits are never read here: the structuring
benchmark scores on them. Nor are the PriMock57 notes any more: the dictation test set
(bench/dictation_sets/test.json) adapts some of them, and a classifier that had read their sentences
would flatter its section figures.

    .venv/bin/python scripts/train_soap_classifier.py [--corpora PATH]

scikit-learn is used here only; the app reads the weights with numpy.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.soap.classifier import WEIGHTS_FILE, ngrams  # noqa: E402
from app.soap.headers import match_header  # noqa: E402

OUT = ROOT / "resources" / "soap" / WEIGHTS_FILE
SPLITS = ("train", "valid")
ACI_DIVISIONS = {
    "subjective": "subjective",
    "objective_exam": "objective",
    "objective_results": "objective",
    "assessment_and_plan": None,  # split by sub-header below
}
MTS_LABELS = {
    "GENHX": "subjective", "CC": "subjective", "PASTMEDICALHX": "subjective", "PASTSURGICAL": "subjective",
    "FAM/SOCHX": "subjective", "ROS": "subjective", "MEDICATIONS": "subjective", "ALLERGY": "subjective",
    "IMMUNIZATIONS": "subjective", "GYNHX": "subjective", "OTHER_HISTORY": "subjective",
    "EXAM": "objective", "LABS": "objective", "IMAGING": "objective",
    "ASSESSMENT": "assessment", "DIAGNOSIS": "assessment",
    "PLAN": "plan", "DISPOSITION": "plan", "PROCEDURES": "plan", "EDCOURSE": "plan",
}  # fmt: skip
_PLAN_CUES = re.compile(
    r"^(?:additional testing|medical treatment|patient education|patient agreements|specialist referrals|"
    r"referrals?|follow[- ]up|instructions|treatment|plan)\b",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip().lstrip("•-* ").strip()
        if not line:
            continue
        for part in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", line):
            if re.search(r"[A-Za-z]", part):
                out.append(part.strip())
    return out


def aci_examples(corpora: Path) -> list[tuple[str, str]]:
    folder = corpora / "notes" / "aci-bench" / "challenge_data_json"
    out: list[tuple[str, str]] = []
    for split in SPLITS:
        for division, label in ACI_DIVISIONS.items():
            for item in json.loads((folder / f"{split}_{division}.json").read_text())["data"]:
                if "#####EMPTY#####" in item["tgt"]:
                    continue
                current = label or "assessment"
                in_vitals = False
                for sent in sentences(item["tgt"]):
                    header = match_header(sent)
                    if header and not header.rest:
                        in_vitals = header.section == "objective"
                        if label is None:
                            current = {"plan": "plan", "assessment": "assessment"}.get(
                                header.section, "assessment"
                            )
                        continue
                    target = current
                    if (
                        in_vitals
                    ):  # ACI-Bench files some VITALS blocks under S; a clinician files them under O
                        target = "objective"
                    if label is None and _PLAN_CUES.match(sent):
                        target = "plan"
                    out.append((sent, target))
    return out


def mts_examples(corpora: Path) -> list[tuple[str, str]]:
    folder = corpora / "notes" / "mts-dialog"
    out: list[tuple[str, str]] = []
    for name in ("MTS-Dialog-TrainingSet.csv", "MTS-Dialog-ValidationSet.csv"):
        with open(folder / name, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                label = MTS_LABELS.get(row["section_header"].strip().upper())
                if label:
                    out.extend((s, label) for s in sentences(row["section_text"]))
    return out


VOCAB_DIR = ROOT / "resources" / "vocab"
#: descriptions of poisoning / drug-use codes name drugs; they must not make a drug look like a diagnosis
_DRUG_CODE = re.compile(r"^(T3[6-9]|T4|T5|T6[0-5]|Z79|Z91\.1|O35|P04)")
#: single words that are ordinary English yet name products in the drug list
_ENGLISH = set(
    [
        "acclaim",
        "acet",
        "alum",
        "applaud",
        "athlete",
        "avocado",
        "bain",
        "birch",
        "bites",
        "blanc",
        "blurred",
        "breeze",
        "buckley",
        "calming",
        "charcoal",
        "chew",
        "chill",
        "cider",
        "cinnamon",
        "citrus",
        "cleansing",
        "coconut",
        "compliments",
        "contin",
        "contingency",
        "critic",
        "daytime",
        "derivative",
        "diffusion",
        "dissolve",
        "dove",
        "elixir",
        "endure",
        "extracts",
        "flavored",
        "germ",
        "ginger",
        "helium",
        "itch",
        "itching",
        "jelly",
        "keystone",
        "meadow",
        "melt",
        "melts",
        "methyl",
        "microbiota",
        "mist",
        "mister",
        "mmol",
        "neon",
        "nightly",
        "nighttime",
        "numb",
        "odor",
        "perennial",
        "pharma",
        "phosph",
        "pinpoint",
        "polio",
        "pred",
        "prism",
        "purg",
        "purified",
        "refresh",
        "releasing",
        "repairing",
        "resin",
        "rinse",
        "scrub",
        "shampoo",
        "shea",
        "shoulders",
        "silicone",
        "soothing",
        "sore",
        "sponge",
        "stabilized",
        "standardized",
        "starch",
        "stimulating",
        "stool",
        "strawberry",
        "stubborn",
        "supra",
        "swallow",
        "sweats",
        "targeting",
        "tert",
        "theo",
        "verte",
        "vinegar",
        "wipe",
        "wipes",
        "xiii",
    ]
)
#: common US names missing from the Canadian list
_US_DRUGS = ["albuterol", "acetaminophen", "hydrocodone", "glipizide", "hydrocodone acetaminophen"]
#: drugs that also occur in diagnosis descriptions ("insulin-dependent", "warfarin-related")
_ALSO_DRUGS = {"insulin", "warfarin", "heparin", "digoxin", "aspirin", "insulin glargine", "insulin lispro"}


def build_vocab(corpora: Path) -> None:
    """Splits the MedWER term list into drug names and diagnosis terms; copies ICD-10-CM compressed."""
    import gzip

    vocab = corpora / "vocab"
    terms = [
        line.strip()
        for line in (vocab / "medical_terms.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    icd_lines = (vocab / "icd10cm_2026_codes.tsv").read_text(encoding="utf-8").splitlines()[1:]
    diagnosis_words: set[str] = set()
    for line in icd_lines:
        code, _, desc = line.partition("\t")
        if not _DRUG_CODE.match(code):
            diagnosis_words.update(re.findall(r"[a-z]+", desc.lower()))
    drugs: set[str] = set(_US_DRUGS) | _ALSO_DRUGS
    diagnoses: set[str] = set()
    for term in terms:
        if re.search(r"\d", term) or len(term) < 4:
            continue
        words = term.split()
        if all(w in diagnosis_words for w in words) and term not in _ALSO_DRUGS:
            if len(words) <= 6:
                diagnoses.add(term)
        elif len(words) <= 3 and term not in _ENGLISH:
            drugs.add(term)
    VOCAB_DIR.mkdir(parents=True, exist_ok=True)
    (VOCAB_DIR / "drugs.txt").write_text("\n".join(sorted(drugs)) + "\n", encoding="utf-8")
    (VOCAB_DIR / "diagnosis_terms.txt").write_text("\n".join(sorted(diagnoses)) + "\n", encoding="utf-8")
    with gzip.open(VOCAB_DIR / "icd10cm_2026_codes.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write("\n".join(icd_lines) + "\n")
    print(
        f"vocab: {len(drugs)} drug names, {len(diagnoses)} diagnosis terms, {len(icd_lines)} ICD-10-CM codes"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    args = parser.parse_args()
    build_vocab(args.corpora)
    examples = aci_examples(args.corpora) + mts_examples(args.corpora)
    texts = [t for t, _ in examples]
    labels = [lab for _, lab in examples]
    print(f"{len(texts)} sentences:", {lab: labels.count(lab) for lab in sorted(set(labels))})
    vectorizer = TfidfVectorizer(analyzer=ngrams, min_df=2, sublinear_tf=True, norm="l2", dtype=np.float32)
    x = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
    model.fit(x, labels)
    print("training accuracy:", round(float(model.score(x, labels)), 3))
    vocabulary = vectorizer.get_feature_names_out().tolist()
    assert not any("\n" in v for v in vocabulary)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        vocabulary=np.array("\n".join(vocabulary)),
        idf=vectorizer.idf_.astype(np.float32),
        coef=model.coef_.T.astype(np.float16),
        intercept=model.intercept_.astype(np.float32),
        classes=np.array(model.classes_.tolist()),
    )
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB, {len(vocabulary)} terms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
