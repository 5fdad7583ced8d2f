"""Enumerations of the data model. Values are the wire and storage form; never rename one."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DOCTOR = "doctor"
    NURSE = "nurse"
    RECEPTIONIST = "receptionist"
    ADMIN = "admin"


class PatientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class CareTeamStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class ConditionStatus(StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"
    CHRONIC = "chronic"


class AppointmentType(StrEnum):
    ROUTINE = "routine"
    FOLLOW_UP = "follow_up"
    URGENT = "urgent"
    CONSULTATION = "consultation"
    PROCEDURE = "procedure"
    TELEMEDICINE = "telemedicine"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class CreatedVia(StrEnum):
    STAFF = "staff"
    VOICE_AGENT = "voice_agent"
    PATIENT_PORTAL = "patient_portal"
    WALK_IN = "walk_in"


class TimeBlockType(StrEnum):
    BREAK = "break"
    ADMIN = "admin"
    MEETING = "meeting"
    OTHER = "other"


class EncounterType(StrEnum):
    OFFICE_VISIT = "office_visit"
    TELEMEDICINE = "telemedicine"
    EMERGENCY = "emergency"
    HOME_VISIT = "home_visit"


class EncounterStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class NoteType(StrEnum):
    SOAP = "soap"
    PROGRESS = "progress"
    PROCEDURE = "procedure"


class SoapSection(StrEnum):
    """The four parts of a SOAP note, in the order they are written."""

    SUBJECTIVE = "subjective"
    OBJECTIVE = "objective"
    ASSESSMENT = "assessment"
    PLAN = "plan"


#: The section names in note order: the keys of a note's ``content`` and the words a doctor says.
SOAP_SECTIONS: tuple[str, ...] = tuple(section.value for section in SoapSection)


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    AMENDED = "amended"


class RecordingStatus(StrEnum):
    RECORDING = "recording"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    ERROR = "error"


class PrescriptionStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    PRINTED = "printed"
    SENT = "sent"
    DISPENSED = "dispensed"
    CANCELLED = "cancelled"


class OrderType(StrEnum):
    LAB = "lab"
    IMAGING = "imaging"
    PROCEDURE = "procedure"
    REFERRAL = "referral"


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    SENT = "sent"
    #: results came back (entered by a clinician); the ordering doctor has not reviewed them yet
    RESULTED = "resulted"
    #: the ordering doctor reviewed the results and signed them off
    REVIEWED = "reviewed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class TaskStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskType(StrEnum):
    DOCUMENTATION = "documentation"
    REVIEW = "review"
    FOLLOW_UP = "follow_up"
    REFERRAL = "referral"
    ORDER = "order"
    OTHER = "other"


class AlertType(StrEnum):
    LAB_RESULT = "lab_result"
    MEDICATION = "medication"
    APPOINTMENT = "appointment"
    TASK = "task"
    SYSTEM = "system"
    VITAL_SIGN = "vital_sign"


class AlertStatus(StrEnum):
    """An alert is acknowledged (someone has seen it and is on it) and then resolved (with a note)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ResultFlag(StrEnum):
    """A result against its reference range; ``critical`` needs action now (an alert says so)."""

    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    ABNORMAL = "abnormal"
    CRITICAL = "critical"


class DocumentCategory(StrEnum):
    SCAN = "scan"
    REFERRAL = "referral"
    REPORT = "report"
    PRESCRIPTION = "prescription"
    NOTE = "note"
    OTHER = "other"


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class OutboxOperation(StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class ConflictStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class AllergyStatus(StrEnum):
    """Whether a patient's allergies were asked about: "no known allergies" is an answer, an empty
    list on a record nobody asked about is not."""

    NOT_RECORDED = "not_recorded"
    NONE_KNOWN = "none_known"
    RECORDED = "recorded"


class IdentityContext(StrEnum):
    """When the front desk confirmed who a patient is (seed 000's verification)."""

    CHECK_IN = "check_in"
    PHONE_BOOKING = "phone_booking"
