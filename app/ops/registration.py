"""Registering patients and keeping their records: demographics, allergies, insurance, the problem
list, identity checks at the front desk, and importing a practice's existing patients."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app import patient_import
from app.ops.base import operation, query
from app.services import chart_edits, front_desk, registration
from app.services.audit import actor_of
from models import User
from models.enums import Role

#: patients with the same name and date of birth, or the same phone (shown before saving)
duplicates = query(registration.likely_duplicates)
#: a new patient (refused while unseen likely duplicates exist)
register = operation(registration.register_patient)
update_demographics = operation(registration.update_demographics)
set_status = operation(registration.set_status)
set_allergies = operation(chart_edits.set_allergies)
save_insurance = operation(chart_edits.save_insurance)
end_coverage = operation(chart_edits.end_coverage)
add_problem = operation(chart_edits.add_problem)
resolve_problem = operation(chart_edits.resolve_problem)
#: diagnoses of signed notes not on the problem list yet
offered_diagnoses = query(chart_edits.offered_diagnoses)
#: the front desk's identity check (recorded whatever its result)
record_identity_check = operation(front_desk.record_identity_check)
#: check in after the identity check (an unverified patient needs a reason)
check_in = operation(front_desk.check_in)
#: book by phone after confirming the caller's identity
book_by_phone = operation(front_desk.book_by_phone)
identity_history = query(front_desk.identity_history)
#: a file's rows imported (or, ``dry_run``, checked) in one transaction: all good rows, or none
import_file = operation(patient_import.import_patients)


@query
def details(session: Session, patient_id: uuid.UUID) -> chart_edits.PatientDetails:
    """The editable record; the problem list only for the roles that may read it."""
    actor = actor_of(session)
    user = session.get(User, actor) if actor else None
    clinical = user is not None and user.role in (Role.DOCTOR, Role.NURSE, Role.ADMIN)
    return chart_edits.patient_details(session, patient_id, with_problems=clinical)
