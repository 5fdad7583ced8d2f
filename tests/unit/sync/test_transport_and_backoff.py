"""The transport's error mapping (over httpx.MockTransport) and the backoff schedule."""

from __future__ import annotations

import json
import random
import uuid

import httpx
import pytest

from clinicdesk.errors import AuthenticationError, SyncError
from sync.backoff import Backoff
from sync.errors import ProtocolTooOld, SyncOffline
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from sync.transport import HttpTransport

USER = {"id": str(uuid.uuid4()), "username": "u", "full_name": "U", "role": "doctor"}


def pair(access: str, refresh: str) -> dict[str, object]:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": 900,
        "device_id": str(uuid.uuid4()),
        "user": USER,
    }


def transport(handler) -> HttpTransport:  # type: ignore[no-untyped-def]
    return HttpTransport("http://sync.test", transport=httpx.MockTransport(handler))


def empty_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"records": [], "cursor": 0, "has_more": False})


def test_every_request_says_which_protocol_it_speaks():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers[PROTOCOL_HEADER])
        return empty_page(request)

    t = transport(handler)
    t.access_token = "a"
    t.pull(cursor=0, limit=10)
    assert seen == [str(PROTOCOL_VERSION)]


def _raise(error: Exception):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


TRUNCATED = httpx.Response(200, content=b'{"records": [', headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        pytest.param(_raise(httpx.ConnectError("down")), SyncOffline, None, id="no connection: offline"),
        pytest.param(_raise(httpx.ReadTimeout("slow")), SyncOffline, None, id="a timeout: offline"),
        pytest.param(_raise(httpx.RemoteProtocolError("cut")), SyncOffline, None, id="a cut answer: offline"),
        pytest.param(
            lambda r: httpx.Response(503, json={"detail": "busy"}), SyncOffline, None, id="busy: offline"
        ),
        pytest.param(lambda r: TRUNCATED, SyncOffline, None, id="a truncated body: offline, not fatal"),
        pytest.param(
            lambda r: httpx.Response(426, json={"detail": "update ClinicDesk"}),
            ProtocolTooOld,
            "update ClinicDesk",
            id="an outdated client is told to update",
        ),
    ],
)
def test_a_failed_pull_is_offline_and_retryable_unless_the_client_must_update(answer, error, message):
    t = transport(answer)
    t.access_token = "a"
    with pytest.raises(error, match=message):
        t.pull(cursor=0, limit=10)


def test_an_expired_access_token_is_refreshed_once_and_the_new_pair_is_kept():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/auth/refresh":
            assert json.loads(request.content) == {"refresh_token": "r1"}
            return httpx.Response(200, json=pair("a2", "r2"))
        if request.headers.get("authorization") == "Bearer a2":
            return empty_page(request)
        return httpx.Response(401, json={"detail": "access token expired"})

    t = transport(handler)
    kept = []
    t.on_tokens = kept.append
    t.access_token, t.refresh_token = "a1", "r1"
    t.pull(cursor=0, limit=10)
    assert calls == ["/sync/pull", "/auth/refresh", "/sync/pull"]
    assert [p.refresh_token for p in kept] == ["r2"]


def test_a_refused_refresh_asks_the_user_to_sign_in_again():
    t = transport(lambda r: httpx.Response(401, json={"detail": "refresh token was already used"}))
    t.access_token, t.refresh_token = "a1", "r1"
    with pytest.raises(AuthenticationError, match="already used"):
        t.pull(cursor=0, limit=10)


def test_a_client_error_is_a_sync_error_with_the_servers_reason():
    t = transport(lambda r: httpx.Response(422, json={"detail": "invalid request: body.changes"}))
    t.access_token = "a"
    with pytest.raises(SyncError, match="invalid request"):
        t.push([])


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter_below_the_ceiling():
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(4))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not lockstep
    backoff.reset()
    assert backoff.next_delay() <= 1.0
