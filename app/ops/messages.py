"""Staff messages: the conversations, reading one (which sends its read receipts), writing."""

from __future__ import annotations

from app.ops.base import operation, query
from app.services import messages

threads = query(messages.threads)
unread = query(messages.unread_count)
#: the conversation, with what was sent to the reader marked read
read_thread = operation(messages.read_thread)
send = operation(messages.send)
