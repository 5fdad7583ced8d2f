"""Random hostile payloads, mixed into batches with good changes, against the real server: nothing
answers 5xx, every good change applies, and every role can still pull afterwards."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import SYNCED_MODELS
from models.registry import NOT_IN_PAYLOAD
from tests.integration.server.wire import change

pytestmark = pytest.mark.integration
EXAMPLES = 25


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


EVIL_TEXT = st.sampled_from(["\udc00", "\ud800x", "a\x00b", "\x00", "ok\udfff", "x" * 70_000])
EVIL_NUMBER = st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**30, -(10**40), 2**63])
EVIL_DATE = st.sampled_from(
    ["9999-12-31", "0001-01-01", "10000-01-01", "2020-13-45", "2026-01-01T00:00:00", "", "now"]
)
WRONG_TYPE = st.one_of(
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.booleans(),
    st.none(),
    st.integers(),
)
EVIL = st.one_of(
    EVIL_TEXT,
    EVIL_NUMBER,
    EVIL_DATE,
    WRONG_TYPE,
    st.integers(17, 400).map(nested),
    st.dictionaries(EVIL_TEXT, st.integers(), min_size=1, max_size=2),
    st.lists(EVIL_TEXT, min_size=1, max_size=2),
    st.text(max_size=20),
)
CLEAN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(str.strip)
FIELDS = {
    name: sorted(a.key for a in model.__mapper__.column_attrs if a.key not in NOT_IN_PAYLOAD)
    for name, model in SYNCED_MODELS.items()
}


@st.composite
def hostile(draw: st.DrawFn, existing: list[tuple[str, str]]) -> dict[str, Any]:
    if existing and draw(st.booleans()):
        entity, record_id = draw(st.sampled_from(existing))
    else:
        entity, record_id = draw(st.sampled_from(sorted(FIELDS))), str(uuid.uuid4())
    keys = draw(st.lists(st.sampled_from(FIELDS[entity]), min_size=1, max_size=4, unique=True))
    payload = {key: draw(EVIL) for key in keys}
    if draw(st.booleans()):
        payload[draw(EVIL_TEXT)] = draw(EVIL)  # a key that is no field at all
    base = draw(st.one_of(st.none(), st.integers(0, 2**62)))
    return change(entity, record_id, payload, base=base)


@pytest.fixture(scope="module")
def existing(practice) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    patient = practice.patient()
    note, _ = practice.note(patient)
    rx, _ = practice.prescription(patient)
    return [("patients", patient), ("clinical_notes", note), ("prescriptions", rx)]


@given(data=st.data())
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_hostile_changes_are_refused_alone_and_never_stop_a_push_or_a_pull(practice, existing, data):
    actors = [practice.doctor, practice.nurse, practice.receptionist, practice.admin]
    actor = data.draw(st.sampled_from(actors))
    bad = data.draw(st.lists(hostile(existing), min_size=1, max_size=6))
    titles = data.draw(st.lists(CLEAN_TEXT, min_size=1, max_size=3))
    good = [change("tasks", str(uuid.uuid4()), {"title": t, "creator_id": actor.user_id}) for t in titles]
    batch = data.draw(st.permutations(bad + good))
    before = actor.request("GET", "/health").json()["server_usn"]

    body = json.dumps({"changes": batch})  # NaN, Infinity and lone surrogates as Python writes them
    response = actor.request(
        "POST", "/sync/push", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text[:500]
    results = {r["id"]: r for r in response.json()["results"]}
    for made in good:
        assert results[made["id"]]["status"] == "applied", results[made["id"]]
    for sent in bad:
        answer = results[sent["id"]]
        assert answer["status"] in ("applied", "rejected", "conflict")
        assert answer["status"] != "rejected" or answer["reason"], "a refusal says why"

    for api in [*actors, practice.doctor2]:
        pulled = api.request("GET", "/sync/pull", params={"cursor": max(0, before - 50)})
        assert pulled.status_code == 200, pulled.text[:500]
    everything = practice.doctor.request("GET", "/sync/bootstrap")
    assert everything.status_code == 200
