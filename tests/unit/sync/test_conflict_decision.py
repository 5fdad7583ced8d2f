"""The conflict rule as a table: each row is one situation and what must happen."""

from __future__ import annotations

import pytest

from sync.protocol import Operation
from sync.protocol.conflict import Outcome, ServerState, decide

UP, DEL = Operation.UPSERT, Operation.DELETE
SERVER = {"title": "old", "status": "pending", "content": {"s": "a"}, "deleted_at": None}
EARLIER, LATER = "2030-05-01T08:00:00+00:00", "2030-05-01T09:30:00+00:00"
#: the same instant as LATER, written from a workstation two hours ahead of UTC
LATER_ELSEWHERE = "2030-05-01T11:30:00+02:00"


def state(changed: set[str] = frozenset(), deleted: bool = False, **values: object) -> ServerState:
    return ServerState(deleted=deleted, values={**SERVER, **values}, changed_since_base=frozenset(changed))


# (case, entity, operation, payload, server, outcome, applied fields, lost fields)
TABLE = [
    ("new record", "tasks", UP, {"title": "x"}, None, Outcome.APPLY, {"title"}, ()),
    ("nobody else changed it", "tasks", UP, {"title": "x"}, state(), Outcome.APPLY, {"title"}, ()),
    (
        "others changed other fields",
        "tasks",
        UP,
        {"title": "x"},
        state({"status"}),
        Outcome.MERGE,
        {"title"},
        (),
    ),
    (
        "others changed the same field",
        "tasks",
        UP,
        {"title": "x"},
        state({"title"}),
        Outcome.SERVER_WINS,
        set(),
        ("title",),
    ),
    ("same field, same value", "tasks", UP, {"title": "old"}, state({"title"}), Outcome.MERGE, {"title"}, ()),
    (
        "partial overlap keeps the rest",
        "tasks",
        UP,
        {"title": "x", "status": "done"},
        state({"title"}),
        Outcome.SERVER_WINS,
        {"status"},
        ("title",),
    ),
    (
        "updated_at alone never conflicts",
        "tasks",
        UP,
        {"updated_at": "t2", "status": "done"},
        state({"updated_at"}),
        Outcome.APPLY,
        {"updated_at", "status"},
        (),
    ),
    (
        "note text on both sides keeps both",
        "clinical_notes",
        UP,
        {"content": {"s": "b"}},
        state({"content"}),
        Outcome.KEEP_BOTH,
        set(),
        ("content",),
    ),
    (
        "note metadata overlap is an ordinary conflict",
        "clinical_notes",
        UP,
        {"status": "signed"},
        state({"status"}),
        Outcome.SERVER_WINS,
        set(),
        ("status",),
    ),
    (
        "delete of an untouched record",
        "tasks",
        DEL,
        {"deleted_at": "t"},
        state(),
        Outcome.APPLY,
        {"deleted_at"},
        (),
    ),
    (
        "delete against a newer edit keeps the edit",
        "tasks",
        DEL,
        {"deleted_at": "t"},
        state({"title"}),
        Outcome.SERVER_WINS,
        set(),
        ("deleted_at",),
    ),
    (
        "delete of a record already deleted",
        "tasks",
        DEL,
        {"deleted_at": "t"},
        state({"deleted_at"}, deleted=True),
        Outcome.MERGE,
        {"deleted_at"},
        (),
    ),
    (
        "edit of a record someone deleted",
        "tasks",
        UP,
        {"title": "x"},
        state({"deleted_at"}, deleted=True),
        Outcome.SERVER_WINS,
        set(),
        ("title",),
    ),
    (
        "a later sign-in time from the client wins without a conflict",
        "users",
        UP,
        {"last_login_at": LATER, "updated_at": "t2"},
        state({"last_login_at"}, last_login_at=EARLIER),
        Outcome.MERGE,
        {"last_login_at", "updated_at"},
        (),
    ),
    (
        "an earlier sign-in time from the client gives way without a conflict",
        "users",
        UP,
        {"last_login_at": EARLIER, "updated_at": "t2"},
        state({"last_login_at"}, last_login_at=LATER),
        Outcome.MERGE,
        {"updated_at"},
        (),
    ),
    (
        "a sign-in time against none on the server wins",
        "users",
        UP,
        {"last_login_at": EARLIER},
        state({"last_login_at"}, last_login_at=None),
        Outcome.MERGE,
        {"last_login_at"},
        (),
    ),
    (
        "no sign-in time against one on the server gives way",
        "users",
        UP,
        {"last_login_at": None},
        state({"last_login_at"}, last_login_at=LATER),
        Outcome.MERGE,
        set(),
        (),
    ),
    (
        "the same instant in another time zone is not newer",
        "users",
        UP,
        {"last_login_at": LATER_ELSEWHERE},
        state({"last_login_at"}, last_login_at=LATER),
        Outcome.MERGE,
        set(),
        (),
    ),
    (
        "an unreadable sign-in time never wins",
        "users",
        UP,
        {"last_login_at": "yesterday"},
        state({"last_login_at"}, last_login_at=EARLIER),
        Outcome.MERGE,
        set(),
        (),
    ),
    (
        "a sign-in time beside a real clash settles only the time",
        "users",
        UP,
        {"last_login_at": LATER, "phone_extension": "204"},
        state({"last_login_at", "phone_extension"}, last_login_at=EARLIER, phone_extension="310"),
        Outcome.SERVER_WINS,
        {"last_login_at"},
        ("phone_extension",),
    ),
    (
        "a sign-in time on a task is not a clock and still conflicts",
        "tasks",
        UP,
        {"last_login_at": LATER},
        state({"last_login_at"}, last_login_at=EARLIER),
        Outcome.SERVER_WINS,
        set(),
        ("last_login_at",),
    ),
    (
        "undelete by the same device is allowed",
        "tasks",
        UP,
        {"deleted_at": None},
        state(deleted=True),
        Outcome.APPLY,
        {"deleted_at"},
        (),
    ),
]


@pytest.mark.parametrize(
    ("entity", "operation", "payload", "server", "outcome", "applied", "lost"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_decide_follows_the_table(entity, operation, payload, server, outcome, applied, lost):
    decision = decide(entity=entity, operation=operation, payload=payload, server=server)
    assert decision.outcome is outcome
    assert set(decision.apply) == set(applied)
    assert decision.lost == lost


def test_a_conflict_never_drops_a_field_silently():
    """Every field the client sent is either applied or reported as lost."""
    payload = {"title": "x", "status": "done", "updated_at": "t"}
    for changed in ({"title"}, {"status"}, {"title", "status"}, set()):
        decision = decide(entity="tasks", operation=UP, payload=payload, server=state(changed))
        assert set(decision.apply) | set(decision.lost) == set(payload)


@pytest.mark.parametrize(
    ("ours", "theirs", "superseded"),
    [(LATER, EARLIER, ()), (EARLIER, LATER, ("last_login_at",)), (None, LATER, ("last_login_at",))],
    ids=["client newer", "server newer", "client has none"],
)
def test_a_sign_in_time_that_gives_way_is_named_as_superseded_not_dropped(ours, theirs, superseded):
    payload = {"last_login_at": ours, "preferences": {"theme": "dark"}, "updated_at": "t2"}
    server = state({"last_login_at"}, last_login_at=theirs)
    decision = decide(entity="users", operation=UP, payload=payload, server=server)
    assert not decision.is_conflict and decision.lost == ()
    assert decision.superseded == superseded
    assert set(decision.apply) | set(decision.superseded) == set(payload)
    assert set(decision.apply).isdisjoint(decision.superseded)
