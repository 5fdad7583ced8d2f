"""The sync side of bench/ui_responsiveness.py: the practice the server holds (put there by a front
desk's client), the doctor's workstation made from it, and another workstation (a nurse's) that
keeps pushing changes while the doctor dictates, run as its own process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

PASSWORD = "bench-ui-password"
SERVER_PASSWORD = "correct horse battery"
DOCTOR = "bench.ui.doctor"
NURSE = "bench.ui.nurse"
FRONT_DESK = "bench.ui.admin"
PATIENTS = 200
DAYS = 14


def set_up_practice(url: str, path: Path, doctor_id: str) -> None:
    """The front desk's client puts the practice on the server: its hours, PATIENTS patients and
    the doctor's appointments over the next DAYS days, pushed through the real protocol."""
    import random
    import uuid
    from datetime import UTC, date, datetime

    from models import Patient
    from tests.support.sync_clients import follow_up, front_desk, push_all

    rng = random.Random(7)
    with front_desk(url, path, username=FRONT_DESK, password=SERVER_PASSWORD) as (store, engine):
        first = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        with store.sessions.begin() as s:
            patients = [
                Patient(
                    mrn=f"HSC{n:06d}",
                    first_name=rng.choice(["Mara", "Ivo", "Lena", "Omar", "Ruth", "Tariq"]),
                    last_name=rng.choice(["Quill", "Brandt", "Okoye", "Novak", "Haddad", "Ferreira"]),
                    date_of_birth=date(1935 + n % 80, 1 + n % 12, 1 + n % 28),
                    phone=f"555-{n:04d}",
                    address_city="Springfield",
                    address_country="CA",
                )
                for n in range(PATIENTS)
            ]
            s.add_all(patients)
            s.flush()
            for day in range(DAYS):
                for slot in range(10):
                    start = first + timedelta(days=day, minutes=30 * slot)
                    s.add(follow_up(rng.choice(patients).id, uuid.UUID(doctor_id), start, "follow-up visit"))
        push_all(engine)


def set_up_workstation(url: str, profile: Path) -> None:
    """The doctor's workstation is made from the server (the app's own set-up: sign in, download)."""
    from app.sync_service import setup_workstation
    from tests.support.profiles import FAST_KDF

    setup_workstation(
        profile,
        profile_password=PASSWORD,
        server_url=url,
        username=DOCTOR,
        server_password=SERVER_PASSWORD,
        device_name="exam room",
        kdf=FAST_KDF,
    )


# --- another workstation ----------------------------------------------------------------------------


def colleague(url: str, folder: Path, rate: float) -> int:
    """A nurse's workstation (its own process, plain-SQLite client store with the app's outbox hook):
    every half second it records ``rate / 2`` changes (new patients with tasks and alerts for the
    doctor, tasks moved along) and syncs. It starts when told ``go`` on stdin, pauses on ``pause``,
    and prints how many changes it pushed when stdin closes."""
    import random
    import traceback
    import uuid
    from datetime import UTC, date, datetime

    from sqlalchemy import select

    from models import Alert, Patient, Task, User
    from models.enums import AlertSeverity, AlertType, TaskPriority, TaskStatus, TaskType
    from sync.engine import SyncEngine
    from sync.local import get_state
    from sync.transport import HttpTransport
    from tests.support.sync_clients import LocalStore

    store = LocalStore(folder / "nurse.db")
    engine = SyncEngine(store.sessions, HttpTransport(url))
    engine.sign_in(username=NURSE, password=SERVER_PASSWORD)
    engine.sync_once()
    with store.sessions() as s:
        me = uuid.UUID(str(get_state(s, "user_id")))
    doctor: uuid.UUID | None = None
    running = threading.Event()
    closed = threading.Event()

    def control() -> None:
        for line in sys.stdin:
            if line.strip() == "go":
                running.set()
            elif line.strip() == "pause":
                running.clear()
        closed.set()
        running.set()

    threading.Thread(target=control, daemon=True).start()
    rng = random.Random(5)
    pushed = rejected = n = failures = 0
    stages: dict[uuid.UUID, TaskStatus] = {}  # tasks created here and not completed yet
    while not closed.is_set():
        running.wait()
        if closed.is_set():
            break
        started = time.monotonic()
        if doctor is None:
            with store.sessions() as s:
                doctor = s.execute(select(User.id).where(User.username == DOCTOR)).scalar()
        budget = max(1, round(rate / 2))
        with store.sessions.begin() as s:
            while budget > 0:
                n += 1
                patient = Patient(
                    mrn=f"COL{n:07d}", first_name=rng.choice(["Ana", "Ben", "Chloe", "Dev", "Eli"]),
                    last_name=rng.choice(["Moreau", "Okafor", "Lind", "Sato", "Reyes"]) + f"-{n}",
                    date_of_birth=date(1940 + n % 70, 1 + n % 12, 1 + n % 28), gender="unknown",
                    phone=f"555-{n % 10000:04d}", address_street=f"{n} Rue Principale",
                    address_city="Springfield", address_country="CA",
                    allergies=[{"substance": "penicillin", "reaction": "rash"}] if n % 3 == 0 else [],
                )  # fmt: skip
                s.add(patient)
                s.flush()
                for k in range(2):
                    task = Task(
                        title=f"Follow up on lab results ({k + 1})", description="Call back with results.",
                        creator_id=me, assignee_id=doctor, patient_id=patient.id,
                        due_at=datetime.now(UTC) + timedelta(hours=k + 1), priority=TaskPriority.HIGH,
                        task_type=TaskType.FOLLOW_UP,
                    )  # fmt: skip
                    s.add(task)
                    s.flush()
                    stages[task.id] = TaskStatus.PENDING
                if doctor is not None:
                    alert = Alert(
                        recipient_id=doctor, patient_id=patient.id, alert_type=AlertType.LAB_RESULT,
                        severity=AlertSeverity.MEDIUM, title="New lab result", message="Potassium 5.4",
                    )  # fmt: skip
                    s.add(alert)
                budget -= 4
                for task_id in list(stages)[:2]:  # the oldest open tasks move along
                    row = s.get(Task, task_id)
                    if row is None:
                        continue
                    if stages[task_id] is TaskStatus.PENDING:
                        row.status = stages[task_id] = TaskStatus.IN_PROGRESS
                    else:
                        row.status = TaskStatus.COMPLETED
                        row.completed_at = datetime.now(UTC)
                        del stages[task_id]
                    budget -= 1
        try:
            report = engine.sync_once()
        except Exception as exc:  # a sync bug: said in the log, and the next round tries again
            failures += 1
            own = [f for f in traceback.extract_tb(exc.__traceback__) if "clinicdesk/" in f.filename]
            where = f" in {own[-1].name} ({Path(own[-1].filename).name}:{own[-1].lineno})" if own else ""
            print(f"sync failed{where}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}", flush=True)
            time.sleep(0.5)
            continue
        pushed += report.pushed
        rejected += report.rejected + report.conflicts
        time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))
    print(f"colleague pushed {pushed}, refused {rejected}, failed syncs {failures}", flush=True)
    engine.close()
    store.close()
    return 0


def tell(proc: subprocess.Popen[str] | None, word: str) -> None:
    if proc is not None and proc.stdin is not None and proc.poll() is None:
        proc.stdin.write(word + "\n")
        proc.stdin.flush()


def stop_colleague(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def colleague_trouble(proc: subprocess.Popen[str] | None, log: Path) -> str:
    """What went wrong on the other workstation, if anything: its failed syncs, or why it stopped."""
    if proc is None:
        return ""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    failed = [n for n, line in enumerate(lines) if line.startswith("sync failed")]
    said = ""
    if failed:
        said = f"; the other workstation's syncs failed {len(failed)} time(s), last: {lines[failed[-1]]}"
    if proc.poll() is not None:
        errors = [line for line in lines if "Error" in line or "Exception" in line]
        last = (errors or [line for line in lines if line.strip()] or ["no output"])[-1]
        said += f"; the other workstation stopped (exit {proc.returncode}: {last[:300]})"
    return said
