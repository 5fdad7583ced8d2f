"""Staff records an administrator keeps in the store (offline first, synced). Creating an account,
resetting a password and a user's devices need the server: app.services.staff.StaffAccounts."""

from __future__ import annotations

from app.ops.base import operation, query
from app.services import staff

#: every staff member, active ones first
members = query(staff.staff_list)
#: name, email, specialty, credentials, licence number, extension
update_details = operation(staff.update_details)
change_role = operation(staff.change_role)
#: the staff dialog's Save: details and role together
update_member = operation(staff.update_member)
#: deactivate (signed out everywhere at the next sync) or reactivate
set_active = operation(staff.set_active)
