"""The data model shared by the workstation cache and the central PostgreSQL (DESIGN.md).

Pure: SQLAlchemy declarations only, no engines, no I/O, no Qt.
"""

from models.audit import AuditEvent
from models.base import Base, Synced, UTCDateTime, new_id, utcnow
from models.clinical import (
    ClinicalNote,
    Encounter,
    NoteVersion,
    Order,
    OrderItem,
    Prescription,
    PrescriptionItem,
    Recording,
)
from models.documents import DeviceKey, Document, KeyGrant
from models.enums import *  # noqa: F403
from models.identity import IdentityCheck
from models.local import OutboxEntry, ProfileSecret, SyncConflict, SyncState
from models.people import CareTeam, Condition, Insurance, Patient, Practice, User
from models.registry import SYNCED_MODELS, dict_to_values, row_to_dict
from models.results import OrderResult
from models.scheduling import Appointment, TimeBlock
from models.work import Alert, Message, Task

__all__ = [
    "SYNCED_MODELS",
    "Alert",
    "Appointment",
    "AuditEvent",
    "Base",
    "CareTeam",
    "ClinicalNote",
    "Condition",
    "DeviceKey",
    "Document",
    "Encounter",
    "IdentityCheck",
    "Insurance",
    "KeyGrant",
    "Message",
    "NoteVersion",
    "Order",
    "OrderItem",
    "OrderResult",
    "OutboxEntry",
    "Patient",
    "Practice",
    "Prescription",
    "PrescriptionItem",
    "ProfileSecret",
    "Recording",
    "SyncConflict",
    "SyncState",
    "Synced",
    "Task",
    "TimeBlock",
    "UTCDateTime",
    "User",
    "dict_to_values",
    "new_id",
    "row_to_dict",
    "utcnow",
]
