from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.services.patients import patient_chart, search_patients
from models import AuditEvent
from tests.unit.services.conftest import Clinic


def test_units_of_work_on_several_threads_wait_for_each_other_instead_of_failing(clinic: Clinic) -> None:
    """The UI's workers and the background sync write at the same time; none may get 'database is locked'."""

    def work(i: int) -> int:
        done = 0
        for _ in range(15):
            with clinic.store.session(actor_id=clinic.doctor.id) as s:
                found = search_patients(s, "a")  # reads, then writes an audit event
                patient_chart(s, found[i % len(found)].id)
                done += 1
        return done

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert sum(pool.map(work, range(4))) == 60
    with clinic.store.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 120
