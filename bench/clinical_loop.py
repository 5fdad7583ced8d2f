"""Figures of the clinical loop on the workstation: the prescribing safety checks, a note's FHIR
export (and its check against the official R4 JSON Schema), a prescription laid out as a PDF with
Qt's writer, and sealing and opening a 20 MB document with the practice's data key.

    .venv/bin/python -m bench.clinical_loop [--runs 30]

Runs on a small profile made in a temporary folder (the seeded demo clinic), so each figure includes
what the user pays for: the store's sessions and audit events, SQLCipher underneath.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "fhir" / "fhir.r4.schema.json"


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    from app import drug_safety, fhir_export, keyring, printing
    from app.demo import seed_profile
    from app.workspace import Workspace
    from models import ClinicalNote
    from models.enums import NoteStatus
    from tests.support.profiles import FAST_KDF
    from ui.print_pdf import render_pdf

    app = QApplication.instance() or QApplication([])
    runs = args.runs
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "profile"
        seed_profile(folder, "bench password", patients=300, days=14, seed=1,
                     kdf=FAST_KDF).close()  # fmt: skip
        ws = Workspace.unlock(folder, "bench password")
        items = [drug_safety.Item(m, "500 mg", "twice daily") for m in
                 ("amoxicillin", "metformin", "ibuprofen", "atorvastatin", "lisinopril")]  # fmt: skip
        active = [*drug_safety.vocabulary().drugs][:20]
        allergies = [{"substance": "penicillin"}, {"substance": "sulfa"}, {"substance": "codeine"}]
        check = _median_ms(
            lambda: drug_safety.check(items, allergies=allergies, allergies_recorded=True, active=active),
            runs,
        )
        with ws.store.session(actor_id=ws.user.id) as s:
            note = s.scalars(select(ClinicalNote).where(ClinicalNote.status != NoteStatus.DRAFT)).first()
            assert note is not None
            export = _median_ms(lambda: fhir_export.bundle(s, [note]), runs)
            bundle = fhir_export.bundle(s, [note])
            job = printing.note_job(s, note.id, tz=ws.practice_tz)
        figures = {"safety check, 5 items vs 20 active (ms)": check, "FHIR bundle of a note (ms)": export}
        if CORPORA.is_file():
            import jsonschema_rs

            validator = jsonschema_rs.validator_for(json.loads(CORPORA.read_text()))
            figures["R4 schema check of that bundle (ms)"] = _median_ms(
                lambda: validator.is_valid(bundle), runs
            )
        figures["note laid out as a PDF (ms)"] = _median_ms(lambda: render_pdf(job), max(3, runs // 5))
        data = os.urandom(20 * 1024 * 1024)
        with ws.store.session(actor_id=ws.user.id) as s:
            sealed, _ = keyring.seal(s, data)
            figures["seal 20 MB (ms)"] = _median_ms(lambda: keyring.seal(s, data), 5)
            figures["open 20 MB (ms)"] = _median_ms(
                lambda: keyring.open_sealed(s, sealed, what="document"), 5
            )
        ws.close()
    del app
    print("command: " + " ".join([".venv/bin/python -m bench.clinical_loop", *sys.argv[1:]]))
    for name, value in figures.items():
        print(f"{name}: {value:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
