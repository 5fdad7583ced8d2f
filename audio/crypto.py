"""Recordings encrypted at rest: AES-256-GCM with a key the store keeps in the (encrypted) database.

Format: b"CDA1" + 12-byte random nonce + ciphertext with tag. The magic and version are
authenticated too, so a file cannot be passed off as another format version.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinicdesk.errors import SpeechError

MAGIC = b"CDA1"
NONCE_BYTES = 12


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _cipher(key: bytes) -> AESGCM:
    if len(key) != 32:
        raise ValueError("recording keys are 32 bytes (AES-256)")
    return AESGCM(key)


def encrypt_audio(key: bytes, data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + _cipher(key).encrypt(nonce, data, MAGIC)


def decrypt_audio(key: bytes, blob: bytes) -> bytes:
    if len(blob) < len(MAGIC) + NONCE_BYTES + 16 or not blob.startswith(MAGIC):
        raise SpeechError("This recording is not a ClinicDesk encrypted recording, or it is truncated.")
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    try:
        return _cipher(key).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], MAGIC)
    except InvalidTag:
        raise SpeechError(
            "This recording cannot be decrypted: it was changed or damaged, or belongs to another profile."
        ) from None
