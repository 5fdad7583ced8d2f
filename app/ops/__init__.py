"""What the window (and the command line) asks of the core: one function per user action, one per read.

Anki's model (aqt.operations): an *operation* runs in one transaction as the signed-in user, all or
nothing, and returns its typed result together with a small change set (:class:`app.ops.changes.Changes`:
which patients, appointments, encounters, notes, tasks, alerts, prescriptions, orders and conflicts it
wrote, and how many outbox entries it queued), so every page can tell whether what it shows went out
of date. A *query* reads in one short session and returns frozen records, never live ORM objects.

Both take the :class:`app.workspace.Workspace` (the unlocked store and its signed-in user) as their
first argument: ``notes.sign(ws, note_id, content, loaded_at=...)``. Steps that belong together
(save a dictation and keep its recording; save and sign) are one operation, so a failure in the
second half leaves nothing of the first written. One module per area: schedule, patients,
encounters, notes, orders, work (tasks and alerts), conflicts.
"""
