"""HTTP transport of the sync protocol over httpx.

Pass ``transport=httpx.MockTransport(handler)`` to test the engine without a server. What is
retryable follows httpx's exception tree: every ``httpx.TransportError`` (connect, read, write,
timeouts, a response cut off mid-body) and every 5xx is :class:`SyncOffline`; a 4xx is a real
answer and is not retried. An expired access token is refreshed once, transparently.

One transport error is not an outage: a server certificate that does not verify (a practice's own
certificate authority that this workstation was not told about, a wrong host name, an expired
certificate) is :class:`CertificateNotTrusted`, which names the CA certificate setting, because
retrying cannot fix it. :func:`tls_verify` turns that setting (a CA file) into what httpx verifies
with, and refuses a file that is missing or holds no certificate before anything uses it.
"""

from __future__ import annotations

import os
import ssl
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pydantic

from clinicdesk.errors import AuthenticationError, PasswordChangeRequired, PermissionDeniedError, SyncError
from sync.errors import BadCaFile, CertificateNotTrusted, ProtocolTooOld, SyncOffline
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    BootstrapResponse,
    ChangeIn,
    DeviceList,
    DevicePublic,
    DocumentStored,
    FetchRequest,
    FetchResponse,
    Health,
    LoginRequest,
    MrnBlock,
    MrnRequest,
    PasswordReset,
    PullResponse,
    PushRequest,
    PushResponse,
    RecordingStored,
    RecordOut,
    RecordRef,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserPublic,
)

M = TypeVar("M", bound=pydantic.BaseModel)
#: Where a record's bytes are kept, by entity.
BLOB_PATHS = {"recordings": "/recordings/{}/audio", "documents": "/documents/{}/content"}
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
KEEPALIVE_SECONDS = 2.0
#: Where a person sets the CA certificate, named in the "not trusted" message (app and command line).
CA_SETTING = "the CA certificate in the sync settings, or --ca-file on the command line"

CaFile = str | os.PathLike[str]


def tls_verify(ca_file: CaFile | None) -> ssl.SSLContext | bool:
    """What the server's certificate is verified against: without a CA file, the usual trusted
    authorities (True); with one, exactly the certificates in that file (a practice's own CA, as
    ``curl --cacert`` does), PEM with one or more certificates or a single DER certificate as
    Windows exports it.

    The file is read here, once, rather than handed to httpx as a path, so that a missing,
    unreadable or certificate-less file is a :class:`BadCaFile` that names it, raised before a
    setting is saved or a profile made, and never an OpenSSL traceback later."""
    if ca_file is None or not str(ca_file).strip():
        return True
    path = Path(ca_file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadCaFile(f"the CA certificate file {path} does not exist") from None
    except IsADirectoryError:
        raise BadCaFile(f"the CA certificate file {path} is a folder, not a certificate file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BadCaFile(f"the CA certificate file {path} cannot be read ({reason})") from None
    if not data.strip():  # (an empty cadata would quietly mean "the usual authorities")
        raise BadCaFile(f"the CA certificate file {path} is empty; choose the practice's CA certificate")
    cadata: str | bytes = data.decode("latin-1") if b"-----BEGIN" in data else data
    try:
        return ssl.create_default_context(cadata=cadata)
    except (ssl.SSLError, ValueError):
        raise BadCaFile(
            f"the CA certificate file {path} holds no certificate; choose the practice's CA certificate "
            "(a .pem, .crt or .cer file)"
        ) from None


def certificate_failure(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, if that is what ``exc`` (an httpx error) comes
    from; httpx wraps OpenSSL's verdict two levels down (httpx -> httpcore -> ssl)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = str(cause.verify_message or cause.reason or "verification failed").rstrip(".")
            return reason[:1].lower() + reason[1:]
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


class Refusing(httpx.BaseTransport):
    """Answers every request with ``error``: for a transport that cannot be made as configured (a CA
    file gone missing), so what needs no server still works and each sync says what is wrong."""

    def __init__(self, error: SyncError) -> None:
        self.error = error

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise type(self.error)(self.error.message)


class HttpTransport:
    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        verify: bool | ssl.SSLContext = True,
        ca_file: CaFile | None = None,
    ) -> None:
        """``ca_file`` (a practice's own CA, see :func:`tls_verify`) takes the place of ``verify``."""
        self.base_url = base_url.rstrip("/")
        self.ca_file = str(ca_file) if ca_file is not None and str(ca_file).strip() else None
        if self.ca_file is not None:
            verify = tls_verify(self.ca_file)
        self._client = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            verify=verify,
            # Below the server's keep-alive timeout (uvicorn: 5 s), so an idle connection is dropped
            # here before the server closes it under a request sent on it (a spurious ReadError).
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        )
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        #: Called with each new token pair, so the engine can keep the refresh token in the store.
        self.on_tokens: Callable[[TokenPair], None] | None = None

    def close(self) -> None:
        self._client.close()

    # --- low level --------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = self._client.request(
                method, path, json=json, params=params, content=content, headers=headers
            )
            response.read()
        except httpx.TransportError as exc:
            reason = certificate_failure(exc)
            if reason is not None:
                raise CertificateNotTrusted(self._untrusted(reason)) from None
            raise SyncOffline(f"cannot reach the sync server ({type(exc).__name__})") from None
        return response

    def _untrusted(self, reason: str) -> str:
        if reason.startswith("hostname mismatch"):  # trusted, but issued for another name
            return (
                f"the sync server's certificate is not for the address {self.base_url} ({reason}); "
                "enter the server's address with the host name its certificate was issued for"
            )
        if self.ca_file is None:
            return (
                f"the sync server's certificate is not trusted ({reason}); if the practice uses its own "
                f"certificate authority, set its CA certificate file ({CA_SETTING})"
            )
        return (
            f"the sync server's certificate is not trusted by the CA certificate file {self.ca_file} "
            f"({reason}); check that it is the certificate of the authority that issued the server's "
            f"certificate ({CA_SETTING})"
        )

    def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        auth: bool = True,
    ) -> M:
        response = self._send(method, path, json=json, params=params, content=content)
        if response.status_code == 401 and auth and self.refresh_token:
            self._refresh()
            response = self._send(method, path, json=json, params=params, content=content)
        self._raise_for(response)
        try:
            return model.model_validate_json(response.content)
        except pydantic.ValidationError:
            # A 200 with a body cut short or mangled on the way: the request may or may not have
            # been applied; retrying is safe because every push is idempotent.
            raise SyncOffline("the sync server's answer was incomplete") from None

    @staticmethod
    def _detail(response: httpx.Response) -> str:
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        return str(detail) if detail else f"HTTP {response.status_code}"

    def _raise_for(self, response: httpx.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        if code >= 500 or code in (408, 429):
            raise SyncOffline(f"the sync server is unavailable ({code})")
        detail = self._detail(response)
        if code == 401:
            raise AuthenticationError(f"sync sign-in failed: {detail}")
        if code == 428:
            raise PasswordChangeRequired(detail)
        if code == 403:
            raise PermissionDeniedError(detail)
        if code == 426:
            raise ProtocolTooOld(detail)
        raise SyncError(f"the sync server refused the request: {detail}")

    def _refresh(self) -> None:
        token = self.refresh_token
        assert token is not None
        self.access_token = None
        pair = self._call(
            "POST",
            "/auth/refresh",
            TokenPair,
            json=RefreshRequest(refresh_token=token).model_dump(),
            auth=False,
        )
        self._accept(pair)

    def _accept(self, pair: TokenPair) -> None:
        self.access_token = pair.access_token
        self.refresh_token = pair.refresh_token
        if self.on_tokens is not None:
            self.on_tokens(pair)

    # --- protocol ---------------------------------------------------------------------------

    def health(self) -> Health:
        return self._call("GET", "/health", Health, auth=False)

    def login(
        self,
        *,
        username: str,
        password: str,
        device_id: uuid.UUID,
        device_name: str,
        new_password: str | None = None,
    ) -> TokenPair:
        """Signs in; ``new_password`` answers PasswordChangeRequired (an administrator reset the
        password, and the user chooses their own now)."""
        body = LoginRequest(
            username=username,
            password=password,
            device_id=device_id,
            device_name=device_name,
            new_password=new_password,
        )
        pair = self._call("POST", "/auth/login", TokenPair, json=body.model_dump(mode="json"), auth=False)
        self._accept(pair)
        return pair

    def ensure_access(self) -> None:
        if self.access_token is None:
            if not self.refresh_token:
                raise AuthenticationError("this workstation is not signed in to the sync server")
            self._refresh()

    def push(self, changes: Sequence[ChangeIn]) -> PushResponse:
        self.ensure_access()
        body = PushRequest(changes=list(changes)).model_dump(mode="json")
        return self._call("POST", "/sync/push", PushResponse, json=body)

    def pull(self, *, cursor: int, limit: int) -> PullResponse:
        self.ensure_access()
        return self._call("GET", "/sync/pull", PullResponse, params={"cursor": cursor, "limit": limit})

    def bootstrap(self, *, start: date, end: date) -> BootstrapResponse:
        self.ensure_access()
        params = {"start": start.isoformat(), "end": end.isoformat()}
        return self._call("GET", "/sync/bootstrap", BootstrapResponse, params=params)

    def fetch(self, refs: Sequence[RecordRef]) -> list[RecordOut]:
        self.ensure_access()
        body = FetchRequest(refs=list(refs)).model_dump(mode="json")
        return self._call("POST", "/sync/fetch", FetchResponse, json=body).records

    def put_recording_audio(self, recording_id: uuid.UUID, data: bytes) -> RecordingStored:
        """Store a recording's audio exactly as given (the client's ciphertext); repeating is harmless."""
        self.ensure_access()
        return self._call("PUT", f"/recordings/{recording_id}/audio", RecordingStored, content=data)

    def get_recording_audio(self, recording_id: uuid.UUID) -> bytes:
        return self.get_blob("recordings", recording_id)

    def put_blob(self, entity: str, record_id: uuid.UUID, data: bytes) -> RecordingStored | DocumentStored:
        """Store a record's bytes (a recording's audio, a document's file) exactly as given."""
        if entity == "recordings":
            return self.put_recording_audio(record_id, data)
        self.ensure_access()
        return self._call("PUT", BLOB_PATHS[entity].format(record_id), DocumentStored, content=data)

    def get_blob(self, entity: str, record_id: uuid.UUID) -> bytes:
        """A record's bytes as the server stores them (the maker's ciphertext)."""
        self.ensure_access()
        path = BLOB_PATHS[entity].format(record_id)
        response = self._send("GET", path)
        if response.status_code == 401 and self.refresh_token:
            self._refresh()
            response = self._send("GET", path)
        self._raise_for(response)
        return response.content

    # --- staff accounts and MRN numbers (people at a workstation, not its outbox) ----------------

    def create_user(self, body: UserCreate) -> UserPublic:
        self.ensure_access()
        return self._call("POST", "/users", UserPublic, json=body.model_dump(mode="json"))

    def reset_password(self, user_id: uuid.UUID, password: str) -> UserPublic:
        self.ensure_access()
        body = PasswordReset(password=password).model_dump(mode="json")
        return self._call("POST", f"/users/{user_id}/password", UserPublic, json=body)

    def user_devices(self, user_id: uuid.UUID) -> list[DevicePublic]:
        self.ensure_access()
        return self._call("GET", f"/users/{user_id}/devices", DeviceList).devices

    def revoke_device(self, device_id: uuid.UUID) -> DevicePublic:
        self.ensure_access()
        return self._call("POST", f"/devices/{device_id}/revoke", DevicePublic)

    def reserve_mrns(self, count: int) -> MrnBlock:
        self.ensure_access()
        body = MrnRequest(count=count).model_dump(mode="json")
        return self._call("POST", "/patients/mrn-block", MrnBlock, json=body)
