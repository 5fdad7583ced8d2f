"""The front desk's scheduling beyond booking: moving an appointment, its details and history, time
blocks (one day or a series, edited as one occurrence or as the whole series), a clinician's week
and the next free slot."""

from __future__ import annotations

from app.ops.base import operation, query
from app.services import scheduling

details = query(scheduling.appointment_details)
reschedule = operation(scheduling.reschedule)
#: a block as the dialog edits it (its series' first day and repetition)
block = query(scheduling.block_details)
add_block = operation(scheduling.add_block)
edit_series = operation(scheduling.edit_series)
edit_occurrence = operation(scheduling.edit_occurrence)
remove_occurrence = operation(scheduling.remove_occurrence)
remove_block = operation(scheduling.remove_block)
week = query(scheduling.week_schedule)
next_free_slot = query(scheduling.find_next_free_slot)
