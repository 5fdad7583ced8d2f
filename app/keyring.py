"""The practice's data keys: how a recording or a document made on one workstation is opened by any
authorised user on any other, with nothing decrypted on the server (docs/DESIGN-keys.md).

- Each workstation profile has an X25519 key pair. The private half lives in the profile's
  encrypted store (ProfileSecret) and never leaves it; the public half is a synced DeviceKey row.
- A data key is 32 random bytes, named by a UUIDv7 (so the newest key is the largest id). It is
  never stored in the clear: a KeyGrant seals it to one device's public key (ephemeral X25519,
  HKDF-SHA256, AES-256-GCM). Only that device opens the grant.
- Bytes are sealed with the newest data key this device holds: ``CDK1`` + key id + nonce +
  AES-256-GCM ciphertext (the header is authenticated too).
- After each sync, a workstation that holds keys seals each of them for every device of an active
  doctor, nurse or administrator that lacks it (a new colleague, a new workstation), and makes a
  new data key when the newest one was given to a device of someone who has left or was revoked:
  what is recorded from then on is closed to them.

The server sees public keys and sealed grants only. A grant's id is derived from the key and the
device, so two workstations sealing the same key for the same device make the same record.
"""

from __future__ import annotations

import base64
import os
import socket
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services import audit
from clinicdesk.errors import ClinicDeskError, SpeechError
from models import DeviceKey, KeyGrant, ProfileSecret, User, new_id
from models.enums import Role

MAGIC = b"CDK1"
NONCE = 12
PRIVATE_KEY = "device-key-v1"
DEVICE_ID = "device-key-id-v1"
#: the roles that open recordings and documents (the server's policy says the same)
HOLDERS = frozenset({Role.DOCTOR, Role.NURSE, Role.ADMIN})
_GRANTS = uuid.UUID("0190c0de-0000-7000-8000-00000000feed")
_INFO = b"clinicdesk key grant v1"


class KeyUnavailable(ClinicDeskError):
    """This workstation holds no key that opens the bytes (yet)."""


NOT_YET = (
    "this workstation has not received the practice key that opens this {what} yet; keys are shared "
    "when a colleague's workstation syncs: sync again in a moment"
)


@dataclass(frozen=True)
class Device:
    id: uuid.UUID
    private: X25519PrivateKey


def _secret(session: Session, name: str) -> bytes | None:
    found = session.get(ProfileSecret, name)
    return found.value if found is not None else None


def _signed_in(session: Session) -> uuid.UUID | None:
    actor = audit.actor_of(session)
    if actor is not None:
        return actor
    from sync.engine import USER_ID  # the account a new workstation signed in to the server as
    from sync.local import get_state

    known = get_state(session, USER_ID)
    return uuid.UUID(known) if known else None


def device(session: Session) -> Device | None:
    """This profile's key pair, made (with its public DeviceKey row) the first time it is needed.
    None only before anyone has signed in to the profile."""
    private = _secret(session, PRIVATE_KEY)
    device_id = _secret(session, DEVICE_ID)
    if private is not None and device_id is not None:
        return Device(uuid.UUID(bytes=device_id), X25519PrivateKey.from_private_bytes(private))
    user_id = _signed_in(session)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or user.role not in HOLDERS:
        return None  # a receptionist's workstation never holds keys: it needs no key pair
    key = X25519PrivateKey.generate()
    row = DeviceKey(
        user_id=user_id,
        public_key=base64.b64encode(key.public_key().public_bytes_raw()).decode(),
        name=socket.gethostname()[:120],
    )
    session.add(row)
    session.flush()
    session.add(ProfileSecret(name=PRIVATE_KEY, value=key.private_bytes_raw()))
    session.add(ProfileSecret(name=DEVICE_ID, value=row.id.bytes))
    session.flush()
    audit.record(session, action="create", resource_type="device_keys", resource_id=row.id)
    return Device(row.id, key)


def _kek(shared: bytes, key_id: uuid.UUID, device_id: uuid.UUID) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + key_id.bytes + device_id.bytes
    )
    return AESGCM(derived.derive(shared))


def seal_for(data_key: bytes, key_id: uuid.UUID, device_key: DeviceKey) -> str:
    """``data_key`` sealed to one device's public key (base64)."""
    ephemeral = X25519PrivateKey.generate()
    peer = X25519PublicKey.from_public_bytes(base64.b64decode(device_key.public_key))
    mine = ephemeral.public_key().public_bytes_raw()
    nonce = os.urandom(NONCE)
    sealed = _kek(ephemeral.exchange(peer), key_id, device_key.id).encrypt(nonce, data_key, mine)
    return base64.b64encode(b"\x01" + mine + nonce + sealed).decode()


def unseal(wrapped: str, key_id: uuid.UUID, me: Device) -> bytes:
    raw = base64.b64decode(wrapped)
    if raw[:1] != b"\x01" or len(raw) != 1 + 32 + NONCE + 48:
        raise KeyUnavailable("a practice key sealed for this workstation is damaged; ask an administrator")
    theirs, nonce, sealed = raw[1:33], raw[33 : 33 + NONCE], raw[33 + NONCE :]
    shared = me.private.exchange(X25519PublicKey.from_public_bytes(theirs))
    try:
        return _kek(shared, key_id, me.id).decrypt(nonce, sealed, theirs)
    except InvalidTag:
        raise KeyUnavailable(
            "a practice key sealed for this workstation does not open; ask an administrator"
        ) from None


def grant_id(key_id: uuid.UUID, device_key_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_GRANTS, f"{key_id}:{device_key_id}")


def _my_grants(session: Session, me: Device) -> list[KeyGrant]:
    return list(
        session.scalars(
            select(KeyGrant).where(KeyGrant.device_key_id == me.id, KeyGrant.deleted_at.is_(None))
        )
    )


def holders(session: Session) -> list[DeviceKey]:
    """The devices that should hold the practice's keys: not revoked, of an active doctor, nurse or
    administrator."""
    rows = session.execute(
        select(DeviceKey, User.role, User.active)
        .join(User, User.id == DeviceKey.user_id)
        .where(DeviceKey.deleted_at.is_(None), DeviceKey.revoked_at.is_(None))
    ).all()
    return [key for key, role, active in rows if active and role in HOLDERS]


def _grant(session: Session, key_id: uuid.UUID, data_key: bytes, device_key: DeviceKey, reason: str) -> bool:
    gid = grant_id(key_id, device_key.id)
    if session.get(KeyGrant, gid) is not None:
        return False
    session.add(
        KeyGrant(
            id=gid,
            key_id=key_id,
            device_key_id=device_key.id,
            wrapped_key=seal_for(data_key, key_id, device_key),
            reason=reason,
            granted_by_id=audit.actor_of(session),
        )
    )
    return True


def new_key(session: Session, *, reason: str) -> uuid.UUID:
    """A new data key, sealed for this device and every device that should hold keys."""
    me = device(session)
    if me is None:
        raise KeyUnavailable("sign in before anything is sealed: this profile has no user yet")
    key_id, data_key = new_id(), AESGCM.generate_key(bit_length=256)
    own = session.get(DeviceKey, me.id)
    assert own is not None
    targets = {d.id: d for d in holders(session)}
    targets[own.id] = own
    for target in targets.values():
        _grant(session, key_id, data_key, target, reason)
    session.flush()
    audit.record(
        session,
        action="create",
        resource_type="key_grants",
        resource_id=key_id,
        new={"devices": len(targets)},
        reason=reason,
    )
    return key_id


def held_keys(session: Session) -> dict[uuid.UUID, bytes]:
    """Every data key this device holds, by id."""
    me = device(session)
    if me is None:
        return {}
    return {g.key_id: unseal(g.wrapped_key, g.key_id, me) for g in _my_grants(session, me)}


def current_key(session: Session) -> tuple[uuid.UUID, bytes]:
    """The newest data key this device holds, made now when it holds none (a first workstation, or
    one that has not been given the practice's keys yet)."""
    me = device(session)
    if me is None:
        raise KeyUnavailable("sign in before anything is sealed: this profile has no user yet")
    grants = _my_grants(session, me)
    if not grants:
        new_key(session, reason="first key")
        grants = _my_grants(session, me)
    newest = max(grants, key=lambda g: g.key_id.bytes)
    return newest.key_id, unseal(newest.wrapped_key, newest.key_id, me)


def key_for(session: Session, key_id: uuid.UUID, *, what: str) -> bytes:
    me = device(session)
    grant = session.get(KeyGrant, grant_id(key_id, me.id)) if me is not None else None
    if me is None or grant is None or grant.deleted_at is not None:
        raise KeyUnavailable(NOT_YET.format(what=what))
    return unseal(grant.wrapped_key, key_id, me)


def seal(session: Session, data: bytes) -> tuple[bytes, uuid.UUID]:
    """``data`` sealed with the practice's newest key: (the bytes to store, the key's id)."""
    key_id, key = current_key(session)
    header = MAGIC + key_id.bytes
    nonce = os.urandom(NONCE)
    return header + nonce + AESGCM(key).encrypt(nonce, data, header), key_id


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def open_sealed(session: Session, blob: bytes, *, what: str) -> bytes:
    """The clear bytes of something :func:`seal` made, on any workstation given its key."""
    head = len(MAGIC) + 16
    if len(blob) < head + NONCE + 16 or not is_sealed(blob):
        raise SpeechError(f"this {what} is not a ClinicDesk sealed file, or it is truncated")
    key_id = uuid.UUID(bytes=blob[len(MAGIC) : head])
    key = key_for(session, key_id, what=what)
    try:
        return AESGCM(key).decrypt(blob[head : head + NONCE], blob[head + NONCE :], blob[:head])
    except InvalidTag:
        raise SpeechError(f"this {what} cannot be decrypted: it was changed or damaged") from None


def needs_rotation(session: Session) -> bool:
    """Whether the newest key was given to a device that should no longer hold keys (its user left,
    changed role, or the device was revoked)."""
    me = device(session)
    grants = _my_grants(session, me) if me is not None else []
    if not grants:
        return False
    newest = max(grants, key=lambda g: g.key_id.bytes).key_id
    given = set(
        session.scalars(
            select(KeyGrant.device_key_id).where(KeyGrant.key_id == newest, KeyGrant.deleted_at.is_(None))
        )
    )
    return bool(given - {d.id for d in holders(session)})


def share(session: Session) -> int:
    """Seals every key this device holds for each device that should hold keys and lacks it;
    returns how many grants it made."""
    keys = held_keys(session)
    made = 0
    for target in holders(session):
        for key_id, data_key in keys.items():
            made += _grant(session, key_id, data_key, target, "shared")
    if made:
        session.flush()
        audit.record(
            session, action="create", resource_type="key_grants", resource_id=None, new={"grants": made}
        )
    return made


def after_sync(session: Session) -> bool:
    """What a workstation does with the keys after each sync: make its own key pair (a new
    workstation), rotate when someone who held the newest key should no longer, and share its keys
    with devices that lack them. Returns whether it made anything that should go up at once."""
    had_device = _secret(session, DEVICE_ID) is not None
    me = device(session)
    if me is None:
        return False
    made = not had_device
    if needs_rotation(session) and audit.actor_of(session) is not None:
        new_key(session, reason="rotation: a key holder left or was revoked")
        made = True
    return share(session) > 0 or made
